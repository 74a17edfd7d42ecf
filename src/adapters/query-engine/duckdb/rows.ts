/**
 * rows(): projection, `where` as bound parameters, orderBy on validated columns, and keyset paging
 * over a total order — the orderBy columns (ASC NULLS LAST / DESC NULLS FIRST), then the data file
 * (as recorded) and the row position in it — so no row is lost or repeated across pages.
 * Without orderBy that order is the files' own, so a page reads the plan's files in that order, a
 * batch at a time (a big file a window of positions at a time), until it is full, instead of
 * sorting the whole table; totalCount comes from the
 * manifests' record counts when there is no filter and no delete file.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { InvalidInput } from '../../../domain/errors.js';
import { MAX_PAGE_BYTES } from '../../../domain/paging.js';
import { whereToSql, type FilterValue } from '../../../domain/filters.js';
import type { DataFile, NestedField, ScanPlan } from '../../../domain/iceberg/types.js';
import type { JsonValue, OrderBy, RowPage, RowQuery } from '../../../ports/query-engine.js';
import { decodeCursor, encodeCursor, type SortKey } from './cursor.js';
import { userError } from './errors.js';
import { objectOf } from './json-values.js';
import type { LayoutCache } from './layout.js';
import { chunkReader, ResultBudget } from './result-budget.js';
import { buildScan, type Scan } from './scan-sql.js';
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

interface Prepared {
  fields: NestedField[];
  columns: string[];
  orderBy: OrderBy[];
  sortKeys: { col: string; type: string; desc: boolean }[];
  after: SortKey | null;
}

function prepare(fields: NestedField[], q: RowQuery): Prepared {
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
  return { fields, columns, orderBy, sortKeys, after };
}

/** The `where` filter (if any) over scan alias `s`, its parameters appended to `params`. */
function whereFilter(p: Prepared, q: RowQuery, params: Params): string[] {
  return q.where ? [whereToSql(q.where, { column: (c) => `s.${quoteIdent(fieldOf(p.fields, c, 'where').name)}`, value: (v) => params.add(v) })] : [];
}

/**
 * Up to `limit` rows of `scan` (where, after the cursor) in the total order: each row's hidden sort
 * key columns (for the cursor), and the first `page.keep` of them as JSON objects (the rest only
 * tell whether there is a next page).
 */
async function pageQuery(conn: DuckDBConnection, scan: Scan, p: Prepared, q: RowQuery, limit: number, page: { keep: number; budget: ResultBudget }) {
  const params = new Params();
  const filters = whereFilter(p, q, params);
  if (p.after) {
    const all = [...p.sortKeys, { col: `s.${FILE_COL}`, type: 'VARCHAR', desc: false }, { col: `s.${POS_COL}`, type: 'BIGINT', desc: false }];
    filters.push(keysetSql(all, [...p.after.values, p.after.file, p.after.pos], params));
  }
  const from = `FROM (${scan.sql}) s${filters.length ? ` WHERE ${filters.join(' AND ')}` : ''}`;
  const order = [
    ...p.sortKeys.map((k) => `${k.col} ${k.desc ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`),
    `s.${FILE_COL} ASC`,
    `s.${POS_COL} ASC`,
  ];
  const select = [
    ...p.columns.map((c) => `s.${quoteIdent(c)}`),
    ...p.sortKeys.map((k, i) => `CAST(${k.col} AS VARCHAR) AS __cg_k${i}`),
    `s.${FILE_COL}`,
    `CAST(s.${POS_COL} AS VARCHAR) AS __cg_p`,
  ];
  let result;
  try {
    result = await conn.run(`SELECT ${select.join(', ')} ${from} ORDER BY ${order.join(', ')} LIMIT ${limit}`, params.values);
  } catch (e) {
    throw userError(e, 'where');
  }
  const n = p.columns.length;
  const types = result.columnTypes();
  const keys: DuckDBValue[][] = [];
  const rows: Record<string, JsonValue>[] = [];
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const reader = chunkReader(chunk, types, n, page.budget);
    for (let r = 0; r < chunk.rowCount; r++) {
      const key: DuckDBValue[] = [];
      for (let c = n; c < types.length; c++) key.push(reader.raw(r, c));
      keys.push(key);
      if (rows.length < page.keep) rows.push(objectOf(p.columns, reader.row(r)));
    }
  }
  return { keys, rows };
}

