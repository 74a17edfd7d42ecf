/**
 * The files of a table that something still reads, and what: the cross-branch safety of maintenance.
 * A file is pinned when a snapshot kept by any ref references it: every catalog branch and tag, at
 * its head and at each earlier commit back to the history cutoff (all history by default), in the
 * table's metadata at that commit (every snapshot in it, since a reader there can travel to any);
 * for the branch being maintained, its head counts with the metadata after the change.
 */
import type { ContentKey } from '../domain/content.js';
import type { ManifestFile, Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import type { CommitHash, RefName } from '../domain/refs.js';
import { mapBounded, snapshotManifests, type ManifestCache } from '../iceberg/scan-planner.js';
import { readManifest, type ManifestContents } from '../iceberg/manifests.js';
import { NotFound } from '../domain/errors.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { Reference, VersionStore } from '../ports/version-store.js';

/** Every file a snapshot reads: its manifest list, its manifests and the files they list. */
export class SnapshotFiles {
  private readonly memo = new Map<string, Promise<Map<string, number>>>();

  constructor(private readonly objects: ObjectStore, private readonly cache: ManifestCache) {}

  /** path → size in bytes (0 when the metadata does not say). */
  of(s: Snapshot): Promise<Map<string, number>> {
    const key = s.manifestList ?? `${s.snapshotId}:${(s.manifests ?? []).join(',')}`;
    let hit = this.memo.get(key);
    if (!hit) {
      hit = this.read(s);
      this.memo.set(key, hit);
    }
    return hit;
  }

  /**
   * A snapshot an earlier expiry removed can still be named by the metadata of older commits; its
   * manifest list or manifests may be gone. Nothing can read those files any more, so a missing one
   * contributes nothing (its data files still read by kept snapshots are counted through those).
   */
  private async read(s: Snapshot): Promise<Map<string, number>> {
    const files = new Map<string, number>();
    if (s.manifestList) {
      const head = await this.objects.head(s.manifestList);
      if (!head) return files;
      files.set(s.manifestList, head.size);
    }
    let manifests: ManifestFile[];
    try {
      manifests = await snapshotManifests(this.objects, s, this.cache);
    } catch (e) {
      if (e instanceof NotFound) return files;
      throw e;
    }
    await mapBounded(manifests, 8, async (manifest) => {
      let contents: ManifestContents;
      try {
        contents = await this.cache.manifest(manifest, async () => readManifest(await this.objects.read(manifest.manifestPath), manifest));
      } catch (e) {
        if (e instanceof NotFound) return;
        throw e;
      }
      files.set(manifest.manifestPath, manifest.manifestLength);
      for (const entry of contents.entries) files.set(entry.dataFile.filePath, entry.dataFile.fileSizeInBytes);
    });
    return files;
  }
}

export interface PinWalk {
  store: VersionStore;
  metadata: (location: string) => Promise<TableMetadata>;
  key: ContentKey;
  /** The table's content id: the same table under any branch (a table of the same name made anew is another). */
  contentId: string;
  /** The branch being maintained and its head: that head's metadata is replaced by `after`. */
  branch: RefName;
  head: CommitHash;
  after: TableMetadata;
  /** Table refs of `after` by snapshot id, to name them as pins. */
  tableRefsOf: Map<string, string[]>;
  /** Earlier commits count back to this time; null: all history. */
  historySince: Date | null;
}

/** The snapshots each pin keeps: label → snapshots (the same metadata reached twice is read once). */
export async function pinnedSnapshots(w: PinWalk): Promise<Map<string, Snapshot[]>> {
  const pins = new Map<string, Snapshot[]>();
  const add = (label: string, snapshots: Snapshot[]) => pins.set(label, [...(pins.get(label) ?? []), ...snapshots]);
  for (const s of w.after.snapshots) {
    add(w.branch, [s]);
    for (const name of w.tableRefsOf.get(s.snapshotId) ?? []) add(`${w.branch}:table-${name === 'main' ? 'branch' : 'ref'}:${name}`, [s]);
  }
  // Each metadata file is read once, whichever commits and refs reach it; each of them pins it.
  const labelsOf = new Map<string, string[]>();
  for await (const ref of allReferences(w.store)) {
    for await (const { hash, atHead } of commitsOf(w.store, ref, w.historySince)) {
      if (hash === w.head) continue; // replaced by `after`
      const content = await w.store.getContent(hash, w.key);
      if (!content || content.type !== 'ICEBERG_TABLE' || content.id !== w.contentId) continue;
      const label = atHead ? ref.name : `${ref.name}@${hash.slice(0, 12)}`;
      labelsOf.set(content.metadataLocation, [...(labelsOf.get(content.metadataLocation) ?? []), label]);
    }
  }
  for (const [location, labels] of labelsOf) {
    const snapshots = (await w.metadata(location)).snapshots;
    for (const label of labels) add(label, snapshots);
  }
  return pins;
}

/**
 * Every file any commit of any ref reads of the table whose files live under `location`: its
 * metadata files (and the earlier ones their logs name) and every file of every snapshot in them.
 * Orphans are the objects under the location that are not in this set.
 */
export async function referencedFiles(
  store: VersionStore,
  metadata: (location: string) => Promise<TableMetadata>,
  files: SnapshotFiles,
  location: string,
): Promise<Set<string>> {
  const prefix = location.replace(/\/+$/, '') + '/';
  const metadataFiles = new Set<string>();
  for await (const ref of allReferences(store)) {
    for await (const { hash } of commitsOf(store, ref, null)) {
      for await (const content of tablesUnder(store, hash, prefix)) metadataFiles.add(content);
    }
  }
  const out = new Set<string>();
  for (const file of metadataFiles) {
    out.add(file);
    const m = await metadata(file);
    for (const e of m.metadataLog) out.add(e.metadataFile);
    for (const s of m.snapshots) for (const path of (await files.of(s)).keys()) out.add(path);
  }
  return out;
}

/** Metadata locations of the tables at a commit whose metadata lies under `prefix`. */
async function* tablesUnder(store: VersionStore, hash: CommitHash, prefix: string): AsyncGenerator<string> {
  let after: string | null = null;
  do {
    const page = await store.entries(hash, { first: 1000, after });
    const keys = page.items.filter((e) => e.type === 'ICEBERG_TABLE').map((e) => e.key);
    if (keys.length > 0) {
      for (const content of (await store.getContents(hash, keys)).values()) {
        if (content.type === 'ICEBERG_TABLE' && content.metadataLocation.startsWith(prefix)) yield content.metadataLocation;
      }
    }
    after = page.nextCursor;
  } while (after);
}

async function* allReferences(store: VersionStore): AsyncGenerator<Reference> {
  let after: string | null = null;
  do {
    const page = await store.listReferences({ first: 1000, after });
    yield* page.items;
    after = page.nextCursor;
  } while (after);
}

async function* commitsOf(store: VersionStore, ref: Reference, since: Date | null): AsyncGenerator<{ hash: CommitHash; atHead: boolean }> {
  if (ref.hash === store.noAncestorHash) return;
  yield { hash: ref.hash, atHead: true };
  let after: string | null = null;
  let first = true;
  do {
    const page = await store.log(ref.hash, { first: 1000, after });
    for (const c of page.items) {
      if (first) {
        first = false;
        continue; // the head, above
      }
      if (since && c.commitTime < since) return;
      yield { hash: c.hash, atHead: false };
    }
    after = page.nextCursor;
  } while (after);
}
