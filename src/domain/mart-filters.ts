/**
 * Mart reads as validated data: `where` (the Hasura-style operator objects of filters.ts), `orderBy`,
 * `columns`, `first` and the keyset cursor, checked against a mart's columns and their exact Iceberg
 * types before any SQL exists. Every value is checked to be one the column's type can hold (integer
 * ranges, real calendar dates and times, UUID syntax, no NUL characters), so the database never
 * sees a value it would reject: bad input is InvalidInput naming the argument, and nothing runs.
 *
 * Keyset paging orders by the orderBy columns and then the hidden row number the publish assigned
 * (`__cascade_row`, unique), so the order is total. A cursor is base64url JSON of the last row's
 * sort values (as PostgreSQL text) and row number, tagged with its ordering.
 */
import { isCalendarDate, pgYearText } from './calendar.js';
import { InvalidInput } from './errors.js';
import { columnListProblem, parseWhere, type ColumnKind, type FilterValue, type Where } from './filters.js';
import { parsePrimitive } from './iceberg/type-strings.js';
import { pageSize } from './paging.js';

/** How a mart column behaves in filters, sorting and output. */
export type MartKind =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'decimal' | 'date' | 'time' | 'timestamp' | 'timestamptz'
  | 'string' | 'uuid' | 'binary' | 'json';

export interface MartColumnType {
  name: string;
  /** Iceberg type string. */
  type: string;
}

export function martKind(icebergType: string): MartKind {
  const p = parsePrimitive(icebergType);
  if (p === null) return 'json';
  if (p.startsWith('decimal')) return 'decimal';
  if (p.startsWith('fixed') || p === 'binary') return 'binary';
  return p as MartKind;
}

const FILTER_KIND: Record<MartKind, ColumnKind> = {
  boolean: 'boolean', int: 'integer', long: 'integer', float: 'float', double: 'float', decimal: 'decimal',
  date: 'date', time: 'time', timestamp: 'timestamp', timestamptz: 'timestamp', string: 'string', uuid: 'string',
  binary: 'other', json: 'other',
};

export const SORTABLE = (k: MartKind) => k !== 'binary' && k !== 'json';

export interface MartSort {
  column: string;
  desc: boolean;
}

export interface MartCursor {
  /** Sort values as PostgreSQL text, one per sort key (null for NULL). */
  values: (string | null)[];
  /** The hidden row number of the last row. */
  row: string;
}

export interface MartQuery {
  where: Where | undefined;
  orderBy: MartSort[];
  columns: string[];
  first: number;
  after: MartCursor | null;
}

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const MAX_SORT_KEYS = 16;

const bad = (field: string, why: string) => new InvalidInput(`${field}: ${why}`, field);

// Years past 9999 and before 1 AD (ISO's astronomical `-0043` is 44 BC) are valid in PostgreSQL
// and Iceberg and come back in cursors; pgYearText rewrites them for PostgreSQL.
const DATE = /^([+-]?\d{4,7})-(\d{2})-(\d{2})$/;
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const TIMESTAMP = /^([+-]?\d{4,7})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A clock time PostgreSQL takes: up to 23:59:59.999999, or its end of day 24:00:00 (fraction zero). */
const timeOk = (h: string | undefined, m: string | undefined, s: string | undefined, f: string | undefined) => {
  const [hh, mm, ss] = [Number(h ?? 0), Number(m ?? 0), Number(s ?? 0)];
  if (hh === 24) return mm === 0 && ss === 0 && Number(f ?? 0) === 0;
  return hh <= 23 && mm <= 59 && ss <= 59;
};

/**
 * The value as the text or number bound for a column of `kind`, or an InvalidInput. parseWhere
 * has already checked the JS type; this checks what PostgreSQL would refuse.
 */
