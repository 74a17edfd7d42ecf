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
import { mapBounded, snapshotManifests, type ManifestCache } from './scan-planner.js';
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
  /** Parsed manifests of the table (the scan's): the parent's manifests are not read again. */
  cache?: ManifestCache;
  now?: number;
}

/**
 * The new files of one table change, written concurrently (at most `limit` at once): `put` waits
 * for a free slot, not for its write; `flush` waits for every write and fails with the first
 * failure. No new file needs another one stored first (a manifest list takes its manifests' sizes
 * from their bytes, not from the store), and none is referred to before the catalog commit, which
 * comes after `flush`: writing them one after another only added up the round trips (on S3).
 */
class NewFiles {
  private readonly inFlight = new Set<Promise<void>>();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly limit = 4,
  ) {}

  async put(location: string, bytes: Uint8Array): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure) throw this.failure.error;
    const p: Promise<void> = this.store
      .write(location, bytes, { ifNotExists: true })
      .catch((e: unknown) => {
        this.failure ??= { error: e };
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  async flush(): Promise<void> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure.error;
  }
}

/** Runs `fn` with a NewFiles and flushes it; when `fn` fails, its writes still end before the error is passed on. */
async function withNewFiles<T>(store: ObjectStore, fn: (files: NewFiles) => Promise<T>): Promise<T> {
  const files = new NewFiles(store);
  let out: T;
  try {
    out = await fn(files);
  } catch (e) {
    await files.flush().catch(() => undefined);
    throw e;
  }
  await files.flush();
  return out;
}

/** Writes the new snapshot's manifests and manifest list; returns the metadata that references them. */
export async function commitSnapshot(store: ObjectStore, metadata: TableMetadata, opts: CommitOptions): Promise<TableMetadata> {
  return withNewFiles(store, (files) => stageSnapshot(store, files, metadata, opts));
}

/**
 * commitSnapshot and writeMetadataFile at once: the manifests, the manifest list and the metadata
 * file are written concurrently. `metadata` is the table's metadata as read from `previousLocation`
 * (its last-updated-ms is the metadata log's entry for that file: nothing is read back for it).
 */
export async function commitSnapshotWithMetadata(
  store: ObjectStore,
  metadata: TableMetadata,
  opts: CommitOptions,
  previousLocation?: string | null,
): Promise<{ metadata: TableMetadata; file: MetadataFile }> {
  return withNewFiles(store, async (files) => {
    const next = await stageSnapshot(store, files, metadata, opts);
    const previous = previousLocation ? { location: previousLocation, lastUpdatedMs: metadata.lastUpdatedMs } : null;
    return { metadata: next, file: await stageMetadataFile(files, next, previous) };
  });
}

