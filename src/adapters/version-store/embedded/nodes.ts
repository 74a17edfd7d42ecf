/**
 * Tree nodes: their canonical encoding, and where they come from (a cached database loader, an
 * in-memory map for tests, and the overlay of new nodes a commit is about to write).
 *
 * A directory (the children of one namespace, or the top level) is a hash trie (HAMT) over the
 * sha256 of each child's name: 16-way branch nodes, leaves of at most LEAF_MAX entries. A node is a
 * leaf exactly when its subtree holds at most LEAF_MAX entries, so the shape depends only on the set
 * of entries and the same state always hashes the same.
 */
import type { ContentType } from '../../../domain/content.js';
import { sha256Hex } from './hashing.js';
import { Lru } from '../../../util/lru.js';

export const LEAF_MAX = 32;
/** sha256 gives 64 nibbles; below that depth a leaf may exceed LEAF_MAX (never happens in practice). */
export const MAX_DEPTH = 64;

/** One child of a directory: its own content (if any) and its sub-directory (if it has children). */
export interface DirEntry {
  name: string;
  type: ContentType | null;
  /** Content id (stable across updates of the same content). */
  id: string | null;
  /** Hash of the content row. */
  content: string | null;
  /** Root hash of the child directory, null when it has no children. */
  sub: string | null;
}

export interface BranchChild {
  slot: number;
  hash: string;
  count: number;
}

export type TreeNode =
  | { kind: 'leaf'; entries: DirEntry[] }
  | { kind: 'branch'; children: BranchChild[]; count: number };

/** A JSON string or null, exactly as canonicalJson writes it. */
function jsonOrNull(v: string | null | undefined): string {
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}

/**
 * The canonical bytes of a node: canonicalJson of `{l: [[name, type, id, content, sub], …]}` (entries
 * sorted by name) or `{b: [[slot, hash, count], …]}` (children sorted by slot), written directly
 * (this is the hot path of every write; the output is byte-identical to canonicalJson's).
 */
export function encodeNode(node: TreeNode): string {
  if (node.kind === 'leaf') {
    const sorted = [...node.entries].sort((a, b) => cmp(a.name, b.name));
    const parts = sorted.map((e) => `[${JSON.stringify(e.name)},${jsonOrNull(e.type)},${jsonOrNull(e.id)},${jsonOrNull(e.content)},${jsonOrNull(e.sub)}]`);
    return `{"l":[${parts.join(',')}]}`;
  }
  const sorted = [...node.children].sort((a, b) => a.slot - b.slot);
  for (const c of sorted) {
    if (!Number.isFinite(c.slot) || !Number.isFinite(c.count)) throw new TypeError('encodeNode: non-finite number');
  }
  return `{"b":[${sorted.map((c) => `[${JSON.stringify(c.slot)},${jsonOrNull(c.hash)},${JSON.stringify(c.count)}]`).join(',')}]}`;
}

/** The node as decodeNode(encodeNode(node)) returns it, without the JSON round trip. */
function normalizeNode(node: TreeNode): TreeNode {
  if (node.kind === 'leaf') {
    const entries = node.entries
      .map((e) => ({ name: e.name, type: e.type ?? null, id: e.id ?? null, content: e.content ?? null, sub: e.sub ?? null }))
      .sort((a, b) => cmp(a.name, b.name));
    return { kind: 'leaf', entries };
  }
  const children = node.children.map((c) => ({ slot: c.slot, hash: c.hash, count: c.count })).sort((a, b) => a.slot - b.slot);
  return { kind: 'branch', children, count: children.reduce((n, c) => n + c.count, 0) };
}

export function decodeNode(data: string): TreeNode {
  const raw = JSON.parse(data) as { l?: unknown[][]; b?: unknown[][] };
  if (raw.l) {
    return {
      kind: 'leaf',
      entries: raw.l.map(([name, type, id, content, sub]) => ({
        name: name as string,
        type: (type ?? null) as ContentType | null,
        id: (id ?? null) as string | null,
        content: (content ?? null) as string | null,
        sub: (sub ?? null) as string | null,
      })),
    };
  }
  const children = (raw.b ?? []).map(([slot, hash, count]) => ({
    slot: slot as number,
    hash: hash as string,
    count: count as number,
  }));
  return { kind: 'branch', children, count: children.reduce((n, c) => n + c.count, 0) };
}