export function checkValue(kind: MartKind, v: FilterValue, what: string, field = 'where'): FilterValue {
  switch (kind) {
    case 'int':
    case 'long': {
      const n = BigInt(v as string | number);
      const [lo, hi] = kind === 'int' ? INT32 : INT64;
      if (n < lo || n > hi) throw bad(field, `${what} is out of range for ${kind === 'int' ? 'int' : 'long'}`);
      return typeof v === 'number' ? v : n.toString();
    }
    case 'float':
      if (Math.abs(Number(v)) > 3.4028234663852886e38) throw bad(field, `${what} is out of range for float`);
      return v;
    case 'date': {
      const m = DATE.exec(String(v));
      if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) throw bad(field, `${what} expects a date (YYYY-MM-DD)`);
      return pgYearText(String(v));
    }
    case 'time': {
      const m = TIME.exec(String(v));
      if (!m || !timeOk(m[1], m[2], m[3], m[4])) throw bad(field, `${what} expects a time (HH:MM:SS[.ffffff])`);
      return v;
    }
    case 'timestamp':
    case 'timestamptz': {
      const m = TIMESTAMP.exec(String(v));
      if (!m || !isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) || !timeOk(m[4], m[5], m[6], m[7])) {
        throw bad(field, `${what} expects an ISO-8601 timestamp`);
      }
      const zone = m[8];
      if (kind === 'timestamp') {
        if (zone !== undefined && !/^(Z|[+-]00(:?00)?)$/.test(zone)) throw bad(field, `${what}: a timestamp without time zone takes no UTC offset`);
        return pgYearText(String(v).replace(/(Z|[+-]00(:?00)?)$/, ''));
      }
      return pgYearText(zone === undefined ? `${String(v)}Z` : String(v));
    }
    case 'uuid':
      if (!UUID.test(String(v))) throw bad(field, `${what} expects a UUID`);
      return v;
    case 'string':
      if (String(v).includes('\u0000')) throw bad(field, `${what} must not contain NUL characters`);
      return v;
    default:
      return v;
  }
}

function checkWhere(w: Where, kinds: Map<string, MartKind>): Where {
  switch (w.kind) {
    case 'and':
    case 'or':
      return { ...w, items: w.items.map((i) => checkWhere(i, kinds)) };
    case 'not':
      return { ...w, item: checkWhere(w.item, kinds) };
    case 'compare':
      return { ...w, value: checkValue(kinds.get(w.column)!, w.value, `${w.column}.${w.op}`) };
    case 'in':
      return { ...w, values: w.values.map((v) => checkValue(kinds.get(w.column)!, v, `${w.column}.${w.negated ? '_nin' : '_in'}`)) };
    case 'like':
      if (w.pattern.includes('\u0000')) throw bad('where', `${w.column}: pattern must not contain NUL characters`);
      return w;
    case 'isNull':
      return w;
  }
}

export function columnKinds(columns: MartColumnType[]): Map<string, MartKind> {
  return new Map(columns.map((c) => [c.name, martKind(c.type)]));
}

/** Parses and checks `where` against the columns; undefined when absent. @throws InvalidInput (field 'where') */
export function parseMartWhere(input: unknown, columns: MartColumnType[]): Where | undefined {
  const kinds = columnKinds(columns);
  const w = parseWhere(input, new Map([...kinds].map(([n, k]) => [n, FILTER_KIND[k]])));
  return w === undefined ? undefined : checkWhere(w, kinds);
}

function orderTag(orderBy: MartSort[]): string {
  return orderBy.map((o) => `${o.column}:${o.desc ? 'D' : 'A'}`).join(',');
}

export function encodeMartCursor(orderBy: MartSort[], c: MartCursor): string {
  return Buffer.from(JSON.stringify({ o: orderTag(orderBy), k: c.values, r: c.row }), 'utf8').toString('base64url');
}

const NUMBER_TEXT = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|NaN|-?Infinity)$/;
const INFINITE = /^-?infinity$/;
const DATED: MartKind[] = ['date', 'timestamp', 'timestamptz'];

