/**
 * History reads that must not scan the whole history:
 *  - log: a recursive CTE over first parents, consumed under LIMIT (PostgreSQL evaluates a
 *    recursive CTE lazily, so a page costs O(page) plus the commits the filter skips). The cursor
 *    is the hash of the next commit to return. The no-ancestor root is never part of a log.
 *  - contentLog: a log page and one key's content in each of its commits, batched per page.
 *  - `name*t`: first parents back to the newest commit at or before t (commit times never
 *    decrease along first parents, so the walk stops at the answer). The root counts as "before
 *    everything": reaching it means t is before the first commit → NotFound.
 *  - `name~n`: at most n steps back; the root may be reached (`main~1` of a one-commit branch is
 *    the root), stepping past it is NotFound.
 *  - `name@hash`: hash must be an ancestor of the ref's head (any parent), checked by the
 *    generation-bounded walk of commits.ts.
 */
import { InvalidInput, NotFound } from '../../../domain/errors.js';
import type { CommitHash, RefExpression } from '../../../domain/refs.js';
import type { Commit, CommitFilter, ContentAtCommit, Page, PageRequest, ResolvedRef } from '../../../ports/version-store.js';
import { isAncestor, toCommit } from './commits.js';
import { FULL_HASH, NO_ANCESTOR_HASH } from './hashing.js';
import { COMMIT_COLUMNS, commitFromDb, type CommitRow, type Repo } from './repo.js';
import { lookupKeyAcross } from './tree.js';

export function pageSize(q: PageRequest): number {
  const n = q.first;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidInput('first must be between 1 and 1000', 'first');
  return n;
}

/** A commit by full hash, or NotFound (abbreviated hashes are not accepted by the embedded store). */
export async function commitOrNotFound(repo: Repo, hash: string, what = 'commit'): Promise<CommitRow> {
  const row = typeof hash === 'string' && FULL_HASH.test(hash) ? await repo.commit(hash) : null;
  if (!row) throw new NotFound(`${what} ${hash} not found (the embedded store needs the full 64-digit hash)`);
  return row;
}

export async function log(repo: Repo, hash: string, q: PageRequest & { filter?: CommitFilter }): Promise<Page<Commit>> {
  const page = await logRows(repo, hash, q);
  return { items: page.items.map(toCommit), nextCursor: page.nextCursor };
}

/**
 * A log page (no filter) with the content at `key` in each commit: the page's query, then the key
 * looked up in all of the page's trees at once (one batched descent per namespace level, each
 * distinct directory once, its uncached nodes in one round trip per trie level), then the distinct
 * contents in one query. A few round trips per page whatever its size, none for cached nodes.
 */
export async function contentLog(repo: Repo, hash: string, key: string, q: PageRequest): Promise<Page<ContentAtCommit>> {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidInput('key must be a non-empty string', 'key');
  const page = await logRows(repo, hash, q);
  const values = await lookupKeyAcross(repo.nodes, page.items.map((c) => c.tree), key);
  const contents = await repo.contents([...values.values()].flatMap((v) => (v ? [v.content] : [])));
  const items = page.items.map((c) => {
    const v = values.get(c.tree) ?? null;
    return { commit: toCommit(c), content: v ? (contents.get(v.content) ?? null) : null };
  });
  return { items, nextCursor: page.nextCursor };
}