export const EMPTY_NODE_DATA = encodeNode({ kind: 'leaf', entries: [] });
/** Root hash of an empty directory (also the tree of the no-ancestor commit). */
export const EMPTY_TREE = sha256Hex(EMPTY_NODE_DATA);

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface NodeSource {
  getNode(hash: string): Promise<TreeNode>;
  /** Optionally, the node when it is already in memory (no await needed), else undefined. */
  peek?(hash: string): TreeNode | undefined;
  /** Optionally loads many nodes in one round trip ahead of getNode calls. */
  prefetch?(hashes: string[]): Promise<void>;
  /** Optional cache of a directory's entries sorted by name, keyed by directory root hash. */
  readonly sortedCache?: Lru<string, DirEntry[]>;
}

/**
 * An approximate LRU for hot paths: two generations of plain maps. Hits in the young generation
 * cost one Map lookup (no reordering); a hit in the old one promotes the entry; when the young
 * generation is full it becomes the old one (the previous old one is dropped). Holds between
 * max/2 and max entries.
 */
class GenerationCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly half: number;

  constructor(max: number) {
    this.half = Math.max(1, Math.floor(max / 2));
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) this.set(key, o);
    return o;
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key);
  }

  set(key: K, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}

/** Loads nodes through `load` (by hash, batched) and keeps decoded nodes in an approximate LRU. */
export class CachedNodeSource implements NodeSource {
  private readonly cache: GenerationCache<string, TreeNode>;
  readonly sortedCache: Lru<string, DirEntry[]>;

  constructor(
    private readonly load: (hashes: string[]) => Promise<Map<string, string>>,
    cacheSize = 100_000,
  ) {
    this.cache = new GenerationCache(cacheSize);
    this.sortedCache = new Lru(Math.max(16, Math.floor(cacheSize / 1000)));
    this.cache.set(EMPTY_TREE, { kind: 'leaf', entries: [] });
  }

  peek(hash: string): TreeNode | undefined {
    return this.cache.get(hash);
  }

  async getNode(hash: string): Promise<TreeNode> {
    const hit = this.cache.get(hash);
    if (hit) return hit;
    const data = (await this.load([hash])).get(hash);
    if (data === undefined) throw new Error(`tree node ${hash} is missing from the store`);
    const node = decodeNode(data);
    this.cache.set(hash, node);
    return node;
  }

  async prefetch(hashes: string[]): Promise<void> {
    const missing = hashes.filter((h) => !this.cache.has(h));
    if (missing.length < 2) return;
    for (const [h, data] of await this.load(missing)) this.cache.set(h, decodeNode(data));
  }

  /** Remembers nodes just written (they are immutable, so caching them is always safe). */
  remember(hash: string, node: TreeNode): void {
    this.cache.set(hash, node);
  }
}

/** Nodes held in memory only (tests, and the base of a pending write). */
export class MemoryNodeSource implements NodeSource {
  readonly nodes = new Map<string, string>([[EMPTY_TREE, EMPTY_NODE_DATA]]);

  async getNode(hash: string): Promise<TreeNode> {
    const data = this.nodes.get(hash);
    if (data === undefined) throw new Error(`tree node ${hash} is missing`);
    return decodeNode(data);
  }
}

/** New nodes created while building a commit's tree, layered over the stored ones. */
export class PendingNodes implements NodeSource {
  readonly created = new Map<string, { data: string; node: TreeNode }>();

  constructor(private readonly base: NodeSource) {}

  get sortedCache(): Lru<string, DirEntry[]> | undefined {
    return this.base.sortedCache;
  }

  async getNode(hash: string): Promise<TreeNode> {
    return this.created.get(hash)?.node ?? this.base.getNode(hash);
  }

  peek(hash: string): TreeNode | undefined {
    return this.created.get(hash)?.node ?? this.base.peek?.(hash);
  }

  async prefetch(hashes: string[]): Promise<void> {
    await this.base.prefetch?.(hashes.filter((h) => !this.created.has(h)));
  }

  put(node: TreeNode): string {
    const normal = normalizeNode(node);
    const data = encodeNode(normal);
    const hash = sha256Hex(data);
    if (!this.created.has(hash)) this.created.set(hash, { data, node: normal });
    return hash;
  }
}