/** Whether `text` is a sort value as the store writes it (PostgreSQL text; timestamptz as UTC ISO with Z). */
function cursorValueOk(kind: MartKind, text: string): boolean {
  switch (kind) {
    case 'boolean': return text === 'true' || text === 'false';
    case 'int':
    case 'long': {
      if (!/^-?\d{1,19}$/.test(text)) return false;
      const [lo, hi] = kind === 'int' ? INT32 : INT64;
      return BigInt(text) >= lo && BigInt(text) <= hi;
    }
    case 'float':
    case 'double': return NUMBER_TEXT.test(text);
    case 'decimal': return text.length <= 200 && /^-?\d+(\.\d+)?$/.test(text);
    case 'uuid': return UUID.test(text);
    case 'string': return !text.includes('\u0000');
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      if (INFINITE.test(text) && kind !== 'time') return true;
      try {
        checkValue(kind, text, 'cursor', 'after');
        return kind !== 'timestamptz' || text.endsWith('Z');
      } catch {
        return false;
      }
    default: return false;
  }
}

export function decodeMartCursor(cursor: unknown, orderBy: MartSort[], kinds: Map<string, MartKind>): MartCursor {
  const no = (why: string) => bad('after', `invalid cursor (${why})`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,20000}$/.test(cursor)) throw no('not base64url');
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw no('not a cursor');
  }
  if (typeof j !== 'object' || j === null) throw no('not a cursor');
  const { o, k, r } = j as Record<string, unknown>;
  if (o !== orderTag(orderBy)) throw no('it belongs to a different orderBy');
  const valueOk = (x: unknown, i: number) => x === null || (typeof x === 'string' && x.length <= 10_000 && cursorValueOk(kinds.get(orderBy[i]!.column)!, x));
  if (!Array.isArray(k) || k.length !== orderBy.length || !k.every(valueOk)) throw no('wrong sort key');
  if (typeof r !== 'string' || !/^\d{1,18}$/.test(r)) throw no('wrong row number');
  // As bound: the store's own text, with a BC year rewritten for PostgreSQL.
  const bound = (x: string | null, i: number) => {
    const kind = kinds.get(orderBy[i]!.column)!;
    return x === null || INFINITE.test(x) || !DATED.includes(kind) ? x : String(checkValue(kind, x, 'cursor', 'after'));
  };
  return { values: (k as (string | null)[]).map(bound), row: r };
}

export interface MartQueryInput {
  where?: unknown;
  orderBy?: { column: string; direction?: string | null }[] | null;
  first?: number | null;
  after?: string | null;
  columns?: string[] | null;
}

/** Validates a whole row query against the mart's columns. @throws InvalidInput naming the argument */
export function parseMartQuery(columns: MartColumnType[], q: MartQueryInput): MartQuery {
  const kinds = columnKinds(columns);
  const first = pageSize(q.first);
  let picked = columns.map((c) => c.name);
  if (q.columns != null) {
    const problem = columnListProblem(q.columns, kinds);
    if (problem) throw bad('columns', problem);
    picked = [...q.columns];
  }
  const orderBy: MartSort[] = [];
  if (q.orderBy != null) {
    if (!Array.isArray(q.orderBy) || q.orderBy.length > MAX_SORT_KEYS) throw bad('orderBy', `expected a list of at most ${MAX_SORT_KEYS} sort keys`);
    for (const o of q.orderBy) {
      if (typeof o !== 'object' || o === null || typeof o.column !== 'string') throw bad('orderBy', 'each entry needs a column');
      const kind = kinds.get(o.column);
      if (kind === undefined) throw bad('orderBy', `unknown column '${o.column.slice(0, 100)}'`);
      if (!SORTABLE(kind)) throw bad('orderBy', `column '${o.column}' cannot be sorted`);
      const dir = o.direction ?? 'ASC';
      if (dir !== 'ASC' && dir !== 'DESC') throw bad('orderBy', 'direction must be ASC or DESC');
      orderBy.push({ column: o.column, desc: dir === 'DESC' });
    }
  }
  const where = parseMartWhere(q.where, columns);
  const after = q.after == null ? null : decodeMartCursor(q.after, orderBy, kinds);
  return { where, orderBy, columns: picked, first, after };
}
