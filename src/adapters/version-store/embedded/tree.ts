/**
 * A commit's full key state as a tree of directories: each namespace level is a HAMT (hamt.ts)
 * whose entries carry the key's content and the root of its child directory. Unchanged
 * sub-directories keep their hash, so commits share them; lookups cost O(depth), diffs skip equal
 * hashes, and edits rewrite only the nodes on the changed paths.
 */
import type { ContentType } from '../../../domain/content.js';
import { hamtApply, hamtCount, hamtDiff, hamtGet, hamtGetAcross, hamtGetMany, hamtSorted, type HamtEdit } from './hamt.js';
import { EMPTY_TREE, type DirEntry, type NodeSource, type PendingNodes } from './nodes.js';

/** What a tree holds for one key: the content's type, id and content-row hash. */
export interface KeyValue {
  type: ContentType;
  id: string;
  content: string;
}

export interface KeyEdit {
  key: string;
  /** New value, or null to remove the key's content. */
  value: KeyValue | null;
}

export interface KeyChange {
  key: string;
  from: KeyValue | null;
  to: KeyValue | null;
}

export function valueOf(e: DirEntry | null): KeyValue | null {
  return e && e.content && e.type && e.id ? { type: e.type, id: e.id, content: e.content } : null;
}

export function sameValue(a: KeyValue | null, b: KeyValue | null): boolean {
  return a === null || b === null ? a === b : a.content === b.content;
}

/** The directory entry at `key` (dotted), or null. */
export async function lookupEntry(src: NodeSource, root: string, key: string): Promise<DirEntry | null> {
  let dir = root;
  let entry: DirEntry | null = null;
  for (const seg of key.split('.')) {
    if (!dir) return null;
    entry = await hamtGet(src, dir, seg);
    if (!entry) return null;
    dir = entry.sub ?? '';
  }
  return entry;
}

/**
 * The directory entries at many keys (null when absent), found with one batched trie descent per
 * directory visited instead of one walk per key.
 */
export async function lookupEntries(src: NodeSource, root: string, keys: Iterable<string>): Promise<Map<string, DirEntry | null>> {
  const out = new Map<string, DirEntry | null>();
  const items: KeyPath[] = [];
  for (const key of new Set(keys)) items.push({ key, segs: key.split('.') });
  if (items.length > 0) await lookupIn(src, root, items, 0, out);
  return out;
}

interface KeyPath {
  key: string;
  segs: string[];
}

async function lookupIn(src: NodeSource, dir: string, items: KeyPath[], depth: number, out: Map<string, DirEntry | null>): Promise<void> {
  const found = await hamtGetMany(src, dir, items.map((it) => it.segs[depth]!));
  const deeper = new Map<string, KeyPath[]>();
  for (const it of items) {
    const e = found.get(it.segs[depth]!) ?? null;
    if (it.segs.length === depth + 1) out.set(it.key, e);
    else if (!e?.sub) out.set(it.key, null);
    else {
      const list = deeper.get(e.sub);
      if (list) list.push(it);
      else deeper.set(e.sub, [it]);
    }
  }
  for (const [sub, list] of deeper) await lookupIn(src, sub, list, depth + 1, out);
}

/**
 * The value at one key in each of many trees (null when absent), keyed by root: one batched descent
 * per namespace level over all the trees (hamtGetAcross), each distinct directory visited once.
 */
export async function lookupKeyAcross(src: NodeSource, roots: Iterable<string>, key: string): Promise<Map<string, KeyValue | null>> {
  const out = new Map<string, KeyValue | null>();
  /** Tree root → the directory its lookup has reached. */
  let at = new Map<string, string>();
  for (const root of roots) at.set(root, root);
  const segs = key.split('.');
  for (let i = 0; i < segs.length && at.size > 0; i++) {
    const found = await hamtGetAcross(src, new Set(at.values()), segs[i]!);
    const next = new Map<string, string>();
    for (const [root, dir] of at) {
      const e = found.get(dir) ?? null;
      if (i === segs.length - 1) out.set(root, valueOf(e));
      else if (e?.sub) next.set(root, e.sub);
      else out.set(root, null);
    }
    at = next;
  }
  return out;
}

/** Values at many keys (null when absent); see lookupEntries. */
export async function lookupKeys(src: NodeSource, root: string, keys: Iterable<string>): Promise<Map<string, KeyValue | null>> {
  const out = new Map<string, KeyValue | null>();
  for (const [k, e] of await lookupEntries(src, root, keys)) out.set(k, valueOf(e));
  return out;
}

export async function lookupKey(src: NodeSource, root: string, key: string): Promise<KeyValue | null> {
  return valueOf(await lookupEntry(src, root, key));
}

/** Number of direct children of `key` (0 when it has none or does not exist). */
export async function childCount(src: NodeSource, root: string, key: string): Promise<number> {
  const e = await lookupEntry(src, root, key);
  return e?.sub ? hamtCount(src, e.sub) : 0;
}

