/** DuckDB values → the JSON the API returns (src/adapters/query-engine/duckdb/json-values.ts), read from a real DuckDB. */
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { objectOf } from '../../src/adapters/query-engine/duckdb/json-values.js';
import { chunkReader, ResultBudget } from '../../src/adapters/query-engine/duckdb/result-budget.js';

/** The rows of `sql` as the engine returns them (chunk by chunk, value by value). */
async function rowsOf(sql: string) {
  const conn = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    const r = await conn.run(sql);
    const rows = [];
    for (let chunk = await r.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await r.fetchChunk()) {
      const reader = chunkReader(chunk, r.columnTypes(), r.columnCount, new ResultBudget(1 << 20, 'test'));
      for (let i = 0; i < chunk.rowCount; i++) rows.push(objectOf(r.columnNames(), reader.row(i)));
    }
    return rows;
  } finally {
    conn.closeSync();
  }
}

describe('DuckDB values as JSON', () => {
  it('writes dates and timestamps over their whole range, infinities included', async () => {
    expect(
      await rowsOf(`SELECT 'infinity'::DATE AS d1, '-infinity'::DATE AS d2, DATE '5881580-07-10' AS d3, DATE '0044-03-15 (BC)' AS d4, DATE '10000-01-01' AS d5,
                           'infinity'::TIMESTAMP AS t1, '-infinity'::TIMESTAMPTZ AS t2, TIMESTAMP '294246-12-31 23:59:59.999999' AS t3,
                           TIMESTAMPTZ '0001-01-01 00:00:00+00' - INTERVAL 1 SECOND AS t4, TIMESTAMP_NS '2020-01-01 00:00:00.123456789' AS t5`),
    ).toEqual([
      {
        d1: 'infinity', d2: '-infinity', d3: '5881580-07-10', d4: '-0043-03-15', d5: '10000-01-01',
        t1: 'infinity', t2: '-infinity', t3: '294246-12-31T23:59:59.999999', t4: '0000-12-31T23:59:59Z', t5: '2020-01-01T00:00:00.123456',
      },
    ]);
  });

  it('writes wide integers and decimals as strings and non-finite floats as text', async () => {
    expect(await rowsOf(`SELECT 123456789012345678901234567890::HUGEINT AS h, 'NaN'::DOUBLE AS n, '-inf'::FLOAT AS f, 1.5::DECIMAL(38,37) AS d, 9223372036854775807 AS l`)).toEqual([
      { h: '123456789012345678901234567890', n: 'NaN', f: '-Infinity', d: '1.5000000000000000000000000000000000000', l: '9223372036854775807' },
    ]);
  });
});
