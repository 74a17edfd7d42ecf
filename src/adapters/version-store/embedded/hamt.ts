/**
 * Hash-trie (HAMT) operations on one directory: get one name, apply a batch of edits, list all
 * entries, and diff two directories while skipping identical sub-tries (equal hashes).
 */
import { namePath, namePathHex, nibble } from './hashing.js';
import { EMPTY_TREE, LEAF_MAX, MAX_DEPTH, cmp, type BranchChild, type DirEntry, type NodeSource, type PendingNodes, type TreeNode } from './nodes.js';

export async function hamtGet(src: NodeSource, root: string, name: string): Promise<DirEntry | null> {
  if (root === EMPTY_TREE) return null;
  const path = namePath(name);
  let hash = root;
  for (let depth = 0; ; depth++) {
    const node = await src.getNode(hash);
    if (node.kind === 'leaf') return node.entries.find((e) => e.name === name) ?? null;
    const slot = nibble(path, depth);
    const child = node.children.find((c) => c.slot === slot);
    if (!child) return null;
    hash = child.hash;
  }
}

/** A node from the source's cache without a microtask hop when it is there, else loaded. */
function nodeOf(src: NodeSource, hash: string): TreeNode | Promise<TreeNode> {
  return src.peek?.(hash) ?? src.getNode(hash);
}

/**
 * Entries for many names of one directory (absent names are missing from the map), in one
 * descent of its trie, level by level, so that uncached nodes of a level load in one round trip.
 * The names are sorted by trie path, so the names under one child are a contiguous range.
 */
export async function hamtGetMany(src: NodeSource, root: string, names: Iterable<string>): Promise<Map<string, DirEntry>> {
  const out = new Map<string, DirEntry>();
  if (root === EMPTY_TREE) return out;
  const wanted: Wanted[] = [];
  for (const name of new Set(names)) wanted.push({ name, path: namePath(name), key: namePathHex(name) });
  if (wanted.length === 0) return out;
  wanted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let frontier: { hash: string; lo: number; hi: number }[] = [{ hash: root, lo: 0, hi: wanted.length }];
  for (let depth = 0; frontier.length > 0; depth++) {
    if (frontier.length > 1) await src.prefetch?.(frontier.map((f) => f.hash));
    const next: typeof frontier = [];
    for (const f of frontier) {
      const node = await nodeOf(src, f.hash);
      if (node.kind === 'leaf') {
        for (let i = f.lo; i < f.hi; i++) {
          const name = wanted[i]!.name;
          const e = node.entries.find((x) => x.name === name);
          if (e) out.set(name, e);
        }
        continue;
      }
      for (let i = f.lo; i < f.hi; ) {
        const slot = nibble(wanted[i]!.path, depth);
        let j = i + 1;
        while (j < f.hi && nibble(wanted[j]!.path, depth) === slot) j++;
        const child = node.children.find((c) => c.slot === slot);
        if (child) next.push({ hash: child.hash, lo: i, hi: j });
        i = j;
      }
    }
    frontier = next;
  }
  return out;
}

/**
 * The entry for one name in each of many directories (null when absent), keyed by directory root:
 * all tries are descended together, level by level, so the uncached nodes of a level (over every
 * directory) load in one round trip, and a node shared by several directories is visited once.
 */
export async function hamtGetAcross(src: NodeSource, roots: Iterable<string>, name: string): Promise<Map<string, DirEntry | null>> {
  const out = new Map<string, DirEntry | null>();
  const path = namePath(name);
  /** Directory root → the node its descent is at. */
  let at = new Map<string, string>();
  for (const root of roots) {
    if (root === EMPTY_TREE) out.set(root, null);
    else at.set(root, root);
  }
  for (let depth = 0; at.size > 0; depth++) {
    const nodes = [...new Set(at.values())];
    if (nodes.length > 1) await src.prefetch?.(nodes);
    /** Node → the entry found (DirEntry or null) or the child to descend into (string). */
    const step = new Map<string, DirEntry | null | string>();
    for (const hash of nodes) {
      const node = await nodeOf(src, hash);
      if (node.kind === 'leaf') step.set(hash, node.entries.find((e) => e.name === name) ?? null);
      else step.set(hash, node.children.find((c) => c.slot === nibble(path, depth))?.hash ?? null);
    }
    const next = new Map<string, string>();
    for (const [root, hash] of at) {
      const r = step.get(hash)!;
      if (typeof r === 'string') next.set(root, r);
      else out.set(root, r);
    }
    at = next;
  }
  return out;
}

