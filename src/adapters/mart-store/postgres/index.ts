/**
 * MartStore on a real PostgreSQL (MARTS_DATABASE_URL, else DATABASE_URL): its own `pg` pool whose
 * sessions use ISO dates, UTC and shortest-exact floats whatever the server's defaults.
 *
 * Bulk load: the engine writes the snapshot's rows as CSV chunks (DuckDB, in parallel, never as JS
 * rows), and several sessions stream them with COPY … FROM STDIN (pg-copy-streams) into the one
 * staging table at once. (A FIFO from DuckDB straight into one COPY was measured slower than this:
 * the single COPY session is the bottleneck, and the pipe's small writes cost more than they save.)
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { MartStore } from '../../../ports/mart-store.js';
import { mapError, type QueryResult, type SqlDatabase, type SqlExecutor } from '../../sql/database.js';
import { loadCsvChunks } from '../csv-chunks.js';
import { copySql } from '../sql.js';
import { createSqlMartStore } from '../store.js';

/** CSV chunk size: small enough that the sessions share the work evenly. */

export interface PostgresMartOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Where CSV chunks are written while loading (default: the OS temp dir). */
  tmpDir?: string;
  /** Sessions loading one mart at once (default: the number of cores, 2..4). */
  parallel?: number;
}

function poolDatabase(pool: pg.Pool): SqlDatabase {
  const run = async <T>(c: pg.Pool | pg.PoolClient, sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
    try {
      const r = await c.query(sql, params);
      return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
    } catch (e) {
      throw mapError(e, 'postgres');
    }
  };
  return {
    kind: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw mapError(e, 'postgres');
      }
      const tx: SqlExecutor = { query: (sql, params) => run(client, sql, params) };
      let broken = false;
      try {
        await client.query('BEGIN');
        const out = await fn(tx);
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw mapError(e, 'postgres');
      } finally {
        client.release(broken);
      }
    },
    close: () => pool.end(),
  };
}

export async function createPostgresMartStore(url: string, opts: PostgresMartOptions = {}): Promise<MartStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 10_000,
    options: '-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=1',
  });
  pool.on('error', () => undefined);
  const parallel = Math.max(1, opts.parallel ?? Math.min(4, Math.max(2, os.cpus().length)));
  const db = poolDatabase(pool);
  try {
    await db.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }

  const copyStream = async (client: pg.PoolClient, sql: string, file: string): Promise<number> => {
    const stream = client.query(copyFrom(sql));
    await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), stream);
    return stream.rowCount;
  };

  return createSqlMartStore({
    kind: 'postgres',
    db,
    async queryArrays(sql, params) {
      try {
        return (await pool.query<unknown[]>({ text: sql, values: params, rowMode: 'array' })).rows;
      } catch (e) {
        throw mapError(e, 'postgres');
      }
    },
    async load(staging, input) {
      return loadCsvChunks(input, opts.tmpDir, async (files) => {
        const sql = copySql(staging, input.columns, 'STDIN');
        let next = 0;
        let loaded = 0;
        // Several sessions COPY chunks into the one staging table at once: PostgreSQL parses each
        // COPY on one core, so this is what lets a load use more than one.
        const worker = async () => {
          const client = await pool.connect().catch((e: unknown) => {
            throw mapError(e, 'postgres');
          });
          let broken = false;
          try {
            while (next < files.length) {
              const file = files[next++]!;
              const n = await copyStream(client, sql, file);
              loaded += n;
              await fs.rm(file, { force: true });
            }
          } catch (e) {
            broken = true;
            throw mapError(e, 'postgres');
          } finally {
            client.release(broken);
          }
        };
        const results = await Promise.allSettled(Array.from({ length: Math.min(parallel, files.length) }, worker));
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed) throw failed.reason;
        return loaded;
      });
    },
    close: () => pool.end(),
  });
}
