/**
 * contentLog: one key's content at every commit of a log, read per page. Checked against what the
 * store answers commit by commit (log for the commits and pages, getContent for the content) over
 * creates, updates, deletes, re-creates (a new content id), commits that do not touch the key,
 * nested keys, three-way and no-fast-forward merges, and pages of every size.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidInput, NotFound } from '../../../src/domain/errors.js';
import type { ContentKey, StoredContent } from '../../../src/domain/content.js';
import type { CommitHash, RefName } from '../../../src/domain/refs.js';
import type { ContentAtCommit, VersionStore } from '../../../src/ports/version-store.js';
import { allPages, commitOps, del, freshBranch, head, ns, put, rejects, type StoreContext, table, unknownHash, updated } from './support.js';

/** Every page of contentLog and of log from `from`, `first` at a time. */
async function both(store: VersionStore, from: CommitHash, key: ContentKey, first: number) {
  const withContent = await allPages((after) => store.contentLog(from, key, { first, after }));
  const plain = await allPages((after) => store.log(from, { first, after }));
  return { withContent, plain };
}

/** contentLog agrees with log (same commits, same pages) and with getContent at every commit. */
async function expectAgrees(store: VersionStore, from: CommitHash, key: ContentKey, first: number): Promise<ContentAtCommit[]> {
  const { withContent, plain } = await both(store, from, key, first);
  expect(withContent.map((p) => p.map((x) => x.commit.hash))).toEqual(plain.map((p) => p.map((c) => c.hash)));
  const all = withContent.flat();
  expect(all.map((x) => x.commit)).toEqual(plain.flat());
  for (const x of all) expect(x.content, `${key} at ${x.commit.hash} (${x.commit.message})`).toEqual(await store.getContent(x.commit.hash, key));
  return all;
}

const contentIdOf = (c: StoredContent | null) => c?.id ?? null;