interface Wanted {
  name: string;
  path: Buffer;
  /** The path as hex, for sorting. */
  key: string;
}

/** Number of entries in a directory. */
export async function hamtCount(src: NodeSource, root: string): Promise<number> {
  const node = await src.getNode(root);
  return node.kind === 'leaf' ? node.entries.length : node.count;
}

/** All entries of a directory, in trie order (sort them when order matters). */
export async function hamtAll(src: NodeSource, root: string, out: DirEntry[] = []): Promise<DirEntry[]> {
  const node = await nodeOf(src, root);
  if (node.kind === 'leaf') out.push(...node.entries);
  else {
    await src.prefetch?.(node.children.map((c) => c.hash));
    for (const c of node.children) await hamtAll(src, c.hash, out);
  }
  return out;
}

/** All entries sorted by name, cached per directory hash when the source has a cache. */
export async function hamtSorted(src: NodeSource, root: string): Promise<DirEntry[]> {
  const cached = src.sortedCache?.get(root);
  if (cached) return cached;
  const all = (await hamtAll(src, root)).sort((a, b) => cmp(a.name, b.name));
  if (all.length > LEAF_MAX) src.sortedCache?.set(root, all);
  return all;
}

/** Computes a name's new entry (null: remove it) from its current one. */
export type EntryUpdate = (current: DirEntry | null) => DirEntry | null | Promise<DirEntry | null>;

/** An edit: set the entry for `name`, remove it (null), or update it from the current entry. */
export type HamtEdit = [name: string, entry: DirEntry | null | EntryUpdate];

/** Applies edits and returns the new root hash and entry count; new nodes go to `w`. */
export async function hamtApply(w: PendingNodes, root: string, edits: HamtEdit[]): Promise<{ hash: string; count: number }> {
  if (edits.length === 0) return { hash: root, count: await hamtCount(w, root) };
  return applyAt(w, root, 0, edits.map(([name, e]) => ({ name, path: namePath(name), entry: e })));
}

interface PathEdit {
  name: string;
  path: Buffer;
  entry: DirEntry | null | EntryUpdate;
}

async function applyAt(w: PendingNodes, hash: string, depth: number, edits: PathEdit[]): Promise<{ hash: string; count: number }> {
  const node = await nodeOf(w, hash);
  if (node.kind === 'leaf') {
    const m = new Map(node.entries.map((e) => [e.name, e]));
    for (const e of edits) {
      const next = typeof e.entry === 'function' ? await e.entry(m.get(e.name) ?? null) : e.entry;
      if (next) m.set(e.name, { ...next, name: e.name });
      else m.delete(e.name);
    }
    return build(w, [...m.values()], depth);
  }
  const bySlot = new Map<number, PathEdit[]>();
  for (const e of edits) {
    const slot = nibble(e.path, depth);
    const list = bySlot.get(slot);
    if (list) list.push(e);
    else bySlot.set(slot, [e]);
  }
  const children = new Map<number, BranchChild>(node.children.map((c) => [c.slot, c]));
  if (bySlot.size > 1) await w.prefetch?.([...bySlot.keys()].flatMap((slot) => children.get(slot)?.hash ?? []));
  for (const [slot, es] of bySlot) {
    const r = await applyAt(w, children.get(slot)?.hash ?? EMPTY_TREE, depth + 1, es);
    if (r.count === 0) children.delete(slot);
    else children.set(slot, { slot, hash: r.hash, count: r.count });
  }
  const count = [...children.values()].reduce((n, c) => n + c.count, 0);
  if (count <= LEAF_MAX) {
    const all: DirEntry[] = [];
    for (const c of children.values()) await hamtAll(w, c.hash, all);
    return build(w, all, depth);
  }
  return { hash: w.put({ kind: 'branch', children: [...children.values()], count }), count };
}

