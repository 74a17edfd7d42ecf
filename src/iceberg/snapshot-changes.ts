/**
 * What a commit does to the parent snapshot's manifests: untouched manifests are carried over as
 * they are (a fast append reads none of them); a manifest holding a removed file is rewritten with
 * that file DELETED and the rest EXISTING; a manifest all of whose live files are removed is
 * dropped, its files going DELETED into one new manifest per content and spec with the others so
 * dropped (as PyIceberg writes deletes), so a compaction of 1,000 one-file manifests writes one
 * manifest, not 1,000. Also the snapshot summary (spec Appendix F metrics).
 */
import { InvalidInput } from '../domain/errors.js';
import type { DataFile, ManifestEntry, ManifestFile, Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import type { ObjectStore } from '../ports/object-store.js';
import { readManifest, type ManifestContents } from './manifests.js';
import { mapBounded, snapshotManifests, type ManifestCache } from './scan-planner.js';

export interface Totals {
  records: number;
  dataFiles: number;
  deleteFiles: number;
  filesSize: number;
  positionDeletes: number;
  equalityDeletes: number;
}

export interface ExistingChanges {
  kept: ManifestFile[];
  rewrite: { manifest: ManifestFile; specId: number; entries: ManifestEntry[] }[];
  /** The removed files of dropped manifests, as DELETED entries, by content and spec. */
  dropped: { content: ManifestFile['content']; specId: number; entries: ManifestEntry[] }[];
  removedFiles: DataFile[];
  previousTotals: Totals;
}

const TOTAL_KEYS: [keyof Totals, string][] = [
  ['records', 'total-records'], ['dataFiles', 'total-data-files'], ['deleteFiles', 'total-delete-files'],
  ['filesSize', 'total-files-size'], ['positionDeletes', 'total-position-deletes'], ['equalityDeletes', 'total-equality-deletes'],
];

function totalsFromSummary(s: Snapshot | null): Totals | null {
  const t: Partial<Totals> = {};
  for (const [k, key] of TOTAL_KEYS) {
    const v = s ? s.summary[key] : '0';
    if (v === undefined || !/^\d+$/.test(v)) return null;
    t[k] = Number(v);
  }
  return t as Totals;
}

function add(t: Totals, f: DataFile, sign: 1 | -1): void {
  t.filesSize += sign * f.fileSizeInBytes;
  if (f.content === 'DATA') {
    t.dataFiles += sign;
    t.records += sign * f.recordCount;
  } else {
    t.deleteFiles += sign;
    if (f.content === 'POSITION_DELETES') t.positionDeletes += sign * f.recordCount;
    else t.equalityDeletes += sign * f.recordCount;
  }
}

/** A manifest-list entry with what a v1 list or a v1 snapshot's `manifests` left out, from the manifest itself. */
export function withCounts(manifest: ManifestFile, contents: ManifestContents, length: number): ManifestFile {
  const of = (s: ManifestEntry['status']) => contents.entries.filter((e) => e.status === s);
  const rows = (s: ManifestEntry['status']) => of(s).reduce((a, e) => a + e.dataFile.recordCount, 0);
  return {
    ...manifest,
    manifestLength: manifest.manifestLength || length,
    partitionSpecId: contents.specId,
    content: contents.content,
    addedFilesCount: manifest.addedFilesCount ?? of('ADDED').length,
    existingFilesCount: manifest.existingFilesCount ?? of('EXISTING').length,
    deletedFilesCount: manifest.deletedFilesCount ?? of('DELETED').length,
    addedRowsCount: manifest.addedRowsCount ?? rows('ADDED'),
    existingRowsCount: manifest.existingRowsCount ?? rows('EXISTING'),
    deletedRowsCount: manifest.deletedRowsCount ?? rows('DELETED'),
  };
}

export async function snapshotChanges(
  store: ObjectStore,
  metadata: TableMetadata,
  parent: Snapshot | null,
  opts: { removed?: DataFile[]; keepExistingManifests?: boolean; cache?: ManifestCache },
): Promise<ExistingChanges> {
  const out: ExistingChanges = { kept: [], rewrite: [], dropped: [], removedFiles: [], previousTotals: totalsFromSummary(parent) ?? { records: 0, dataFiles: 0, deleteFiles: 0, filesSize: 0, positionDeletes: 0, equalityDeletes: 0 } };
  if (!parent) {
    if (opts.removed?.length) throw new InvalidInput('the table has no snapshot to remove files from', 'removed');
    return out;
  }
  const removeAll = opts.keepExistingManifests === false;
  const wanted = new Map<string, DataFile>();
  for (const f of opts.removed ?? []) for (const p of [f.filePath, f.recordedPath]) if (p) wanted.set(p, f);
  const found = new Set<DataFile>();
  const needTotals = totalsFromSummary(parent) === null;
  const counted: Totals = { records: 0, dataFiles: 0, deleteFiles: 0, filesSize: 0, positionDeletes: 0, equalityDeletes: 0 };

  const resolved = (p: string) => {
    try {
      return store.resolve(p);
    } catch {
      return p;
    }
  };
  const cache = opts.cache;
  const manifests = await snapshotManifests(store, parent, cache);
  const results = await mapBounded(manifests, 8, async (manifest) => {
    const countsKnown = manifest.addedFilesCount !== null && manifest.existingFilesCount !== null && manifest.deletedFilesCount !== null && manifest.addedRowsCount !== null && manifest.manifestLength > 0;
    if (countsKnown && wanted.size === 0 && !removeAll && !needTotals) return { kind: 'keep' as const, manifest };
    // Parsed manifests are shared through the cache (the scan that found the files read them); not mutated here.
    let length = manifest.manifestLength;
    const load = async () => {
      const bytes = await store.read(manifest.manifestPath);
      length = bytes.length;
      return readManifest(bytes, manifest);
    };
    const contents = cache && manifest.manifestLength > 0 ? await cache.manifest(manifest, load) : await load();
    const live = contents.entries.filter((e) => e.status !== 'DELETED');
    const match = (f: DataFile) => removeAll || wanted.has(f.filePath) || wanted.has(resolved(f.filePath));
    const hits = live.filter((e) => match(e.dataFile));
    for (const e of live) if (needTotals) add(counted, e.dataFile, 1);
    for (const e of hits) {
      const w = wanted.get(e.dataFile.filePath) ?? wanted.get(resolved(e.dataFile.filePath));
      if (w) found.add(w);
    }
    if (hits.length === 0) return { kind: 'keep' as const, manifest: withCounts(manifest, contents, length) };
    if (hits.length === live.length) {
      const entries = hits.map((e): ManifestEntry => ({ status: 'DELETED', dataFile: e.dataFile }));
      return { kind: 'drop' as const, content: contents.content, specId: contents.specId, entries, removed: hits.map((e) => e.dataFile) };
    }
    const hitSet = new Set(hits);
    const entries = live.map((e): ManifestEntry => ({ status: hitSet.has(e) ? 'DELETED' : 'EXISTING', dataFile: e.dataFile }));
    return { kind: 'rewrite' as const, manifest, specId: contents.specId, entries, removed: hits.map((e) => e.dataFile) };
  });
  const dropped = new Map<string, ExistingChanges['dropped'][number]>();
  for (const r of results) {
    if (r.kind === 'keep') out.kept.push(r.manifest);
    else if (r.kind === 'drop') {
      const key = `${r.content}:${r.specId}`;
      const group = dropped.get(key) ?? dropped.set(key, { content: r.content, specId: r.specId, entries: [] }).get(key)!;
      for (const e of r.entries) group.entries.push(e);
      for (const f of r.removed) out.removedFiles.push(f);
    } else {
      out.rewrite.push({ manifest: r.manifest, specId: r.specId, entries: r.entries });
      out.removedFiles.push(...r.removed);
    }
  }
  out.dropped = [...dropped.values()];
  const missing = (opts.removed ?? []).filter((f) => !found.has(f));
  if (missing.length > 0) throw new InvalidInput(`cannot remove ${missing[0]!.recordedPath ?? missing[0]!.filePath}: it is not a live file of the current snapshot`, 'removed');
  if (needTotals) out.previousTotals = counted;
  return out;
}

/** Snapshot summary: what changed (non-zero counts only) and the new totals, as strings. */
export function summarize(operation: string, added: DataFile[], removed: DataFile[], previous: Totals, extra: Record<string, string> = {}): Snapshot['summary'] {
  const totals = { ...previous };
  const delta = { records: 0, dataFiles: 0, deleteFiles: 0, filesSize: 0, positionDeletes: 0, equalityDeletes: 0 };
  const gone = { records: 0, dataFiles: 0, deleteFiles: 0, filesSize: 0, positionDeletes: 0, equalityDeletes: 0 };
  for (const f of added) { add(totals, f, 1); add(delta, f, 1); }
  for (const f of removed) { add(totals, f, -1); add(gone, f, 1); }
  const partitions = new Set([...added, ...removed].map((f) => `${f.specId}:${JSON.stringify(f.partition, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`));
  const s: Record<string, string> = { operation };
  const put = (key: string, v: number) => { if (v !== 0) s[key] = String(v); };
  put('added-data-files', delta.dataFiles);
  put('deleted-data-files', gone.dataFiles);
  put('added-delete-files', delta.deleteFiles);
  put('removed-delete-files', gone.deleteFiles);
  put('added-records', delta.records);
  put('deleted-records', gone.records);
  put('added-files-size', delta.filesSize);
  put('removed-files-size', gone.filesSize);
  put('added-position-deletes', delta.positionDeletes);
  put('removed-position-deletes', gone.positionDeletes);
  put('added-equality-deletes', delta.equalityDeletes);
  put('removed-equality-deletes', gone.equalityDeletes);
  s['changed-partition-count'] = String(partitions.size);
  for (const [k, key] of TOTAL_KEYS) s[key] = String(totals[k]);
  return { ...extra, ...s, operation };
}
