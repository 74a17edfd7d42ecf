/**
 * Concurrency: many clients move one branch from the same head at once. Exactly one wins per head,
 * every other call is a ReferenceConflict, and history holds exactly one commit per success.
 * All clients touch the same key, so a backend with key-level conflict checks (Nessie) is held to
 * the same promise as one with a strict compare-and-swap.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceConflict } from '../../../src/domain/errors.js';
import type { CommitHash } from '../../../src/domain/refs.js';
import type { Commit, MergeOutcome } from '../../../src/ports/version-store.js';
import { allPages, commitOps, freshBranch, head, ns, put, type StoreContext, table, updated } from './support.js';

const CLIENTS = 20;

function settle<T>(results: PromiseSettledResult<T>[], expected: CommitHash) {
  const won = results.filter((r): r is PromiseFulfilledResult<T> => r.status === 'fulfilled').map((r) => r.value);
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  for (const e of lost) {
    expect(e, String(e)).toBeInstanceOf(ReferenceConflict);
    expect((e as ReferenceConflict).code).toBe('REFERENCE_CONFLICT');
    expect((e as ReferenceConflict).expectedHash).toBe(expected);
  }
  return { won, lost };
}

export function describeConcurrency(ctx: StoreContext): void {
  describe('concurrency', () => {
    it(`lets exactly one of ${CLIENTS} concurrent commits with the same expectedHash win, round after round`, async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'race-commit');
      await commitOps(store, b.name, [put('cc', ns('cc')), put('cc.hot', table())], 'setup');
      const rounds = 3;
      const winners: Commit[] = [];
      for (let r = 0; r < rounds; r++) {
        const h = await head(store, b.name);
        const current = (await store.getContent(h, 'cc.hot'))!;
        const results = await Promise.allSettled(
          Array.from({ length: CLIENTS }, (_, i) =>
            commitOps(store, b.name, [put('cc.hot', updated(current, `r${r}c${i}`))], `round ${r} client ${i}`, h),
          ),
        );
        const { won, lost } = settle(results, h);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(CLIENTS - 1);
        const w = won[0]!;
        expect(w.previousHash).toBe(h);
        expect(w.commit.parentHashes).toEqual([h]);
        expect(await head(store, b.name)).toBe(w.commit.hash);
        winners.push(w.commit);
      }
      const log = (await allPages((after) => store.log(winners.at(-1)!.hash, { first: 100, after }))).flat();
      expect(log).toHaveLength(1 + rounds);
      expect(log.slice(0, rounds).map((c) => c.hash)).toEqual(winners.map((c) => c.hash).reverse());
      const final = (await store.getContent(winners.at(-1)!.hash, 'cc.hot'))!;
      const lastWinner = winners.at(-1)!.message.replace(/^round (\d+) client (\d+)$/, 'r$1c$2');
      expect(final.type === 'ICEBERG_TABLE' && final.metadataLocation.includes(lastWinner)).toBe(true);
    });

    it(`lets exactly one of ${CLIENTS} concurrent merges with the same expectedHash win, round after round`, async () => {
      const { store } = ctx;
      const target = await freshBranch(store, 'race-merge');
      await commitOps(store, target.name, [put('cm', ns('cm')), put('cm.hot', table())], 'setup');
      const rounds = 2;
      const winners: MergeOutcome[] = [];
      for (let r = 0; r < rounds; r++) {
        const base = await head(store, target.name);
        const current = (await store.getContent(base, 'cm.hot'))!;
        const sources: CommitHash[] = [];
        for (let i = 0; i < CLIENTS; i++) {
          const src = await freshBranch(store, `race-src-${r}-${i}`, base);
          const c = await commitOps(store, src.name, [put('cm.hot', updated(current, `r${r}s${i}`)), put(`cm.s${r}_${i}`, table())]);
          sources.push(c.commit.hash);
        }
        // move the target past the fork point so every merge is three-way
        const diverge = await commitOps(store, target.name, [put(`cm.div${r}`, table())], `diverge ${r}`, base);
        const h = diverge.commit.hash;
        const results = await Promise.allSettled(
          sources.map((fromHash, i) => store.merge({ fromHash, into: target.name, expectedHash: h, meta: { message: `merge ${r}/${i}` } })),
        );
        const { won, lost } = settle(results, h);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(CLIENTS - 1);
        const w = won[0]!;
        expect(w).toMatchObject({ previousHash: h, applied: true, fastForward: false, commonAncestor: base });
        expect(await head(store, target.name)).toBe(w.hash);
        const mc = await store.getCommit(w.hash);
        expect(mc.parentHashes[0]).toBe(h);
        const i = sources.indexOf(mc.parentHashes[1] as CommitHash);
        expect(i).toBeGreaterThanOrEqual(0);
        const merged = await store.getContents(w.hash, ['cm.hot', ...sources.map((_, j) => `cm.s${r}_${j}`)]);
        expect([...merged.keys()].sort()).toEqual(['cm.hot', `cm.s${r}_${i}`]);
        winners.push(w);
      }
      const log = (await allPages((after) => store.log(winners.at(-1)!.hash, { first: 100, after }))).flat();
      // setup, then per round one diverging commit and one merge commit
      expect(log).toHaveLength(1 + 2 * rounds);
      expect(log.filter((c) => c.parentHashes.length === 2).map((c) => c.hash)).toEqual(winners.map((w) => w.hash).reverse());
    });
  });
}
