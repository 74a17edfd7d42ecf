/**
 * Table metadata JSON (spec "Table Metadata Fields", Appendix C) ⇄ TableMetadata. Reads v1 (bare
 * `schema` / `partition-spec`, snapshots with embedded `manifests`, no sequence numbers) and v2;
 * writes v2 (or v1 for a table that is still v1). 64-bit ids never pass through a JS number.
 */
import { gunzipSync } from 'node:zlib';
import { InvalidInput } from '../domain/errors.js';
import { schemaFromJson, schemaToJson } from '../domain/iceberg/type-strings.js';
import type { PartitionFieldSpec, PartitionSpec, Snapshot, SnapshotRef, SortOrder, TableMetadata } from '../domain/iceberg/types.js';

type Json = Record<string, unknown>;

/** JSON.parse, but integer literals of 16+ digits (beyond 2^53) arrive as decimal strings. */
export function parseJsonExact(text: string): unknown {
  const quoted = text.replace(/"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])(-?\d{16,})(?=\s*[,}\]])/g, (m, big: string | undefined) => (big ? `"${big}"` : m));
  return JSON.parse(quoted);
}

/** JSON.stringify that writes bigint values as bare JSON numbers with every digit. */
export function stringifyExact(value: unknown, indent = 2): string {
  const json = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `\u0000big:${v}` : v), indent);
  return json.replace(/"\\u0000big:(-?\d+)"/g, '$1');
}

const id = (v: unknown): string => {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^-?\d+$/.test(s)) throw new InvalidInput(`invalid snapshot id ${JSON.stringify(v)} in table metadata`, 'metadata');
  return s;
};
const num = (v: unknown, dflt: number): number => (v === undefined || v === null ? dflt : Number(v));

function specFromJson(fields: unknown, specId: number): PartitionSpec {
  return {
    specId,
    fields: ((fields as Json[]) ?? []).map((f, i): PartitionFieldSpec => ({
      sourceId: num(f['source-id'], -1),
      // v1 specs may lack field ids; Iceberg-Java assigned them from 1000 in order.
      fieldId: num(f['field-id'], 1000 + i),
      name: String(f.name),
      transform: String(f.transform),
    })),
  };
}

function snapshotFromJson(s: Json): Snapshot {
  const snap: Snapshot = {
    snapshotId: id(s['snapshot-id']),
    sequenceNumber: num(s['sequence-number'], 0),
    timestampMs: num(s['timestamp-ms'], 0),
    summary: { operation: 'append', ...Object.fromEntries(Object.entries((s.summary as Json) ?? {}).map(([k, v]) => [k, String(v)])) },
  };
  if (s['parent-snapshot-id'] !== undefined && s['parent-snapshot-id'] !== null) snap.parentSnapshotId = id(s['parent-snapshot-id']);
  if (typeof s['manifest-list'] === 'string') snap.manifestList = s['manifest-list'];
  else if (Array.isArray(s.manifests)) snap.manifests = s.manifests.map(String);
  if (s['schema-id'] !== undefined && s['schema-id'] !== null) snap.schemaId = Number(s['schema-id']);
  return snap;
}

/** Metadata file bytes (plain or GZIP-compressed, as `*.gz.metadata.json`) → TableMetadata. */
export function parseTableMetadataBytes(bytes: Uint8Array): TableMetadata {
  const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return parseTableMetadata(new TextDecoder().decode(plain));
}

export function parseTableMetadata(text: string): TableMetadata {
  let j: Json;
  try {
    j = parseJsonExact(text) as Json;
  } catch (e) {
    throw new InvalidInput(`table metadata is not valid JSON: ${(e as Error).message}`, 'metadata');
  }
  const formatVersion = Number(j['format-version']);
  if (formatVersion !== 1 && formatVersion !== 2) throw new InvalidInput(`unsupported Iceberg format version ${String(j['format-version'])}`, 'metadata');
  const schemas = Array.isArray(j.schemas) ? j.schemas.map((s) => schemaFromJson(s)) : j.schema ? [schemaFromJson(j.schema)] : [];
  if (schemas.length === 0) throw new InvalidInput('table metadata has no schema', 'metadata');
  const partitionSpecs = Array.isArray(j['partition-specs'])
    ? (j['partition-specs'] as Json[]).map((s) => specFromJson(s.fields, num(s['spec-id'], 0)))
    : [specFromJson(j['partition-spec'] ?? [], 0)];
  const currentRaw = j['current-snapshot-id'];
  const currentSnapshotId = currentRaw === undefined || currentRaw === null || id(currentRaw) === '-1' ? null : id(currentRaw);
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, r] of Object.entries((j.refs as Record<string, Json>) ?? {})) {
    const ref: SnapshotRef = { snapshotId: id(r['snapshot-id']), type: r.type === 'tag' ? 'tag' : 'branch' };
    if (r['max-ref-age-ms'] != null) ref.maxRefAgeMs = Number(r['max-ref-age-ms']);
    if (r['max-snapshot-age-ms'] != null) ref.maxSnapshotAgeMs = Number(r['max-snapshot-age-ms']);
    if (r['min-snapshots-to-keep'] != null) ref.minSnapshotsToKeep = Number(r['min-snapshots-to-keep']);
    refs[name] = ref;
  }
  if (currentSnapshotId && !refs.main) refs.main = { snapshotId: currentSnapshotId, type: 'branch' };
  const sortOrders: SortOrder[] = Array.isArray(j['sort-orders'])
    ? (j['sort-orders'] as Json[]).map((o) => ({
        orderId: num(o['order-id'], 0),
        fields: ((o.fields as Json[]) ?? []).map((f) => ({
          sourceId: num(f['source-id'], -1),
          transform: String(f.transform),
          direction: f.direction === 'desc' ? 'desc' : 'asc',
          nullOrder: f['null-order'] === 'nulls-last' ? 'nulls-last' : 'nulls-first',
        })),
      }))
    : [{ orderId: 0, fields: [] }];
  const allPartitionIds = partitionSpecs.flatMap((s) => s.fields.map((f) => f.fieldId));
  return {
    formatVersion,
    tableUuid: typeof j['table-uuid'] === 'string' ? j['table-uuid'] : '',
    location: String(j.location ?? ''),
    lastSequenceNumber: num(j['last-sequence-number'], 0),
    lastUpdatedMs: num(j['last-updated-ms'], 0),
    lastColumnId: num(j['last-column-id'], 0),
    schemas,
    currentSchemaId: num(j['current-schema-id'], schemas[schemas.length - 1]!.schemaId),
    partitionSpecs,
    defaultSpecId: num(j['default-spec-id'], partitionSpecs[partitionSpecs.length - 1]!.specId),
    lastPartitionId: num(j['last-partition-id'], Math.max(999, ...allPartitionIds)),
    properties: Object.fromEntries(Object.entries((j.properties as Json) ?? {}).map(([k, v]) => [k, String(v)])),
    currentSnapshotId,
    snapshots: ((j.snapshots as Json[]) ?? []).map(snapshotFromJson),
    snapshotLog: ((j['snapshot-log'] as Json[]) ?? []).map((e) => ({ timestampMs: num(e['timestamp-ms'], 0), snapshotId: id(e['snapshot-id']) })),
    metadataLog: ((j['metadata-log'] as Json[]) ?? []).map((e) => ({ timestampMs: num(e['timestamp-ms'], 0), metadataFile: String(e['metadata-file']) })),
    sortOrders,
    defaultSortOrderId: num(j['default-sort-order-id'], sortOrders[0]?.orderId ?? 0),
    refs,
  };
}

