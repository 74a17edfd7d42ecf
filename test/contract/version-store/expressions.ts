/** Ref expressions resolved through the store: name, name@hash, @hash, name~n, name*time. */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInput, NotFound } from '../../../src/domain/errors.js';
import { parseRefExpression } from '../../../src/domain/refs.js';
import type { Commit, Reference } from '../../../src/ports/version-store.js';
import { between, commitOps, freshBranch, linearHistory, ns, put, rejects, type StoreContext, unknownHash, uniqueName } from './support.js';

export function describeRefExpressions(ctx: StoreContext): void {
  describe('ref expressions', () => {
    let branch: Reference;
    let commits: Commit[]; // oldest first, read back through getCommit
    const resolve = (expr: string) => ctx.store.resolve(parseRefExpression(expr));

    beforeAll(async () => {
      const { store } = ctx;
      branch = await freshBranch(store, 'expr');
      const made = await linearHistory(store, branch.name, 3, { gapMs: 30 });
      commits = [];
      for (const c of made) commits.push(await store.getCommit(c.hash));
    });

    it('resolves a branch or tag name to its head, with the reference', async () => {
      const { store } = ctx;
      const headHash = commits[2]!.hash;

      const r = await resolve(branch.name);
      expect(r.hash).toBe(headHash);
      expect(r.reference).toEqual({ name: branch.name, type: 'BRANCH', hash: headHash });

      const tag = await store.createReference(uniqueName('exprtag'), 'TAG', commits[1]!.hash);
      const rt = await resolve(tag.name);
      expect(rt.hash).toBe(commits[1]!.hash);
      expect(rt.reference).toEqual(tag);
    });

    it('resolves name@hash for a commit on that ref, and rejects a hash not reachable from it', async () => {
      const { store } = ctx;
      const r = await resolve(`${branch.name}@${commits[0]!.hash}`);
      expect(r.hash).toBe(commits[0]!.hash);
      expect(r.reference?.name).toBe(branch.name);
      expect(r.reference?.hash).toBe(commits[2]!.hash);

      const other = await freshBranch(store, 'expr-other');
      const foreign = await commitOps(store, other.name, [put('foreign_ns', ns('foreign_ns'))]);
      await rejects(resolve(`${branch.name}@${foreign.commit.hash}`), NotFound, 'NOT_FOUND');
      await rejects(resolve(`${branch.name}@${unknownHash()}`), NotFound, 'NOT_FOUND');
    });

    it('resolves a detached @hash without a reference', async () => {
      const r = await resolve(`@${commits[1]!.hash}`);
      expect(r.hash).toBe(commits[1]!.hash);
      expect(r.reference).toBeUndefined();
      await rejects(resolve(`@${unknownHash()}`), NotFound, 'NOT_FOUND');
    });

    it('walks first parents with ~n', async () => {
      expect((await resolve(`${branch.name}~0`)).hash).toBe(commits[2]!.hash);
      expect((await resolve(`${branch.name}~1`)).hash).toBe(commits[1]!.hash);
      expect((await resolve(`${branch.name}~2`)).hash).toBe(commits[0]!.hash);
      expect((await resolve(`${branch.name}@${commits[1]!.hash}~1`)).hash).toBe(commits[0]!.hash);
      expect((await resolve(`@${commits[2]!.hash}~2`)).hash).toBe(commits[0]!.hash);
      await rejects(resolve(`${branch.name}~4`), NotFound, 'NOT_FOUND');
      await rejects(resolve(`${branch.name}~100`), NotFound, 'NOT_FOUND');
    });

    it('resolves name*<ISO instant> and name*<epoch millis> to the commit current at that time', async () => {
      const [c0, c1, c2] = commits as [Commit, Commit, Commit];
      expect(c0.commitTime.getTime()).toBeLessThan(c1.commitTime.getTime());
      expect(c1.commitTime.getTime()).toBeLessThan(c2.commitTime.getTime());
      const t01 = between(c0.commitTime, c1.commitTime);
      const t12 = between(c1.commitTime, c2.commitTime);

      expect((await resolve(`${branch.name}*${t01.toISOString()}`)).hash).toBe(c0.hash);
      expect((await resolve(`${branch.name}*${t12.toISOString()}`)).hash).toBe(c1.hash);
      expect((await resolve(`${branch.name}*${t01.getTime()}`)).hash).toBe(c0.hash);
      expect((await resolve(`${branch.name}*${t12.getTime()}`)).hash).toBe(c1.hash);
      const later = new Date(c2.commitTime.getTime() + 60_000);
      expect((await resolve(`${branch.name}*${later.toISOString()}`)).hash).toBe(c2.hash);
      // combined with ~n: the commit current at t12, then one first parent back
      expect((await resolve(`${branch.name}*${t12.getTime()}~1`)).hash).toBe(c0.hash);

      const before = new Date(c0.commitTime.getTime() - 60_000);
      await rejects(resolve(`${branch.name}*${before.toISOString()}`), NotFound, 'NOT_FOUND');
    });

    it('reports an unknown name as NotFound', async () => {
      await rejects(resolve(uniqueName('nope')), NotFound, 'NOT_FOUND');
      await rejects(resolve(`${uniqueName('nope')}~1`), NotFound, 'NOT_FOUND');
    });

    it('rejects malformed expressions with InvalidInput before reaching the store', () => {
      for (const bad of ['', '@', 'main@', 'main@xyz', 'main@12', '1main', 'a..b', 'main*', 'main*yesterday', 'main~x', '/main', 'main/', 'ma in']) {
        let err: unknown;
        try {
          parseRefExpression(bad);
        } catch (e) {
          err = e;
        }
        expect(err, `expression ${JSON.stringify(bad)}`).toBeInstanceOf(InvalidInput);
        expect((err as InvalidInput).code).toBe('INVALID_INPUT');
      }
    });
  });
}
