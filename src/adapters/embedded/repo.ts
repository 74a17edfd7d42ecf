/**
 * Database access for the embedded version store: cached reads of immutable rows (tree nodes,
 * contents, commits: content-addressed, so a cached row is never stale), batched writes of new
 * immutable rows, and the compare-and-swap that moves a ref.
 */
import type { StoredContent } from '../../domain/content.js';
import { ReferenceConflict } from '../../domain/errors.js';
import type { CommitOperation } from '../../ports/version-store.js';
import type { SqlDatabase, SqlExecutor } from '../sql/database.js';
import { canonicalJson } from './hashing.js';
import { Lru } from '../../util/lru.js';
import { CachedNodeSource, type PendingNodes } from './nodes.js';

export interface StoredMeta {
  message: string;
  author: string;
  authorTime: string | null;
  committer: string | null;
  properties: Record<string, string>;
}

export interface CommitRow {
  hash: string;
  parents: string[];
  generation: number;
  commitTime: Date;
  meta: StoredMeta;
  operations: CommitOperation[];
  tree: string;
}

export interface Ancestry {
  hash: string;
  parents: string[];
  generation: number;
}

export interface RefRow {
  name: string;
  type: 'BRANCH' | 'TAG';
  hash: string;
}

interface DbCommit {
  hash: string;
  parents: string[];
  generation: number | string;
  commit_time: Date | string;
  meta: StoredMeta | string;
  operations: CommitOperation[] | string;
  tree: string;
}

export const COMMIT_COLUMNS = 'hash, parents, generation, commit_time, meta, operations, tree';

export function commitFromDb(r: DbCommit): CommitRow {
  return {
    hash: r.hash,
    parents: r.parents,
    generation: Number(r.generation),
    commitTime: r.commit_time instanceof Date ? r.commit_time : new Date(r.commit_time),
    meta: typeof r.meta === 'string' ? (JSON.parse(r.meta) as StoredMeta) : r.meta,
    operations: typeof r.operations === 'string' ? (JSON.parse(r.operations) as CommitOperation[]) : r.operations,
    tree: r.tree,
  };
}

/** Objects a write makes reachable; all inserted in the ref-moving transaction. */
export interface NewObjects {
  nodes: PendingNodes[];
  contents: Map<string, StoredContent>;
  commits: CommitRow[];
}

export class Repo {
  readonly nodes: CachedNodeSource;
  private readonly commitCache: Lru<string, CommitRow>;
  private readonly ancestryCache: Lru<string, Ancestry>;
  private readonly contentCache: Lru<string, StoredContent>;

  constructor(readonly db: SqlDatabase, cacheSize = 100_000) {
    this.nodes = new CachedNodeSource(async (hashes) => {
      const r = await db.query<{ hash: string; data: string }>(`SELECT hash, data FROM vs_tree_nodes WHERE hash = ANY($1::text[])`, [hashes]);
      return new Map(r.rows.map((x) => [x.hash, x.data]));
    }, cacheSize);
    this.commitCache = new Lru(Math.max(1000, Math.floor(cacheSize / 20)));
    this.ancestryCache = new Lru(cacheSize);
    this.contentCache = new Lru(Math.max(1000, Math.floor(cacheSize / 4)));
  }

  async commits(hashes: string[]): Promise<Map<string, CommitRow>> {
    const out = new Map<string, CommitRow>();
    const missing: string[] = [];
    for (const h of new Set(hashes)) {
      const c = this.commitCache.get(h);
      if (c) out.set(h, c);
      else missing.push(h);
    }
    if (missing.length > 0) {
      const r = await this.db.query<DbCommit>(`SELECT ${COMMIT_COLUMNS} FROM vs_commits WHERE hash = ANY($1::text[])`, [missing]);
      for (const row of r.rows) out.set(row.hash, this.remember(commitFromDb(row)));
    }
    return out;
  }

  async commit(hash: string): Promise<CommitRow | null> {
    return (await this.commits([hash])).get(hash) ?? null;
  }

  remember(c: CommitRow): CommitRow {
    this.commitCache.set(c.hash, c);
    this.ancestryCache.set(c.hash, { hash: c.hash, parents: c.parents, generation: c.generation });
    return c;
  }

