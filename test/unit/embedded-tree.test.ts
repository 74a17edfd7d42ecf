import { describe, expect, it } from 'vitest';
import { canonicalJson, hashOf } from '../../src/adapters/version-store/embedded/hashing.js';
import { hamtAll, hamtApply, hamtGet, type HamtEdit } from '../../src/adapters/version-store/embedded/hamt.js';
import {
  EMPTY_TREE,
  LEAF_MAX,
  MemoryNodeSource,
  PendingNodes,
  type DirEntry,
  type NodeSource,
  type TreeNode,
} from '../../src/adapters/version-store/embedded/nodes.js';
import { applyKeyEdits, diffTrees, listEntries, lookupKey, lookupKeyAcross, type KeyEdit } from '../../src/adapters/version-store/embedded/tree.js';

/** Applies, then folds the new nodes into the memory store (as a committed write would). */
async function apply(mem: MemoryNodeSource, root: string, edits: KeyEdit[]): Promise<string> {
  const w = new PendingNodes(mem);
  const out = await applyKeyEdits(w, root, edits);
  for (const [h, { data }] of w.created) mem.nodes.set(h, data);
  return out;
}

function table(n: number | string): KeyEdit['value'] {
  const content = hashOf({ t: n });
  return { type: 'ICEBERG_TABLE', id: `id-${n}`, content };
}
const ns = (key: string): KeyEdit => ({ key, value: { type: 'NAMESPACE', id: `ns-${key}`, content: hashOf({ ns: key }) } });
const put = (key: string, n: number | string = key): KeyEdit => ({ key, value: table(n) });

class CountingSource implements NodeSource {
  loads = 0;
  constructor(private readonly inner: NodeSource) {}
  getNode(hash: string): Promise<TreeNode> {
    this.loads++;
    return this.inner.getNode(hash);
  }
}

async function allNodes(src: NodeSource, root: string, out: TreeNode[] = []): Promise<TreeNode[]> {
  const n = await src.getNode(root);
  out.push(n);
  if (n.kind === 'branch') for (const c of n.children) await allNodes(src, c.hash, out);
  else for (const e of n.entries) if (e.sub) await allNodes(src, e.sub, out);
  return out;
}

