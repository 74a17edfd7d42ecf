/**
 * MartStore on a real PostgreSQL (MARTS_DATABASE_URL, else DATABASE_URL): its own `pg` pool whose
 * sessions use ISO dates, UTC and shortest-exact floats whatever the server's defaults.
 *
 * Bulk load: COPY … FROM STDIN (pg-copy-streams) fed from a FIFO the engine writes its CSV into,
 * so exporting from Iceberg and loading into PostgreSQL overlap and no row passes through JS
 * objects. Where mkfifo is unavailable the CSV goes through a temp file instead.
 */
import { execFile } from 'node:child_process';
import { constants, createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { MartStore } from '../../ports/mart-store.js';
import { mapError, type QueryResult, type SqlDatabase, type SqlExecutor } from '../sql/database.js';
import { copySql } from './sql.js';
import { createSqlMartStore } from './store.js';

const execFileAsync = promisify(execFile);

export interface PostgresMartOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Where the FIFO or temp file lives while loading (default: the OS temp dir). */
  tmpDir?: string;
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

/** Lets a reader blocked opening the FIFO (or waiting for more) see end-of-file once the writer is gone. */
async function releaseFifo(fifo: string): Promise<void> {
  try {
    const h = await fs.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    await h.close();
  } catch {
    /* no reader left: nothing to release */
  }
}

export async function createPostgresMartStore(url: string, opts: PostgresMartOptions = {}): Promise<MartStore> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: 10_000,
    options: '-c DateStyle=ISO,YMD -c TimeZone=UTC -c extra_float_digits=1',
  });
  pool.on('error', () => undefined);
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
    async load(staging, input) {
      const dir = await fs.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'cascade-mart-'));
      const file = path.join(dir, 'rows.csv');
      const fifo = await execFileAsync('mkfifo', ['-m', '600', file]).then(() => true, () => false);
      let client: pg.PoolClient | undefined;
      let broken = false;
      try {
        client = await pool.connect().catch((e: unknown) => {
          throw mapError(e, 'postgres');
        });
        const sql = copySql(staging, input.columns, 'STDIN');
        let written: number;
        let loaded: number;
        if (!fifo) {
          written = await input.writeCsv({ path: file });
          loaded = await copyStream(client, sql, file);
        } else {
          const reading = copyStream(client, sql, file);
          const writing = input.writeCsv({ path: file }).finally(() => releaseFifo(file));
          const [w, r] = await Promise.allSettled([writing, reading]);
          // A COPY error (rows that do not fit) says more than the writer's broken pipe it causes.
          if (r.status === 'rejected') throw r.reason;
          if (w.status === 'rejected') throw w.reason;
          [written, loaded] = [w.value, r.value];
        }
        if (loaded !== written) throw new Error(`mart '${input.name}': ${written} rows written as CSV but ${loaded} loaded`);
        return loaded;
      } catch (e) {
        broken = true;
        throw mapError(e, 'postgres');
      } finally {
        client?.release(broken);
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
    close: () => pool.end(),
  });
}
