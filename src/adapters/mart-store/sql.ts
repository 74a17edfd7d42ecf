/**
 * SQL text for the mart stores (PostgreSQL and PGlite speak the same SQL): Iceberg → PostgreSQL
 * types, the staging/swap DDL of a publish, and the row, count and aggregate queries built from a
 * validated MartQuery (src/domain/mart-filters.ts). Identifiers come from the publication records
 * and are always quoted; every value is a bound parameter cast to the column's own type.
 *
 * Output values are made JSON-safe in SQL where that is exact (`::text` for bigint, numeric, date,
 * uuid; base64 for bytea) and finished in JS only for dates, times and timestamps (ISO-8601 with
 * a 'T', six-digit fractions, 'Z' for timestamptz, read `AT TIME ZONE 'UTC'` so the session zone
 * never matters; BC years as ISO's `-0043`, see src/domain/calendar.ts) and non-finite floats.
 */
import { isoFromPgText } from '../../domain/calendar.js';
import { InvalidInput } from '../../domain/errors.js';
import { quoteIdent, whereToSql, type Where } from '../../domain/filters.js';
import { decimalOf, parseType } from '../../domain/iceberg/type-strings.js';
import { columnKinds, encodeMartCursor, martKind, type MartKind, type MartQuery } from '../../domain/mart-filters.js';
import type { MartColumn } from '../../ports/mart-store.js';
import type { JsonValue, RowPage } from '../../ports/query-engine.js';

export const MARTS = 'marts';
export const STAGING = 'marts_staging';
export const META = 'marts_meta';
/** Hidden row number of every mart table (identity, 1-based in load order): primary key and the keyset tiebreaker. */
export const ROW = '__cascade_row';
/** Prefix reserved for hidden columns: mart columns may not start with it. */
export const HIDDEN_PREFIX = '__cascade';

export const MIGRATIONS = [
  {
    version: 1,
    statements: [
      `CREATE SCHEMA IF NOT EXISTS ${MARTS}`,
      `CREATE SCHEMA IF NOT EXISTS ${STAGING}`,
      `CREATE SCHEMA IF NOT EXISTS ${META}`,
      `CREATE TABLE IF NOT EXISTS ${META}.publications (
         name text PRIMARY KEY,
         ref text NOT NULL,
         commit_hash text NOT NULL,
         table_key text NOT NULL,
         snapshot_id text NOT NULL,
         published_at timestamptz NOT NULL,
         columns jsonb NOT NULL,
         row_count bigint NOT NULL)`,
    ],
  },
];

/** PostgreSQL identifiers hold at most 63 bytes (longer ones are silently truncated: refuse them). */
const MAX_IDENT_BYTES = 63;
const MART_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function checkMartName(name: string): void {
  if (typeof name !== 'string' || !MART_NAME.test(name) || Buffer.byteLength(name) > MAX_IDENT_BYTES) {
    throw new InvalidInput(`invalid mart name '${String(name).slice(0, 100)}': an identifier of at most ${MAX_IDENT_BYTES} bytes`, 'marts');
  }
}

export function checkColumns(mart: string, columns: MartColumn[]): void {
  if (columns.length === 0) throw new InvalidInput(`mart '${mart}' has no columns`, 'marts');
  const seen = new Set<string>();
  for (const c of columns) {
    const bytes = Buffer.byteLength(c.name);
    if (bytes === 0 || bytes > MAX_IDENT_BYTES || c.name.includes('\u0000') || c.name.startsWith(HIDDEN_PREFIX)) {
      throw new InvalidInput(`mart '${mart}': column name '${c.name.slice(0, 100)}' cannot be a PostgreSQL column (1..63 bytes, not starting with ${HIDDEN_PREFIX})`, 'marts');
    }
    if (seen.has(c.name)) throw new InvalidInput(`mart '${mart}': column '${c.name}' appears twice`, 'marts');
    seen.add(c.name);
    try {
      let id = 0;
      parseType(c.type, () => ++id);
    } catch {
      throw new InvalidInput(`mart '${mart}': column '${c.name}' has no Iceberg type '${String(c.type).slice(0, 100)}'`, 'marts');
    }
  }
}

