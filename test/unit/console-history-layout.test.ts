/** The console History view's lane layout (console/src/views/history/layout.ts), without a browser. */
import { describe, expect, it } from 'vitest';
import { layoutGraph, NO_ANCESTOR, type GraphCommit } from '../../console/src/views/history/layout.js';

const c = (hash: string, time: number, ...parentHashes: string[]): GraphCommit => ({ hash, parentHashes, commitTime: new Date(Date.UTC(2026, 0, 1, 0, 0, time)).toISOString() });

describe('the History lane layout', () => {
  it('puts a merged branch on its own lane, with the merge edge from the merged commit into the merge commit', () => {
    // main: m1 ← m2 (merges f2); feature: m1 ← f1 ← f2
    const layout = layoutGraph([c('m1', 1, NO_ANCESTOR), c('f1', 2, 'm1'), c('f2', 3, 'f1'), c('m2', 4, 'm1', 'f2')]);
    expect(layout.rows.map((r) => [r.commit.hash, r.lane])).toEqual([
      ['m2', 0],
      ['f2', 1],
      ['f1', 1],
      ['m1', 0],
    ]);
    expect(layout.laneCount).toBe(2);
    expect(layout.edges).toEqual([
      { fromRow: 0, fromLane: 0, via: 0, toRow: 3, toLane: 0, merge: false }, // m2 → m1, first parent, down lane 0
      { fromRow: 0, fromLane: 0, via: 1, toRow: 1, toLane: 1, merge: true }, // m2 ← f2, the merge edge
      { fromRow: 1, fromLane: 1, via: 1, toRow: 2, toLane: 1, merge: false },
      { fromRow: 2, fromLane: 1, via: 1, toRow: 3, toLane: 0, merge: false }, // the feature branched off m1
    ]); // m1's parent is Nessie's no-ancestor hash: no edge
  });

  it('shows children before parents even when clocks disagree, and runs edges to parents not loaded off the graph', () => {
    const layout = layoutGraph([c('b', 5, 'a'), c('a', 9, 'older')]);
    expect(layout.rows.map((r) => r.commit.hash)).toEqual(['b', 'a']);
    expect(layout.edges.at(-1)).toEqual({ fromRow: 1, fromLane: 0, via: 0, toRow: null, toLane: 0, merge: false });
  });

  it('keeps the reserved head (the default branch) on the first lane when another branch is newer', () => {
    const layout = layoutGraph([c('base', 1), c('main', 2, 'base'), c('dev', 3, 'base')], ['main']);
    expect(layout.rows.map((r) => [r.commit.hash, r.lane])).toEqual([
      ['dev', 1],
      ['main', 0],
      ['base', 0],
    ]);
  });
});