  /**
   * Parents and generations of `hashes` and of their ancestors (over all parents) down to
   * generation `minGen`, at most `limit` rows: one round trip for a whole window of history.
   */
  async ancestry(hashes: string[], minGen: number, limit = 5000): Promise<Map<string, Ancestry>> {
    const out = new Map<string, Ancestry>();
    const missing = hashes.filter((h) => {
      const a = this.ancestryCache.get(h);
      if (a) out.set(h, a);
      return !a;
    });
    if (missing.length === 0) return out;
    const r = await this.db.query<{ hash: string; parents: string[]; generation: number | string }>(
      `WITH RECURSIVE anc(hash, parents, generation) AS (
         SELECT hash, parents, generation FROM vs_commits WHERE hash = ANY($1::text[])
         UNION
         SELECT c.hash, c.parents, c.generation FROM anc JOIN vs_commits c ON c.hash = ANY(anc.parents)
          WHERE c.generation >= $2)
       SELECT hash, parents, generation FROM anc LIMIT $3`,
      [missing, minGen, limit],
    );
    for (const row of r.rows) {
      const a = { hash: row.hash, parents: row.parents, generation: Number(row.generation) };
      this.ancestryCache.set(a.hash, a);
      out.set(a.hash, a);
    }
    return out;
  }

  async contents(hashes: string[]): Promise<Map<string, StoredContent>> {
    const out = new Map<string, StoredContent>();
    const missing: string[] = [];
    for (const h of new Set(hashes)) {
      const c = this.contentCache.get(h);
      if (c) out.set(h, c);
      else missing.push(h);
    }
    if (missing.length > 0) {
      const r = await this.db.query<{ hash: string; body: string }>(`SELECT hash, body FROM vs_contents WHERE hash = ANY($1::text[])`, [missing]);
      for (const row of r.rows) {
        const c = JSON.parse(row.body) as StoredContent;
        this.contentCache.set(row.hash, c);
        out.set(row.hash, c);
      }
    }
    return out;
  }

  async ref(name: string, tx: SqlExecutor = this.db): Promise<RefRow | null> {
    const r = await tx.query<RefRow>(`SELECT name, type, hash FROM vs_refs WHERE name = $1`, [name]);
    return r.rows[0] ?? null;
  }

  /** Inserts new immutable rows (idempotent). Call inside the transaction that moves the ref. */
  async writeObjects(tx: SqlExecutor, objs: NewObjects): Promise<void> {
    const nodeHashes: string[] = [];
    const nodeData: string[] = [];
    const seen = new Set<string>();
    for (const p of objs.nodes) {
      for (const [h, { data }] of p.created) {
        if (seen.has(h)) continue;
        seen.add(h);
        nodeHashes.push(h);
        nodeData.push(data);
      }
    }
    if (nodeHashes.length > 0) {
      await tx.query(
        `INSERT INTO vs_tree_nodes (hash, data) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
        [nodeHashes, nodeData],
      );
    }
    if (objs.contents.size > 0) {
      const hs = [...objs.contents.keys()];
      const cs = [...objs.contents.values()];
      await tx.query(
        `INSERT INTO vs_contents (hash, content_id, type, body)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
        [hs, cs.map((c) => c.id), cs.map((c) => c.type), cs.map((c) => canonicalJson(c))],
      );
    }
    for (const c of objs.commits) {
      await tx.query(
        `INSERT INTO vs_commits (hash, parents, first_parent, generation, commit_time, meta, operations, tree)
         VALUES ($1, $2::text[], $3, $4, $5, $6::jsonb, $7::jsonb, $8) ON CONFLICT DO NOTHING`,
        [c.hash, c.parents, c.parents[0] ?? null, c.generation, c.commitTime.toISOString(), JSON.stringify(c.meta), JSON.stringify(c.operations), c.tree],
      );
    }
  }

  /** Caches what a successful write created (call after the transaction committed). */
  rememberObjects(objs: NewObjects): void {
    for (const p of objs.nodes) for (const [h, { node }] of p.created) this.nodes.remember(h, node);
    for (const c of objs.commits) this.remember(c);
  }

  /**
   * Compare-and-swap of a ref inside `tx`: moves `name` from `expected` to `next`, or throws
   * ReferenceConflict with the actual hash (which rolls the transaction back).
   */
  async casRef(tx: SqlExecutor, name: string, type: 'BRANCH' | 'TAG', expected: string, next: string): Promise<void> {
    const r = await tx.query(
      `UPDATE vs_refs SET hash = $3, updated_at = now() WHERE name = $1 AND type = $4 AND hash = $2`,
      [name, expected, next, type],
    );
    if (r.rowCount === 1) return;
    const actual = await this.ref(name, tx);
    throw new ReferenceConflict(
      `reference '${name}' is at ${actual?.hash ?? '(deleted)'}, expected ${expected}`,
      expected,
      actual?.hash ?? null,
    );
  }
}