/** Builds the canonical trie for exactly these entries at `depth`. */
function build(w: PendingNodes, entries: DirEntry[], depth: number): { hash: string; count: number } {
  if (entries.length <= LEAF_MAX || depth >= MAX_DEPTH) {
    return { hash: w.put({ kind: 'leaf', entries }), count: entries.length };
  }
  const parts = new Map<number, DirEntry[]>();
  for (const e of entries) {
    const slot = nibble(namePath(e.name), depth);
    const list = parts.get(slot);
    if (list) list.push(e);
    else parts.set(slot, [e]);
  }
  const children: BranchChild[] = [];
  for (const [slot, part] of parts) {
    const r = build(w, part, depth + 1);
    children.push({ slot, hash: r.hash, count: r.count });
  }
  return { hash: w.put({ kind: 'branch', children, count: entries.length }), count: entries.length };
}

export function sameEntry(a: DirEntry | null, b: DirEntry | null): boolean {
  if (a === null || b === null) return a === b;
  return a.name === b.name && a.type === b.type && a.id === b.id && a.content === b.content && a.sub === b.sub;
}

export interface EntryChange {
  name: string;
  from: DirEntry | null;
  to: DirEntry | null;
}

/** Names whose entries differ between two directories; identical sub-tries are skipped. */
export async function hamtDiff(src: NodeSource, a: string, b: string, out: EntryChange[] = []): Promise<EntryChange[]> {
  if (a === b) return out;
  const na = await nodeOf(src, a);
  const nb = await nodeOf(src, b);
  if (na.kind === 'leaf' && nb.kind === 'leaf') {
    // Both sorted by name (canonical order): one merge pass.
    const ea = na.entries;
    const eb = nb.entries;
    let i = 0;
    let j = 0;
    while (i < ea.length || j < eb.length) {
      const x = ea[i];
      const y = eb[j];
      const c = x === undefined ? 1 : y === undefined ? -1 : cmp(x.name, y.name);
      if (c < 0) {
        out.push({ name: x!.name, from: x!, to: null });
        i++;
      } else if (c > 0) {
        out.push({ name: y!.name, from: null, to: y! });
        j++;
      } else {
        if (!sameEntry(x!, y!)) out.push({ name: x!.name, from: x!, to: y! });
        i++;
        j++;
      }
    }
    return out;
  }
  if (na.kind === 'branch' && nb.kind === 'branch') {
    const ca = new Map(na.children.map((c) => [c.slot, c.hash]));
    const cb = new Map(nb.children.map((c) => [c.slot, c.hash]));
    const differing = [...na.children, ...nb.children].filter((c) => ca.get(c.slot) !== cb.get(c.slot));
    await src.prefetch?.(differing.map((c) => c.hash));
    for (const slot of new Set([...ca.keys(), ...cb.keys()])) {
      await hamtDiff(src, ca.get(slot) ?? EMPTY_TREE, cb.get(slot) ?? EMPTY_TREE, out);
    }
    return out;
  }
  const ea = new Map((await hamtAll(src, a)).map((e) => [e.name, e]));
  const eb = new Map((await hamtAll(src, b)).map((e) => [e.name, e]));
  for (const [name, x] of ea) {
    const y = eb.get(name) ?? null;
    if (!sameEntry(x, y)) out.push({ name, from: x, to: y });
  }
  for (const [name, y] of eb) if (!ea.has(name)) out.push({ name, from: null, to: y });
  return out;
}
