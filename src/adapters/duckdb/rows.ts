/**
 * rows(): projection, `where` as bound parameters, orderBy on validated columns, and keyset paging
 * over a total order — the orderBy columns (ASC NULLS LAST / DESC NULLS FIRST), then the data file
 * (as recorded) and the row position in it — so no row is lost or repeated across pages.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { InvalidInput } from '../../domain/errors.js';
import { whereToSql, type FilterValue } from '../../domain/filters.js';
import type { NestedField } from '../../domain/iceberg/types.js';
import type { OrderBy, RowPage, RowQuery } from '../../ports/query-engine.js';
import { decodeCursor, encodeCursor, type SortKey } from './cursor.js';
import { userError } from './errors.js';
import { rowObjects } from './json-values.js';
import type { Scan } from './scan-sql.js';
import { FILE_COL, POS_COL, duckType, isNested, quoteIdent } from './sql-text.js';

class Params {
  readonly values: DuckDBValue[] = [];
  add(v: FilterValue | string): string {
    this.values.push(v);
    return `$${this.values.length}`;
  }
}

function fieldOf(fields: NestedField[], name: string, arg: string): NestedField {
  const f = fields.find((x) => x.name === name);
  if (!f) throw new InvalidInput(`${arg}: unknown column '${name.slice(0, 100)}'`, arg);
  return f;
}

/** Rows strictly after `key` in the sort order (one OR branch per sort position). */
function keysetSql(keys: { col: string; type: string; desc: boolean }[], values: (string | null)[], params: Params): string {
  const branches: string[] = [];
  const equal: string[] = [];
  keys.forEach((k, i) => {
    const v = values[i] ?? null;
    const typed = v === null ? '' : `CAST(${params.add(v)} AS ${k.type})`;
    let after: string | null;
    if (!k.desc) after = v === null ? null : `(${k.col} > ${typed} OR ${k.col} IS NULL)`;
    else after = v === null ? `${k.col} IS NOT NULL` : `${k.col} < ${typed}`;
    if (after) branches.push(`(${[...equal, after].join(' AND ')})`);
    equal.push(v === null ? `${k.col} IS NULL` : `${k.col} = ${typed}`);
  });
  return branches.length === 0 ? 'FALSE' : `(${branches.join(' OR ')})`;
}

export async function readRows(conn: DuckDBConnection, scan: Scan, q: RowQuery): Promise<RowPage> {
  const fields = scan.fields;
  if (!Number.isInteger(q.first) || q.first < 0) throw new InvalidInput('first must be a non-negative integer', 'first');
  const columns = q.columns ?? fields.map((f) => f.name);
  for (const c of columns) fieldOf(fields, c, 'columns');
  const orderBy: OrderBy[] = q.orderBy ?? [];
  const sortKeys = orderBy.map((o) => {
    const f = fieldOf(fields, o.column, 'orderBy');
    if (isNested(f.type)) throw new InvalidInput(`orderBy: column '${o.column}' is nested and cannot be sorted`, 'orderBy');
    if (o.direction !== 'ASC' && o.direction !== 'DESC') throw new InvalidInput(`orderBy: direction must be ASC or DESC`, 'orderBy');
    return { col: `s.${quoteIdent(f.name)}`, type: duckType(f.type), desc: o.direction === 'DESC' };
  });
  const after = q.after !== undefined && q.after !== null ? decodeCursor(q.after, orderBy) : null;

  const params = new Params();
  const filters: string[] = [];
  if (q.where) filters.push(whereToSql(q.where, (c) => `s.${quoteIdent(fieldOf(fields, c, 'where').name)}`, (v) => params.add(v)));
  const whereParams = params.values.length;
  if (after) {
    const all = [...sortKeys, { col: `s.${FILE_COL}`, type: 'VARCHAR', desc: false }, { col: `s.${POS_COL}`, type: 'BIGINT', desc: false }];
    filters.push(keysetSql(all, [...after.values, after.file, after.pos], params));
  }
  const from = `FROM (${scan.sql}) s${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''}`;
  const order = [
    ...sortKeys.map((k) => `${k.col} ${k.desc ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`),
    `s.${FILE_COL} ASC`,
    `s.${POS_COL} ASC`,
  ];
  const select = [
    ...columns.map((c) => `s.${quoteIdent(c)}`),
    ...sortKeys.map((k, i) => `CAST(${k.col} AS VARCHAR) AS __cg_k${i}`),
    `s.${FILE_COL}`,
    `CAST(s.${POS_COL} AS VARCHAR) AS __cg_p`,
  ];
  try {
    let totalCount: bigint | null = null;
    if (q.withTotal) {
      const filter = q.where ? ` WHERE ${filters[0]}` : '';
      const r = await conn.runAndReadAll(`SELECT count(*) FROM (${scan.sql}) s${filter}`, params.values.slice(0, whereParams));
      totalCount = BigInt(r.getRows()[0]?.[0] as bigint | number);
    }
    if (q.first === 0) return { columns, rows: [], totalCount, nextCursor: null };
    const reader = await conn.runAndReadAll(`SELECT ${select.join(', ')} ${from} ORDER BY ${order.join(', ')} LIMIT ${q.first + 1}`, params.values);
    const raw = reader.getRows();
    const page = raw.slice(0, q.first);
    const types = reader.columnTypes().slice(0, columns.length);
    const rows = rowObjects(columns, types, page.map((r) => r.slice(0, columns.length)));
    let nextCursor: string | null = null;
    const last = page[page.length - 1];
    if (raw.length > q.first && last) {
      const n = columns.length;
      const key: SortKey = {
        values: sortKeys.map((_k, i) => (last[n + i] as string | null) ?? null),
        file: String(last[n + sortKeys.length]),
        pos: String(last[n + sortKeys.length + 1]),
      };
      nextCursor = encodeCursor(orderBy, key);
    }
    return { columns, rows, totalCount, nextCursor };
  } catch (e) {
    throw userError(e, 'where');
  }
}
