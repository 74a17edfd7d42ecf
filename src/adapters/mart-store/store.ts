/**
 * The mart store both adapters share (PostgreSQL and PGlite differ only in how CSV reaches COPY).
 *
 * Publish, all-or-nothing and never showing a reader a missing, empty or half-written mart:
 *  1. each changed mart is loaded into its own fresh table `marts_staging."s_<random>"` (COPY, then
 *     the row-number primary key and ANALYZE), outside any transaction readers could notice;
 *  2. ONE short transaction (under an advisory lock that serialises publishers) drops each old
 *     `marts."<name>"`, moves the staged table into `marts` and renames it, and upserts the
 *     publication records. DROP and ALTER take ACCESS EXCLUSIVE locks, so a reader that reaches a
 *     mart during the swap waits; when it gets the lock PostgreSQL sees the invalidation, looks the
 *     name up again and reads the new table with a snapshot taken after the commit. Readers
 *     therefore see all old or all new marts. The swap locks every old mart first, in one LOCK
 *     with a short lock_timeout, and retries rather than wait long or deadlock with a reader of
 *     several marts (see swap); on failure staged tables are dropped and nothing changed.
 *
 * Reads validate where/orderBy/columns against the mart's columns (cached for a second, and
 * re-read at once when a query finds the table changed under it) before any SQL is sent.
 */
import { randomBytes } from 'node:crypto';
import { BackendUnavailable, InvalidInput, NotFound } from '../../domain/errors.js';
import { parseMartQuery, parseMartWhere } from '../../domain/mart-filters.js';
import type {
  MartAggregate, MartColumn, MartPublishInput, MartRowQuery, MartStore, PublishedMart, PublishOutcome,
} from '../../ports/mart-store.js';
import type { RowPage } from '../../ports/query-engine.js';
import { migrate, type SqlDatabase, type SqlExecutor } from '../sql/database.js';
import {
  aggregateStatement, checkColumns, checkMartName, countStatement, createStagingSql, finishStagingSql, MARTS, META, MIGRATIONS,
  PRIMARY_KEY_BUILD_SETTINGS, publicationColumns, rowsStatement, STAGING, swapSql, table, UPSERT_PUBLICATION, type PublicationRow,
} from './sql.js';

/** What an adapter supplies: its database and the one step that differs, getting CSV into COPY. */
export interface MartBackend {
  readonly kind: 'postgres' | 'pglite';
  db: SqlDatabase;
  /** Loads the input's CSV into the (empty, existing) staging table; resolves with the rows loaded. */
  load(staging: string, input: MartPublishInput): Promise<number>;
  /** Runs a read returning each row as an array in select order (cheaper than objects); else `db.query` is used. */
  queryArrays?(sql: string, params: unknown[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

const META_TTL_MS = 1000;
/** How long the swap waits for readers to let go of the old marts before it gives way and retries. */
const LOCK_TIMEOUT = '200ms';
const SWAP_ATTEMPTS = 100;
/** SQLSTATEs meaning "the table is not what the cached columns say": re-read and try again once. */
const STALE_CODES = new Set(['42P01', '42703', '42804', '42883', '22P02', '22007', '22008', '22003']);

function canonicalColumns(columns: MartColumn[]): string {
  return JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })));
}

function toMart(r: PublicationRow): PublishedMart {
  return {
    name: r.name,
    columns: JSON.parse(r.columns) as MartColumn[],
    rowCount: BigInt(r.row_count),
    publishedFrom: {
      ref: r.ref,
      commitHash: r.commit_hash,
      table: r.table_key,
      snapshotId: r.snapshot_id,
      publishedAt: r.published_at instanceof Date ? r.published_at : new Date(r.published_at),
    },
  };
}

const sqlCode = (e: unknown) => (e as { code?: unknown } | null)?.code;

