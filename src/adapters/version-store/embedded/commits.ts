/**
 * Commit rows: building and hashing a new commit, turning a row into the port's Commit, and
 * ancestry questions (common ancestor, is-ancestor) answered with generation numbers, so the
 * search only visits commits between the two tips and their closest common ancestor.
 */
import type { Commit, CommitOperation } from '../../../ports/version-store.js';
import type { CommitHash } from '../../../domain/refs.js';
import { hashOf, NO_ANCESTOR_HASH } from './hashing.js';
import type { Ancestry, CommitRow, Repo, StoredMeta } from './repo.js';

/** Generations fetched per round trip when walking ancestry. */
const WINDOW = 256;
/** A minimum generation no commit reaches: fetch the given commits only. */
const NO_RECURSION = 2_000_000_000;

export function makeCommitRow(
  parents: CommitRow[],
  tree: string,
  meta: StoredMeta,
  operations: CommitOperation[],
  now: Date,
): CommitRow {
  const first = parents[0];
  // Commit times never go backwards along first parents, so `name*t` and `since` can stop early.
  const commitTime = first && first.commitTime.getTime() > now.getTime() ? new Date(first.commitTime.getTime()) : now;
  const generation = Math.max(0, ...parents.map((p) => p.generation)) + 1;
  const parentHashes = parents.map((p) => p.hash);
  // The port: authorTime defaults to the commit time.
  if (meta.authorTime === null) meta = { ...meta, authorTime: commitTime.toISOString() };
  const hash = hashOf({ v: 1, tree, parents: parentHashes, meta, operations, commitTime: commitTime.toISOString() });
  return { hash, parents: parentHashes, generation, commitTime, meta, operations, tree };
}

export function toCommit(row: CommitRow): Commit {
  return {
    hash: row.hash as CommitHash,
    parentHashes: row.parents as CommitHash[],
    message: row.meta.message,
    author: row.meta.author,
    authorTime: row.meta.authorTime ? new Date(row.meta.authorTime) : null,
    committer: row.meta.committer,
    commitTime: row.commitTime,
    properties: { ...row.meta.properties },
    operations: row.operations.map((o) => ({ ...o })),
  };
}

/** A max-heap of hashes by generation. */
class GenHeap {
  private readonly items: { hash: string; gen: number }[] = [];
  get size(): number {
    return this.items.length;
  }
  push(hash: string, gen: number): void {
    const a = this.items;
    a.push({ hash, gen });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]!.gen >= a[i]!.gen) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }
  pop(): { hash: string; gen: number } | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l]!.gen > a[m]!.gen) m = l;
        if (r < a.length && a[r]!.gen > a[m]!.gen) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }
}

/**
 * Closest common ancestor over all parents (Git's merge-base walk): pop commits in decreasing
 * generation, painting them with the side(s) they are reachable from; the first commit reached
 * from both sides is the answer. Every history starts at the no-ancestor root, so two existing
 * commits always have one (the root when nothing else is shared); null only for unknown hashes.
 */
export async function commonAncestor(repo: Repo, a: string, b: string): Promise<string | null> {
  if (a === b) return (await repo.ancestry([a], NO_RECURSION)).has(a) ? a : null;
  const known = new Map<string, Ancestry>();
  const need = async (hashes: string[], minGen: number) => {
    const missing = hashes.filter((h) => !known.has(h));
    if (missing.length === 0) return;
    for (const [h, x] of await repo.ancestry(missing, minGen)) known.set(h, x);
  };
  await need([a, b], NO_RECURSION);
  const ka = known.get(a);
  const kb = known.get(b);
  if (!ka || !kb) return null;
  const flags = new Map<string, number>([[a, 1], [b, 2]]);
  const heap = new GenHeap();
  heap.push(a, ka.generation);
  heap.push(b, kb.generation);
  // Every descendant of a commit has a higher generation, so by the time a commit is popped it
  // carries the paint of every side it is reachable from; the first one painted twice is closest.
  while (heap.size > 0) {
    const { hash, gen } = heap.pop()!;
    const f = flags.get(hash)!;
    if (f === 3) return hash;
    const node = known.get(hash)!;
    await need(node.parents, gen - WINDOW);
    for (const p of node.parents) {
      const pa = known.get(p);
      if (!pa) continue; // dangling parent: cannot happen with complete commits
      const before = flags.get(p);
      flags.set(p, (before ?? 0) | f);
      if (before === undefined) heap.push(p, pa.generation);
    }
  }
  return null;
}

/** True when `ancestor` is reachable from `descendant` over any parents (or equal to it). */
export async function isAncestor(repo: Repo, ancestor: string, descendant: string): Promise<boolean> {
  if (ancestor === descendant) return true;
  if (ancestor === NO_ANCESTOR_HASH) return true;
  return (await commonAncestor(repo, ancestor, descendant)) === ancestor;
}
