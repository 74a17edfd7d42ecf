/**
 * Producing the next table state: new tables, snapshot commits (manifests + manifest list), metadata
 * files, rollback. Every file gets a fresh random name and is written with ifNotExists, and nothing
 * refers to a new file until the caller commits the metadata location to the catalog, so a failure
 * midway leaves only unreferenced files behind.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { InvalidInput, NotFound } from '../domain/errors.js';
import { transformResultType } from '../domain/iceberg/transforms.js';
import { fieldsById, maxFieldId } from '../domain/iceberg/type-strings.js';
import type { DataFile, ManifestEntry, ManifestFile, PartitionSpec, Schema, Snapshot, SortOrder, TableMetadata } from '../domain/iceberg/types.js';
import type { ObjectStore } from '../ports/object-store.js';
import { normalizeBounds } from './file-metrics.js';
import { serializeTableMetadata } from './metadata-json.js';
import { writeManifestList } from './manifest-list.js';
import { readManifest, writeManifest } from './manifests.js';
import { mapBounded, snapshotManifests } from './scan-planner.js';
import { snapshotChanges, summarize, withCounts } from './snapshot-changes.js';

export { evolveSchema, type SchemaChange } from './schema-evolution.js';
export { dataFileFromWritten } from './file-metrics.js';

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/** A positive random 63-bit id not used by any snapshot of the table (as Iceberg-Java makes them). */
export function newSnapshotId(metadata: TableMetadata): string {
  for (;;) {
    const b = randomBytes(8);
    b[0]! &= 0x7f;
    const id = b.readBigUInt64BE().toString();
    if (id !== '0' && !metadata.snapshots.some((s) => s.snapshotId === id)) return id;
  }
}

export function newTableMetadata(opts: { location: string; schema: Schema; spec: PartitionSpec; properties?: Record<string, string>; sortOrder?: SortOrder; now?: number }): TableMetadata {
  const schema = { ...opts.schema, schemaId: 0 };
  const fields = fieldsById(schema);
  for (const f of opts.spec.fields) {
    const source = fields.get(f.sourceId);
    if (!source) throw new InvalidInput(`partition field ${f.name} refers to unknown column id ${f.sourceId}`, 'partitionBy');
    transformResultType(f.transform, source.type);
  }
  return {
    formatVersion: 2,
    tableUuid: randomUUID(),
    location: trimSlash(opts.location),
    lastSequenceNumber: 0,
    lastUpdatedMs: opts.now ?? Date.now(),
    lastColumnId: maxFieldId(schema),
    schemas: [schema],
    currentSchemaId: 0,
    partitionSpecs: [{ ...opts.spec, specId: 0 }],
    defaultSpecId: 0,
    lastPartitionId: Math.max(999, ...opts.spec.fields.map((f) => f.fieldId)),
    properties: { ...(opts.properties ?? {}) },
    currentSnapshotId: null,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: [opts.sortOrder ?? { orderId: 0, fields: [] }],
    defaultSortOrderId: opts.sortOrder?.orderId ?? 0,
    refs: {},
  };
}

export interface CommitOptions {
  operation: 'append' | 'overwrite' | 'delete' | 'replace';
  /** New data or delete files (already stored under the table location). */
  added?: DataFile[];
  /** Live files to remove, matched by recorded or resolved path (ScanPlan files work as they are). */
  removed?: DataFile[];
  /** false: every live file of the current snapshot is removed (replace the table's contents). */
  keepExistingManifests?: boolean;
  /** Extra snapshot summary properties. */
  summary?: Record<string, string>;
  now?: number;
}

/** Writes the new snapshot's manifests and manifest list; returns the metadata that references them. */
export async function commitSnapshot(store: ObjectStore, metadata: TableMetadata, opts: CommitOptions): Promise<TableMetadata> {
  const schema = metadata.schemas.find((s) => s.schemaId === metadata.currentSchemaId)!;
  const specOf = (id: number) => {
    const spec = metadata.partitionSpecs.find((s) => s.specId === id);
    if (!spec) throw new InvalidInput(`partition spec ${id} is not in the table metadata`, 'spec');
    return spec;
  };
  const location = trimSlash(metadata.location);
  const snapshotId = newSnapshotId(metadata);
  const sequenceNumber = metadata.lastSequenceNumber + 1;
  const parent = metadata.snapshots.find((s) => s.snapshotId === metadata.currentSnapshotId) ?? null;
  const manifestPath = () => `${location}/metadata/${randomUUID()}-m0.avro`;
  const put = (path: string, bytes: Uint8Array) => store.write(path, bytes, { ifNotExists: true });

  const existing = await snapshotChanges(store, metadata, parent, opts);
  const rewritten = await mapBounded(existing.rewrite, 4, async ({ manifest, specId, entries }) => {
    const { bytes, file } = writeManifest({ manifestPath: manifestPath(), schema, spec: specOf(specId), content: manifest.content, snapshotId, sequenceNumber, entries });
    await put(file.manifestPath, bytes);
    return file;
  });

  // New files: one manifest per (content, spec), as Iceberg-Java's fast append does.
  const groups = new Map<string, ManifestEntry[]>();
  for (const f of opts.added ?? []) {
    const file = normalizeBounds(schema, { ...f, specId: f.specId ?? metadata.defaultSpecId });
    const key = `${file.content === 'DATA' ? 'DATA' : 'DELETES'}:${file.specId}`;
    groups.set(key, [...(groups.get(key) ?? []), { status: 'ADDED', dataFile: file }]);
  }
  const created = await mapBounded([...groups], 4, async ([key, entries]) => {
    const [content, specId] = key.split(':') as ['DATA' | 'DELETES', string];
    const { bytes, file } = writeManifest({ manifestPath: manifestPath(), schema, spec: specOf(Number(specId)), content, snapshotId, sequenceNumber, entries });
    await put(file.manifestPath, bytes);
    return file;
  });

  const manifests: ManifestFile[] = [...created, ...rewritten, ...existing.kept];
  const manifestList = `${location}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`;
  await put(manifestList, writeManifestList({ snapshotId, ...(parent ? { parentSnapshotId: parent.snapshotId } : {}), sequenceNumber }, manifests));

  const snapshots = await withManifestLists(store, metadata.snapshots, location);
  const timestampMs = Math.max(opts.now ?? Date.now(), metadata.lastUpdatedMs);
  const summary = summarize(opts.operation, opts.added ?? [], existing.removedFiles, existing.previousTotals, opts.summary);
  const main = metadata.refs.main;
  return {
    ...metadata,
    formatVersion: 2, // v1 tables are upgraded on their first write here (v1 files stay valid in v2)
    tableUuid: metadata.tableUuid || randomUUID(),
    lastSequenceNumber: sequenceNumber,
    lastUpdatedMs: timestampMs,
    currentSnapshotId: snapshotId,
    snapshots: [
      ...snapshots,
      { snapshotId, ...(parent ? { parentSnapshotId: parent.snapshotId } : {}), sequenceNumber, timestampMs, manifestList, summary, schemaId: schema.schemaId },
    ],
    snapshotLog: [...metadata.snapshotLog, { timestampMs, snapshotId }],
    refs: { ...metadata.refs, main: { ...(main ?? {}), snapshotId, type: 'branch' } },
  };
}

