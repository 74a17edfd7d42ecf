/**
 * The columns DuckDB infers for rows or a file (glob) as Iceberg types, from a sample: how a
 * pipeline creates a raw table nobody declared columns for. JSON numbers without a fraction infer
 * as BIGINT (`long`), text as VARCHAR (`string`), JSON objects as structs.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput } from '../../../domain/errors.js';
import type { ColumnDescription, WriteInput } from '../../../ports/query-engine.js';
import { messageOf } from './errors.js';
import { describeColumns } from './iceberg-types.js';
import { sqlString } from './sql-text.js';
import { inputFile } from './write-input.js';

function reader(path: string, format: 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET'): string {
  const p = sqlString(path);
  switch (format) {
    case 'NDJSON': return `read_json(${p}, format = 'newline_delimited')`;
    case 'JSON': return `read_json(${p}, format = 'auto')`;
    case 'CSV': return `read_csv(${p}, header = true)`;
    case 'PARQUET': return `read_parquet(${p})`;
  }
}

export async function describeInput(conn: DuckDBConnection, input: Exclude<WriteInput, { kind: 'query' }>): Promise<ColumnDescription[]> {
  if (input.kind === 'rows' && input.rows.length === 0) throw new InvalidInput('no rows to infer columns from', 'rows');
  const { path, format, cleanup } = await inputFile(input);
  try {
    const r = await conn.run(`SELECT * FROM ${reader(path, format)} LIMIT 0`);
    return describeColumns(r.columnNames(), r.columnTypes());
  } catch (e) {
    throw new InvalidInput(`the ${format} input could not be read: ${messageOf(e)}`, input.kind === 'rows' ? 'rows' : 'file');
  } finally {
    await cleanup();
  }
}
