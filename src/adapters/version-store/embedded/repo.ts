/**
 * Database access for the embedded version store: cached reads of immutable rows (tree nodes,
 * contents, commits: content-addressed, so a cached row is never stale), batched writes of new
 * immutable rows, and the compare-and-swap that moves a ref.
 */
import type { StoredContent } from '../../../domain/content.js';
import type { CommitOperation } from '../../../ports/version-store.js';
import type { SqlDatabase, SqlExecutor } from '../../sql/database.js';
import { canonicalJson } from './hashing.js';
import { Lru } from '../../../util/lru.js';
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

/** Objects a write makes reachable; all inserted by the statement that moves the ref. */
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

  /**
   * Moves branch `name` from `expected` to `next` by compare-and-swap and inserts the new immutable
   * rows (idempotent) in ONE statement, which PostgreSQL runs atomically: the inserts only happen
   * when the ref moved (they are conditioned on the UPDATE's RETURNING), so a lost race leaves
   * nothing behind. One round trip for any write. Returns whether the ref moved.
   *
   * Node hashes (hex) and node data (canonical JSON, which never holds a raw newline) travel as
   * two plain strings split on the server: much cheaper to encode and parse than text[] literals.
   */
  async writeAndMove(name: string, expected: string, next: string, objs: NewObjects): Promise<boolean> {
    const nodeHashes: string[] = [];
    const nodeData: string[] = [];
    const seen = new Set<string>();
    for (const p of objs.nodes) {
      for (const [h, { data }] of p.created) {
        if (seen.has(h)) continue;
        if (data.includes('\n')) throw new Error(`tree node ${h} is not canonical JSON (raw newline)`);
        seen.add(h);
        nodeHashes.push(h);
        nodeData.push(data);
      }
    }
    const cs = [...objs.contents.values()];
    const cm = objs.commits;
    const r = await this.db.query<{ moved: number | string }>(
      `WITH moved AS (
         UPDATE vs_refs SET hash = $3, updated_at = now() WHERE name = $1 AND type = 'BRANCH' AND hash = $2 RETURNING 1
       ), nodes AS (
         INSERT INTO vs_tree_nodes (hash, data)
         SELECT h, d FROM unnest(string_to_array($4::text, ','), string_to_array($5::text, E'\\n')) AS u(h, d)
          WHERE EXISTS (SELECT 1 FROM moved)
         ON CONFLICT DO NOTHING
       ), contents AS (
         INSERT INTO vs_contents (hash, content_id, type, body)
         SELECT h, i, t, b FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) AS u(h, i, t, b)
          WHERE EXISTS (SELECT 1 FROM moved)
         ON CONFLICT DO NOTHING
       ), commits AS (
         INSERT INTO vs_commits (hash, parents, first_parent, generation, commit_time, meta, operations, tree)
         SELECT h, string_to_array(p, ','), nullif(split_part(p, ',', 1), ''), g, t::timestamptz, m::jsonb, o::jsonb, tr
           FROM unnest($10::text[], $11::text[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[]) AS u(h, p, g, t, m, o, tr)
          WHERE EXISTS (SELECT 1 FROM moved)
         ON CONFLICT DO NOTHING
       )
       SELECT count(*) AS moved FROM moved`,
      [
        name,
        expected,
        next,
        nodeHashes.join(','),
        nodeData.join('\n'),
        [...objs.contents.keys()],
        cs.map((c) => c.id),
        cs.map((c) => c.type),
        cs.map((c) => canonicalJson(c)),
        cm.map((c) => c.hash),
        cm.map((c) => c.parents.join(',')),
        cm.map((c) => c.generation),
        cm.map((c) => c.commitTime.toISOString()),
        cm.map((c) => JSON.stringify(c.meta)),
        cm.map((c) => JSON.stringify(c.operations)),
        cm.map((c) => c.tree),
      ],
    );
    return Number(r.rows[0]?.moved ?? 0) === 1;
  }

  /** Caches what a successful write created (call after it committed). */
  rememberObjects(objs: NewObjects): void {
    for (const p of objs.nodes) for (const [h, { node }] of p.created) this.nodes.remember(h, node);
    for (const c of objs.commits) this.remember(c);
    for (const [h, c] of objs.contents) this.contentCache.set(h, c);
  }
}