interface EditNode {
  value?: KeyValue | null;
  children?: Map<string, EditNode>;
}

/**
 * Applies key edits and returns the new root; the new nodes are collected in `w`. Each directory is
 * rewritten in one descent of its trie (the current entries are read where they are replaced).
 * `results`, when given, receives the new entry (null when gone) of every edited key and of every
 * namespace on the way to one: what lookupEntry on the new root would return for them.
 */
export async function applyKeyEdits(w: PendingNodes, root: string, edits: KeyEdit[], results?: Map<string, DirEntry | null>): Promise<string> {
  const top = new Map<string, EditNode>();
  for (const { key, value } of edits) {
    const segs = key.split('.');
    let level = top;
    segs.forEach((seg, i) => {
      let n = level.get(seg);
      if (!n) level.set(seg, (n = {}));
      if (i === segs.length - 1) n.value = value;
      else level = n.children ??= new Map();
    });
  }
  const out = await applyDir(w, root, top, '', results);
  if (out === EMPTY_TREE) w.put({ kind: 'leaf', entries: [] });
  return out;
}

async function applyDir(w: PendingNodes, root: string, edits: Map<string, EditNode>, prefix: string, results?: Map<string, DirEntry | null>): Promise<string> {
  const changes: HamtEdit[] = [];
  for (const [name, en] of edits) {
    changes.push([
      name,
      async (cur) => {
        const v = en.value !== undefined ? en.value : valueOf(cur);
        let sub = cur?.sub ?? null;
        if (en.children) {
          const r = await applyDir(w, sub ?? EMPTY_TREE, en.children, `${prefix}${name}.`, results);
          sub = r === EMPTY_TREE ? null : r;
        }
        const next: DirEntry | null =
          v || sub ? { name, type: v?.type ?? null, id: v?.id ?? null, content: v?.content ?? null, sub } : null;
        results?.set(prefix + name, next);
        return next;
      },
    ]);
  }
  return (await hamtApply(w, root, changes)).hash;
}

export interface ListedEntry {
  key: string;
  value: KeyValue;
}

/**
 * Keys under `prefix` (a key, or null for everything), recursively, sorted by key, after `after`
 * (exclusive). Returns at most `limit` + 1 entries so the caller knows whether there is more.
 * Dotted keys sort like their segment lists because '.' sorts before every identifier character.
 */
export async function listEntries(
  src: NodeSource,
  root: string,
  prefix: string | null,
  after: string | null,
  limit: number,
): Promise<ListedEntry[]> {
  const out: ListedEntry[] = [];
  let dir: string | null = root;
  if (prefix !== null) {
    const e = await lookupEntry(src, root, prefix);
    dir = e?.sub ?? null;
  }
  if (dir) await walk(src, dir, prefix === null ? '' : `${prefix}.`, after, limit + 1, out);
  return out;
}

async function walk(src: NodeSource, dir: string, prefix: string, after: string | null, want: number, out: ListedEntry[]): Promise<boolean> {
  const sorted = await hamtSorted(src, dir);
  let start = 0;
  if (after !== null && after.startsWith(prefix)) {
    const seg = after.slice(prefix.length).split('.')[0] ?? '';
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]!.name < seg) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  } else if (after !== null && after > prefix) {
    return false; // everything under this directory sorts before `after`
  }
  for (let i = start; i < sorted.length; i++) {
    const e = sorted[i]!;
    const key = prefix + e.name;
    const v = valueOf(e);
    if (v && (after === null || key > after)) {
      out.push({ key, value: v });
      if (out.length >= want) return true;
    }
    if (e.sub && (await walk(src, e.sub, `${key}.`, after, want, out))) return true;
  }
  return false;
}

/** Keys whose content differs between two trees, sorted by key; equal sub-trees are skipped. */
export async function diffTrees(src: NodeSource, a: string, b: string): Promise<KeyChange[]> {
  const out: KeyChange[] = [];
  await diffDir(src, a, b, '', out, Infinity);
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** diffTrees, or null as soon as more than `limit` keys are found to differ (the walk stops there). */
export async function diffTreesUpTo(src: NodeSource, a: string, b: string, limit: number): Promise<KeyChange[] | null> {
  const out: KeyChange[] = [];
  if (!(await diffDir(src, a, b, '', out, limit))) return null;
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** Returns false when it stopped because `out` grew past `limit`. */
async function diffDir(src: NodeSource, a: string, b: string, prefix: string, out: KeyChange[], limit: number): Promise<boolean> {
  if (a === b) return true;
  for (const c of await hamtDiff(src, a, b)) {
    const key = prefix + c.name;
    const from = valueOf(c.from);
    const to = valueOf(c.to);
    if (!sameValue(from, to)) out.push({ key, from, to });
    if (out.length > limit) return false;
    const sa = c.from?.sub ?? EMPTY_TREE;
    const sb = c.to?.sub ?? EMPTY_TREE;
    if (sa !== sb && !(await diffDir(src, sa, sb, `${key}.`, out, limit))) return false;
  }
  return true;
}