function shuffled<T>(xs: T[], seed: number): T[] {
  const a = [...xs];
  let s = seed;
  for (let i = a.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const j = s % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

describe('canonical hashing', () => {
  it('sorts object keys, drops undefined and hashes to 64 lowercase hex', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(hashOf({ x: 1, y: 2 })).toBe(hashOf({ y: 2, x: 1 }));
    expect(hashOf({ x: 1 })).toMatch(/^[0-9a-f]{64}$/);
    expect(hashOf({ x: 1 })).not.toBe(hashOf({ x: 2 }));
  });

  it('gives the same root for the same state, whatever the order and batching of edits', async () => {
    const keys = Array.from({ length: 500 }, (_, i) => `ns.t${i}`);
    const mem = new MemoryNodeSource();
    const oneBatch = await apply(mem, EMPTY_TREE, [ns('ns'), ...keys.map((k) => put(k))]);
    let stepwise = await apply(mem, EMPTY_TREE, [ns('ns')]);
    for (const k of shuffled(keys, 7)) stepwise = await apply(mem, stepwise, [put(k)]);
    expect(stepwise).toBe(oneBatch);
    // Adding then removing extra keys comes back to the same hash.
    const extra = Array.from({ length: 300 }, (_, i) => put(`ns.x${i}`));
    const grown = await apply(mem, oneBatch, extra);
    expect(grown).not.toBe(oneBatch);
    const back = await apply(mem, grown, extra.map((e) => ({ key: e.key, value: null })));
    expect(back).toBe(oneBatch);
    // Removing everything is the empty tree.
    const empty = await apply(mem, oneBatch, [{ key: 'ns', value: null }, ...keys.map((key) => ({ key, value: null }))]);
    expect(empty).toBe(EMPTY_TREE);
  });
});

describe('HAMT directories', () => {
  const entry = (name: string): DirEntry => ({ name, type: 'ICEBERG_TABLE', id: name, content: hashOf(name), sub: null });

  it('splits large directories into bounded nodes and collapses them back into a leaf', async () => {
    const mem = new MemoryNodeSource();
    const w = new PendingNodes(mem);
    const names = Array.from({ length: 10_000 }, (_, i) => `t${i}`);
    const big = await hamtApply(w, EMPTY_TREE, names.map((n): HamtEdit => [n, entry(n)]));
    expect(big.count).toBe(10_000);
    const nodes = await allNodes(w, big.hash);
    for (const n of nodes) {
      if (n.kind === 'leaf') expect(n.entries.length).toBeLessThanOrEqual(LEAF_MAX);
      else expect(n.children.length).toBeLessThanOrEqual(16);
    }
    expect(nodes.length).toBeGreaterThan(10_000 / LEAF_MAX);
    expect((await hamtAll(w, big.hash)).length).toBe(10_000);
    expect(await hamtGet(w, big.hash, 't1234')).toEqual(entry('t1234'));
    expect(await hamtGet(w, big.hash, 'nope')).toBeNull();

    // Shrinking below LEAF_MAX entries collapses the trie into one leaf.
    const keep = names.slice(0, LEAF_MAX);
    const small = await hamtApply(w, big.hash, names.slice(LEAF_MAX).map((n): HamtEdit => [n, null]));
    expect(small.count).toBe(LEAF_MAX);
    const node = await w.getNode(small.hash);
    expect(node.kind).toBe('leaf');
    const direct = await hamtApply(w, EMPTY_TREE, keep.map((n): HamtEdit => [n, entry(n)]));
    expect(small.hash).toBe(direct.hash);
  });

  it('rewrites only the path of a changed entry', async () => {
    const mem = new MemoryNodeSource();
    const base = await apply(mem, EMPTY_TREE, [ns('a'), ...Array.from({ length: 10_000 }, (_, i) => put(`a.t${i}`))]);
    const w = new PendingNodes(mem);
    await applyKeyEdits(w, base, [put('a.t77', 'changed')]);
    // top-level leaf + HAMT path inside `a` (a few levels) — never the 300+ nodes of the directory.
    expect(w.created.size).toBeLessThanOrEqual(6);
  });
});

describe('key trees', () => {
  it('looks keys up through nested namespaces', async () => {
    const mem = new MemoryNodeSource();
    const root = await apply(mem, EMPTY_TREE, [ns('a'), ns('a.b'), put('a.b.t'), put('a.u'), put('top')]);
    expect((await lookupKey(mem, root, 'a.b.t'))?.id).toBe('id-a.b.t');
    expect((await lookupKey(mem, root, 'a.b'))?.type).toBe('NAMESPACE');
    expect(await lookupKey(mem, root, 'a.b.x')).toBeNull();
    expect(await lookupKey(mem, root, 'top.x')).toBeNull();
  });

  it('looks one key up in many trees at once, as lookupKey does in each, prefetching the distinct nodes of a trie level together', async () => {
    const mem = new MemoryNodeSource();
    // 60 versions of a catalog whose namespace holds 300 tables (a branched trie), one table
    // changing each time, the key deleted and re-created midway, and a second namespace level.
    const roots: string[] = [EMPTY_TREE];
    let root = await apply(mem, EMPTY_TREE, [ns('a'), ns('a.b'), ...Array.from({ length: 300 }, (_, i) => put(`a.t${i}`))]);
    roots.push(root);
    for (let v = 0; v < 60; v++) {
      const edits: KeyEdit[] = v === 20 ? [{ key: 'a.t7', value: null }] : v === 30 ? [put('a.t7', 're')] : [put(`a.t${(v * 7) % 300}`, `v${v}`)];
      if (v % 10 === 0) edits.push(put(`a.b.x${v}`));
      root = await apply(mem, root, edits);
      roots.push(root);
    }
    const loads: string[][] = [];
    const src: NodeSource = {
      getNode: (h) => mem.getNode(h),
      prefetch: async (hs) => void loads.push(hs),
    };
    for (const key of ['a.t7', 'a.t0', 'a.b.x30', 'a.b', 'a.none', 'none.x', 'a.t7.deeper']) {
      loads.length = 0;
      const across = await lookupKeyAcross(src, roots, key);
      expect([...across.keys()].sort()).toEqual([...new Set(roots)].sort());
      for (const r of roots) expect(across.get(r), `${key} in ${r}`).toEqual(await lookupKey(mem, r, key));
      for (const batch of loads) expect(new Set(batch).size).toBe(batch.length);
    }
    const t7 = await lookupKeyAcross(src, roots, 'a.t7');
    const ids = roots.map((r) => t7.get(r)?.content ?? null);
    expect(ids[0]).toBeNull();
    expect(ids.filter((x) => x === null)).toHaveLength(1 + 10); // the empty tree, and v20..v29
    expect(new Set(ids.filter((x) => x !== null)).size).toBe(3); // created, updated at v1 ((1 * 7) % 300), re-created
  });

  it('lists entries recursively in key order with keyset paging', async () => {
    const mem = new MemoryNodeSource();
    const keys = ['a', 'a.b', 'a.b.t', 'a.c', 'a_x', 'ab', 'ab.z', 'b'];
    const nsKeys = new Set(['a', 'a.b', 'ab']);
    const root = await apply(mem, EMPTY_TREE, shuffled(keys, 3).map((k) => (nsKeys.has(k) ? ns(k) : put(k))));
    const all = (await listEntries(mem, root, null, null, 100)).map((e) => e.key);
    expect(all).toEqual([...keys].sort());
    const page1 = await listEntries(mem, root, null, null, 3);
    expect(page1.map((e) => e.key)).toEqual(['a', 'a.b', 'a.b.t', 'a.c']); // limit + 1
    const page2 = await listEntries(mem, root, null, 'a.b.t', 3);
    expect(page2.map((e) => e.key)).toEqual(['a.c', 'a_x', 'ab', 'ab.z']);
    expect((await listEntries(mem, root, 'a', null, 10)).map((e) => e.key)).toEqual(['a.b', 'a.b.t', 'a.c']);
    expect((await listEntries(mem, root, 'a', 'a.b.t', 10)).map((e) => e.key)).toEqual(['a.c']);
  });

  it('pages through a 10,000-key namespace in order', async () => {
    const mem = new MemoryNodeSource();
    const keys = Array.from({ length: 10_000 }, (_, i) => `big.t${String(i).padStart(5, '0')}`);
    const root = await apply(mem, EMPTY_TREE, [ns('big'), ...keys.map((k) => put(k))]);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await listEntries(mem, root, 'big', after, 1000);
      seen.push(...page.slice(0, 1000).map((e) => e.key));
      if (page.length <= 1000) break;
      after = page[999]!.key;
    }
    expect(seen).toEqual(keys);
  });

  it('diffs trees key by key, sorted, and skips identical sub-trees', async () => {
    const mem = new MemoryNodeSource();
    const edits = [ns('a'), ns('b'), ...Array.from({ length: 5_000 }, (_, i) => put(`a.t${i}`)), ...Array.from({ length: 5_000 }, (_, i) => put(`b.t${i}`))];
    const base = await apply(mem, EMPTY_TREE, edits);
    const next = await apply(mem, base, [put('b.t42', 'v2'), { key: 'b.t7', value: null }, put('b.new'), ns('c')]);
    const counting = new CountingSource(mem);
    const d = await diffTrees(counting, base, next);
    expect(d.map((c) => [c.key, c.from ? (c.to ? 'MODIFIED' : 'REMOVED') : 'ADDED'])).toEqual([
      ['b.new', 'ADDED'],
      ['b.t42', 'MODIFIED'],
      ['b.t7', 'REMOVED'],
      ['c', 'ADDED'],
    ]);
    // Namespace `a` (5,000 keys, ~300 nodes) is identical and never loaded.
    expect(counting.loads).toBeLessThan(40);
    expect(await diffTrees(counting, next, next)).toEqual([]);
  });
});