/** commitSnapshot's work, its new files handed to `files`. */
async function stageSnapshot(store: ObjectStore, files: NewFiles, metadata: TableMetadata, opts: CommitOptions): Promise<TableMetadata> {
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
  // One manifest at a time: put returns once its write has a slot, so at most a few are held in memory.
  const written = async (manifest: ReturnType<typeof writeManifest>) => {
    await files.put(manifest.file.manifestPath, manifest.bytes);
    return manifest.file;
  };

  const existing = await snapshotChanges(store, metadata, parent, opts);
  const rewritten: ManifestFile[] = [];
  for (const { manifest, specId, entries } of existing.rewrite) {
    rewritten.push(await written(writeManifest({ manifestPath: manifestPath(), schema, spec: specOf(specId), content: manifest.content, snapshotId, sequenceNumber, entries })));
  }
  for (const { content, specId, entries } of existing.dropped) {
    rewritten.push(await written(writeManifest({ manifestPath: manifestPath(), schema, spec: specOf(specId), content, snapshotId, sequenceNumber, entries })));
  }

  // New files: one manifest per (content, spec), as Iceberg-Java's fast append does.
  const groups = new Map<string, ManifestEntry[]>();
  for (const f of opts.added ?? []) {
    const file = normalizeBounds(schema, { ...f, specId: f.specId ?? metadata.defaultSpecId });
    const key = `${file.content === 'DATA' ? 'DATA' : 'DELETES'}:${file.specId}`;
    groups.set(key, [...(groups.get(key) ?? []), { status: 'ADDED', dataFile: file }]);
  }
  const created: ManifestFile[] = [];
  for (const [key, entries] of groups) {
    const [content, specId] = key.split(':') as ['DATA' | 'DELETES', string];
    created.push(await written(writeManifest({ manifestPath: manifestPath(), schema, spec: specOf(Number(specId)), content, snapshotId, sequenceNumber, entries })));
  }

  const manifests: ManifestFile[] = [...created, ...rewritten, ...existing.kept];
  const manifestList = `${location}/metadata/snap-${snapshotId}-1-${randomUUID()}.avro`;
  await files.put(manifestList, writeManifestList({ snapshotId, ...(parent ? { parentSnapshotId: parent.snapshotId } : {}), sequenceNumber }, manifests));

  const snapshots = await withManifestLists(store, files, metadata.snapshots, location);
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
async function withManifestLists(store: ObjectStore, newFiles: NewFiles, snapshots: Snapshot[], location: string): Promise<Snapshot[]> {
  return mapBounded(snapshots, 4, async (s) => {
    if (s.manifestList !== undefined) return s;
    const files = await mapBounded(await snapshotManifests(store, s), 8, async (mf) => {
      const bytes = await store.read(mf.manifestPath);
      return withCounts(mf, readManifest(bytes, mf), bytes.length);
    });
    const manifestList = `${location}/metadata/snap-${s.snapshotId}-0-${randomUUID()}.avro`;
    await newFiles.put(manifestList, writeManifestList({ snapshotId: s.snapshotId, ...(s.parentSnapshotId ? { parentSnapshotId: s.parentSnapshotId } : {}), sequenceNumber: 0 }, files));
    const { manifests: _inline, ...rest } = s;
    return { ...rest, manifestList };
  });
}

function versionOf(location: string): number | null {
  const name = location.slice(location.lastIndexOf('/') + 1);
  const m = /^(\d+)-.*\.metadata\.json(\.gz)?$/.exec(name) ?? /^v(\d+)(\.gz)?\.metadata\.json$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** A metadata file written: where, and its text (what a reader of it gets). */
export interface MetadataFile {
  location: string;
  json: string;
}

/**
 * Writes `<location>/metadata/<5-digit version>-<uuid>.metadata.json` (never overwriting) and
 * returns its location. `previousLocation` (the metadata this one replaces) joins the metadata-log.
 */
export async function writeMetadataFile(store: ObjectStore, metadata: TableMetadata, previousLocation?: string | null): Promise<string> {
  return (await writeMetadata(store, metadata, previousLocation)).location;
}

/** writeMetadataFile, returning the file's text too. */
export async function writeMetadata(store: ObjectStore, metadata: TableMetadata, previousLocation?: string | null): Promise<MetadataFile> {
  let previous: { location: string; lastUpdatedMs: number } | null = null;
  if (previousLocation) {
    let lastUpdatedMs = metadata.lastUpdatedMs;
    try {
      const text = new TextDecoder().decode(await store.read(previousLocation));
      lastUpdatedMs = Number(/"last-updated-ms"\s*:\s*(\d+)/.exec(text)?.[1] ?? lastUpdatedMs);
    } catch {
      // the log entry's time is informational; the new metadata's time will do
    }
    previous = { location: previousLocation, lastUpdatedMs };
  }
  return withNewFiles(store, (files) => stageMetadataFile(files, metadata, previous));
}

/** writeMetadataFile's work, given the previous file's last-updated-ms; the file handed to `files`. */
async function stageMetadataFile(files: NewFiles, metadata: TableMetadata, previous: { location: string; lastUpdatedMs: number } | null): Promise<MetadataFile> {
  let m = metadata;
  let version = metadata.metadataLog.length;
  if (previous) {
    version = versionOf(previous.location) ?? metadata.metadataLog.length + 1;
    if (m.metadataLog.at(-1)?.metadataFile !== previous.location) {
      const max = Number(m.properties['write.metadata.previous-versions-max'] ?? 100);
      m = { ...m, metadataLog: [...m.metadataLog, { timestampMs: previous.lastUpdatedMs, metadataFile: previous.location }].slice(-Math.max(1, max)) };
    }
  }
  const location = `${trimSlash(m.location)}/metadata/${String(version + 1).padStart(5, '0')}-${randomUUID()}.metadata.json`;
  const json = serializeTableMetadata(m);
  await files.put(location, new TextEncoder().encode(json));
  return { location, json };
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
