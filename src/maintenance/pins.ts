/**
 * The files of a table that something still reads, and what: the cross-branch safety of maintenance.
 * A file is pinned when a snapshot kept by any ref references it: every catalog branch and tag, at
 * its head and at each earlier commit back to the history cutoff (all history by default), in the
 * table's metadata at that commit (every snapshot in it, since a reader there can travel to any);
 * for the branch being maintained, its head counts with the metadata after the change.
 */
import type { ContentKey, StoredContent } from '../domain/content.js';
import type { Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import type { CommitHash, RefName } from '../domain/refs.js';
import type { FileKept, FileToDelete } from '../domain/maintenance.js';
import type { HistoryFiles, ManifestNode, SnapshotNode } from './history-files.js';
import type { Reference, VersionStore } from '../ports/version-store.js';

export interface PinWalk {
  store: VersionStore;
  files: HistoryFiles;
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
  /** The snapshots the expiry removes: their files are the candidates. */
  expired: Snapshot[];
}

/** Pins: labels and the snapshots they keep. Each label is in one group only. */
interface PinGroup {
  labels: string[];
  snapshots: SnapshotNode[];
}

const MAX_PINS_SHOWN = 20;
const rank = (l: string) => (l.includes('@') ? 2 : l.includes(':') ? 1 : 0);
/** Bits of the candidates' pin sets held at once (16 MiB); more candidates are matched in rounds. */
const MAX_BITS_WORDS = 4_000_000;

/**
 * The files the expired snapshots read, split into those no kept snapshot of any ref reads (to
 * delete, with sizes) and those still read (kept, with what pins them: heads first, then table
 * refs, then earlier commits, at most 20 shown and `+N more commits`).
 *
 * The work is per distinct thing: each metadata file the commits name once (its labels are every
 * commit and ref that reach it), each distinct snapshot in them once, each manifest once; then,
 * per candidate file, the set of pin groups whose snapshots read it, as bits.
 */
export async function expiryFiles(w: PinWalk): Promise<{ filesToDelete: FileToDelete[]; filesKept: FileKept[] }> {
  // Candidates: every file an expired snapshot reads.
  const paths: string[] = [];
  const sizes: number[] = [];
  const index = new Map<string, number>();
  const candidate = (path: string, size: number) => {
    if (index.has(path)) return;
    index.set(path, paths.length);
    paths.push(path);
    sizes.push(size);
  };
  for (const c of await w.files.contentsOf(w.expired.map((s) => w.files.node(s)))) {
    if (c.list) candidate(c.list.path, c.list.size);
    for (const m of c.manifests) {
      if (!m.files) continue;
      candidate(m.path, m.length);
      for (let i = 0; i < m.files.paths.length; i++) candidate(m.files.paths[i]!, m.files.sizes[i]!);
    }
  }
  if (paths.length === 0) return { filesToDelete: [], filesKept: [] };

  const groups = await pinGroups(w);

  // Distinct snapshots, and for each the groups that keep it.
  const distinct: SnapshotNode[] = [];
  const idxOf = new Map<SnapshotNode, number>();
  const groupCount: number[] = [];
  for (const g of groups) {
    for (const s of g.snapshots) {
      let i = idxOf.get(s);
      if (i === undefined) {
        i = distinct.length;
        idxOf.set(s, i);
        distinct.push(s);
        groupCount.push(0);
      }
      groupCount[i]!++;
    }
  }
  const start = new Int32Array(distinct.length + 1);
  for (let i = 0; i < distinct.length; i++) start[i + 1] = start[i]! + groupCount[i]!;
  const fill = start.slice(0, distinct.length);
  const groupsOf = new Int32Array(start[distinct.length]!);
  groups.forEach((g, gi) => {
    for (const s of g.snapshots) {
      const i = idxOf.get(s)!;
      // A group may name the same snapshot twice (a metadata file listing it twice): once is enough.
      if (fill[i]! > start[i]! && groupsOf[fill[i]! - 1] === gi) continue;
      groupsOf[fill[i]!++] = gi;
    }
  });

  const contents = await w.files.contentsOf(distinct);

  // Per distinct manifest, the candidates it reads (itself and its files); per snapshot, all of its.
  const manifestHits = new Map<ManifestNode, number[]>();
  const hitsOf = (m: ManifestNode): number[] => {
    let h = manifestHits.get(m);
    if (h) return h;
    h = [];
    if (m.files) {
      const self = index.get(m.path);
      if (self !== undefined) h.push(self);
      for (const p of m.files.paths) {
        const c = index.get(p);
        if (c !== undefined) h.push(c);
      }
    }
    manifestHits.set(m, h);
    return h;
  };
  const snapshotHits: number[][] = contents.map((c) => {
    const h: number[] = [];
    const list = c.list ? index.get(c.list.path) : undefined;
    if (list !== undefined) h.push(list);
    for (const m of c.manifests) for (const x of hitsOf(m)) h.push(x);
    return h;
  });

  // Labels in the order they are shown, and each group's labels as positions in that order.
  const labels = groups.flatMap((g) => g.labels).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const position = new Map(labels.map((l, i) => [l, i]));
  const groupLabels = groups.map((g) => Int32Array.from(g.labels.map((l) => position.get(l)!)).sort());

  const words = Math.ceil(groups.length / 32);
  const perRound = Math.max(1, Math.floor(MAX_BITS_WORDS / words));
  const filesToDelete: FileToDelete[] = [];
  const filesKept: FileKept[] = [];
  for (let from = 0; from < paths.length; from += perRound) {
    const to = Math.min(paths.length, from + perRound);
    const bits = new Uint32Array((to - from) * words);
    for (let i = 0; i < distinct.length; i++) {
      const hits = snapshotHits[i]!;
      if (hits.length === 0) continue;
      const g0 = start[i]!;
      const g1 = fill[i]!;
      for (const c of hits) {
        if (c < from || c >= to) continue;
        const base = (c - from) * words;
        for (let k = g0; k < g1; k++) {
          const g = groupsOf[k]!;
          bits[base + (g >>> 5)]! |= 1 << (g & 31);
        }
      }
    }
    for (let c = from; c < to; c++) {
      const base = (c - from) * words;
      const top: number[] = [];
      let total = 0;
      for (let k = 0; k < words; k++) {
        let word = bits[base + k]!;
        while (word !== 0) {
          const bit = 31 - Math.clz32(word & -word);
          word &= word - 1;
          const own = groupLabels[k * 32 + bit]!;
          total += own.length;
          for (const p of own) {
            if (top.length === MAX_PINS_SHOWN && p > top[MAX_PINS_SHOWN - 1]!) break;
            let at = top.length;
            while (at > 0 && top[at - 1]! > p) at--;
            top.splice(at, 0, p);
            if (top.length > MAX_PINS_SHOWN) top.pop();
          }
        }
      }
      if (total === 0) filesToDelete.push({ path: paths[c]!, sizeBytes: sizes[c]! });
      else {
        const shown = top.map((p) => labels[p]!);
        filesKept.push({ path: paths[c]!, pinnedBy: total <= MAX_PINS_SHOWN ? shown : [...shown.slice(0, MAX_PINS_SHOWN - 1), `+${total - MAX_PINS_SHOWN + 1} more commits`] });
      }
    }
  }
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  return { filesToDelete: filesToDelete.sort(byPath), filesKept: filesKept.sort(byPath) };
}

/**
 * The pins: the maintained branch's head with the metadata after the change (and its table refs),
 * then every metadata file any other commit of any ref names, read once with every label that reaches it.
 */
async function pinGroups(w: PinWalk): Promise<PinGroup[]> {
  const groups: PinGroup[] = [{ labels: [w.branch], snapshots: w.after.snapshots.map((s) => w.files.node(s)) }];
  for (const s of w.after.snapshots) {
    for (const name of w.tableRefsOf.get(s.snapshotId) ?? []) {
      groups.push({ labels: [`${w.branch}:table-${name === 'main' ? 'branch' : 'ref'}:${name}`], snapshots: [w.files.node(s)] });
    }
  }
  // Every commit to look at, with its labels and the table's content there (each ref's log with
  // the key's content, read a page at a time; see commitContents).
  const labelsAt = new Map<CommitHash, string[]>();
  const contentAt = new Map<CommitHash, StoredContent | null>();
  const walks = new Map<CommitHash, WalkAt>();
  for await (const ref of allReferences(w.store)) {
    for (const { hash, atHead, content } of await commitContents(w.store, ref, w.key, w.historySince, walks)) {
      // The branch's own head is replaced by `after`; another ref at that commit still reads it as it is.
      if (hash === w.head && atHead && ref.name === w.branch) continue;
      const label = atHead ? ref.name : `${ref.name}@${hash.slice(0, 12)}`;
      const at = labelsAt.get(hash);
      if (at) at.push(label);
      else labelsAt.set(hash, [label]);
      contentAt.set(hash, content);
    }
  }
  const labelsOf = new Map<string, string[]>();
  for (const [hash, labels] of labelsAt) {
    const content = contentAt.get(hash);
    if (!content || content.type !== 'ICEBERG_TABLE' || content.id !== w.contentId) continue;
    const at = labelsOf.get(content.metadataLocation);
    if (at) at.push(...labels);
    else labelsOf.set(content.metadataLocation, [...labels]);
  }
  const locations = [...labelsOf.keys()];
  const snapshots = await w.files.snapshotsOf(locations);
  locations.forEach((location, i) => groups.push({ labels: labelsOf.get(location)!, snapshots: snapshots[i]! }));
  return groups;
}

/**
 * Every file any commit of any ref reads of the table whose files live under `location`: its
 * metadata files (and the earlier ones their logs name) and every file of every snapshot in them.
 * Orphans are the objects under the location that are not in this set.
 */
export async function referencedFiles(
  store: VersionStore,
  metadata: (location: string) => Promise<TableMetadata>,
  files: HistoryFiles,
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
  const locations = [...metadataFiles];
  for (const file of locations) {
    out.add(file);
    for (const e of (await metadata(file)).metadataLog) out.add(e.metadataFile);
  }
  // Each distinct snapshot's manifest list, manifests and their files, read once (kept for later plans).
  const snapshots = new Set((await files.snapshotsOf(locations)).flat());
  for (const c of await files.contentsOf([...snapshots])) {
    if (c.list) out.add(c.list.path);
    for (const m of c.manifests) {
      out.add(m.path);
      for (const path of m.files?.paths ?? []) out.add(path);
    }
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

/** A commit a ref's walk counted, with the key's content there. */
interface Walked {
  hash: CommitHash;
  commitTime: Date;
  content: StoredContent | null;
  atHead: boolean;
}

/** Where a commit sits in the walk that counted it first. */
interface WalkAt {
  walk: Walked[];
  index: number;
}

/**
 * The commits of a ref that pin, as commitsOf gives them (its head, then its first parents back to
 * `since`), each with the content at `key`: the ref's contentLog, a page at a time (growing from
 * 100 commits, or 10 with a cutoff, to 1,000). Once the walk reaches a commit an earlier ref's walk
 * counted (`walks`), the rest is that walk's from there on (the same first parents, cut at `since`
 * the same way), so history that refs share is read once.
 */
async function commitContents(store: VersionStore, ref: Reference, key: ContentKey, since: Date | null, walks: Map<CommitHash, WalkAt>): Promise<Walked[]> {
  const walk: Walked[] = [];
  /** Counts the commit unless it is past the cutoff (the head always counts); false when the walk stops there. */
  const take = (hash: CommitHash, commitTime: Date, content: StoredContent | null): boolean => {
    const atHead = walk.length === 0;
    if (!atHead && since && commitTime < since) return false;
    walk.push({ hash, commitTime, content, atHead });
    return true;
  };
  /** Takes the rest of an earlier walk from `at`. */
  const follow = (at: WalkAt): Walked[] => {
    for (let i = at.index; i < at.walk.length; i++) {
      const c = at.walk[i]!;
      if (!take(c.hash, c.commitTime, c.content)) break;
    }
    return walk;
  };
  if (ref.hash === store.noAncestorHash) return walk;
  const known = walks.get(ref.hash);
  if (known) return follow(known);
  let after: string | null = null;
  // Short first pages when a cutoff may end the walk early (heads only: the head and one more).
  let first = since ? 10 : 100;
  do {
    const page = await store.contentLog(ref.hash, key, { first, after });
    for (const { commit, content } of page.items) {
      const known = walks.get(commit.hash);
      if (known) return follow(known);
      const index = walk.length;
      if (!take(commit.hash, commit.commitTime, content)) return walk;
      walks.set(commit.hash, { walk, index });
    }
    after = page.nextCursor;
    first = Math.min(1000, first * 2);
  } while (after);
  return walk;
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
