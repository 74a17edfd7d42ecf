/** Reads: log (order, paging, filters), entries, getContent(s), diff and commonAncestor. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Commit, Reference } from '../../../src/ports/version-store.js';
import {
  allPages, between, commitOps, del, freshBranch, hashes, linearHistory, ns, put, type StoreContext, stripId, table,
  uniqueName, updated,
} from './support.js';

export function describeHistory(ctx: StoreContext): void {
  describe('log', () => {
    let branch: Reference;
    let commits: Commit[]; // oldest first, as read back with getCommit
    const authors = ['alice', 'bob', 'alice', 'carol', 'alice'];
    const messages = ['load raw', 'fix typo', 'load silver', 'rebuild gold', 'load gold'];

    beforeAll(async () => {
      const { store } = ctx;
      branch = await freshBranch(store, 'log');
      const made = await linearHistory(store, branch.name, 5, { gapMs: 25, authors, messages });
      commits = [];
      for (const c of made) commits.push(await store.getCommit(c.hash));
    });

    it('lists commits newest first by first parents', async () => {
      const { store } = ctx;
      const page = await store.log(commits[4]!.hash, { first: 100 });
      expect(hashes(page.items)).toEqual(hashes([...commits].reverse()));
      expect(page.nextCursor).toBeNull();
      expect(page.items.map((c) => c.author)).toEqual([...authors].reverse());
      expect(page.items[0]).toEqual(commits[4]);
      // from an older commit, only its ancestors
      expect(hashes((await store.log(commits[1]!.hash, { first: 100 })).items)).toEqual([commits[1]!.hash, commits[0]!.hash]);
      // the empty commit has no history
      expect(await store.log(store.noAncestorHash, { first: 10 })).toEqual({ items: [], nextCursor: null });
    });

    it('pages with a cursor', async () => {
      const { store } = ctx;
      const pages = await allPages((after) => store.log(commits[4]!.hash, { first: 2, after }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(hashes(pages.flat())).toEqual(hashes([...commits].reverse()));
    });

    it('filters by author, message, time window and touched key', async () => {
      const { store } = ctx;
      const tip = commits[4]!.hash;
      const log = async (filter: NonNullable<Parameters<typeof store.log>[1]['filter']>) =>
        hashes((await allPages((after) => store.log(tip, { first: 2, after, filter }))).flat());
      const at = (i: number) => commits[i]!.hash;

      expect(await log({ author: 'alice' })).toEqual([at(4), at(2), at(0)]);
      expect(await log({ author: 'nobody' })).toEqual([]);
      expect(await log({ messageContains: 'load' })).toEqual([at(4), at(2), at(0)]);
      expect(await log({ messageContains: 'typo' })).toEqual([at(1)]);
      const t01 = between(commits[0]!.commitTime, commits[1]!.commitTime);
      const t23 = between(commits[2]!.commitTime, commits[3]!.commitTime);
      expect(await log({ since: t01 })).toEqual([at(4), at(3), at(2), at(1)]);
      expect(await log({ until: t23 })).toEqual([at(2), at(1), at(0)]);
      expect(await log({ since: t01, until: t23 })).toEqual([at(2), at(1)]);
      expect(await log({ touchesKey: 'h3' })).toEqual([at(3)]);
      expect(await log({ touchesKey: 'nope' })).toEqual([]);
      expect(await log({ author: 'alice', messageContains: 'gold', since: t01 })).toEqual([at(4)]);
    });

    it('logs a tag', async () => {
      const { store } = ctx;
      const tag = await store.createReference(uniqueName('logtag'), 'TAG', commits[2]!.hash);
      expect(hashes((await store.log(tag.hash, { first: 10 })).items)).toEqual([at(2), at(1), at(0)]);
      function at(i: number) {
        return commits[i]!.hash;
      }
    });

    it('records a merge commit with the source hash as second parent', async () => {
      const { store } = ctx;
      const target = await freshBranch(store, 'logmerge-into', commits[1]!.hash);
      const t1 = await commitOps(store, target.name, [put('other', table())]);
      const out = await store.merge({ fromHash: commits[4]!.hash, fromRefName: branch.name, into: target.name, meta: { message: 'merge it' } });
      expect(out.fastForward).toBe(false);
      const merged = await store.getCommit(out.hash);
      expect(merged.parentHashes).toEqual([t1.commit.hash, commits[4]!.hash]);
      expect(merged.message).toBe('merge it');
      const log = (await store.log(out.hash, { first: 10 })).items;
      // first parents only: merge, t1, commits[1], commits[0]
      expect(hashes(log)).toEqual([out.hash, t1.commit.hash, commits[1]!.hash, commits[0]!.hash]);
      expect(log[0]!.parentHashes).toContain(commits[4]!.hash);
    });
  });

  describe('entries, contents and diff', () => {
    it('lists entries recursively under a namespace, sorted and paged', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'entries');
      const c = await commitOps(store, b.name, [
        put('e', ns('e')), put('e.z', table()), put('e.a', ns('e.a')), put('e.a.t2', table()), put('e.t1', table()),
        put('f', ns('f')), put('f.t3', table()), put('ea', table()),
      ]);
      const h = c.commit.hash;
      const all = (await allPages((after) => store.entries(h, { first: 3, after }))).flat();
      expect(all.map((e) => e.key)).toEqual(['e', 'e.a', 'e.a.t2', 'e.t1', 'e.z', 'ea', 'f', 'f.t3']);
      for (const e of all) {
        expect(e.contentId).toBe(c.addedContentIds[e.key]);
        expect(e.type).toBe(['e', 'e.a', 'f'].includes(e.key) ? 'NAMESPACE' : 'ICEBERG_TABLE');
      }
      const pages = await allPages((after) => store.entries(h, { first: 2, after, namespace: 'e' }));
      expect(pages.map((p) => p.length)).toEqual([2, 2]);
      expect(pages.flat().map((e) => e.key)).toEqual(['e.a', 'e.a.t2', 'e.t1', 'e.z']);
      expect((await store.entries(h, { first: 10, namespace: 'e.a' })).items.map((e) => e.key)).toEqual(['e.a.t2']);
      expect(await store.entries(h, { first: 10, namespace: 'nothing' })).toEqual({ items: [], nextCursor: null });
      expect(await store.entries(store.noAncestorHash, { first: 10 })).toEqual({ items: [], nextCursor: null });
    });

    it('reads one or many contents by key', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'contents');
      const t = table({ snapshotId: '1234567890123456789', schemaId: 7 });
      const c = await commitOps(store, b.name, [put('g', ns('g', { a: 'b' })), put('g.t', t)]);
      expect(stripId(await store.getContent(c.commit.hash, 'g.t'))).toEqual(t);
      expect(await store.getContent(c.commit.hash, 'g.missing')).toBeNull();
      expect(await store.getContent(store.noAncestorHash, 'g.t')).toBeNull();
      const many = await store.getContents(c.commit.hash, ['g', 'g.t', 'g.missing', 'nope']);
      expect([...many.keys()].sort()).toEqual(['g', 'g.t']);
      expect(many.get('g.t')).toEqual({ ...t, id: c.addedContentIds['g.t'] });
      expect(many.get('g')).toEqual({ ...ns('g', { a: 'b' }), id: c.addedContentIds['g'] });
      expect((await store.getContents(c.commit.hash, [])).size).toBe(0);
    });

    it('diffs two commits: ADDED, REMOVED, MODIFIED, sorted by key', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'diff');
      const base = await commitOps(store, b.name, [put('d', ns('d')), put('d.keep', table()), put('d.mod', table()), put('d.rem', table())]);
      const other = await freshBranch(store, 'diff-to', base.commit.hash);
      const mod = (await store.getContent(base.commit.hash, 'd.mod'))!;
      const next = updated(mod);
      const to = await commitOps(store, other.name, [put('d.mod', next), del('d.rem'), put('d.add', table())]);
      const rem = (await store.getContent(base.commit.hash, 'd.rem'))!;
      const add = (await store.getContent(to.commit.hash, 'd.add'))!;

      const diff = await store.diff(base.commit.hash, to.commit.hash);
      expect(diff).toEqual([
        { key: 'd.add', change: 'ADDED', contentType: 'ICEBERG_TABLE', from: null, to: add },
        { key: 'd.mod', change: 'MODIFIED', contentType: 'ICEBERG_TABLE', from: mod, to: { ...next, id: mod.id } },
        { key: 'd.rem', change: 'REMOVED', contentType: 'ICEBERG_TABLE', from: rem, to: null },
      ]);
      const back = await store.diff(to.commit.hash, base.commit.hash);
      expect(back.map((d) => [d.key, d.change])).toEqual([['d.add', 'REMOVED'], ['d.mod', 'MODIFIED'], ['d.rem', 'ADDED']]);
      expect(await store.diff(base.commit.hash, base.commit.hash)).toEqual([]);
      const fromEmpty = await store.diff(store.noAncestorHash, base.commit.hash);
      expect(fromEmpty.map((d) => [d.key, d.change, d.contentType])).toEqual([
        ['d', 'ADDED', 'NAMESPACE'], ['d.keep', 'ADDED', 'ICEBERG_TABLE'], ['d.mod', 'ADDED', 'ICEBERG_TABLE'], ['d.rem', 'ADDED', 'ICEBERG_TABLE'],
      ]);
    });

    it('finds the closest common ancestor of two commits', async () => {
      const { store } = ctx;
      const a = await freshBranch(store, 'ca-a');
      const c1 = await commitOps(store, a.name, [put('ca', ns('ca'))]);
      const c2 = await commitOps(store, a.name, [put('ca.x', table())]);
      const b = await freshBranch(store, 'ca-b', c2.commit.hash);
      const a3 = await commitOps(store, a.name, [put('ca.y', table())]);
      const b3 = await commitOps(store, b.name, [put('ca.z', table())]);
      expect(await store.commonAncestor(a3.commit.hash, b3.commit.hash)).toBe(c2.commit.hash);
      expect(await store.commonAncestor(b3.commit.hash, a3.commit.hash)).toBe(c2.commit.hash);
      expect(await store.commonAncestor(c1.commit.hash, a3.commit.hash)).toBe(c1.commit.hash);
      expect(await store.commonAncestor(a3.commit.hash, a3.commit.hash)).toBe(a3.commit.hash);
    });
  });
}
