/** The CSV text a mart publish hands PostgreSQL's COPY (src/adapters/query-engine/duckdb/export-csv.ts). */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { csvExpr } from '../../src/adapters/query-engine/duckdb/export-csv.js';

describe('mart CSV export', () => {
  it("writes timestamptz as DuckDB's own UTC text (without its ICU calendar), edge values included", async () => {
    const conn = await (await DuckDBInstance.create(':memory:')).connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    const values = [
      `TIMESTAMPTZ '2020-01-01 00:00:01.5+00'`, `TIMESTAMPTZ '2024-01-02 05:04:05.000001+02'`, `TIMESTAMPTZ '1970-01-01 00:00:00+00'`,
      `TIMESTAMPTZ 'infinity'`, `TIMESTAMPTZ '-infinity'`, `make_timestamptz(-43, 3, 15, 10, 0, 0.25)`, `make_timestamptz(99999, 12, 31, 23, 59, 59.999999)`,
      `NULL::TIMESTAMPTZ`,
    ];
    const expr = csvExpr({ id: 1, name: 'v', required: false, type: 'timestamptz' });
    const rows = (await conn.runAndReadAll(`SELECT CAST(v AS VARCHAR), ${expr} FROM (VALUES ${values.map((v) => `(${v})`).join(', ')}) AS s(v)`)).getRows();
    expect(rows).toHaveLength(values.length);
    for (const [own, ours] of rows) expect(ours).toBe(own);
    expect(rows.map((r) => r[1])).toContain('0043-03-15 (BC) 10:00:00.25+00');
    expect(rows.map((r) => r[1])).toContain('2024-01-02 03:04:05.000001+00');
  });
});
