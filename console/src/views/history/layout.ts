/**
 * The commit graph's lane layout, without the DOM: commits in display order (children before their
 * parents, newest first among the ready ones) and one lane per line of first parents. A lane waits
 * for the commit it leads to; a merge parent gets the lane already waiting for it or a new one, so
 * the merge edge runs from the merged commit's line into the merge commit.
 */

export interface GraphCommit {
  hash: string;
  parentHashes: string[];
  commitTime: string;
}

/** Nessie's parent of a first commit: "no ancestor", drawn as nothing. */
export const NO_ANCESTOR = '2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d';

export interface Edge {
  fromRow: number;
  fromLane: number;
  /** The lane the edge runs down between the two rows. */
  via: number;
  /** The parent's row, or null when the parent is not shown (older history, or not readable). */
  toRow: number | null;
  toLane: number;
  /** A merge parent's edge (the merged line into the merge commit). */
  merge: boolean;
}

export interface Layout<C extends GraphCommit> {
  rows: { commit: C; lane: number }[];
  edges: Edge[];
  laneCount: number;
}

/** Children before parents; among the commits whose children are all placed, the newest first. */
export function displayOrder<C extends GraphCommit>(commits: C[]): C[] {
  const byHash = new Map(commits.map((c) => [c.hash, c]));
  const pendingChildren = new Map<string, number>();
  for (const c of commits) for (const p of new Set(c.parentHashes)) if (byHash.has(p)) pendingChildren.set(p, (pendingChildren.get(p) ?? 0) + 1);
  const ready = commits.filter((c) => !pendingChildren.get(c.hash));
  const order: C[] = [];
  const newer = (a: C, b: C) => (a.commitTime > b.commitTime || (a.commitTime === b.commitTime && a.hash > b.hash) ? a : b);
  while (ready.length) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (newer(ready[i]!, ready[best]!) === ready[i]) best = i;
    const c = ready.splice(best, 1)[0]!;
    order.push(c);
    for (const p of new Set(c.parentHashes)) {
      const left = pendingChildren.get(p);
      if (left === undefined) continue;
      if (left === 1) {
        pendingChildren.delete(p);
        ready.push(byHash.get(p)!);
      } else pendingChildren.set(p, left - 1);
    }
  }
  return order;
}

/** `reserved`: heads that get the first lanes (the default branch's line stays on the left). */
export function layoutGraph<C extends GraphCommit>(commits: C[], reserved: string[] = []): Layout<C> {
  const ordered = displayOrder(commits);
  const shown = new Set(commits.map((c) => c.hash));
  const lanes: (string | null)[] = reserved.filter((h) => shown.has(h));
  const free = () => {
    const i = lanes.indexOf(null);
    return i >= 0 ? i : lanes.push(null) - 1;
  };
  const rows: { commit: C; lane: number }[] = [];
  const rowOf = new Map<string, number>();
  const pending: { fromRow: number; fromLane: number; via: number; parent: string; merge: boolean }[] = [];
  ordered.forEach((commit, r) => {
    const waiting: number[] = [];
    lanes.forEach((h, i) => h === commit.hash && waiting.push(i));
    for (const w of waiting) lanes[w] = null;
    const lane = waiting.length ? waiting[0]! : free();
    rows.push({ commit, lane });
    rowOf.set(commit.hash, r);
    const parents = [...new Set(commit.parentHashes)].filter((p) => p !== NO_ANCESTOR);
    parents.forEach((p, i) => {
      let via: number;
      if (i === 0) via = lane;
      else {
        const existing = lanes.indexOf(p);
        via = existing >= 0 ? existing : free();
      }
      lanes[via] = p;
      pending.push({ fromRow: r, fromLane: lane, via, parent: p, merge: i > 0 });
    });
  });
  const edges: Edge[] = pending.map((e) => {
    const toRow = rowOf.get(e.parent) ?? null;
    return { fromRow: e.fromRow, fromLane: e.fromLane, via: e.via, toRow, toLane: toRow === null ? e.via : rows[toRow]!.lane, merge: e.merge };
  });
  return { rows, edges, laneCount: Math.max(1, lanes.length) };
}