export async function createSqlMartStore(backend: MartBackend): Promise<MartStore> {
  const db = backend.db;
  await migrate(db, 'marts', MIGRATIONS);
  const cache = new Map<string, { mart: PublishedMart; at: number }>();
  /** Bumped by every publish: a lookup that started before one must not cache what it read. */
  let generation = 0;
  const remember = (marts: PublishedMart[], asOf: number) => {
    if (asOf !== generation) return;
    const at = Date.now();
    for (const mart of marts) cache.set(mart.name, { mart, at });
  };

  const readPublications = async (exec: SqlExecutor, names: string[] | null): Promise<PublicationRow[]> => {
    const r = await exec.query<PublicationRow>(
      `SELECT ${publicationColumns()} FROM ${META}.publications${names ? ' WHERE name = ANY($1::text[])' : ''} ORDER BY name`,
      names ? [names] : [],
    );
    return r.rows;
  };

  const get = async (name: string, opts?: { cached?: boolean }): Promise<PublishedMart | null> => {
    if (typeof name !== 'string' || name.length > 200) return null;
    if (opts?.cached) {
      const hit = cache.get(name);
      if (hit && Date.now() - hit.at < META_TTL_MS) return hit.mart;
    }
    const asOf = generation;
    const [row] = await readPublications(db, [name]);
    if (!row || !row.present) {
      cache.delete(name);
      return null;
    }
    const mart = toMart(row);
    remember([mart], asOf);
    return mart;
  };

  const meta = async (name: string, fresh = false): Promise<PublishedMart> => {
    const mart = await get(name, { cached: !fresh });
    if (!mart) throw new NotFound(`no mart named '${String(name).slice(0, 100)}'`);
    return mart;
  };

  /** Runs a read built from the mart's columns; if the table changed under cached columns, once more with fresh ones. */
  const read = async <T>(name: string, run: (mart: PublishedMart) => Promise<T>): Promise<T> => {
    const mart = await meta(name);
    try {
      return await run(mart);
    } catch (e) {
      if (!STALE_CODES.has(sqlCode(e) as string)) throw e;
      const again = await meta(name, true);
      if (canonicalColumns(again.columns) === canonicalColumns(mart.columns) && again.publishedFrom.publishedAt.getTime() === mart.publishedFrom.publishedAt.getTime()) throw e;
      return run(again);
    }
  };

  const sameAs = (row: PublicationRow | undefined, m: MartPublishInput) =>
    row !== undefined && row.present && row.table_key === m.source.table && row.snapshot_id === m.source.snapshotId &&
    canonicalColumns(JSON.parse(row.columns) as MartColumn[]) === canonicalColumns(m.columns);

  const dropStaging = async (names: string[]) => {
    for (const s of names) await db.query(`DROP TABLE IF EXISTS ${table(STAGING, s)}`).catch(() => undefined);
  };

  /**
   * The swap transaction. It first takes ACCESS EXCLUSIVE locks on every old mart it replaces, all
   * in one LOCK statement, waiting at most LOCK_TIMEOUT (well under PostgreSQL's 1 s
   * deadlock_timeout): a reader holding one mart while it waits for another we hold must never be
   * the one a deadlock check kills, so we give way instead, release everything and try again.
   */
  const swap = async (changed: { input: MartPublishInput; staging: string; rows: number }[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await db.transaction(async (tx) => {
          await tx.query(`SELECT pg_advisory_xact_lock(hashtext('cascade-marts-publish'))`);
          const current = new Map((await readPublications(tx, changed.map((c) => c.input.name))).map((r) => [r.name, r]));
          const old = (
            await tx.query<{ name: string }>(
              `SELECT n AS name FROM unnest($1::text[]) AS n WHERE to_regclass(format('${MARTS}.%I', n)) IS NOT NULL`,
              [changed.map((c) => c.input.name)],
            )
          ).rows.map((r) => table(MARTS, r.name));
          if (old.length > 0) {
            await tx.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
            await tx.query(`LOCK TABLE ${old.join(', ')} IN ACCESS EXCLUSIVE MODE`);
            await tx.query(`SET LOCAL lock_timeout = 0`);
          }
          const out = new Map<string, { row: PublicationRow; changed: boolean }>();
          for (const c of changed) {
            const now = current.get(c.input.name);
            // Another publisher got there first with the same snapshot: keep theirs.
            if (sameAs(now, c.input)) {
              out.set(c.input.name, { row: now!, changed: false });
              continue;
            }
            for (const s of swapSql(c.input.name, c.staging)) await tx.query(s);
            const src = c.input.source;
            const r = await tx.query<PublicationRow>(UPSERT_PUBLICATION, [
              c.input.name, src.ref, src.commitHash, src.table, src.snapshotId, canonicalColumns(c.input.columns), String(c.rows),
            ]);
            out.set(c.input.name, { row: r.rows[0]!, changed: true });
          }
          return out;
        });
      } catch (e) {
        if (sqlCode(e) !== '55P03') throw e;
        if (attempt >= SWAP_ATTEMPTS) throw new BackendUnavailable(`marts are busy: readers held them through ${SWAP_ATTEMPTS} attempts to swap`, backend.kind);
        await new Promise((r) => setTimeout(r, Math.min(500, 20 * attempt) * (0.5 + Math.random())));
      }
    }
  };

  return {
    kind: backend.kind,

    async publish(batch: MartPublishInput[]): Promise<PublishOutcome[]> {
      const names = new Set<string>();
      for (const m of batch) {
        checkMartName(m.name);
        if (names.has(m.name)) throw new InvalidInput(`mart '${m.name}' is listed twice`, 'marts');
        names.add(m.name);
        checkColumns(m.name, m.columns);
        if (!/^-?\d{1,19}$/.test(m.source.snapshotId)) throw new InvalidInput(`mart '${m.name}': snapshot id must be an integer`, 'marts');
      }
      if (batch.length === 0) return [];
      const existing = new Map((await readPublications(db, [...names])).map((r) => [r.name, r]));
      const todo = batch.filter((m) => !sameAs(existing.get(m.name), m));
      const staged: { input: MartPublishInput; staging: string; rows: number }[] = [];
      let swapped: Map<string, { row: PublicationRow; changed: boolean }> = new Map();
      let loading: string | null = null;
      try {
        for (const input of todo) {
          loading = input.name;
          const staging = `s_${randomBytes(12).toString('hex')}`;
          await db.query(createStagingSql(staging, input.columns));
          staged.push({ input, staging, rows: 0 });
          staged[staged.length - 1]!.rows = await backend.load(staging, input);
          const finish = finishStagingSql(staging);
          if (backend.kind === 'postgres') {
            await db.transaction(async (tx) => {
              for (const set of PRIMARY_KEY_BUILD_SETTINGS) await tx.query(set);
              await tx.query(finish.primaryKey);
            });
          } else {
            await db.query(finish.primaryKey);
          }
          await db.query(finish.analyze);
        }
        loading = null;
        if (staged.length > 0) swapped = await swap(staged);
      } catch (e) {
        await dropStaging(staged.map((s) => s.staging));
        // Name the mart whose rows failed: one bad mart fails the whole batch.
        const which = loading === null ? '' : `mart '${loading}': `;
        if (sqlCode(e) === '23502' || sqlCode(e) === '22P02' || sqlCode(e) === '22P04') {
          throw new InvalidInput(`${which}the rows do not fit the mart's columns: ${(e as Error).message}`, 'marts');
        }
        if (e instanceof InvalidInput) throw new InvalidInput(`${which}${e.message}`, 'marts');
        throw e;
      } finally {
        generation++;
        for (const n of names) cache.delete(n);
      }
      // Staged tables another publisher made unnecessary.
      await dropStaging(staged.filter((s) => swapped.get(s.input.name)?.changed === false).map((s) => s.staging));
      return batch.map((m) => {
        const s = swapped.get(m.name);
        return s ? { mart: toMart(s.row), changed: s.changed } : { mart: toMart(existing.get(m.name)!), changed: false };
      });
    },

    async list() {
      const asOf = generation;
      const marts = (await readPublications(db, null)).filter((r) => r.present).map(toMart);
      // The live schema lists the marts on every martUpdated notice (from any instance): that refreshes the cache too.
      remember(marts, asOf);
      return marts;
    },

    get,

    async rows(name: string, q: MartRowQuery): Promise<RowPage> {
      return read(name, async (mart) => {
        const parsed = parseMartQuery(mart.columns, q);
        // Without a filter the total is the published row count, read in the same statement as the rows.
        const metaTotal = q.withTotal === true && !parsed.where;
        const st = rowsStatement(name, mart.columns, parsed, metaTotal);
        const rows = backend.queryArrays
          ? await backend.queryArrays(st.sql, st.params)
          : (await db.query<Record<string, unknown>>(st.sql, st.params)).rows.map((r) => st.fields.map((f) => r[f]));
        let total: bigint | null = null;
        if (q.withTotal && parsed.where) {
          const c = countStatement(name, mart.columns, parsed.where);
          total = BigInt((await db.query<{ n: string }>(c.sql, c.params)).rows[0]!.n);
        } else if (metaTotal && rows.length === 0) {
          total = parsed.after === null ? 0n : ((await get(name))?.rowCount ?? 0n);
        }
        return st.page(rows, total);
      });
    },

    async aggregate(name: string, where?: unknown): Promise<MartAggregate> {
      return read(name, async (mart) => {
        const st = aggregateStatement(name, mart.columns, parseMartWhere(where, mart.columns));
        const r = await db.query<Record<string, unknown>>(st.sql, st.params);
        return st.result(r.rows[0]!);
      });
    },

    close: () => backend.close(),
  };
}
