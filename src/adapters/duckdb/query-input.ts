/**
 * Query input (pipeline models, merges): a read-only query over plans, checked as `sql` checks user
 * SQL, run in a single-use DuckDB instance that sees only the plans' files (as views) and may
 * write only under the target folder. The result never passes through JS: COPY writes it to
 * Parquet (writer.ts) or DESCRIBE reports its columns. A timer interrupts it (LimitExceeded).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { LimitExceeded } from '../../domain/errors.js';
import type { ColumnDescription } from '../../ports/query-engine.js';
import { userError } from './errors.js';
import { describeColumns } from './iceberg-types.js';
import type { EngineOptions } from './instance.js';
import { createSandboxInstance, defineViews, type SandboxTable } from './sandbox.js';
import { sqlStringList } from './sql-text.js';

export const QUERY_WRITE_TIMEOUT_MS = 10 * 60_000;

export interface QueryViews {
  tables: SandboxTable[];
  files: string[];
}

/** Runs `fn` on a locked-down instance where the views exist; `writableDir` (if any) is the only writable place. */
export async function withQuerySandbox<T>(
  opts: EngineOptions,
  views: QueryViews,
  writableDir: string | null,
  timeoutMs: number,
  fn: (conn: DuckDBConnection) => Promise<T>,
): Promise<T> {
  const instance = await createSandboxInstance(opts);
  const conn = await instance.connect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, timeoutMs);
  try {
    await conn.run(`SET allowed_directories = ${sqlStringList(writableDir ? [writableDir.endsWith('/') ? writableDir : `${writableDir}/`] : [])}`);
    await conn.run(`SET allowed_paths = ${sqlStringList([...new Set(views.files)])}`);
    await conn.run(`SET enable_external_access = false`);
    await defineViews(conn, views.tables);
    await conn.run(`SET lock_configuration = true`);
    return await fn(conn);
  } catch (e) {
    if (timedOut) throw new LimitExceeded(`the query took longer than ${timeoutMs} ms and was stopped`);
    throw userError(e, 'query');
  } finally {
    clearTimeout(timer);
    conn.closeSync();
    instance.closeSync();
  }
}

/** The result columns of `sql` (views defined), as Iceberg types. */
export async function describeQuery(conn: DuckDBConnection, sql: string): Promise<ColumnDescription[]> {
  const r = await conn.run(`SELECT * FROM (${sql}) AS __cg_q LIMIT 0`);
  return describeColumns(r.columnNames(), r.columnTypes());
}
