/**
 * Scan planning: snapshot (current, by id, or as of a time) → its live data and delete files, with
 * sequence numbers. Recorded locations are read through the ObjectStore (which applies aliases and
 * confinement itself, so they are not resolved twice); the plan's file paths are store.resolve'd.
 */
import { NotFound } from '../domain/errors.js';
import type { DataFile, ManifestEntry, ManifestFile, ScanPlan, Schema, Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import type { ObjectStore } from '../ports/object-store.js';
import { readManifestList } from './manifest-list.js';
import { readManifest, type ManifestContents } from './manifests.js';
import { NAME_MAPPING_PROPERTY, parseNameMapping } from './name-mapping.js';
import { WeightedLru } from '../util/lru.js';

export interface ScanOptions {
  /** 64-bit snapshot id as a decimal string. */
  snapshotId?: string;
  /** Time travel: the snapshot that was current at this instant (ms since epoch). */
  asOfMs?: number;
  /** How many manifests to read at once. */
  concurrency?: number;
  /** Parsed manifest lists and manifests kept across scans (they are immutable files). */
  cache?: ManifestCache;
}

/**
 * Parsed manifest lists and manifests by location, bounded by the number of entries held (LRU).
 * Manifest and manifest-list files are never rewritten in place, so an entry never goes stale; a
 * manifest's parse also depends on the list entry that names it (inherited sequence numbers and
 * snapshot id), so that is part of its key. Values are shared: callers must not mutate them.
 */
export class ManifestCache {
  private readonly lru: WeightedLru<string, ManifestFile[] | ManifestContents>;
  constructor(maxEntries = 500_000) {
    this.lru = new WeightedLru(maxEntries, (v) => (Array.isArray(v) ? v.length : v.entries.length) + 1);
  }

  async list(location: string, load: () => Promise<ManifestFile[]>): Promise<ManifestFile[]> {
    return this.through(`L|${location}`, load);
  }

  async manifest(manifest: ManifestFile, load: () => Promise<ManifestContents>): Promise<ManifestContents> {
    return this.through(`M|${manifest.sequenceNumber}|${manifest.addedSnapshotId}|${manifest.partitionSpecId}|${manifest.manifestPath}`, load);
  }

  private async through<V extends ManifestFile[] | ManifestContents>(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.lru.get(key);
    if (hit !== undefined) return hit as V;
    const value = await load();
    this.lru.set(key, value);
    return value;
  }
}

/** The snapshot a read should use; null for a table without snapshots (and no time travel asked). */
export function selectSnapshot(metadata: TableMetadata, opts: ScanOptions = {}): Snapshot | null {
  const byId = (id: string) => metadata.snapshots.find((s) => s.snapshotId === id);
  if (opts.snapshotId !== undefined) {
    const s = byId(opts.snapshotId);
    if (!s) throw new NotFound(`snapshot ${opts.snapshotId} not found in table metadata`);
    return s;
  }
  if (opts.asOfMs !== undefined) {
    const asOf = opts.asOfMs;
    // The spec says to use snapshot-log (what was current then); fall back to snapshot timestamps.
    const logged = metadata.snapshotLog.filter((e) => e.timestampMs <= asOf).at(-1);
    const fromSnapshots = metadata.snapshots.filter((s) => s.timestampMs <= asOf).sort((a, b) => a.timestampMs - b.timestampMs).at(-1);
    const s = metadata.snapshotLog.length > 0 ? (logged ? byId(logged.snapshotId) : undefined) : fromSnapshots;
    if (!s) throw new NotFound(`no snapshot of the table was current at ${new Date(asOf).toISOString()}`);
    return s;
  }
  return metadata.currentSnapshotId === null ? null : (byId(metadata.currentSnapshotId) ?? null);
}

/** The manifests of a snapshot, from its manifest list or (v1) its embedded `manifests`. */
export async function snapshotManifests(store: ObjectStore, snapshot: Snapshot, cache?: ManifestCache): Promise<ManifestFile[]> {
  const list = snapshot.manifestList;
  if (list !== undefined) {
    const load = async () => readManifestList(await store.read(list), list);
    return cache ? cache.list(list, load) : load();
  }
  return (snapshot.manifests ?? []).map((path) => ({
    manifestPath: path,
    manifestLength: 0,
    partitionSpecId: -1, // taken from the manifest header
    content: 'DATA',
    sequenceNumber: 0,
    minSequenceNumber: 0,
    addedSnapshotId: snapshot.snapshotId,
    addedFilesCount: null,
    existingFilesCount: null,
    deletedFilesCount: null,
    addedRowsCount: null,
    existingRowsCount: null,
    deletedRowsCount: null,
  }));
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapBounded<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

/** Every entry of every manifest of a snapshot (DELETED ones too), manifests read in parallel. */
export async function readSnapshotEntries(store: ObjectStore, snapshot: Snapshot, concurrency = 8, cache?: ManifestCache): Promise<{ manifest: ManifestFile; entries: ManifestEntry[] }[]> {
  const manifests = await snapshotManifests(store, snapshot, cache);
  return mapBounded(manifests, concurrency, async (manifest) => {
    const load = async () => readManifest(await store.read(manifest.manifestPath), manifest);
    const contents = cache ? await cache.manifest(manifest, load) : await load();
    return { manifest: { ...manifest, partitionSpecId: contents.specId }, entries: contents.entries };
  });
}

function schemaFor(metadata: TableMetadata, snapshot: Snapshot | null, timeTravel: boolean): Schema {
  const byId = (id: number | undefined) => metadata.schemas.find((s) => s.schemaId === id);
  const schema = (timeTravel ? byId(snapshot?.schemaId) : undefined) ?? byId(metadata.currentSchemaId) ?? metadata.schemas.at(-1);
  if (!schema) throw new NotFound('table metadata has no current schema');
  return schema;
}

export async function planScan(store: ObjectStore, metadata: TableMetadata, opts: ScanOptions = {}): Promise<ScanPlan> {
  const snapshot = selectSnapshot(metadata, opts);
  const schema = schemaFor(metadata, snapshot, opts.snapshotId !== undefined || opts.asOfMs !== undefined);
  const plan: ScanPlan = {
    schema,
    snapshotId: snapshot?.snapshotId ?? null,
    dataFiles: [],
    deleteFiles: [],
    partitionSpecs: metadata.partitionSpecs,
    nameMapping: parseNameMapping(metadata.properties[NAME_MAPPING_PROPERTY]),
  };
  if (!snapshot) return plan;
  for (const { entries } of await readSnapshotEntries(store, snapshot, opts.concurrency, opts.cache)) {
    for (const { status, dataFile } of entries) {
      if (status === 'DELETED') continue;
      const resolved = store.resolve(dataFile.filePath);
      const file: DataFile = resolved === dataFile.filePath ? dataFile : { ...dataFile, filePath: resolved, recordedPath: dataFile.filePath };
      (file.content === 'DATA' ? plan.dataFiles : plan.deleteFiles).push(file);
    }
  }
  return plan;
}

export interface SnapshotTotals {
  snapshotId: string;
  parentSnapshotId: string | null;
  sequenceNumber: number;
  timestampMs: number;
  operation: string;
  schemaId: number | null;
  totalRecords: number | null;
  totalDataFiles: number | null;
  totalDeleteFiles: number | null;
  totalFilesSize: number | null;
  totalPositionDeletes: number | null;
  totalEqualityDeletes: number | null;
  addedRecords: number | null;
  deletedRecords: number | null;
}

/** Totals from the snapshot summary alone (no manifest reads); null when the table has no snapshot. */
export function snapshotSummary(metadata: TableMetadata, snapshotId?: string): SnapshotTotals | null {
  const s = snapshotId !== undefined ? selectSnapshot(metadata, { snapshotId }) : selectSnapshot(metadata);
  if (!s) return null;
  const num = (k: string) => (s.summary[k] !== undefined && s.summary[k] !== '' && Number.isFinite(Number(s.summary[k])) ? Number(s.summary[k]) : null);
  return {
    snapshotId: s.snapshotId,
    parentSnapshotId: s.parentSnapshotId ?? null,
    sequenceNumber: s.sequenceNumber,
    timestampMs: s.timestampMs,
    operation: s.summary.operation,
    schemaId: s.schemaId ?? null,
    totalRecords: num('total-records'),
    totalDataFiles: num('total-data-files'),
    totalDeleteFiles: num('total-delete-files'),
    totalFilesSize: num('total-files-size'),
    totalPositionDeletes: num('total-position-deletes'),
    totalEqualityDeletes: num('total-equality-deletes'),
    addedRecords: num('added-records'),
    deletedRecords: num('deleted-records'),
  };
}