/**
 * v2 snapshots need a manifest list: a legacy v1 snapshot that lists its manifests inline gets one
 * written for it (sequence number 0) when the table is upgraded, so v2 readers can still read it.
 */
async function withManifestLists(store: ObjectStore, snapshots: Snapshot[], location: string): Promise<Snapshot[]> {
  return mapBounded(snapshots, 4, async (s) => {
    if (s.manifestList !== undefined) return s;
    const files = await mapBounded(await snapshotManifests(store, s), 8, async (mf) => {
      const bytes = await store.read(mf.manifestPath);
      return withCounts(mf, readManifest(bytes, mf), bytes.length);
    });
    const manifestList = `${location}/metadata/snap-${s.snapshotId}-0-${randomUUID()}.avro`;
    await store.write(manifestList, writeManifestList({ snapshotId: s.snapshotId, ...(s.parentSnapshotId ? { parentSnapshotId: s.parentSnapshotId } : {}), sequenceNumber: 0 }, files), { ifNotExists: true });
    const { manifests: _inline, ...rest } = s;
    return { ...rest, manifestList };
  });
}

function versionOf(location: string): number | null {
  const name = location.slice(location.lastIndexOf('/') + 1);
  const m = /^(\d+)-.*\.metadata\.json(\.gz)?$/.exec(name) ?? /^v(\d+)(\.gz)?\.metadata\.json$/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Writes `<location>/metadata/<5-digit version>-<uuid>.metadata.json` (never overwriting) and
 * returns its location. `previousLocation` (the metadata this one replaces) joins the metadata-log.
 */
export async function writeMetadataFile(store: ObjectStore, metadata: TableMetadata, previousLocation?: string | null): Promise<string> {
  let m = metadata;
  let version = metadata.metadataLog.length;
  if (previousLocation) {
    version = versionOf(previousLocation) ?? metadata.metadataLog.length + 1;
    let previousUpdatedMs = metadata.lastUpdatedMs;
    try {
      const text = new TextDecoder().decode(await store.read(previousLocation));
      previousUpdatedMs = Number(/"last-updated-ms"\s*:\s*(\d+)/.exec(text)?.[1] ?? previousUpdatedMs);
    } catch {
      // the log entry's time is informational; the new metadata's time will do
    }
    if (m.metadataLog.at(-1)?.metadataFile !== previousLocation) {
      const max = Number(m.properties['write.metadata.previous-versions-max'] ?? 100);
      m = { ...m, metadataLog: [...m.metadataLog, { timestampMs: previousUpdatedMs, metadataFile: previousLocation }].slice(-Math.max(1, max)) };
    }
  }
  const location = `${trimSlash(m.location)}/metadata/${String(version + 1).padStart(5, '0')}-${randomUUID()}.metadata.json`;
  await store.write(location, new TextEncoder().encode(serializeTableMetadata(m)), { ifNotExists: true });
  return location;
}

/** Makes an existing snapshot current again (all snapshots are kept; history records the move). */
export function rollbackTo(metadata: TableMetadata, snapshotId: string, now = Date.now()): TableMetadata {
  if (!metadata.snapshots.some((s) => s.snapshotId === snapshotId)) throw new NotFound(`snapshot ${snapshotId} not found in table metadata`);
  const timestampMs = Math.max(now, metadata.lastUpdatedMs);
  return {
    ...metadata,
    lastUpdatedMs: timestampMs,
    currentSnapshotId: snapshotId,
    snapshotLog: [...metadata.snapshotLog, { timestampMs, snapshotId }],
    refs: { ...metadata.refs, main: { ...(metadata.refs.main ?? {}), snapshotId, type: 'branch' } },
  };
}
