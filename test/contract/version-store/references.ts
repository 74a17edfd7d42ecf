/** References: create, get, list (sorted, filtered, paged), delete and assign with compare-and-swap. */
import { describe, expect, it } from 'vitest';
import { AlreadyExists, DomainError, NotFound, ReferenceConflict } from '../../../src/domain/errors.js';
import type { RefName } from '../../../src/domain/refs.js';
import type { Reference } from '../../../src/ports/version-store.js';
import { allPages, commitOps, freshBranch, head, ns, put, rejects, type StoreContext, uniqueName, unknownHash } from './support.js';

export function describeReferences(ctx: StoreContext): void {
  describe('references', () => {
    it('creates a branch and a tag from a hash and reads them back', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'src');
      expect(b.type).toBe('BRANCH');
      expect(b.hash).toBe(store.noAncestorHash);
      const c = await commitOps(store, b.name, [put('ref_ns', ns('ref_ns'))]);

      const branchName = uniqueName('br');
      const created = await store.createReference(branchName, 'BRANCH', c.commit.hash);
      expect(created).toEqual({ name: branchName, type: 'BRANCH', hash: c.commit.hash });
      expect(await store.getReference(branchName)).toEqual(created);

      const tagName = uniqueName('tag');
      const tag = await store.createReference(tagName, 'TAG', c.commit.hash);
      expect(tag).toEqual({ name: tagName, type: 'TAG', hash: c.commit.hash });
      expect(await store.getReference(tagName)).toEqual(tag);
    });

    it('has a default branch that exists', async () => {
      const { store } = ctx;
      const name = await store.defaultBranch();
      const ref = await store.getReference(name);
      expect(ref.type).toBe('BRANCH');
      expect(ref.name).toBe(name);
    });

    it('lists references sorted by name, filtered by type and prefix, across pages', async () => {
      const { store } = ctx;
      const prefix = uniqueName('list');
      const names = ['b1', 'b3', 'b5', 'a2', 'a4', 'c6'].map((s) => `${prefix}/${s}` as RefName);
      const branches = new Set([names[0], names[1], names[2], names[5]]);
      for (const n of names) await store.createReference(n, branches.has(n) ? 'BRANCH' : 'TAG', store.noAncestorHash);
      const sorted = [...names].sort();

      const pages = await allPages((after) => store.listReferences({ first: 2, after, nameStartsWith: `${prefix}/` }));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
      const all = pages.flat();
      expect(all.map((r) => r.name)).toEqual(sorted);
      for (const r of all) {
        expect(r.type).toBe(branches.has(r.name) ? 'BRANCH' : 'TAG');
        expect(r.hash).toBe(store.noAncestorHash);
      }

      const tags = (await allPages((after) => store.listReferences({ first: 1, after, type: 'TAG', nameStartsWith: prefix }))).flat();
      expect(tags.map((r) => r.name)).toEqual(sorted.filter((n) => !branches.has(n)));
      expect(tags.every((r) => r.type === 'TAG')).toBe(true);

      const onlyB = await store.listReferences({ first: 100, type: 'BRANCH', nameStartsWith: `${prefix}/b` });
      expect(onlyB.items.map((r) => r.name)).toEqual([`${prefix}/b1`, `${prefix}/b3`, `${prefix}/b5`]);
      expect(onlyB.nextCursor).toBeNull();

      const none = await store.listReferences({ first: 10, nameStartsWith: `${prefix}/zzz` });
      expect(none).toEqual({ items: [], nextCursor: null });
    });

    it('lists every reference (no filter) in name order, including the default branch', async () => {
      const { store } = ctx;
      const mine = await freshBranch(store, 'all');
      const seen: Reference[] = (await allPages((after) => store.listReferences({ first: 1000, after }), 1000)).flat();
      const names = seen.map((r) => r.name);
      expect(names).toEqual([...names].sort());
      expect(names).toContain(mine.name);
      expect(names).toContain(await store.defaultBranch());
    });

    it('rejects a duplicate name, whether branch or tag', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'dup');
      await rejects(store.createReference(b.name, 'BRANCH', store.noAncestorHash), AlreadyExists, 'ALREADY_EXISTS');
      await rejects(store.createReference(b.name, 'TAG', store.noAncestorHash), AlreadyExists, 'ALREADY_EXISTS');
      const t = await store.createReference(uniqueName('duptag'), 'TAG', store.noAncestorHash);
      await rejects(store.createReference(t.name, 'BRANCH', store.noAncestorHash), AlreadyExists, 'ALREADY_EXISTS');
      expect(await store.getReference(b.name)).toEqual(b);
      expect(await store.getReference(t.name)).toEqual(t);
    });

    it('reports unknown references and hashes as NotFound', async () => {
      const { store } = ctx;
      const missing = uniqueName('missing');
      await rejects(store.getReference(missing), NotFound, 'NOT_FOUND');
      await rejects(store.deleteReference(missing, 'BRANCH'), NotFound, 'NOT_FOUND');
      await rejects(store.assignReference(missing, 'BRANCH', store.noAncestorHash), NotFound, 'NOT_FOUND');
      await rejects(store.createReference(uniqueName('at-unknown'), 'BRANCH', unknownHash()), NotFound, 'NOT_FOUND');
      await rejects(store.getCommit(unknownHash()), NotFound, 'NOT_FOUND');
      const b = await freshBranch(store, 'assign-unknown');
      await rejects(store.assignReference(b.name, 'BRANCH', unknownHash()), NotFound, 'NOT_FOUND');
      expect(await head(store, b.name)).toBe(store.noAncestorHash);
    });

    it('deletes without expectedHash and returns the reference as it was', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'del');
      const c = await commitOps(store, b.name, [put('del_ns', ns('del_ns'))]);
      const gone = await store.deleteReference(b.name, 'BRANCH');
      expect(gone).toEqual({ name: b.name, type: 'BRANCH', hash: c.commit.hash });
      await rejects(store.getReference(b.name), NotFound, 'NOT_FOUND');
      // the commit itself is still readable by hash
      expect((await store.getCommit(c.commit.hash)).hash).toBe(c.commit.hash);

      const t = await store.createReference(uniqueName('deltag'), 'TAG', c.commit.hash);
      expect(await store.deleteReference(t.name, 'TAG')).toEqual(t);
      await rejects(store.getReference(t.name), NotFound, 'NOT_FOUND');
    });

    it('deletes with a current expectedHash; a stale one is a ReferenceConflict and nothing changes', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'delcas');
      const c = await commitOps(store, b.name, [put('cas_ns', ns('cas_ns'))]);
      const err = await rejects(store.deleteReference(b.name, 'BRANCH', store.noAncestorHash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(err.expectedHash).toBe(store.noAncestorHash);
      expect(err.actualHash).toBe(c.commit.hash);
      expect(await head(store, b.name)).toBe(c.commit.hash);

      const t = await store.createReference(uniqueName('delcastag'), 'TAG', c.commit.hash);
      const terr = await rejects(store.deleteReference(t.name, 'TAG', store.noAncestorHash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(terr.expectedHash).toBe(store.noAncestorHash);
      expect(terr.actualHash).toBe(c.commit.hash);
      expect(await store.getReference(t.name)).toEqual(t);

      expect((await store.deleteReference(b.name, 'BRANCH', c.commit.hash)).hash).toBe(c.commit.hash);
      expect((await store.deleteReference(t.name, 'TAG', c.commit.hash)).hash).toBe(c.commit.hash);
      await rejects(store.getReference(b.name), NotFound, 'NOT_FOUND');
      await rejects(store.getReference(t.name), NotFound, 'NOT_FOUND');
    });

    it('refuses to delete the default branch and keeps it', async () => {
      const { store } = ctx;
      const name = await store.defaultBranch();
      const before = await store.getReference(name);
      let deleted = false;
      try {
        await store.deleteReference(name, 'BRANCH', before.hash);
        deleted = true;
      } catch (e) {
        expect(e).toBeInstanceOf(DomainError);
      } finally {
        // never leave a shared server without its default branch
        if (deleted) await store.createReference(name, 'BRANCH', before.hash).catch(() => undefined);
      }
      expect(deleted).toBe(false);
      expect((await store.getReference(name)).type).toBe('BRANCH');
    });

    it('assigns (resets) a branch and a tag with compare-and-swap', async () => {
      const { store } = ctx;
      const b = await freshBranch(store, 'assign');
      const c1 = await commitOps(store, b.name, [put('as_ns', ns('as_ns'))]);
      const c2 = await commitOps(store, b.name, [put('as_ns2', ns('as_ns2'))]);

      const back = await store.assignReference(b.name, 'BRANCH', c1.commit.hash, c2.commit.hash);
      expect(back).toEqual({ name: b.name, type: 'BRANCH', hash: c1.commit.hash });
      expect(await head(store, b.name)).toBe(c1.commit.hash);

      const err = await rejects(store.assignReference(b.name, 'BRANCH', c2.commit.hash, c2.commit.hash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(err.expectedHash).toBe(c2.commit.hash);
      expect(err.actualHash).toBe(c1.commit.hash);
      expect(await head(store, b.name)).toBe(c1.commit.hash);

      // without expectedHash: unconditional; to any known commit, even one not on the branch
      const other = await freshBranch(store, 'assign-other');
      const o1 = await commitOps(store, other.name, [put('other_ns', ns('other_ns'))]);
      expect((await store.assignReference(b.name, 'BRANCH', o1.commit.hash)).hash).toBe(o1.commit.hash);
      expect(await head(store, b.name)).toBe(o1.commit.hash);

      const t = await store.createReference(uniqueName('assigntag'), 'TAG', c1.commit.hash);
      expect((await store.assignReference(t.name, 'TAG', c2.commit.hash, c1.commit.hash)).hash).toBe(c2.commit.hash);
      const terr = await rejects(store.assignReference(t.name, 'TAG', c1.commit.hash, c1.commit.hash), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(terr.expectedHash).toBe(c1.commit.hash);
      expect(terr.actualHash).toBe(c2.commit.hash);
      expect((await store.getReference(t.name)).hash).toBe(c2.commit.hash);
    });
  });
}
