/** Merge (fast-forward, three-way, dry run, conflicts, key behaviours) and cherry-pick. */
import { describe, expect, it } from 'vitest';
import { MergeConflict, NotFound, ReferenceConflict } from '../../../src/domain/errors.js';
import type { StoredContent } from '../../../src/domain/content.js';
import type { VersionStore } from '../../../src/ports/version-store.js';
import {
  commitOps, freshBranch, hashes, head, ns, put, rejects, type StoreContext, table, uniqueName, unknownHash, updated,
} from './support.js';

/** base: namespace m with tables m.shared and m.other; source and target forked from it. */
async function forked(store: VersionStore) {
  const target = await freshBranch(store, 'into');
  const base = await commitOps(store, target.name, [put('m', ns('m')), put('m.shared', table()), put('m.other', table())], 'base');
  const source = await freshBranch(store, 'from', base.commit.hash);
  const shared = (await store.getContent(base.commit.hash, 'm.shared'))!;
  const other = (await store.getContent(base.commit.hash, 'm.other'))!;
  return { target, source, base: base.commit.hash, shared, other };
}

/** Both sides modify m.shared; the source also adds m.fromsource; the target also adds m.fromtarget. */
async function conflicting(store: VersionStore) {
  const f = await forked(store);
  const srcShared = updated(f.shared, 'source');
  const tgtShared = updated(f.shared, 'target');
  const s1 = await commitOps(store, f.source.name, [put('m.shared', srcShared), put('m.fromsource', table())], 'source side');
  const t1 = await commitOps(store, f.target.name, [put('m.shared', tgtShared), put('m.fromtarget', table())], 'target side');
  return { ...f, srcHead: s1.commit.hash, tgtHead: t1.commit.hash, srcShared, tgtShared };
}

const contentAt = (store: VersionStore, hash: string, key: string) => store.getContent(hash as never, key);

