/**
 * Manifests: read v1 and v2 as Spark, Iceberg-Java and PyIceberg write them (sequence numbers and
 * snapshot ids inherited from the manifest list entry when null; v1 defaults to 0), write v2 with
 * the spec's schema, field ids and header metadata.
 */
import { InvalidInput } from '../domain/errors.js';
import { schemaFromJson, schemaToJson } from '../domain/iceberg/type-strings.js';
import type { DataFile, EntryStatus, FileContent, ManifestEntry, ManifestFile, PartitionSpec, Schema } from '../domain/iceberg/types.js';
import { readAvroFile, writeAvroFile } from './avro-container.js';
import { manifestEntrySchema } from './avro-schemas.js';
import { fromAvroPartition, partitionFieldTypes, partitionSummaries, toAvroPartition } from './partition-values.js';

type Rec = Record<string, unknown>;

const STATUS: EntryStatus[] = ['EXISTING', 'ADDED', 'DELETED'];
const CONTENT: FileContent[] = ['DATA', 'POSITION_DELETES', 'EQUALITY_DELETES'];
const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));

function countMap(v: unknown): Map<number, number> | undefined {
  return Array.isArray(v) ? new Map((v as Rec[]).map((e) => [n(e.key), n(e.value)])) : undefined;
}
function boundMap(v: unknown): Map<number, Uint8Array> | undefined {
  return Array.isArray(v) ? new Map((v as Rec[]).map((e) => [n(e.key), Uint8Array.from(e.value as Uint8Array)])) : undefined;
}

export interface ManifestContents {
  formatVersion: number;
  content: 'DATA' | 'DELETES';
  specId: number;
  entries: ManifestEntry[];
}

/** Reads every entry (DELETED ones too) of a manifest; `manifest` supplies inherited values. */
export function readManifest(bytes: Uint8Array, manifest: ManifestFile): ManifestContents {
  const file = readAvroFile(bytes, manifest.manifestPath);
  const meta = file.metadata;
  const specId = meta['partition-spec-id'] !== undefined ? Number(meta['partition-spec-id']) : manifest.partitionSpecId >= 0 ? manifest.partitionSpecId : 0;
  // The header carries the table schema and the spec's fields, enough to type partition values.
  const schema = meta.schema ? schemaFromJson(JSON.parse(meta.schema)) : undefined;
  const specFields = meta['partition-spec'] ? (JSON.parse(meta['partition-spec']) as Rec[]) : [];
  const spec: PartitionSpec = {
    specId,
    fields: specFields.map((f, i) => ({ sourceId: n(f['source-id']), fieldId: f['field-id'] === undefined ? 1000 + i : n(f['field-id']), name: String(f.name), transform: String(f.transform) })),
  };
  const types = schema ? partitionFieldTypes(spec, [schema]) : [];
  const avroPartition = findPartitionRecord(file.schema);
  const entries = file.records.map((r): ManifestEntry => {
    const status = STATUS[n(r.status)];
    const d = r.data_file as Rec | undefined;
    if (!status || !d || typeof d.file_path !== 'string') throw new InvalidInput(`${manifest.manifestPath}: malformed manifest entry`, 'avro');
    // null (or absent, v1) inherits the manifest's sequence number (0 for v1 manifests).
    const inherit = (v: unknown) => (v === null || v === undefined ? manifest.sequenceNumber : n(v));
    const df: DataFile = {
      content: CONTENT[n(d.content)] ?? 'DATA',
      filePath: d.file_path,
      fileFormat: String(d.file_format).toUpperCase() as DataFile['fileFormat'],
      specId,
      partition: fromAvroPartition(d.partition as Rec, avroPartition, spec, types),
      recordCount: n(d.record_count),
      fileSizeInBytes: n(d.file_size_in_bytes),
      sequenceNumber: inherit(r.sequence_number),
      fileSequenceNumber: inherit(r.file_sequence_number),
      snapshotId: r.snapshot_id === null || r.snapshot_id === undefined ? manifest.addedSnapshotId : String(r.snapshot_id),
    };
    const maps = { columnSizes: countMap(d.column_sizes), valueCounts: countMap(d.value_counts), nullValueCounts: countMap(d.null_value_counts), nanValueCounts: countMap(d.nan_value_counts) };
    for (const [k, v] of Object.entries(maps)) if (v) df[k as keyof typeof maps] = v;
    const lower = boundMap(d.lower_bounds);
    const upper = boundMap(d.upper_bounds);
    if (lower) df.lowerBounds = lower;
    if (upper) df.upperBounds = upper;
    if (Array.isArray(d.split_offsets)) df.splitOffsets = d.split_offsets.map(n);
    if (Array.isArray(d.equality_ids)) df.equalityIds = d.equality_ids.map(n);
    if (d.sort_order_id !== null && d.sort_order_id !== undefined) df.sortOrderId = n(d.sort_order_id);
    if (typeof d.referenced_data_file === 'string') df.referencedDataFile = d.referenced_data_file;
    return { status, dataFile: df };
  });
  return { formatVersion: Number(meta['format-version'] ?? 1), content: meta.content === 'deletes' ? 'DELETES' : 'DATA', specId, entries };
}