/** The exact PostgreSQL type of an Iceberg type string. */
export function pgType(icebergType: string): string {
  const kind = martKind(icebergType);
  switch (kind) {
    case 'boolean': return 'boolean';
    case 'int': return 'integer';
    case 'long': return 'bigint';
    case 'float': return 'real';
    case 'double': return 'double precision';
    case 'decimal': {
      const d = decimalOf(icebergType)!;
      return `numeric(${d.precision},${d.scale})`;
    }
    case 'date': return 'date';
    case 'time': return 'time';
    case 'timestamp': return 'timestamp';
    case 'timestamptz': return 'timestamptz';
    case 'string': return 'text';
    case 'uuid': return 'uuid';
    case 'binary': return 'bytea';
    case 'json': return 'jsonb';
  }
}

/** The type a bound value is cast to when compared with a column of `kind`. */
function paramType(kind: MartKind, icebergType: string): string {
  return kind === 'decimal' ? 'numeric' : pgType(icebergType);
}

export const table = (schema: string, name: string) => `${schema}.${quoteIdent(name)}`;

// ───────────────────────────── publish ─────────────────────────────

export function createStagingSql(staging: string, columns: MartColumn[]): string {
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${pgType(c.type)}${c.nullable ? '' : ' NOT NULL'}`);
  // The row number comes from an identity column: COPY order, no window in the export to wait for.
  return `CREATE TABLE ${table(STAGING, staging)} (${[...defs, `${quoteIdent(ROW)} bigint GENERATED ALWAYS AS IDENTITY (CACHE 10000) NOT NULL`].join(', ')})`;
}

export function copySql(staging: string, columns: MartColumn[], from: 'STDIN' | "'/dev/blob'"): string {
  const cols = columns.map((c) => quoteIdent(c.name)).join(', ');
  return `COPY ${table(STAGING, staging)} (${cols}) FROM ${from} WITH (FORMAT csv)`;
}

/** After the load: the row number becomes the primary key (built once, after COPY), and statistics. */
export function finishStagingSql(staging: string): { primaryKey: string; analyze: string } {
  return {
    primaryKey: `ALTER TABLE ${table(STAGING, staging)} ADD CONSTRAINT ${quoteIdent(`${staging}_pkey`)} PRIMARY KEY (${quoteIdent(ROW)})`,
    analyze: `ANALYZE ${table(STAGING, staging)}`,
  };
}

/**
 * For the primary key build on a real PostgreSQL (in its own transaction, so transaction-local):
 * the default 64MB is split between a parallel build's participants, so a million-row key already
 * spilled to disk and was merged; with 256MB it sorts in memory (A/B on 1M rows: ~20% less CPU
 * for the build, on a noisy machine).
 */
export const PRIMARY_KEY_BUILD_SETTINGS = [`SET LOCAL maintenance_work_mem = '256MB'`];

/** Inside the publish transaction: the old mart goes, the staged table takes its place. */
export function swapSql(name: string, staging: string): string[] {
  return [
    `DROP TABLE IF EXISTS ${table(MARTS, name)}`,
    `ALTER TABLE ${table(STAGING, staging)} SET SCHEMA ${MARTS}`,
    `ALTER TABLE ${table(MARTS, staging)} RENAME TO ${quoteIdent(name)}`,
  ];
}

export const UPSERT_PUBLICATION = `
  INSERT INTO ${META}.publications (name, ref, commit_hash, table_key, snapshot_id, published_at, columns, row_count)
  VALUES ($1, $2, $3, $4, $5, now(), $6::jsonb, $7::bigint)
  ON CONFLICT (name) DO UPDATE SET ref = EXCLUDED.ref, commit_hash = EXCLUDED.commit_hash, table_key = EXCLUDED.table_key,
    snapshot_id = EXCLUDED.snapshot_id, published_at = EXCLUDED.published_at, columns = EXCLUDED.columns, row_count = EXCLUDED.row_count
  RETURNING ${publicationColumns()}`;

export function publicationColumns(): string {
  return `name, ref, commit_hash, table_key, snapshot_id, published_at, columns::text AS columns, row_count::text AS row_count, to_regclass(format('${MARTS}.%I', name)) IS NOT NULL AS present`;
}

export interface PublicationRow {
  name: string;
  ref: string;
  commit_hash: string;
  table_key: string;
  snapshot_id: string;
  published_at: Date | string;
  columns: string;
  row_count: string;
  present: boolean;
}

// ───────────────────────────── reads ─────────────────────────────

export class Params {
  readonly values: unknown[] = [];
  add(v: unknown, type: string): string {
    this.values.push(v);
    return `$${this.values.length}::${type}`;
  }
}

interface Col {
  name: string;
  type: string;
  kind: MartKind;
}

function whereSql(w: Where, cols: Map<string, Col>, p: Params): string {
  const col = (name: string) => {
    const c = cols.get(name);
    if (!c) throw new InvalidInput(`where: unknown column '${name.slice(0, 100)}'`, 'where');
    return c;
  };
  return whereToSql(w, {
    column: (name) => quoteIdent(col(name).name),
    // Each value is cast to its column's type; LIKE matches the text of any column.
    value: (v, name) => {
      const c = col(name);
      return p.add(v, paramType(c.kind, c.type));
    },
    likeColumn: (name) => {
      const c = col(name);
      return c.kind === 'string' ? quoteIdent(c.name) : `${quoteIdent(c.name)}::text`;
    },
    pattern: (pattern) => p.add(pattern, 'text'),
  });
}

/** The select-list expression of a column's JSON-ready value. */
function outputExpr(c: Col): string {
  const q = quoteIdent(c.name);
  switch (c.kind) {
    case 'long':
    case 'decimal':
    case 'date':
    case 'uuid':
    case 'time':
    case 'timestamp':
      return `${q}::text`;
    case 'timestamptz':
      return `(${q} AT TIME ZONE 'UTC')::text`;
    case 'binary':
      return `translate(encode(${q}, 'base64'), E'\\n', '')`;
    default:
      return q;
  }
}

/** `YYYY-MM-DD HH:MM:SS[.f][ BC]` (PostgreSQL) → `YYYY-MM-DDTHH:MM:SS[.ffffff]` (BC years as ISO's `-YYYY`). */
function isoTimestamp(text: string): string {
  // The common shape (four-digit year, up to six fraction digits) by slicing; anything else by the general pattern.
  const n = text.length;
  if (COMMON_TIMESTAMP.test(text)) return n === 19 ? `${text.slice(0, 10)}T${text.slice(11)}` : `${text.slice(0, 10)}T${text.slice(11)}${ZEROS[26 - n]}`;
  return isoFromPgText(text);
}
const COMMON_TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?$/;
const ZEROS = ['', '0', '00', '000', '0000', '00000', '000000'];

function isoTime(text: string): string {
  const m = /^(\d{2}:\d{2}:\d{2})\.(\d+)$/.exec(text);
  return m ? `${m[1]}.${m[2]!.padEnd(6, '0')}` : text;
}

const finite = (v: unknown): JsonValue => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : (v as JsonValue));
const startsWithDigit = (v: string) => {
  const c = v.charCodeAt(0);
  return c >= 48 && c <= 57;
};

type Finisher = (v: unknown) => JsonValue;

const finishDate: Finisher = (v) => (typeof v === 'string' && v.length !== 10 ? isoFromPgText(v) : (v as JsonValue));
const finishTime: Finisher = (v) => (typeof v === 'string' ? isoTime(v) : (v as JsonValue));
const finishTimestamp: Finisher = (v) => (typeof v === 'string' ? isoTimestamp(v) : (v as JsonValue));
const finishTimestamptz: Finisher = (v) => (typeof v === 'string' ? (startsWithDigit(v) ? `${isoTimestamp(v)}Z` : v) : (v as JsonValue));

/** The JS step that finishes a value, or null when the driver's value is already right. */
function finisher(kind: MartKind): Finisher | null {
  switch (kind) {
    case 'date':
      return finishDate;
    case 'time':
      return finishTime;
    case 'timestamp':
      return finishTimestamp;
    case 'timestamptz':
      return finishTimestamptz;
    case 'float':
    case 'double':
      return finite;
    case 'int':
      // PGlite may hand back numbers for int4 already; pg always does.
      return null;
    default:
      return null;
  }
}

/** A sort value as cursor text (castable back to the column's type). */
function cursorText(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

type RowBuilder = (row: readonly unknown[]) => Record<string, JsonValue>;

const builders = new Map<string, RowBuilder>();
const MAX_BUILDERS = 1000;

/**
 * Turns a driver row (an array in select order) into the output object of `names` (the first
 * `names.length` entries), each value finished. Compiled once per column list: an object literal
 * of fixed shape is several times cheaper per row than filling an empty object key by key. Keys
 * are JSON string literals (exact for any column name); a column named `__proto__` (which a literal
 * would take as the prototype) gets the generic builder.
 */
function rowBuilder(names: readonly string[], kinds: readonly MartKind[]): RowBuilder {
  const finishers = kinds.map(finisher);
  if (names.includes('__proto__')) {
    return (row) => {
      const o: Record<string, JsonValue> = {};
      names.forEach((n, i) => {
        const f = finishers[i];
        Object.defineProperty(o, n, { value: f ? f(row[i]) : (row[i] as JsonValue), enumerable: true, writable: true, configurable: true });
      });
      return o;
    };
  }
  // The finishers depend on the kinds only, so the compiled builder is shared by every query of these columns.
  const key = JSON.stringify([names, kinds]);
  let b = builders.get(key);
  if (!b) {
    const body = names.map((n, i) => `${JSON.stringify(n)}: ${finishers[i] ? `f[${i}](r[${i}])` : `r[${i}]`}`).join(', ');
    b = new Function('f', `'use strict'; return (r) => ({ ${body} });`)(finishers) as RowBuilder;
    if (builders.size >= MAX_BUILDERS) builders.clear();
    builders.set(key, b);
  }
  return b;
}

export interface RowsStatement {
  sql: string;
  params: unknown[];
  /**
   * Turns the driver's rows (arrays of the selected values, in select order) into the page. With
   * `withMetaTotal` the statement also read the row count recorded with the publication (same
   * snapshot as the rows), which wins over `totalCount` unless the page is empty.
   */
  page(rows: readonly (readonly unknown[])[], totalCount: bigint | null): RowPage;
  /** The select list's output names, in order (to read rows a driver returned as objects). */
  fields: string[];
}

const TOTAL = `${HIDDEN_PREFIX}_total`;

function columnsOf(martColumns: MartColumn[]): Map<string, Col> {
  const kinds = columnKinds(martColumns);
  return new Map(martColumns.map((c) => [c.name, { name: c.name, type: c.type, kind: kinds.get(c.name)! }]));
}

/** Rows after the cursor, in the total order (orderBy then row number), one more than a page. */
export function rowsStatement(name: string, martColumns: MartColumn[], q: MartQuery, withMetaTotal = false): RowsStatement {
  const cols = columnsOf(martColumns);
  const p = new Params();
  const conditions: string[] = [];
  if (q.where) conditions.push(whereSql(q.where, cols, p));
  // Sort keys not among the requested columns are selected under hidden names.
  const hiddenKeys = q.orderBy.filter((o) => !q.columns.includes(o.column)).map((o) => o.column);
  const keyAlias = (column: string) => (q.columns.includes(column) ? column : `${HIDDEN_PREFIX}_k${hiddenKeys.indexOf(column)}`);
  if (q.after) {
    const branches: string[] = [];
    const equal: string[] = [];
    q.orderBy.forEach((o, i) => {
      const c = cols.get(o.column)!;
      const v = q.after!.values[i] ?? null;
      const col = quoteIdent(c.name);
      const typed = v === null ? '' : p.add(v, pgType(c.type));
      let after: string | null;
      if (!o.desc) after = v === null ? null : `(${col} > ${typed} OR ${col} IS NULL)`;
      else after = v === null ? `${col} IS NOT NULL` : `${col} < ${typed}`;
      if (after) branches.push(`(${[...equal, after].join(' AND ')})`);
      equal.push(v === null ? `${col} IS NULL` : `${col} = ${typed}`);
    });
    branches.push(`(${[...equal, `${quoteIdent(ROW)} > ${p.add(q.after.row, 'bigint')}`].join(' AND ')})`);
    conditions.push(branches.length === 1 ? branches[0]! : `(${branches.join(' OR ')})`);
  }
  const select = [
    ...q.columns.map((n) => `${outputExpr(cols.get(n)!)} AS ${quoteIdent(n)}`),
    ...hiddenKeys.map((n) => `${outputExpr(cols.get(n)!)} AS ${quoteIdent(keyAlias(n))}`),
    `${quoteIdent(ROW)}::text AS ${quoteIdent(ROW)}`,
  ];
  const fields = [...q.columns, ...hiddenKeys.map(keyAlias), ROW];
  if (withMetaTotal) {
    select.push(`(SELECT row_count::text FROM ${META}.publications WHERE name = ${p.add(name, 'text')}) AS ${quoteIdent(TOTAL)}`);
    fields.push(TOTAL);
  }
  // Qualified: a bare name in ORDER BY would mean the output column (often its ::text form).
  const order = [...q.orderBy.map((o) => `m.${quoteIdent(o.column)} ${o.desc ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`), `m.${quoteIdent(ROW)} ASC`];
  // The page is picked on the raw columns first; the output conversions then run on its rows only,
  // not on every row the sort reads.
  const raw = [...new Set([...q.columns, ...q.orderBy.map((o) => o.column), ROW])].map((c) => `m.${quoteIdent(c)}`);
  const page =
    `SELECT ${raw.join(', ')} FROM ${table(MARTS, name)} AS m` +
    (conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '') +
    ` ORDER BY ${order.join(', ')} LIMIT ${q.first + 1}`;
  const sql = `SELECT ${select.join(', ')} FROM (${page}) AS m ORDER BY ${order.join(', ')}`;

  const build = rowBuilder(q.columns, q.columns.map((n) => cols.get(n)!.kind));
  // Where each sort key's value sits in a row, and how it is finished for the cursor.
  const keys = q.orderBy.map((o) => ({ at: fields.indexOf(keyAlias(o.column)), finish: finisher(cols.get(o.column)!.kind) }));
  const rowAt = fields.indexOf(ROW);
  const totalAt = withMetaTotal ? fields.indexOf(TOTAL) : -1;
  return {
    sql,
    params: p.values,
    fields,
    page(rows, totalCount) {
      const t = totalAt >= 0 ? rows[0]?.[totalAt] : undefined;
      if (typeof t === 'string') totalCount = BigInt(t);
      const more = rows.length > q.first;
      const n = more ? q.first : rows.length;
      let nextCursor: string | null = null;
      if (more && n > 0) {
        const last = rows[n - 1]!;
        nextCursor = encodeMartCursor(q.orderBy, {
          values: keys.map((k) => cursorText(k.finish ? k.finish(last[k.at]) : last[k.at])),
          row: String(last[rowAt]),
        });
      }
      const out = new Array<Record<string, JsonValue>>(n);
      for (let i = 0; i < n; i++) out[i] = build(rows[i]!);
      return { columns: q.columns, rows: out, totalCount, nextCursor, hasMore: more };
    },
  };
}

export function countStatement(name: string, martColumns: MartColumn[], where: Where | undefined): { sql: string; params: unknown[] } {
  const p = new Params();
  const cond = where ? ` WHERE ${whereSql(where, columnsOf(martColumns), p)}` : '';
  return { sql: `SELECT count(*)::text AS n FROM ${table(MARTS, name)}${cond}`, params: p.values };
}

const NUMERIC: MartKind[] = ['int', 'long', 'float', 'double', 'decimal'];

export interface AggregateStatement {
  sql: string;
  params: unknown[];
  result(row: Record<string, unknown>): { count: string } & Record<string, unknown>;
}

/** count(*) and sum/avg/min/max of every numeric column, in one scan. */
export function aggregateStatement(name: string, martColumns: MartColumn[], where: Where | undefined): AggregateStatement {
  const cols = columnsOf(martColumns);
  const p = new Params();
  const cond = where ? ` WHERE ${whereSql(where, cols, p)}` : '';
  const numeric = [...cols.values()].filter((c) => NUMERIC.includes(c.kind));
  const select = ['count(*)::text AS "c"'];
  numeric.forEach((c, i) => {
    const q = quoteIdent(c.name);
    const exact = c.kind !== 'float' && c.kind !== 'double';
    for (const fn of ['sum', 'avg', 'min', 'max']) select.push(`${fn}(${q})${exact ? '::text' : ''} AS "${fn}${i}"`);
  });
  return {
    sql: `SELECT ${select.join(', ')} FROM ${table(MARTS, name)}${cond}`,
    params: p.values,
    result(row) {
      const out: { count: string } & Record<string, unknown> = { count: String(row.c) };
      numeric.forEach((c, i) => {
        // A numeric column named `count` would hide the row count: the count wins.
        if (c.name === 'count') return;
        const v = (fn: string) => finite(row[`${fn}${i}`] ?? null);
        Object.defineProperty(out, c.name, { value: { sum: v('sum'), avg: v('avg'), min: v('min'), max: v('max') }, enumerable: true, writable: true, configurable: true });
      });
      return out;
    },
  };
}
