/** Commits: atomic multi-operation commits, metadata, content ids, namespaces as content. */
import { describe, expect, it } from 'vitest';
import { AlreadyExists, DomainError, InvalidInput, NotFound, ReferenceConflict } from '../../../src/domain/errors.js';
import type { StoredContent } from '../../../src/domain/content.js';
import {
  commitOps, del, freshBranch, head, meta, ns, put, rejects, stripId, type StoreContext, table, uniqueName, updated,
} from './support.js';

export function describeCommits(ctx: StoreContext): void {
  describe('commits', () => {
    it('applies several PUT and DELETE operations as one commit and records its metadata', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'commit');
      const base = await commitOps(store, b.name, [put('sales', ns('sales', { owner: 'ops' })), put('sales.old', table())], 'base');

      const t1 = table({ snapshotId: '9223372036854775807', schemaId: 3, specId: 1, sortOrderId: 2 });
      const t2 = table({ snapshotId: '-1' });
      const authorTime = new Date('2024-05-06T07:08:09.123Z');
      const res = await store.commit(
        b.name,
        base.commit.hash,
        meta('load sales', { author: 'alice <alice@example.com>', authorTime, properties: { 'job-id': '42', source: 'contract' } }),
        [put('sales.orders', t1), put('sales.customers', t2), del('sales.old')],
      );

      expect(res.previousHash).toBe(base.commit.hash);
      expect(res.commit.parentHashes).toEqual([base.commit.hash]);
      expect(await head(store, b.name)).toBe(res.commit.hash);
      expect(Object.keys(res.addedContentIds).sort()).toEqual(['sales.customers', 'sales.orders']);

      for (const c of [res.commit, await store.getCommit(res.commit.hash), (await store.log(res.commit.hash, { first: 1 })).items[0]!]) {
        expect(c.hash).toBe(res.commit.hash);
        expect(c.parentHashes).toEqual([base.commit.hash]);
        expect(c.message).toBe('load sales');
        expect(c.author).toBe('alice <alice@example.com>');
        expect(c.authorTime?.getTime()).toBe(authorTime.getTime());
        expect(c.commitTime).toBeInstanceOf(Date);
        expect(c.properties).toEqual({ 'job-id': '42', source: 'contract' });
        const ops = [...c.operations].sort((a, z) => a.key.localeCompare(z.key));
        expect(ops.map((o) => [o.type, o.key])).toEqual([
          ['PUT', 'sales.customers'],
          ['DELETE', 'sales.old'],
          ['PUT', 'sales.orders'],
        ]);
        expect(ops.filter((o) => o.type === 'PUT').every((o) => o.contentType === 'ICEBERG_TABLE')).toBe(true);
      }

      const orders = await store.getContent(res.commit.hash, 'sales.orders');
      expect(orders).toEqual({ ...t1, id: res.addedContentIds['sales.orders'] });
      const customers = await store.getContent(res.commit.hash, 'sales.customers');
      expect(customers).toEqual({ ...t2, id: res.addedContentIds['sales.customers'] });
      expect(await store.getContent(res.commit.hash, 'sales.old')).toBeNull();
      // the previous commit is unchanged
      expect(await store.getContent(base.commit.hash, 'sales.old')).not.toBeNull();
      expect(await store.getContent(base.commit.hash, 'sales.orders')).toBeNull();
      const salesNs = await store.getContent(res.commit.hash, 'sales');
      expect(stripId(salesNs)).toEqual(ns('sales', { owner: 'ops' }));
    });

    it('defaults authorTime to the commit time', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'authortime');
      const res = await commitOps(store, b.name, [put('at_ns', ns('at_ns'))]);
      const c = await store.getCommit(res.commit.hash);
      expect(c.authorTime).not.toBeNull();
      expect(Math.abs(c.authorTime!.getTime() - c.commitTime.getTime())).toBeLessThan(1000);
    });

    it('first commit on a fresh branch has the empty commit as its parent', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'first');
      const res = await commitOps(store, b.name, [put('first_ns', ns('first_ns'))]);
      expect(res.previousHash).toBe(store.noAncestorHash);
      expect((await store.getCommit(res.commit.hash)).parentHashes).toEqual([store.noAncestorHash]);
    });

    it('applies nothing when one operation fails (namespace absent) and names the key', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'atomic');
      const base = await commitOps(store, b.name, [put('good', ns('good'))]);
      const err = await rejects(
        commitOps(store, b.name, [put('good.t', table()), put('good.sub', ns('good.sub')), put('missing.t', table())], 'partial', base.commit.hash),
        NotFound,
        'NOT_FOUND',
      );
      expect(err.conflicts).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'missing', type: 'NAMESPACE_ABSENT' })]));
      expect(await head(store, b.name)).toBe(base.commit.hash);
      expect(await store.getContent(base.commit.hash, 'good.t')).toBeNull();
      expect((await store.entries(base.commit.hash, { first: 100 })).items.map((e) => e.key)).toEqual(['good']);
      expect((await store.log(base.commit.hash, { first: 10 })).items).toHaveLength(1);
    });

    it('rejects other bad operation sets as typed errors and applies nothing', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'badops');
      const base = await commitOps(store, b.name, [put('x', ns('x')), put('x.t', table())]);
      const existing = (await store.getContent(base.commit.hash, 'x.t'))!;

      // delete of a missing key
      await rejects(commitOps(store, b.name, [put('x.u', table()), del('x.nope')]), NotFound, 'NOT_FOUND');
      // PUT of new content (no id) over an existing key
      await rejects(commitOps(store, b.name, [put('x.u', table()), put('x.t', table())]), AlreadyExists, 'ALREADY_EXISTS');
      // the same key twice in one commit
      await rejects(commitOps(store, b.name, [put('x.u', table()), put('x.u', table())]), InvalidInput, 'INVALID_INPUT');
      await rejects(commitOps(store, b.name, [put('x.u', table()), del('x.u')]), InvalidInput, 'INVALID_INPUT');
      // updating with an id that is not the content's id
      const wrongId = { ...updated(existing), id: '00000000-0000-4000-8000-000000000000' };
      const wrong = commitOps(store, b.name, [put('x.t', wrongId)]);
      await expect(wrong).rejects.toBeInstanceOf(DomainError);
      // unknown branch
      await rejects(commitOps(store, uniqueName('nobranch'), [put('y', ns('y'))]), NotFound, 'NOT_FOUND');

      expect(await head(store, b.name)).toBe(base.commit.hash);
      expect(await store.getContent(base.commit.hash, 'x.t')).toEqual(existing);
    });

    it('returns new content ids, keeps them stable, and updates content by its id', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'ids');
      const c1 = await commitOps(store, b.name, [put('ids', ns('ids')), put('ids.a', table()), put('ids.b', table())]);
      const idA = c1.addedContentIds['ids.a'];
      const idB = c1.addedContentIds['ids.b'];
      expect(typeof idA).toBe('string');
      expect(typeof c1.addedContentIds['ids']).toBe('string');
      expect(new Set([idA, idB, c1.addedContentIds['ids']]).size).toBe(3);

      const a1 = (await store.getContent(c1.commit.hash, 'ids.a'))!;
      expect(a1.id).toBe(idA);
      const next = updated(a1);
      const c2 = await commitOps(store, b.name, [put('ids.a', next)], 'update a', c1.commit.hash);
      expect(c2.addedContentIds).toEqual({});
      const a2 = (await store.getContent(c2.commit.hash, 'ids.a'))!;
      expect(a2).toEqual({ ...next, id: idA });
      expect(a2).not.toEqual(a1);
      // an unrelated commit leaves ids alone
      const c3 = await commitOps(store, b.name, [put('ids.c', table())]);
      const all = await store.getContents(c3.commit.hash, ['ids.a', 'ids.b', 'ids.c']);
      expect(all.get('ids.a')?.id).toBe(idA);
      expect(all.get('ids.b')?.id).toBe(idB);
      expect(all.get('ids.c')?.id).toBe(c3.addedContentIds['ids.c']);
      // the old commit still shows the old value
      expect(await store.getContent(c1.commit.hash, 'ids.a')).toEqual(a1);

      // a table deleted and re-added is new content with a new id
      await commitOps(store, b.name, [del('ids.b')]);
      const c5 = await commitOps(store, b.name, [put('ids.b', table())]);
      expect(c5.addedContentIds['ids.b']).toBeDefined();
      expect(c5.addedContentIds['ids.b']).not.toBe(idB);
    });

    it('stores namespaces as content: tables need their namespace, nested namespaces need their parent', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'ns');
      const e1 = await rejects(commitOps(store, b.name, [put('lake.t', table())]), NotFound, 'NOT_FOUND');
      expect(e1.conflicts).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'lake', type: 'NAMESPACE_ABSENT' })]));
      const e2 = await rejects(commitOps(store, b.name, [put('lake.raw', ns('lake.raw'))]), NotFound, 'NOT_FOUND');
      expect(e2.conflicts).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'lake', type: 'NAMESPACE_ABSENT' })]));
      expect(await head(store, b.name)).toBe(store.noAncestorHash);

      // a top-level table needs no namespace; a namespace and its table may arrive in one commit
      const c1 = await commitOps(store, b.name, [put('toplevel', table()), put('lake', ns('lake')), put('lake.t', table())]);
      const c2 = await commitOps(store, b.name, [put('lake.raw', ns('lake.raw', { tier: 'bronze' })), put('lake.raw.events', table())]);
      const stored = (await store.getContent(c2.commit.hash, 'lake.raw')) as StoredContent;
      expect(stored.type).toBe('NAMESPACE');
      expect(stripId(stored)).toEqual(ns('lake.raw', { tier: 'bronze' }));
      expect(stored.id).toBe(c2.addedContentIds['lake.raw']);
      expect((await store.getContent(c2.commit.hash, 'lake'))?.id).toBe(c1.addedContentIds['lake']);
    });

    it('cannot delete a non-empty namespace, but can delete it together with its children', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'nsdel');
      const c1 = await commitOps(store, b.name, [put('d', ns('d')), put('d.e', ns('d.e')), put('d.e.t', table())]);
      for (const key of ['d', 'd.e']) {
        const err = await rejects(commitOps(store, b.name, [del(key)]), InvalidInput, 'INVALID_INPUT');
        expect(err.conflicts).toEqual(expect.arrayContaining([expect.objectContaining({ key, type: 'NAMESPACE_NOT_EMPTY' })]));
      }
      expect(await head(store, b.name)).toBe(c1.commit.hash);
      const c2 = await commitOps(store, b.name, [del('d.e.t'), del('d.e')]);
      expect((await store.entries(c2.commit.hash, { first: 10 })).items.map((e) => e.key)).toEqual(['d']);
      const c3 = await commitOps(store, b.name, [del('d')]);
      expect((await store.entries(c3.commit.hash, { first: 10 })).items).toEqual([]);
    });

    it('fails a commit on a stale expectedHash even when it touches a different key (strict compare-and-swap)', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'strict');
      const c1 = await commitOps(store, b.name, [put('s', ns('s')), put('s.a', table())]);
      const c2 = await commitOps(store, b.name, [put('s.b', table())], 'moves the head', c1.commit.hash);
      const err = await rejects(commitOps(store, b.name, [put('s.c', table())], 'stale', c1.commit.hash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(err.expectedHash).toBe(c1.commit.hash);
      expect(err.actualHash).toBe(c2.commit.hash);
      expect(await head(store, b.name)).toBe(c2.commit.hash);
      expect(await store.getContent(c2.commit.hash, 's.c')).toBeNull();
      // an expectedHash that is not on the branch at all is also a conflict
      const other = await freshBranch(store, 'strict-other');
      const o1 = await commitOps(store, other.name, [put('o', ns('o'))]);
      await rejects(commitOps(store, b.name, [put('s.d', table())], 'foreign', o1.commit.hash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(await head(store, b.name)).toBe(c2.commit.hash);
    });

    it('commits onto a branch created from another branch head without touching the source', async () => {
      const { store } = ctx;
      const a = await freshBranch(store, 'fork-a');
      const c1 = await commitOps(store, a.name, [put('f', ns('f'))]);
      const fork = await freshBranch(store, 'fork-b', c1.commit.hash);
      const c2 = await commitOps(store, fork.name, [put('f.t', table())], 'on fork', c1.commit.hash);
      expect(c2.commit.parentHashes).toEqual([c1.commit.hash]);
      expect(await head(store, a.name)).toBe(c1.commit.hash);
      expect(await store.getContent(c1.commit.hash, 'f.t')).toBeNull();
    });
  });
}
