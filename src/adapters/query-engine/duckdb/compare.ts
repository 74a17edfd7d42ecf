/**
 * Row-level difference of two snapshots, computed in DuckDB: EXCEPT ALL both ways over the
 * top-level columns the two schemas share by field id (named and typed as in `to`), so a renamed
 * column still compares and a dropped or added one is left out. Each direction is one query that
 * returns its total with a window count and its sample with LIMIT.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataComparison, JsonValue } from '../../../ports/query-engine.js';
import { engineError } from './errors.js';
import { MAX_PAGE_BYTES } from '../../../domain/paging.js';
import { objectOf } from './json-values.js';
import { chunkReader, ResultBudget } from './result-budget.js';
import type { Scan } from './scan-sql.js';
import { duckType, quoteIdent } from './sql-text.js';

async function count(conn: DuckDBConnection, scan: Scan): Promise<bigint> {
  const r = await conn.runAndReadAll(`SELECT count(*) FROM (${scan.sql})`);
  return BigInt(r.getRowsJS()[0]?.[0] as bigint);
}

export async function compareScans(conn: DuckDBConnection, from: Scan, to: Scan, sampleSize: number): Promise<DataComparison> {
  const n = Math.max(0, Math.floor(sampleSize));
  try {
    const fromRows = await count(conn, from);
    const toRows = await count(conn, to);
    const shared = to.fields.flatMap((t) => {
      const f = from.fields.find((x) => x.id === t.id);
      return f ? [{ from: f, to: t }] : [];
    });
    if (shared.length === 0) {
      // Nothing in common: every row of `to` is new and every row of `from` is gone.
      return { fromRows, toRows, rowsAdded: toRows, rowsRemoved: fromRows, sampleAdded: [], sampleRemoved: [] };
    }
    const fromCols = shared.map((c) => `CAST(s.${quoteIdent(c.from.name)} AS ${duckType(c.to.type)}) AS ${quoteIdent(c.to.name)}`).join(', ');
    const toCols = shared.map((c) => `s.${quoteIdent(c.to.name)}`).join(', ');
    const ctes = `WITH __cg_from AS (SELECT ${fromCols} FROM (${from.sql}) s), __cg_to AS (SELECT ${toCols} FROM (${to.sql}) s)`;
    const names = shared.map((c) => c.to.name);
    const budget = new ResultBudget(MAX_PAGE_BYTES, 'ask for a smaller sampleSize');
    const diff = async (a: string, b: string): Promise<{ total: bigint; sample: Record<string, JsonValue>[] }> => {
      const r = await conn.run(`${ctes} SELECT *, count(*) OVER () AS __cg_n FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) LIMIT ${Math.max(1, n)}`);
      let total = 0n;
      const sample: Record<string, JsonValue>[] = [];
      for (let chunk = await r.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await r.fetchChunk()) {
        const reader = chunkReader(chunk, r.columnTypes(), names.length, budget);
        total = BigInt(reader.raw(0, names.length) as bigint);
        for (let i = 0; i < chunk.rowCount && sample.length < n; i++) sample.push(objectOf(names, reader.row(i)));
      }
      return { total, sample };
    };
    const added = await diff('__cg_to', '__cg_from');
    const removed = await diff('__cg_from', '__cg_to');
    return { fromRows, toRows, rowsAdded: added.total, rowsRemoved: removed.total, sampleAdded: added.sample, sampleRemoved: removed.sample };
  } catch (e) {
    throw engineError(e, 'comparing snapshots failed');
  }
}
