/**
 * The files a table's history reads, as maintenance planning needs them (expiry's pins, orphan
 * removal's referenced files), kept across plans in bounds of
 * their own (not the table reads' caches): per metadata file its snapshots, per manifest list its
 * manifests, per manifest the files it lists. Everything here is an immutable file read once, so
 * a plan of a table with 10,000 commits reads each distinct metadata file, manifest list and
 * manifest once, and a later plan reads only what is new. Snapshots and manifests are shared
 * objects (the same manifest list named by 10,000 metadata files is one object), so a plan can
 * work per distinct one. Values are shared: callers must not mutate them.
 */
import { NotFound } from '../domain/errors.js';
import type { ManifestFile, Snapshot } from '../domain/iceberg/types.js';
import { mapBounded, snapshotManifests } from '../iceberg/scan-planner.js';
import { readManifestList } from '../iceberg/manifest-list.js';
import { readManifest } from '../iceberg/manifests.js';
import { metadataSnapshotSources, type SnapshotSource } from '../iceberg/metadata-snapshots.js';
import type { ObjectStore } from '../ports/object-store.js';
import { Lru, WeightedLru } from '../util/lru.js';

export interface ManifestNode {
  path: string;
  /** From the list that names it (0 when the metadata does not say). */
  length: number;
  /** As the list names it (how to read it). */
  file: ManifestFile;
  /** The data and delete files it lists (every entry, deleted ones too) and their sizes; null: the manifest is gone; undefined: not read yet. */
  files?: { paths: string[]; sizes: number[] } | null;
}

export interface SnapshotNode {
  /** The manifest list, or (v1) the snapshot id and its manifests. */
  key: string;
  source: SnapshotSource;
}

/** A snapshot's files once read: its manifest list (null for v1 or a list that is gone) and its manifests. */
export interface SnapshotContents {
  list: { path: string; size: number } | null;
  manifests: ManifestNode[];
}

export const snapshotKey = (s: SnapshotSource): string => s.manifestList ?? `${s.snapshotId}:${(s.manifests ?? []).join(',')}`;

const CONCURRENCY = 8;

export class HistoryFiles {
  /** Metadata location → its snapshots (shared nodes). Weight: snapshots. */
  private readonly metadataFiles = new WeightedLru<string, SnapshotNode[]>(4_000_000, (v) => v.length + 1);
  /** Snapshot key → its node, so every metadata file naming it holds the same object. */
  private readonly snapshotNodes = new Lru<string, SnapshotNode>(500_000);
  /** Snapshot key → what it reads. Weight: manifests named. */
  private readonly contents = new WeightedLru<string, SnapshotContents>(4_000_000, (v) => v.manifests.length + 1);
  /** Manifest path → its node. Weight: files listed. */
  private readonly manifestNodes = new WeightedLru<string, ManifestNode>(2_000_000, (v) => (v.files?.paths.length ?? 0) + 1);

  constructor(private readonly objects: ObjectStore) {}

  /** The snapshots of each metadata file (read at most 8 at a time). */
  async snapshotsOf(locations: string[]): Promise<SnapshotNode[][]> {
    return mapBounded(locations, CONCURRENCY, async (location) => {
      const hit = this.metadataFiles.get(location);
      if (hit) return hit;
      const nodes = metadataSnapshotSources(await this.objects.read(location), location).map((s) => this.node(s));
      this.metadataFiles.set(location, nodes);
      return nodes;
    });
  }

  /** The shared node of a snapshot. */
  node(s: SnapshotSource): SnapshotNode {
    const key = snapshotKey(s);
    let n = this.snapshotNodes.get(key);
    if (!n) {
      n = { key, source: s.manifestList ? { snapshotId: s.snapshotId, manifestList: s.manifestList } : { snapshotId: s.snapshotId, manifests: s.manifests ?? [] } };
      this.snapshotNodes.set(key, n);
    }
    return n;
  }

  /** What each snapshot reads; every manifest of them read (its files) once. */
  async contentsOf(snapshots: SnapshotNode[]): Promise<SnapshotContents[]> {
    const out = await mapBounded(snapshots, CONCURRENCY, (s) => this.snapshotContents(s));
    const unread = new Set<ManifestNode>();
    for (const c of out) for (const m of c.manifests) if (m.files === undefined) unread.add(m);
    await mapBounded([...unread], CONCURRENCY, (m) => this.readManifestFiles(m));
    return out;
  }

  /**
   * A snapshot an earlier expiry removed can still be named by the metadata of older commits; its
   * manifest list or manifests may be gone. Nothing can read those files any more, so a missing one
   * contributes nothing (its data files still read by kept snapshots are counted through those).
   */
  private async snapshotContents(s: SnapshotNode): Promise<SnapshotContents> {
    const hit = this.contents.get(s.key);
    if (hit) return hit;
    let value: SnapshotContents;
    const list = s.source.manifestList;
    if (list !== undefined) {
      let bytes: Uint8Array;
      try {
        bytes = await this.objects.read(list);
      } catch (e) {
        if (!(e instanceof NotFound)) throw e;
        value = { list: null, manifests: [] };
        this.contents.set(s.key, value);
        return value;
      }
      value = { list: { path: list, size: bytes.length }, manifests: readManifestList(bytes, list).map((m) => this.manifestNode(m)) };
    } else {
      value = { list: null, manifests: (await snapshotManifests(this.objects, s.source as Snapshot)).map((m) => this.manifestNode(m)) };
    }
    this.contents.set(s.key, value);
    return value;
  }

  private manifestNode(m: ManifestFile): ManifestNode {
    let n = this.manifestNodes.get(m.manifestPath);
    if (!n) {
      n = { path: m.manifestPath, length: m.manifestLength, file: m };
      this.manifestNodes.set(m.manifestPath, n);
    }
    return n;
  }

  private async readManifestFiles(n: ManifestNode): Promise<void> {
    try {
      const contents = readManifest(await this.objects.read(n.path), n.file);
      n.files = { paths: contents.entries.map((e) => e.dataFile.filePath), sizes: contents.entries.map((e) => e.dataFile.fileSizeInBytes) };
    } catch (e) {
      if (!(e instanceof NotFound)) throw e;
      n.files = null;
    }
    // Weighed again now that its files are known.
    this.manifestNodes.set(n.path, n);
  }
}
