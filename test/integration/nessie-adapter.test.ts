/**
 * Smoke test of the Nessie adapter against the real server the global setup starts. The full
 * semantics are in test/contract/; this checks the wire details: exact 64-bit snapshot ids as Nessie
 * stores them, namespaces, merges (fast-forward, merge commit, conflict, dry run) and error mapping.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createNessieVersionStore } from '../../src/adapters/version-store/nessie/index.js';
import { BackendUnavailable, MergeConflict, NotFound, ReferenceConflict } from '../../src/domain/errors.js';
import type { IcebergTableContent } from '../../src/domain/content.js';
import { parseRefExpression, type RefName } from '../../src/domain/refs.js';
import type { VersionStore } from '../../src/ports/version-store.js';

const SNAPSHOT = '7342794868382145167';
const uri = () => inject('nessieUri');
const name = (label: string) => `it-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-${label}` as RefName;
const table = (over: Partial<IcebergTableContent> = {}): IcebergTableContent => ({
  type: 'ICEBERG_TABLE',
  metadataLocation: `s3://warehouse/db/t/metadata/00000-${randomBytes(4).toString('hex')}.metadata.json`,
  snapshotId: SNAPSHOT,
  schemaId: 1,
  specId: 0,
  sortOrderId: 0,
  ...over,
});

describe('Nessie adapter against a real Nessie server', () => {
  let store: VersionStore;
  beforeAll(async () => {
    store = await createNessieVersionStore({ uri: uri() });
  });
  afterAll(() => store?.close());

  it('commits a namespace and a table and reads the exact 64-bit snapshot id back', async () => {
    const b = await store.createReference(name('rt'), 'BRANCH', store.noAncestorHash);
    const res = await store.commit(b.name, b.hash, { message: 'create', author: 'it' }, [
      { type: 'PUT', key: 'db', content: { type: 'NAMESPACE', elements: ['db'], properties: { owner: 'it' } } },
      { type: 'PUT', key: 'db.t', content: table() },
    ]);
    const t = await store.getContent(res.commit.hash, 'db.t');
    expect(t).toMatchObject({ type: 'ICEBERG_TABLE', snapshotId: SNAPSHOT, id: res.addedContentIds['db.t'] });
    expect(await store.getContent(res.commit.hash, 'db')).toMatchObject({ type: 'NAMESPACE', elements: ['db'], properties: { owner: 'it' } });

    // Nessie itself holds the number, not a rounded one or a string.
    const raw = await (await fetch(`${uri()}/trees/@${res.commit.hash}/contents/db.t`)).text();
    expect(raw).toMatch(new RegExp(`"snapshotId"\\s*:\\s*${SNAPSHOT}\\b`));

    const entries = await store.entries(res.commit.hash, { first: 10, namespace: 'db' });
    expect(entries.items.map((e) => e.key)).toEqual(['db.t']);
  });

  it('fast-forwards, writes merge commits, reports conflicts and keeps dry runs dry', async () => {
    const main = await store.createReference(name('main'), 'BRANCH', store.noAncestorHash);
    const base = await store.commit(main.name, undefined, { message: 'base', author: 'it' }, [
      { type: 'PUT', key: 'm', content: { type: 'NAMESPACE', elements: ['m'], properties: {} } },
      { type: 'PUT', key: 'm.shared', content: table() },
    ]);
    const dev = await store.createReference(name('dev'), 'BRANCH', base.commit.hash);
    const d1 = await store.commit(dev.name, undefined, { message: 'dev 1', author: 'it' }, [{ type: 'PUT', key: 'm.new', content: table() }]);

    const ff = await store.merge({ fromHash: d1.commit.hash, fromRefName: dev.name, into: main.name, expectedHash: base.commit.hash });
    expect(ff).toMatchObject({ fastForward: true, applied: true, hash: d1.commit.hash, changedKeys: ['m.new'] });

    const shared = (await store.getContent(d1.commit.hash, 'm.shared'))!;
    const d2 = await store.commit(dev.name, undefined, { message: 'dev 2', author: 'it' }, [{ type: 'PUT', key: 'm.shared', content: { ...shared, snapshotId: '7342794868382145168' } as IcebergTableContent }]);
    const m1 = await store.commit(main.name, undefined, { message: 'main 1', author: 'it' }, [{ type: 'PUT', key: 'm.other', content: table() }]);

    const dry = await store.merge({ fromHash: d2.commit.hash, into: main.name, dryRun: true });
    expect(dry).toMatchObject({ applied: false, hash: m1.commit.hash, changedKeys: ['m.shared'] });
    expect((await store.getReference(main.name)).hash).toBe(m1.commit.hash);

    const merged = await store.merge({ fromHash: d2.commit.hash, fromRefName: dev.name, into: main.name, meta: { message: 'merge dev', author: 'it' } });
    expect(merged).toMatchObject({ fastForward: false, applied: true, commonAncestor: d1.commit.hash });
    expect((await store.getCommit(merged.hash)).parentHashes).toEqual([m1.commit.hash, d2.commit.hash]);
    expect(await store.getContent(merged.hash, 'm.shared')).toMatchObject({ snapshotId: '7342794868382145168' });

    const again = await store.merge({ fromHash: d2.commit.hash, into: main.name });
    expect(again).toMatchObject({ applied: false, hash: merged.hash });

    // both sides change m.shared → conflict, nothing changes
    const cur = (await store.getContent(merged.hash, 'm.shared'))!;
    const d3 = await store.commit(dev.name, undefined, { message: 'dev 3', author: 'it' }, [{ type: 'PUT', key: 'm.shared', content: { ...cur, metadataLocation: 's3://x/dev.json' } as IcebergTableContent }]);
    const m2 = await store.commit(main.name, undefined, { message: 'main 2', author: 'it' }, [{ type: 'PUT', key: 'm.shared', content: { ...cur, metadataLocation: 's3://x/main.json' } as IcebergTableContent }]);
    const err = await store.merge({ fromHash: d3.commit.hash, into: main.name }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MergeConflict);
    expect((err as MergeConflict).conflicts).toEqual([expect.objectContaining({ key: 'm.shared', type: 'VALUE_DIFFERS' })]);
    expect((await store.getReference(main.name)).hash).toBe(m2.commit.hash);
  });

  it('holds commits to a strict compare-and-swap and checks name@hash reachability', async () => {
    const b = await store.createReference(name('cas'), 'BRANCH', store.noAncestorHash);
    const c1 = await store.commit(b.name, undefined, { message: 'one', author: 'it' }, [{ type: 'PUT', key: 'a', content: table() }]);
    const c2 = await store.commit(b.name, c1.commit.hash, { message: 'two', author: 'it' }, [{ type: 'PUT', key: 'b', content: table() }]);
    // Nessie alone would accept this (key 'c' did not change since c1); the adapter must not.
    const err = await store.commit(b.name, c1.commit.hash, { message: 'stale', author: 'it' }, [{ type: 'PUT', key: 'c', content: table() }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReferenceConflict);
    expect(err).toMatchObject({ expectedHash: c1.commit.hash, actualHash: c2.commit.hash });

    const other = await store.createReference(name('other'), 'BRANCH', store.noAncestorHash);
    const o1 = await store.commit(other.name, undefined, { message: 'other', author: 'it' }, [{ type: 'PUT', key: 'o', content: table() }]);
    expect((await store.resolve(parseRefExpression(`${b.name}@${c1.commit.hash}`))).hash).toBe(c1.commit.hash);
    await expect(store.resolve(parseRefExpression(`${b.name}@${o1.commit.hash}`))).rejects.toBeInstanceOf(NotFound);
    expect((await store.resolve(parseRefExpression(`${b.name}~1`))).hash).toBe(c1.commit.hash);
    await expect(store.resolve(parseRefExpression(`${b.name}~3`))).rejects.toBeInstanceOf(NotFound);
  });

  it('reports an unreachable server as BackendUnavailable', async () => {
    await expect(createNessieVersionStore({ uri: 'http://127.0.0.1:9/api/v2', timeoutMs: 2000 })).rejects.toBeInstanceOf(BackendUnavailable);
  });
});
