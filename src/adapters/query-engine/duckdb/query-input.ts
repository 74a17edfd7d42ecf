/**
 * Query input (pipeline models, merges): a read-only query over plans, checked as `sql` checks user
 * SQL, run in the sandbox of sandbox.ts (withSandbox), which sees only the plans' files (as views)
 * and may write only under the write's own local staging folder (locations.ts). The result never
 * passes through JS: COPY writes it to Parquet (writer.ts) or DESCRIBE reports its columns. A timer
 * interrupts it (LimitExceeded).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { ColumnDescription } from '../../../ports/query-engine.js';
import { describeColumns } from './iceberg-types.js';

export const QUERY_WRITE_TIMEOUT_MS = 10 * 60_000;

/** The result columns of `sql` (views defined), as Iceberg types. */
export async function describeQuery(conn: DuckDBConnection, sql: string): Promise<ColumnDescription[]> {
  const r = await conn.run(`SELECT * FROM (${sql}) AS __cg_q LIMIT 0`);
  return describeColumns(r.columnNames(), r.columnTypes());
}