export function describeMerge(ctx: StoreContext): void {
  describe('merge', () => {
    it('fast-forwards when the target head is the common ancestor', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.n1', table())]);
      const s2 = await commitOps(store, f.source.name, [put('m.n2', table())]);
      const out = await store.merge({ fromHash: s2.commit.hash, fromRefName: f.source.name, into: f.target.name, expectedHash: f.base });
      expect(out).toMatchObject({ hash: s2.commit.hash, previousHash: f.base, commonAncestor: f.base, fastForward: true, applied: true });
      expect([...out.changedKeys].sort()).toEqual(['m.n1', 'm.n2']);
      expect(await head(store, f.target.name)).toBe(s2.commit.hash);
      expect(hashes((await store.log(s2.commit.hash, { first: 3 })).items)).toEqual([s2.commit.hash, s1.commit.hash, f.base]);
    });

    it('writes a merge commit instead of fast-forwarding when asked (noFastForward)', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.n1', table())]);
      const out = await store.merge({
        fromHash: s1.commit.hash, fromRefName: f.source.name, into: f.target.name, expectedHash: f.base, noFastForward: true,
        meta: { message: 'publish run', author: 'run', properties: { run_id: 'r-1' } },
      });
      expect(out).toMatchObject({ previousHash: f.base, fastForward: false, applied: true });
      expect(out.hash).not.toBe(s1.commit.hash);
      expect(await head(store, f.target.name)).toBe(out.hash);
      const mc = await store.getCommit(out.hash);
      expect(mc.parentHashes[0]).toBe(f.base);
      expect(mc.properties).toMatchObject({ run_id: 'r-1' });
      expect(await store.getContent(out.hash, 'm.n1')).not.toBeNull();
    });

    // A fresh catalog's main has no commits: the first WAP run merges into it.
    it('merges into a branch that has no commits yet, fast-forward or with a merge commit', async () => {
      const { store } = ctx;
      for (const noFastForward of [false, true]) {
        const target = await freshBranch(store, 'empty-into');
        const source = await freshBranch(store, 'from-empty');
        const s1 = await commitOps(store, source.name, [put('m', ns('m')), put('m.n1', table())]);
        const out = await store.merge({
          fromHash: s1.commit.hash, fromRefName: source.name, into: target.name, expectedHash: store.noAncestorHash, noFastForward,
          meta: { message: 'first publish', author: 'run', properties: { run_id: 'r-0' } },
        });
        expect(out).toMatchObject({ previousHash: store.noAncestorHash, fastForward: !noFastForward, applied: true });
        expect([...out.changedKeys].sort()).toEqual(['m', 'm.n1']);
        expect(await head(store, target.name)).toBe(out.hash);
        expect(await store.getContent(out.hash, 'm.n1')).not.toBeNull();
        if (noFastForward) {
          const mc = await store.getCommit(out.hash);
          expect(mc.properties).toMatchObject({ run_id: 'r-0' });
          // Its parents reach the source (Nessie cannot give a commit the empty root as a parent).
          expect(mc.parentHashes).toContain(s1.commit.hash);
        } else {
          expect(out.hash).toBe(s1.commit.hash);
        }
      }
    });

    it('creates one merge commit for a three-way merge', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const next = updated(f.other, 'src');
      const s1 = await commitOps(store, f.source.name, [put('m.n1', table()), put('m.other', next)]);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      const out = await store.merge({
        fromHash: s1.commit.hash, fromRefName: f.source.name, into: f.target.name, expectedHash: t1.commit.hash,
        meta: { message: 'merge from source', author: 'merger' },
      });
      expect(out).toMatchObject({ previousHash: t1.commit.hash, commonAncestor: f.base, fastForward: false, applied: true });
      expect([...out.changedKeys].sort()).toEqual(['m.n1', 'm.other']);
      expect(await head(store, f.target.name)).toBe(out.hash);
      const mc = await store.getCommit(out.hash);
      expect(mc.parentHashes).toEqual([t1.commit.hash, s1.commit.hash]);
      expect(mc.message).toBe('merge from source');
      expect(mc.author).toBe('merger');
      const contents = await store.getContents(out.hash, ['m.n1', 'm.t1', 'm.other', 'm.shared']);
      expect([...contents.keys()].sort()).toEqual(['m.n1', 'm.other', 'm.shared', 'm.t1']);
      expect(contents.get('m.other')).toEqual({ ...next, id: f.other.id });
      expect(contents.get('m.n1')?.id).toBe(s1.addedContentIds['m.n1']);
      expect(await head(store, f.source.name)).toBe(s1.commit.hash);
    });

    it('changes nothing on a dry run', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.n1', table())]);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      const out = await store.merge({ fromHash: s1.commit.hash, into: f.target.name, dryRun: true });
      expect(out).toMatchObject({ hash: t1.commit.hash, previousHash: t1.commit.hash, commonAncestor: f.base, applied: false });
      expect(out.changedKeys).toEqual(['m.n1']);
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
      expect(await store.getContent(t1.commit.hash, 'm.n1')).toBeNull();
      // a dry run of a fast-forward does not move the target either
      const atBase = await freshBranch(store, 'dryff', f.base);
      const ff = await store.merge({ fromHash: s1.commit.hash, into: atBase.name, dryRun: true });
      expect(ff).toMatchObject({ hash: f.base, previousHash: f.base, applied: false });
      expect(await head(store, atBase.name)).toBe(f.base);
    });

    it('reports a key changed on both sides as a MergeConflict and changes nothing', async () => {
      const { store } = ctx;
      const c = await conflicting(store);
      const err = await rejects(store.merge({ fromHash: c.srcHead, fromRefName: c.source.name, into: c.target.name, expectedHash: c.tgtHead }), MergeConflict, 'MERGE_CONFLICT');
      expect(err.conflicts).toEqual([expect.objectContaining({ key: 'm.shared', type: 'VALUE_DIFFERS' })]);
      expect(err.commonAncestor).toBe(c.base);
      expect(await head(store, c.target.name)).toBe(c.tgtHead);
      expect(await contentAt(store, c.tgtHead, 'm.fromsource')).toBeNull();
      // a dry run reports the same conflict
      const dry = await rejects(store.merge({ fromHash: c.srcHead, into: c.target.name, dryRun: true }), MergeConflict, 'MERGE_CONFLICT');
      expect(dry.conflicts.map((x) => x.key)).toEqual(['m.shared']);
    });

    it('merges a namespace added or changed on both sides without a conflict; the source version wins', async () => {
      const { store } = ctx;
      const f = await forked(store);
      await commitOps(store, f.source.name, [put('m.both', ns('m.both', { side: 'source' }))]);
      const t1 = await commitOps(store, f.target.name, [put('m.both', ns('m.both', { side: 'target' }))]);
      const src = await store.getReference(f.source.name);
      const out = await store.merge({ fromHash: src.hash, fromRefName: f.source.name, into: f.target.name, expectedHash: t1.commit.hash });
      expect(out).toMatchObject({ applied: true, fastForward: false });
      const merged = (await contentAt(store, out.hash, 'm.both')) as StoredContent & { properties: Record<string, string> };
      expect(merged).toMatchObject({ type: 'NAMESPACE', elements: ['m', 'both'], properties: { side: 'source' } });
    });

    it('FORCE on a key takes the source value; DROP keeps the target value', async () => {
      const { store } = ctx;
      const c = await conflicting(store);
      const forced = await store.merge({
        fromHash: c.srcHead, into: c.target.name, expectedHash: c.tgtHead, keyBehaviors: [{ key: 'm.shared', behavior: 'FORCE' }],
      });
      expect(forced.applied).toBe(true);
      const fc = await store.getContents(forced.hash, ['m.shared', 'm.fromsource', 'm.fromtarget']);
      expect(fc.get('m.shared')).toEqual({ ...c.srcShared, id: c.shared.id });
      expect(fc.has('m.fromsource')).toBe(true);
      expect(fc.has('m.fromtarget')).toBe(true);

      const d = await conflicting(store);
      const dropped = await store.merge({
        fromHash: d.srcHead, into: d.target.name, expectedHash: d.tgtHead, keyBehaviors: [{ key: 'm.shared', behavior: 'DROP' }],
      });
      const dc = await store.getContents(dropped.hash, ['m.shared', 'm.fromsource']);
      expect(dc.get('m.shared')).toEqual({ ...d.tgtShared, id: d.shared.id });
      expect(dc.has('m.fromsource')).toBe(true);
    });

    it('DROP on a non-conflicting key leaves that change out', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.keep', table()), put('m.skip', table())]);
      await commitOps(store, f.target.name, [put('m.t1', table())]);
      const out = await store.merge({ fromHash: s1.commit.hash, into: f.target.name, keyBehaviors: [{ key: 'm.skip', behavior: 'DROP' }] });
      const got = await store.getContents(out.hash, ['m.keep', 'm.skip', 'm.t1']);
      expect([...got.keys()].sort()).toEqual(['m.keep', 'm.t1']);
    });

    it('applies defaultBehavior to every key without its own behaviour', async () => {
      const { store } = ctx;
      const c = await conflicting(store);
      const out = await store.merge({ fromHash: c.srcHead, into: c.target.name, defaultBehavior: 'FORCE' });
      expect((await store.getContent(out.hash, 'm.shared'))).toEqual({ ...c.srcShared, id: c.shared.id });

      const d = await conflicting(store);
      const kept = await store.merge({
        fromHash: d.srcHead, into: d.target.name, defaultBehavior: 'FORCE', keyBehaviors: [{ key: 'm.shared', behavior: 'NORMAL' }],
      }).catch((e: unknown) => e);
      expect(kept).toBeInstanceOf(MergeConflict);
      expect(await head(store, d.target.name)).toBe(d.tgtHead);

      const e = await conflicting(store);
      const dropAll = await store.merge({
        fromHash: e.srcHead, into: e.target.name, defaultBehavior: 'DROP', keyBehaviors: [{ key: 'm.fromsource', behavior: 'NORMAL' }],
      });
      const got = await store.getContents(dropAll.hash, ['m.shared', 'm.fromsource']);
      expect(got.get('m.shared')).toEqual({ ...e.tgtShared, id: e.shared.id });
      expect(got.has('m.fromsource')).toBe(true);
    });

    it('treats merging an already-contained commit, or a branch into itself, as a no-op', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      for (const fromHash of [f.base, t1.commit.hash]) {
        const out = await store.merge({ fromHash, into: f.target.name });
        expect(out).toMatchObject({ hash: t1.commit.hash, previousHash: t1.commit.hash, applied: false });
        expect(out.changedKeys).toEqual([]);
      }
      const self = await store.merge({ fromHash: t1.commit.hash, fromRefName: f.target.name, into: f.target.name, expectedHash: t1.commit.hash });
      expect(self).toMatchObject({ hash: t1.commit.hash, applied: false });
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
      expect(hashes((await store.log(t1.commit.hash, { first: 10 })).items)).toEqual([t1.commit.hash, f.base]);
    });

    it('rejects a stale expectedHash, an unknown target and an unknown source', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.n1', table())]);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      const err = await rejects(store.merge({ fromHash: s1.commit.hash, into: f.target.name, expectedHash: f.base }), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(err.expectedHash).toBe(f.base);
      expect(err.actualHash).toBe(t1.commit.hash);
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
      await rejects(store.merge({ fromHash: s1.commit.hash, into: uniqueName('nobranch') }), NotFound, 'NOT_FOUND');
      await rejects(store.merge({ fromHash: unknownHash(), into: f.target.name }), NotFound, 'NOT_FOUND');
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
    });
  });

  describe('cherry-pick', () => {
    it('re-applies a list of commits, in order, onto another branch', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.p1', table())], 'pick one');
      const s2 = await commitOps(store, f.source.name, [put('m.p2', table())], 'not picked');
      const s3 = await commitOps(store, f.source.name, [put('m.p3', table()), put('m.other', updated(f.other, 'p3'))], 'pick three');
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);

      const out = await store.cherryPick({ hashes: [s1.commit.hash, s3.commit.hash], fromRefName: f.source.name, into: f.target.name, expectedHash: t1.commit.hash });
      expect(out).toMatchObject({ previousHash: t1.commit.hash, applied: true });
      expect([...out.changedKeys].sort()).toEqual(['m.other', 'm.p1', 'm.p3']);
      expect(await head(store, f.target.name)).toBe(out.hash);
      const log = (await store.log(out.hash, { first: 3 })).items;
      expect(log[2]!.hash).toBe(t1.commit.hash);
      expect(log.slice(0, 2).map((c) => c.message)).toEqual(['pick three', 'pick one']);
      expect(log[0]!.hash).not.toBe(s3.commit.hash);
      const got = await store.getContents(out.hash, ['m.p1', 'm.p2', 'm.p3', 'm.t1', 'm.other']);
      expect([...got.keys()].sort()).toEqual(['m.other', 'm.p1', 'm.p3', 'm.t1']);
      expect((got.get('m.other') as StoredContent).id).toBe(f.other.id);
      expect(got.get('m.p1')?.id).toBe(s1.addedContentIds['m.p1']);
      expect(s2.commit.hash).not.toBe(out.hash);
      expect(await head(store, f.source.name)).toBe(s3.commit.hash);
    });

    it('rejects a stale expectedHash and changes nothing', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.p1', table())]);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      const err = await rejects(store.cherryPick({ hashes: [s1.commit.hash], into: f.target.name, expectedHash: f.base }), ReferenceConflict, 'REFERENCE_CONFLICT');
      expect(err.actualHash).toBe(t1.commit.hash);
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
    });

    it('changes nothing on a dry run', async () => {
      const { store } = ctx;
      const f = await forked(store);
      const s1 = await commitOps(store, f.source.name, [put('m.p1', table())]);
      const t1 = await commitOps(store, f.target.name, [put('m.t1', table())]);
      const out = await store.cherryPick({ hashes: [s1.commit.hash], fromRefName: f.source.name, into: f.target.name, dryRun: true });
      expect(out).toMatchObject({ hash: t1.commit.hash, previousHash: t1.commit.hash, applied: false });
      expect(await head(store, f.target.name)).toBe(t1.commit.hash);
      expect(await store.getContent(t1.commit.hash, 'm.p1')).toBeNull();
    });
  });
}