async function countRows(conn: DuckDBConnection, scan: Scan, p: Prepared, q: RowQuery): Promise<bigint> {
  const params = new Params();
  const filters = whereFilter(p, q, params);
  let r;
  try {
    r = await conn.runAndReadAll(`SELECT count(*) FROM (${scan.sql}) s${filters.length ? ` WHERE ${filters[0]}` : ''}`, params.values);
  } catch (e) {
    throw userError(e, 'where');
  }
  return BigInt(r.getRows()[0]?.[0] as bigint | number);
}

/** UTF-8 byte order, as DuckDB compares VARCHARs. */
const byteOrder = (a: Buffer, b: Buffer) => Buffer.compare(a, b);

/** At most this many files per query of the sequential strategy. */
const MAX_BATCH_FILES = 2_000;
/** The first window of positions read of a big file when a filter or deletes may drop rows. */
const MIN_FILTERED_WINDOW = 100_000;

/** Plans' live data files in (recorded path) byte order, by the plan's file list (plans are cached upstream). */
const sortedFiles = new WeakMap<readonly DataFile[], { f: DataFile; key: Buffer }[]>();

function inFileOrder(files: DataFile[]): { f: DataFile; key: Buffer }[] {
  let sorted = sortedFiles.get(files);
  if (!sorted) {
    sorted = files
      .filter((f) => f.content === 'DATA' && f.recordCount !== 0)
      .map((f) => ({ f, key: Buffer.from(f.recordedPath ?? f.filePath, 'utf8') }))
      .sort((a, b) => byteOrder(a.key, b.key));
    sortedFiles.set(files, sorted);
  }
  return sorted;
}

/**
 * Up to `want` rows in (recorded file, position) order, the first `keep` as objects: the plan's
 * files are read in that order, a batch at a time, until enough rows are found, so a page of a
 * table with many files reads only a few of them. A file holding more rows than the batch still
 * needs (a compacted file) is read a window of positions at a time (DuckDB skips the row groups
 * outside it) instead of whole: ORDER BY … LIMIT over a whole file reads all of it.
 */
async function inFileOrderPage(
  conn: DuckDBConnection,
  layouts: LayoutCache,
  plan: ScanPlan,
  p: Prepared,
  q: RowQuery,
  want: number,
  keep: number,
  budget: ResultBudget,
  local: (p: ScanPlan) => ScanPlan | Promise<ScanPlan>,
): Promise<{ raw: DuckDBValue[][]; rows: Record<string, JsonValue>[] }> {
  const raw: DuckDBValue[][] = [];
  const rows: Record<string, JsonValue>[] = [];
  const sorted = inFileOrder(plan.dataFiles);
  // A file whose recorded path another file shares interleaves with it by position: never windowed.
  const alone = (k: number) => (k === 0 || byteOrder(sorted[k - 1]!.key, sorted[k]!.key) !== 0) && (k + 1 >= sorted.length || byteOrder(sorted[k + 1]!.key, sorted[k]!.key) !== 0);
  let i = 0;
  // The position in sorted[i] to read from (rows before it are on earlier pages).
  let from = 0;
  if (p.after) {
    const after = Buffer.from(p.after.file, 'utf8');
    while (i < sorted.length && byteOrder(sorted[i]!.key, after) < 0) i++;
    const pos = Number(p.after.pos);
    if (i < sorted.length && byteOrder(sorted[i]!.key, after) === 0 && alone(i) && Number.isSafeInteger(pos)) from = pos + 1;
  }
  let scale = 1;
  // A filter or deletes may drop most rows: windows of a file start at about a row group's worth.
  const minSpan = q.where || plan.deleteFiles.length > 0 ? MIN_FILTERED_WINDOW : 0;
  while (i < sorted.length && raw.length < want) {
    const need = want - raw.length;
    // Rows to read this round: what is still needed, more each round when a filter or deletes drop rows.
    const span = Math.min(Math.max(need * scale, minSpan), Number.MAX_SAFE_INTEGER);
    let batch: DataFile[];
    let window: { from: number; to: number | null } | undefined;
    if (alone(i) && sorted[i]!.f.recordCount - from > span) {
      batch = [sorted[i]!.f];
      window = { from, to: from + span };
      from += span;
    } else {
      // Files enough for the rows still needed by record count; never split files with the same
      // recorded path across batches.
      let j = i;
      let records = -from;
      while (j < sorted.length && j - i < MAX_BATCH_FILES && (records < span || j === i)) records += sorted[j++]!.f.recordCount;
      while (j < sorted.length && byteOrder(sorted[j]!.key, sorted[j - 1]!.key) === 0) j++;
      batch = sorted.slice(i, j).map((x) => x.f);
      // The first file from where the last window ended (the others of the batch from their start).
      window = from > 0 ? { from, to: null } : undefined;
      if (window && batch.length > 1) {
        // A window applies to every file of a read: the rest of the first file alone, then the others.
        batch = [batch[0]!];
        j = i + 1;
      }
      i = j;
      from = 0;
    }
    const scan = await buildScan(conn, layouts, await local({ ...plan, dataFiles: batch }), window ? { window } : {});
    const out = await pageQuery(conn, scan, p, q, need, { keep: Math.max(0, keep - rows.length), budget });
    for (const k of out.keys) raw.push(k);
    for (const r of out.rows) rows.push(r);
    if (window?.to != null && from >= sorted[i]!.f.recordCount) {
      i++;
      from = 0;
    }
    scale = Math.min(scale * 4, 1 << 20);
  }
  return { raw, rows };
}

