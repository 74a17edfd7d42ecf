/** withRefCache: hits, invalidation on every kind of move, and reads that race a move are never remembered. */
import { describe, expect, it } from 'vitest';
import { withRefCache } from '../../src/adapters/version-store/ref-cache.js';
import type { CommitHash, RefName } from '../../src/domain/refs.js';
import type { Reference, VersionStore } from '../../src/ports/version-store.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A fake store holding heads in a map; `gate` (when set) holds getReference until released. */
function fakeStore() {
  const heads = new Map<string, string>([['main', 'a0']]);
  let reads = 0;
  let gate: Promise<void> | undefined;
  const ref = (name: string): Reference => ({ name: name as RefName, type: 'BRANCH', hash: heads.get(name) as CommitHash });
  const store = {
    kind: 'fake',
    noAncestorHash: '00' as CommitHash,
    defaultBranch: async () => 'main' as RefName,
    async getReference(name: string) {
      reads++;
      const value = heads.get(name);
      const g = gate;
      if (g) await g;
      if (value === undefined) throw new Error('not found');
      return { name: name as RefName, type: 'BRANCH' as const, hash: value as CommitHash };
    },
    async resolve(expr: { name?: string; hash?: string }) {
      return { hash: (expr.hash ?? heads.get(expr.name!)) as CommitHash };
    },
    async commit(branch: string) {
      const previousHash = heads.get(branch)!;
      heads.set(branch, `${previousHash}+`);
      return { commit: { hash: heads.get(branch) }, previousHash, addedContentIds: {} };
    },
    async assignReference(name: string, _t: string, hash: string) {
      heads.set(name, hash);
      return ref(name);
    },
    async createReference(name: string, _t: string, hash: string) {
      heads.set(name, hash);
      return ref(name);
    },
    async deleteReference(name: string) {
      const r = ref(name);
      heads.delete(name);
      return r;
    },
    async merge(req: { into: string }) {
      const previousHash = heads.get(req.into)!;
      heads.set(req.into, `${previousHash}m`);
      return { hash: heads.get(req.into), previousHash, applied: true };
    },
  };
  return {
    store: store as unknown as VersionStore,
    heads,
    reads: () => reads,
    hold: (p: Promise<void> | undefined) => (gate = p),
  };
}

const main = 'main' as RefName;

describe('withRefCache', () => {
  it('answers repeated reads from memory and drops a name on every move', async () => {
    const f = fakeStore();
    const s = withRefCache(f.store);
    expect((await s.getReference(main)).hash).toBe('a0');
    expect((await s.getReference(main)).hash).toBe('a0');
    expect((await s.resolve({ name: main })).hash).toBe('a0');
    expect(f.reads()).toBe(1);

    await s.commit(main, undefined, { message: 'm', author: 'x' }, []);
    expect((await s.getReference(main)).hash).toBe('a0+');
    await s.assignReference(main, 'BRANCH', 'b1' as CommitHash);
    expect((await s.resolve({ name: main })).hash).toBe('b1');
    await s.merge({ fromHash: 'c' as CommitHash, into: main });
    expect((await s.getReference(main)).hash).toBe('b1m');
    expect(s.refCacheStats.hits).toBeGreaterThan(0);

    const dev = 'dev' as RefName;
    await s.createReference(dev, 'BRANCH', 'd1' as CommitHash);
    expect((await s.getReference(dev)).hash).toBe('d1');
    await s.deleteReference(dev, 'BRANCH');
    await expect(s.getReference(dev)).rejects.toThrow('not found');
  });

  it('passes hash, time and ancestor expressions to the store', async () => {
    const f = fakeStore();
    const s = withRefCache(f.store);
    await s.getReference(main);
    expect((await s.resolve({ name: main, hash: 'ff' as CommitHash })).hash).toBe('ff');
  });

  it('never remembers a read that was in flight while a move started or ended', async () => {
    const f = fakeStore();
    const s = withRefCache(f.store);
    const held = deferred();
    f.hold(held.promise);
    const stale = s.getReference(main); // reads 'a0', then waits
    f.hold(undefined);
    await s.commit(main, undefined, { message: 'm', author: 'x' }, []);
    held.resolve();
    expect((await stale).hash).toBe('a0');
    expect((await s.getReference(main)).hash).toBe('a0+');
  });

  it('does not cache while a move is under way', async () => {
    const f = fakeStore();
    const slow = deferred();
    const original = f.store.commit.bind(f.store);
    (f.store as { commit: unknown }).commit = async (...a: Parameters<VersionStore['commit']>) => {
      const out = await original(...a); // the database has moved…
      await slow.promise; // …but the call has not returned yet
      return out;
    };
    const s2 = withRefCache(f.store);
    const moving = s2.commit(main, undefined, { message: 'm', author: 'x' }, []);
    await new Promise((r) => setTimeout(r, 0));
    expect((await s2.getReference(main)).hash).toBe('a0+');
    const reads = f.reads();
    expect((await s2.getReference(main)).hash).toBe('a0+');
    expect(f.reads(), 'no read is cached during a move').toBe(reads + 1);
    slow.resolve();
    await moving;
    expect((await s2.getReference(main)).hash).toBe('a0+');
  });
});