async function logRows(repo: Repo, hash: string, q: PageRequest & { filter?: CommitFilter }): Promise<Page<CommitRow>> {
  const first = pageSize(q);
  await commitOrNotFound(repo, hash);
  let start = hash;
  if (q.after !== undefined && q.after !== null) {
    if (!FULL_HASH.test(q.after)) throw new InvalidInput('invalid cursor', 'after');
    start = q.after;
  }
  const f = q.filter ?? {};
  const time = (d: Date | undefined, field: string) => {
    if (d === undefined || d === null) return null;
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InvalidInput(`${field} is not a valid time`, field);
    return d.toISOString();
  };
  const r = await repo.db.query<Parameters<typeof commitFromDb>[0]>(
    `WITH RECURSIVE chain AS (
       SELECT ${COMMIT_COLUMNS}, first_parent FROM vs_commits WHERE hash = $1
       UNION ALL
       SELECT p.hash, p.parents, p.generation, p.commit_time, p.meta, p.operations, p.tree, p.first_parent
         FROM chain JOIN vs_commits p ON p.hash = chain.first_parent
        WHERE $3::timestamptz IS NULL OR p.commit_time >= $3::timestamptz)
     SELECT ${COMMIT_COLUMNS} FROM chain
      WHERE hash <> $2
        AND ($3::timestamptz IS NULL OR commit_time >= $3::timestamptz)
        AND ($4::timestamptz IS NULL OR commit_time <= $4::timestamptz)
        AND ($5::text IS NULL OR meta->>'author' = $5::text)
        AND ($6::text IS NULL OR strpos(lower(meta->>'message'), lower($6::text)) > 0)
        AND ($7::jsonb IS NULL OR operations @> $7::jsonb)
      LIMIT $8`,
    [
      start,
      NO_ANCESTOR_HASH,
      time(f.since, 'filter.since'),
      time(f.until, 'filter.until'),
      f.author ?? null,
      f.messageContains ?? null,
      f.touchesKey ? JSON.stringify([{ key: f.touchesKey }]) : null,
      first + 1,
    ],
  );
  const rows = r.rows.map((x) => repo.remember(commitFromDb(x)));
  const next = rows.length > first ? rows[first]!.hash : null;
  return { items: rows.slice(0, first), nextCursor: next };
}

export async function resolve(repo: Repo, expr: RefExpression): Promise<ResolvedRef> {
  let reference: ResolvedRef['reference'];
  let hash: string;
  if (expr.name) {
    const ref = await repo.ref(expr.name);
    if (!ref) throw new NotFound(`reference '${expr.name}' not found`);
    reference = { name: expr.name, type: ref.type, hash: ref.hash as CommitHash };
    hash = ref.hash;
  }
  if (expr.hash) {
    await commitOrNotFound(repo, expr.hash);
    if (reference && !(await isAncestor(repo, expr.hash, reference.hash))) {
      throw new NotFound(`commit ${expr.hash} is not reachable from '${reference.name}'`);
    }
    hash = expr.hash;
  }
  if (expr.asOf) hash = await asOf(repo, hash!, expr.asOf);
  if (expr.ancestor !== undefined && expr.ancestor > 0) hash = await nthParent(repo, hash!, expr.ancestor);
  return reference ? { reference, hash: hash! as CommitHash } : { hash: hash! as CommitHash };
}

async function asOf(repo: Repo, from: string, t: Date): Promise<string> {
  if (Number.isNaN(t.getTime())) throw new InvalidInput('invalid time in ref expression', 'ref');
  const r = await repo.db.query<{ hash: string }>(
    `WITH RECURSIVE chain AS (
       SELECT hash, first_parent, commit_time FROM vs_commits WHERE hash = $1
       UNION ALL
       SELECT p.hash, p.first_parent, p.commit_time FROM chain JOIN vs_commits p ON p.hash = chain.first_parent
        WHERE chain.commit_time > $2::timestamptz)
     SELECT hash FROM chain WHERE commit_time <= $2::timestamptz LIMIT 1`,
    [from, t.toISOString()],
  );
  const hash = r.rows[0]?.hash;
  if (!hash || hash === NO_ANCESTOR_HASH) throw new NotFound(`no commit at or before ${t.toISOString()}`);
  return hash;
}

async function nthParent(repo: Repo, from: string, n: number): Promise<string> {
  const r = await repo.db.query<{ hash: string }>(
    `WITH RECURSIVE chain AS (
       SELECT hash, first_parent, 0 AS depth FROM vs_commits WHERE hash = $1
       UNION ALL
       SELECT p.hash, p.first_parent, chain.depth + 1 FROM chain JOIN vs_commits p ON p.hash = chain.first_parent
        WHERE chain.depth < $2::int)
     SELECT hash FROM chain WHERE depth = $2::int`,
    [from, n],
  );
  const hash = r.rows[0]?.hash;
  if (!hash) throw new NotFound(`~${n} goes past the beginning of history`);
  return hash;
}