/**
 * `local` maps a plan's files to paths DuckDB opens (fetching copies of remote ones); it is applied
 * only to the files a query reads (with the sequential strategy, a few of the plan's files).
 */
export async function readRows(
  conn: DuckDBConnection,
  layouts: LayoutCache,
  plan: ScanPlan,
  q: RowQuery,
  local: (p: ScanPlan) => ScanPlan | Promise<ScanPlan> = (x) => x,
): Promise<RowPage> {
  const p = prepare(plan.schema.fields, q);
  const dataFiles = plan.dataFiles.filter((f) => f.content === 'DATA' && f.recordCount !== 0);
  let totalCount: bigint | null = null;
  if (q.withTotal) {
    // Without a filter or delete files the manifests' record counts are the count (as Iceberg
    // engines answer count(*) from metadata); otherwise the rows are counted.
    if (!q.where && plan.deleteFiles.length === 0) totalCount = dataFiles.reduce((n, f) => n + BigInt(f.recordCount), 0n);
    else totalCount = await countRows(conn, await buildScan(conn, layouts, await local(plan), { positions: false }), p, q);
  }
  const budget = new ResultBudget(MAX_PAGE_BYTES, 'ask for fewer rows (first) or columns');
  if (q.first === 0) {
    // Nothing to return. Without a filter, deletes or a cursor, the manifests say whether a row
    // follows (no file is read); otherwise one row read says it.
    if (!q.where && !p.after && plan.deleteFiles.length === 0) return { columns: p.columns, rows: [], totalCount, nextCursor: null, hasMore: dataFiles.length > 0 };
    const probe = p.sortKeys.length > 0
      ? (await pageQuery(conn, await buildScan(conn, layouts, await local(plan)), p, q, 1, { keep: 0, budget })).keys
      : (await inFileOrderPage(conn, layouts, plan, p, q, 1, 0, budget, local)).raw;
    return { columns: p.columns, rows: [], totalCount, nextCursor: null, hasMore: probe.length > 0 };
  }

  const want = q.first + 1;
  let raw: DuckDBValue[][];
  let rows: Record<string, JsonValue>[];
  if (p.sortKeys.length > 0) {
    // A sort over the columns needs every row: one query over the whole plan.
    const out = await pageQuery(conn, await buildScan(conn, layouts, await local(plan)), p, q, want, { keep: q.first, budget });
    raw = out.keys;
    rows = out.rows;
  } else {
    ({ raw, rows } = await inFileOrderPage(conn, layouts, plan, p, q, want, q.first, budget, local));
  }
  const page = rows.slice(0, q.first);
  let nextCursor: string | null = null;
  const last = raw[q.first - 1];
  if (raw.length > q.first && last) {
    const key: SortKey = {
      values: p.sortKeys.map((_k, i) => (last[i] as string | null) ?? null),
      file: String(last[p.sortKeys.length]),
      pos: String(last[p.sortKeys.length + 1]),
    };
    nextCursor = encodeCursor(p.orderBy, key);
  }
  return { columns: p.columns, rows: page, totalCount, nextCursor, hasMore: raw.length > q.first };
}