export function describeContentLog(ctx: StoreContext): void {
  describe('contentLog', () => {
    let branch: RefName;
    let tip: CommitHash;
    const KEY = 'cl.t';

    // 11 commits on one branch (oldest first): the namespace, the table created, an unrelated
    // commit, two updates, another table, the table deleted, unrelated, re-created (new id),
    // updated together with the other table, unrelated.
    beforeAll(async () => {
      const { store } = ctx;
      branch = (await freshBranch(store, 'clog')).name;
      await commitOps(store, branch, [put('cl', ns('cl'))], 'namespace');
      await commitOps(store, branch, [put(KEY, table())], 'create');
      await commitOps(store, branch, [put('cl.other', table())], 'unrelated 1');
      let cur = (await store.getContent(await head(store, branch), KEY))!;
      await commitOps(store, branch, [put(KEY, updated(cur, 'u1'))], 'update 1');
      cur = (await store.getContent(await head(store, branch), KEY))!;
      await commitOps(store, branch, [put(KEY, updated(cur, 'u2'))], 'update 2');
      await commitOps(store, branch, [put('cl.more', table())], 'unrelated 2');
      await commitOps(store, branch, [del(KEY)], 'delete');
      await commitOps(store, branch, [del('cl.more')], 'unrelated 3');
      await commitOps(store, branch, [put(KEY, table())], 'recreate');
      cur = (await store.getContent(await head(store, branch), KEY))!;
      const other = (await store.getContent(await head(store, branch), 'cl.other'))!;
      await commitOps(store, branch, [put(KEY, updated(cur, 'u3')), put('cl.other', updated(other, 'o1'))], 'update both');
      await commitOps(store, branch, [put('cl.last', table())], 'unrelated 4');
      tip = await head(store, branch);
    });

    it('gives the content getContent gives at every commit, on pages of every size', async () => {
      const { store } = ctx;
      const all = await expectAgrees(store, tip, KEY, 100);
      expect(all.map((x) => x.commit.message)).toEqual([
        'unrelated 4', 'update both', 'recreate', 'unrelated 3', 'delete', 'unrelated 2', 'update 2', 'update 1', 'unrelated 1', 'create', 'namespace',
      ]);
      // What a reader of the history sees: absent before the create and after the delete, one id
      // for the first table's life and another for the re-created one, three metadata locations.
      const ids = all.map((x) => contentIdOf(x.content));
      expect(ids[4]).toBeNull(); // delete
      expect(ids[3]).toBeNull(); // unrelated 3
      expect(ids[10]).toBeNull(); // namespace
      expect(new Set(ids.slice(5, 10))).toEqual(new Set([ids[9]]));
      expect(ids[0]).toEqual(ids[2]);
      expect(ids[2]).not.toEqual(ids[9]);
      expect(new Set(all.slice(5, 10).map((x) => (x.content?.type === 'ICEBERG_TABLE' ? x.content.metadataLocation : null))).size).toBe(3);
      for (const first of [1, 2, 3, 4, 7]) await expectAgrees(store, tip, KEY, first);
    });

    it('reads any key, a namespace or one never written, and from any commit', async () => {
      const { store } = ctx;
      await expectAgrees(store, tip, 'cl.other', 3);
      await expectAgrees(store, tip, 'cl.more', 2);
      const nsLog = await expectAgrees(store, tip, 'cl', 4);
      expect(nsLog.every((x) => x.content?.type === 'NAMESPACE')).toBe(true);
      const none = await expectAgrees(store, tip, 'cl.never', 5);
      expect(none.every((x) => x.content === null)).toBe(true);
      const older = (await store.log(tip, { first: 5 })).items[4]!.hash; // 'delete'
      const fromOlder = await expectAgrees(store, older, KEY, 2);
      expect(fromOlder[0]!.content).toBeNull();
      expect(fromOlder).toHaveLength(7);
      expect(await store.contentLog(store.noAncestorHash, KEY, { first: 10 })).toEqual({ items: [], nextCursor: null });
    });

    it('follows first parents through merge commits, whichever side changed the key', async () => {
      const { store } = ctx;
      const target = (await freshBranch(store, 'clog-into')).name;
      await commitOps(store, target, [put('mg', ns('mg')), put('mg.a', table()), put('mg.b', table()), put('mg.c', table())], 'base');
      const source = (await freshBranch(store, 'clog-from', await head(store, target))).name;
      const at = async (ref: RefName, key: ContentKey) => (await store.getContent(await head(store, ref), key))!;
      // The source updates a, deletes b and creates d; the target updates c: a three-way merge.
      await commitOps(store, source, [put('mg.a', updated(await at(source, 'mg.a'), 's1'))], 'source a');
      await commitOps(store, source, [del('mg.b'), put('mg.d', table())], 'source b d');
      await commitOps(store, target, [put('mg.c', updated(await at(target, 'mg.c'), 't1'))], 'target c');
      const merged = await store.merge({ fromHash: await head(store, source), fromRefName: source, into: target, meta: { message: 'merge 1' } });
      expect(merged.applied).toBe(true);
      expect(merged.fastForward).toBe(false);
      // Then the source changes a again and is merged without fast-forward on top.
      await commitOps(store, source, [put('mg.a', updated(await at(source, 'mg.a'), 's2'))], 'source a again');
      const second = await store.merge({ fromHash: await head(store, source), fromRefName: source, into: target, noFastForward: true, meta: { message: 'merge 2' } });
      expect(second.applied).toBe(true);
      await commitOps(store, target, [put('mg.c', updated(await at(target, 'mg.c'), 't2'))], 'target c again');
      const tipHash = await head(store, target);
      const parents = (await store.log(tipHash, { first: 10 })).items.map((c) => c.parentHashes.length);
      expect(parents.filter((n) => n === 2)).toHaveLength(2);
      for (const key of ['mg.a', 'mg.b', 'mg.c', 'mg.d']) {
        for (const first of [1, 2, 3, 100]) await expectAgrees(store, tipHash, key, first);
      }
      const a = await expectAgrees(store, tipHash, 'mg.a', 100);
      // At the tip: the source's second update, arrived by the second merge.
      expect(a[0]!.content).toEqual(await store.getContent(await head(store, source), 'mg.a'));
      const b = await expectAgrees(store, tipHash, 'mg.b', 100);
      expect(b[0]!.content).toBeNull();
      expect(b[b.length - 1]!.content).not.toBeNull();
    });

    it('refuses an unknown commit and a bad page size or key', async () => {
      const { store } = ctx;
      await rejects(store.contentLog(unknownHash(), KEY, { first: 10 }), NotFound, 'NOT_FOUND');
      await rejects(store.contentLog(tip, '', { first: 10 }), InvalidInput, 'INVALID_INPUT');
    });
  });
}
