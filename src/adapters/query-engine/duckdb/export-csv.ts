/**
 * A plan's rows as CSV for PostgreSQL's `COPY … (FORMAT csv)` (publishing marts): written by DuckDB
 * straight from the Parquet files, never through JS rows. DuckDB's CSV text is what PostgreSQL
 * reads back exactly for every primitive (decimals at full scale, timestamps to the microsecond,
 * timestamptz in UTC with `+00`, shortest round-trip floats, `nan`/`inf`); NULL is an unquoted empty
 * field and an empty string `""`. Binary becomes `\x<hex>` (bytea's hex input) and nested values
 * JSON text (jsonb). An optional last column numbers the rows from 1.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { NestedField, ScanPlan } from '../../../domain/iceberg/types.js';
import type { CsvExportTarget } from '../../../ports/query-engine.js';
import type { LayoutCache } from './layout.js';
import { buildScan } from './scan-sql.js';
import { quoteIdent, sqlString } from './sql-text.js';

export function csvExpr(f: NestedField): string {
  const col = `s.${quoteIdent(f.name)}`;
  if (typeof f.type !== 'string') return `CAST(to_json(${col}) AS VARCHAR)`;
  if (f.type === 'binary' || f.type.startsWith('fixed')) return `'\\x' || hex(${col})`;
  // The same text as DuckDB's own timestamptz output in UTC (`… (BC)`, `infinity` included), but
  // without its ICU calendar per value: a timestamp's text plus '+00' is several times cheaper and
  // was the largest single cost of a publish's export (1M rows: ~0.4 of ~1.1 CPU-seconds).
  if (f.type === 'timestamptz') return `CASE WHEN isinf(${col}) THEN CAST(${col} AS VARCHAR) ELSE CAST(make_timestamp(epoch_us(${col})) AS VARCHAR) || '+00' END`;
  return col;
}

export async function exportCsv(conn: DuckDBConnection, layouts: LayoutCache, plan: ScanPlan, target: CsvExportTarget): Promise<number> {
  const scan = await buildScan(conn, layouts, plan, { positions: false });
  const select = scan.fields.map((f, i) => `${csvExpr(f)} AS __cg_c${i}`);
  if (target.rowNumber) select.push('row_number() OVER () AS __cg_row');
  const options = ['FORMAT csv', 'HEADER false'];
  if (target.splitBytes !== undefined) options.push(`FILE_SIZE_BYTES ${Math.max(1, Math.floor(target.splitBytes))}`);
  else options.push('USE_TMP_FILE false');
  const r = await conn.runAndReadAll(`COPY (SELECT ${select.join(', ')} FROM (${scan.sql}) s) TO ${sqlString(target.path)} (${options.join(', ')})`);
  return Number(r.getRows()[0]?.[0] ?? 0);
}
