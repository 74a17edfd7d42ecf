/**
 * Manifest lists: read v1 and v2 (fields resolved by the names Iceberg-Java and PyIceberg use, with
 * v1 defaults per spec Appendix E), write v2 with the spec's field ids and header metadata.
 */
import { InvalidInput } from '../domain/errors.js';
import type { FieldSummary, ManifestFile } from '../domain/iceberg/types.js';
import { readAvroFile, writeAvroFile } from './avro-container.js';
import { MANIFEST_LIST_SCHEMA } from './avro-schemas.js';

type Rec = Record<string, unknown>;

const n = (v: unknown): number => (typeof v === 'bigint' ? Number(v) : Number(v ?? 0));
const nOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : n(v));
const first = (r: Rec, ...names: string[]): unknown => names.map((k) => r[k]).find((v) => v !== undefined);

export function readManifestList(bytes: Uint8Array, location = 'manifest list'): ManifestFile[] {
  const file = readAvroFile(bytes, location);
  return file.records.map((r): ManifestFile => {
    const path = r.manifest_path;
    if (typeof path !== 'string') throw new InvalidInput(`${location}: entry without manifest_path`, 'avro');
    const m: ManifestFile = {
      manifestPath: path,
      manifestLength: n(r.manifest_length),
      partitionSpecId: n(r.partition_spec_id),
      content: n(r.content) === 1 ? 'DELETES' : 'DATA',
      sequenceNumber: n(r.sequence_number),
      minSequenceNumber: n(r.min_sequence_number),
      addedSnapshotId: String(r.added_snapshot_id ?? '0'),
      addedFilesCount: nOrNull(first(r, 'added_files_count', 'added_data_files_count')),
      existingFilesCount: nOrNull(first(r, 'existing_files_count', 'existing_data_files_count')),
      deletedFilesCount: nOrNull(first(r, 'deleted_files_count', 'deleted_data_files_count')),
      addedRowsCount: nOrNull(r.added_rows_count),
      existingRowsCount: nOrNull(r.existing_rows_count),
      deletedRowsCount: nOrNull(r.deleted_rows_count),
    };
    if (Array.isArray(r.partitions)) {
      m.partitions = (r.partitions as Rec[]).map((p) => {
        const s: FieldSummary = { containsNull: p.contains_null === true };
        if (typeof p.contains_nan === 'boolean') s.containsNan = p.contains_nan;
        if (p.lower_bound instanceof Uint8Array) s.lowerBound = Uint8Array.from(p.lower_bound);
        if (p.upper_bound instanceof Uint8Array) s.upperBound = Uint8Array.from(p.upper_bound);
        return s;
      });
    }
    return m;
  });
}

const buf = (b: Uint8Array | undefined) => (b ? Buffer.from(b) : null);

export interface ManifestListHeader {
  snapshotId: string;
  parentSnapshotId?: string;
  sequenceNumber: number;
}

/** A v2 manifest list. Counts a v1 manifest left null must be filled in by the caller first. */
export function writeManifestList(header: ManifestListHeader, manifests: ManifestFile[]): Uint8Array {
  const records = manifests.map((m) => {
    const count = (v: number | null, what: string) => {
      if (v === null) throw new InvalidInput(`manifest ${m.manifestPath} has no ${what}; read it to count its entries first`, 'manifest');
      return v;
    };
    return {
      manifest_path: m.manifestPath,
      manifest_length: BigInt(m.manifestLength),
      partition_spec_id: m.partitionSpecId,
      content: m.content === 'DELETES' ? 1 : 0,
      sequence_number: BigInt(m.sequenceNumber),
      min_sequence_number: BigInt(m.minSequenceNumber),
      added_snapshot_id: BigInt(m.addedSnapshotId),
      added_data_files_count: count(m.addedFilesCount, 'added files count'),
      existing_data_files_count: count(m.existingFilesCount, 'existing files count'),
      deleted_data_files_count: count(m.deletedFilesCount, 'deleted files count'),
      added_rows_count: BigInt(count(m.addedRowsCount, 'added rows count')),
      existing_rows_count: BigInt(count(m.existingRowsCount, 'existing rows count')),
      deleted_rows_count: BigInt(count(m.deletedRowsCount, 'deleted rows count')),
      partitions: m.partitions
        ? m.partitions.map((p) => ({ contains_null: p.containsNull, contains_nan: p.containsNan ?? null, lower_bound: buf(p.lowerBound), upper_bound: buf(p.upperBound) }))
        : null,
      key_metadata: null,
    };
  });
  return writeAvroFile(MANIFEST_LIST_SCHEMA, {
    'snapshot-id': header.snapshotId,
    'parent-snapshot-id': header.parentSnapshotId ?? 'null',
    'sequence-number': String(header.sequenceNumber),
    'format-version': '2',
  }, records);
}