const big = (s: string) => BigInt(s);

function specToJson(s: PartitionSpec) {
  return s.fields.map((f) => ({ name: f.name, transform: f.transform, 'source-id': f.sourceId, 'field-id': f.fieldId }));
}

/** Serialises metadata as Iceberg-Java does (key order, kebab-case, exact 64-bit ids). */
export function serializeTableMetadata(m: TableMetadata): string {
  const v1 = m.formatVersion === 1;
  const current = m.schemas.find((s) => s.schemaId === m.currentSchemaId);
  const defaultSpec = m.partitionSpecs.find((s) => s.specId === m.defaultSpecId);
  const refs = { ...m.refs };
  if (m.currentSnapshotId && !refs.main) refs.main = { snapshotId: m.currentSnapshotId, type: 'branch' };
  const out: Json = {
    'format-version': m.formatVersion,
    'table-uuid': m.tableUuid,
    location: m.location,
    ...(v1 ? {} : { 'last-sequence-number': m.lastSequenceNumber }),
    'last-updated-ms': m.lastUpdatedMs,
    'last-column-id': m.lastColumnId,
    ...(v1 && current ? { schema: schemaToJson(current) } : {}),
    'current-schema-id': m.currentSchemaId,
    schemas: m.schemas.map(schemaToJson),
    ...(v1 && defaultSpec ? { 'partition-spec': specToJson(defaultSpec) } : {}),
    'default-spec-id': m.defaultSpecId,
    'partition-specs': m.partitionSpecs.map((s) => ({ 'spec-id': s.specId, fields: specToJson(s) })),
    'last-partition-id': m.lastPartitionId,
    'default-sort-order-id': m.defaultSortOrderId,
    'sort-orders': m.sortOrders.map((o) => ({
      'order-id': o.orderId,
      fields: o.fields.map((f) => ({ transform: f.transform, 'source-id': f.sourceId, direction: f.direction, 'null-order': f.nullOrder })),
    })),
    properties: m.properties,
    'current-snapshot-id': m.currentSnapshotId === null ? -1 : big(m.currentSnapshotId),
    refs: Object.fromEntries(
      Object.entries(refs).map(([name, r]) => [name, {
        'snapshot-id': big(r.snapshotId),
        type: r.type,
        ...(r.maxRefAgeMs !== undefined ? { 'max-ref-age-ms': r.maxRefAgeMs } : {}),
        ...(r.maxSnapshotAgeMs !== undefined ? { 'max-snapshot-age-ms': r.maxSnapshotAgeMs } : {}),
        ...(r.minSnapshotsToKeep !== undefined ? { 'min-snapshots-to-keep': r.minSnapshotsToKeep } : {}),
      }]),
    ),
    snapshots: m.snapshots.map((s) => ({
      ...(v1 ? {} : { 'sequence-number': s.sequenceNumber }),
      'snapshot-id': big(s.snapshotId),
      ...(s.parentSnapshotId !== undefined ? { 'parent-snapshot-id': big(s.parentSnapshotId) } : {}),
      'timestamp-ms': s.timestampMs,
      summary: s.summary,
      ...(s.manifestList !== undefined ? { 'manifest-list': s.manifestList } : { manifests: s.manifests ?? [] }),
      ...(s.schemaId !== undefined ? { 'schema-id': s.schemaId } : {}),
    })),
    statistics: [],
    'partition-statistics': [],
    'snapshot-log': m.snapshotLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'snapshot-id': big(e.snapshotId) })),
    'metadata-log': m.metadataLog.map((e) => ({ 'timestamp-ms': e.timestampMs, 'metadata-file': e.metadataFile })),
  };
  return stringifyExact(out);
}