function findPartitionRecord(schema: Rec): Rec[] {
  const dataFile = (schema.fields as Rec[]).find((f) => f.name === 'data_file')?.type as Rec | undefined;
  const partition = (dataFile?.fields as Rec[] | undefined)?.find((f) => f.name === 'partition')?.type as Rec | undefined;
  return (partition?.fields as Rec[] | undefined) ?? [];
}

export interface ManifestWrite {
  manifestPath: string;
  schema: Schema;
  spec: PartitionSpec;
  content: 'DATA' | 'DELETES';
  /** The snapshot being committed (ADDED and DELETED entries belong to it). */
  snapshotId: string;
  sequenceNumber: number;
  entries: ManifestEntry[];
}

const big = (v: number) => BigInt(v);
const pairs = <T>(m: Map<number, T> | undefined, f: (v: T) => unknown) => (m ? [...m].map(([key, value]) => ({ key, value: f(value) })) : null);

/** A v2 manifest, and its manifest-list entry (counts, min sequence number, partition summaries). */
export function writeManifest(w: ManifestWrite): { bytes: Uint8Array; file: ManifestFile } {
  const types = partitionFieldTypes(w.spec, [w.schema]);
  const records = w.entries.map(({ status, dataFile: d }) => {
    const added = status === 'ADDED';
    return {
      status: STATUS.indexOf(status),
      snapshot_id: BigInt(status === 'EXISTING' ? d.snapshotId : w.snapshotId),
      // New files inherit sequence numbers from the manifest list; carried-over files keep theirs.
      sequence_number: added ? null : big(d.sequenceNumber),
      file_sequence_number: added ? null : big(d.fileSequenceNumber),
      data_file: {
        content: CONTENT.indexOf(d.content),
        file_path: d.filePath,
        file_format: d.fileFormat,
        partition: toAvroPartition(d.partition, types),
        record_count: big(d.recordCount),
        file_size_in_bytes: big(d.fileSizeInBytes),
        column_sizes: pairs(d.columnSizes, big),
        value_counts: pairs(d.valueCounts, big),
        null_value_counts: pairs(d.nullValueCounts, big),
        nan_value_counts: pairs(d.nanValueCounts, big),
        lower_bounds: pairs(d.lowerBounds, (b) => Buffer.from(b)),
        upper_bounds: pairs(d.upperBounds, (b) => Buffer.from(b)),
        key_metadata: null,
        split_offsets: d.splitOffsets ? d.splitOffsets.map(big) : null,
        equality_ids: d.equalityIds ?? null,
        sort_order_id: d.sortOrderId ?? null,
        referenced_data_file: d.referencedDataFile ?? null,
      },
    };
  });
  const bytes = writeAvroFile(manifestEntrySchema(types), {
    schema: JSON.stringify(schemaToJson(w.schema)),
    'schema-id': String(w.schema.schemaId),
    'partition-spec': JSON.stringify(w.spec.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f.sourceId, 'field-id': f.fieldId }))),
    'partition-spec-id': String(w.spec.specId),
    'format-version': '2',
    content: w.content === 'DELETES' ? 'deletes' : 'data',
  }, records);
  const of = (s: EntryStatus) => w.entries.filter((e) => e.status === s);
  const rows = (s: EntryStatus) => of(s).reduce((a, e) => a + e.dataFile.recordCount, 0);
  const liveSeqs = w.entries.filter((e) => e.status !== 'DELETED').map((e) => (e.status === 'ADDED' ? w.sequenceNumber : e.dataFile.sequenceNumber));
  const file: ManifestFile = {
    manifestPath: w.manifestPath,
    manifestLength: bytes.length,
    partitionSpecId: w.spec.specId,
    content: w.content,
    sequenceNumber: w.sequenceNumber,
    minSequenceNumber: liveSeqs.length ? Math.min(...liveSeqs) : w.sequenceNumber,
    addedSnapshotId: w.snapshotId,
    addedFilesCount: of('ADDED').length,
    existingFilesCount: of('EXISTING').length,
    deletedFilesCount: of('DELETED').length,
    addedRowsCount: rows('ADDED'),
    existingRowsCount: rows('EXISTING'),
    deletedRowsCount: rows('DELETED'),
    partitions: partitionSummaries(types, w.entries.map((e) => e.dataFile.partition)),
  };
  return { bytes, file };
}
