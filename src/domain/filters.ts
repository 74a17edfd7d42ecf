/**
 * Hasura-style row filters (`where` in API.md), parsed once against the known columns into a typed
 * tree, then rendered to parameterised SQL by each engine. Identifiers come from the schema, never
 * from user text; values are always bound parameters.
 *
 *   { col: { _eq: v, _neq, _gt, _gte, _lt, _lte, _in: [..], _nin: [..], _like, _ilike, _is_null: bool } }
 *   { _and: [where…] } { _or: [where…] } { _not: where }     (several keys in one object are ANDed)
 */
import { parseDate, parseTimestamp } from './calendar.js';
import { InvalidInput } from './errors.js';

export type ColumnKind = 'boolean' | 'integer' | 'float' | 'decimal' | 'string' | 'date' | 'time' | 'timestamp' | 'other';

export type CompareOp = '_eq' | '_neq' | '_gt' | '_gte' | '_lt' | '_lte';
export type Where =
  | { kind: 'and'; items: Where[] }
  | { kind: 'or'; items: Where[] }
  | { kind: 'not'; item: Where }
  | { kind: 'compare'; column: string; op: CompareOp; value: FilterValue }
  | { kind: 'in'; column: string; negated: boolean; values: FilterValue[] }
  | { kind: 'like'; column: string; caseInsensitive: boolean; pattern: string }
  | { kind: 'isNull'; column: string; isNull: boolean };

export type FilterValue = string | number | boolean;

const COMPARE: CompareOp[] = ['_eq', '_neq', '_gt', '_gte', '_lt', '_lte'];
const MAX_NODES = 500;
const MAX_IN = 1000;

/**
 * A date or timestamp in ISO-8601 text, as both engines read it alike, or null: a year past 9999
 * without `+` (DuckDB refuses the sign), a year before 1 AD as ISO's astronomical `-0043`. The
 * engines' `BC` suffixes are refused here: DuckDB reads `0044-03-15 BC` as AD.
 */
function isoDateText(v: string, withTime: boolean): string | null {
  if (v.includes('BC') || (withTime ? parseTimestamp(v) : parseDate(v)) === null) return null;
  return v.replace(/^\+0*(\d{4})/, '$1');
}

/**
 * What is wrong with a caller's `columns` (tables and marts alike): it must be a non-empty list
 * naming known columns, each once. Null when it is fine.
 */
export function columnListProblem(asked: unknown, known: { has(column: string): boolean }): string | null {
  if (!Array.isArray(asked) || asked.length === 0) return 'columns must name at least one column (leave it out for all)';
  const seen = new Set<string>();
  for (const c of asked) {
    if (typeof c !== 'string' || !known.has(c)) return `unknown column '${String(c).slice(0, 100)}'`;
    if (seen.has(c)) return `column '${c.slice(0, 100)}' is listed twice`;
    seen.add(c);
  }
  return null;
}

/** A JSON integer past 2^53 has lost digits by the time it is parsed: comparing with it would match a neighbour. */
const rounded = (column: string, op: string) => `${column}.${op}: a JSON number past 2^53 has lost digits; send it as a string`;

export function parseWhere(input: unknown, columns: Map<string, ColumnKind>, field = 'where'): Where | undefined {
  if (input == null) return undefined;
  let nodes = 0;
  const bad = (why: string) => new InvalidInput(`${field}: ${why}`, field);

  const value = (column: string, kind: ColumnKind, v: unknown, op: string): FilterValue => {
    if (v === null || v === undefined) throw bad(`${column}.${op} needs a value (use _is_null for nulls)`);
    switch (kind) {
      case 'boolean':
        if (typeof v !== 'boolean') throw bad(`${column}.${op} expects a boolean`);
        return v;
      case 'integer':
        if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
        if (typeof v === 'number' && Number.isInteger(v)) throw bad(rounded(column, op));
        if (typeof v === 'string' && /^-?\d{1,19}$/.test(v)) return v;
        throw bad(`${column}.${op} expects an integer`);
      case 'float':
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        throw bad(`${column}.${op} expects a number`);
      case 'decimal':
        if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) throw bad(rounded(column, op));
        if (typeof v === 'number' && Number.isFinite(v)) return v;
        if (typeof v === 'string' && /^-?\d{1,38}(\.\d{1,38})?$/.test(v)) return v;
        throw bad(`${column}.${op} expects a decimal number`);
      case 'date': {
        const text = typeof v === 'string' ? isoDateText(v, false) : null;
        if (text !== null) return text;
        throw bad(`${column}.${op} expects a date (YYYY-MM-DD)`);
      }
      case 'timestamp': {
        const text = typeof v === 'string' ? isoDateText(v, true) : null;
        if (text !== null) return text;
        throw bad(`${column}.${op} expects an ISO-8601 timestamp`);
      }
      case 'time':
        if (typeof v === 'string' && /^\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/.test(v)) return v;
        throw bad(`${column}.${op} expects a time (HH:MM:SS)`);
      case 'string':
        if (typeof v !== 'string') throw bad(`${column}.${op} expects a string`);
        if (v.length > 10_000) throw bad(`${column}.${op} value is too long`);
        return v;
      default:
        throw bad(`${column} cannot be filtered`);
    }
  };

  const parse = (w: unknown, depth: number): Where => {
    if (++nodes > MAX_NODES || depth > 32) throw bad('filter is too large or too deeply nested');
    if (typeof w !== 'object' || w === null || Array.isArray(w)) throw bad('expected an object of column conditions');
    const items: Where[] = [];
    for (const [key, v] of Object.entries(w as Record<string, unknown>)) {
      if (key === '_and' || key === '_or') {
        if (!Array.isArray(v)) throw bad(`${key} expects a list`);
        items.push({ kind: key === '_and' ? 'and' : 'or', items: v.map((x) => parse(x, depth + 1)) });
      } else if (key === '_not') {
        items.push({ kind: 'not', item: parse(v, depth + 1) });
      } else {
        const kind = columns.get(key);
        if (kind === undefined) throw bad(`unknown column '${key.slice(0, 100)}'`);
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${key} expects an object of operators`);
        const ops = Object.entries(v as Record<string, unknown>);
        if (ops.length === 0) throw bad(`${key} has no operator`);
        for (const [op, arg] of ops) {
          if ((COMPARE as string[]).includes(op)) items.push({ kind: 'compare', column: key, op: op as CompareOp, value: value(key, kind, arg, op) });
          else if (op === '_in' || op === '_nin') {
            if (!Array.isArray(arg) || arg.length > MAX_IN) throw bad(`${key}.${op} expects a list of at most ${MAX_IN} values`);
            items.push({ kind: 'in', column: key, negated: op === '_nin', values: arg.map((x) => value(key, kind, x, op)) });
          } else if (op === '_like' || op === '_ilike') {
            if (kind !== 'string') throw bad(`${key}.${op} applies to string columns only`);
            items.push({ kind: 'like', column: key, caseInsensitive: op === '_ilike', pattern: value(key, kind, arg, op) as string });
          } else if (op === '_is_null') {
            if (typeof arg !== 'boolean') throw bad(`${key}._is_null expects a boolean`);
            items.push({ kind: 'isNull', column: key, isNull: arg });
          } else throw bad(`unknown operator '${op.slice(0, 40)}' on ${key}`);
        }
      }
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  };
  return parse(input, 0);
}

/**
 * How a SQL dialect renders a Where's leaves: `column` the quoted column (it may reject an unknown
 * one), `value` a parameter placeholder for a value compared with that column; `likeColumn` and
 * `pattern` default to them for `_like`/`_ilike`.
 */
export interface WhereSql {
  column: (column: string) => string;
  value: (v: FilterValue, column: string) => string;
  likeColumn?: (column: string) => string;
  pattern?: (pattern: string, column: string) => string;
}

/** Renders a Where to SQL; parameters are made in the order they appear in the text. */
export function whereToSql(w: Where, r: WhereSql): string {
  switch (w.kind) {
    case 'and':
      return w.items.length === 0 ? 'TRUE' : `(${w.items.map((i) => whereToSql(i, r)).join(' AND ')})`;
    case 'or':
      return w.items.length === 0 ? 'FALSE' : `(${w.items.map((i) => whereToSql(i, r)).join(' OR ')})`;
    case 'not':
      return `(NOT ${whereToSql(w.item, r)})`;
    case 'compare': {
      const op = { _eq: '=', _neq: '<>', _gt: '>', _gte: '>=', _lt: '<', _lte: '<=' }[w.op];
      return `(${r.column(w.column)} ${op} ${r.value(w.value, w.column)})`;
    }
    case 'in': {
      const column = r.column(w.column);
      if (w.values.length === 0) return w.negated ? 'TRUE' : 'FALSE';
      return `(${column} ${w.negated ? 'NOT IN' : 'IN'} (${w.values.map((v) => r.value(v, w.column)).join(', ')}))`;
    }
    case 'like': {
      const column = (r.likeColumn ?? r.column)(w.column);
      return `(${column} ${w.caseInsensitive ? 'ILIKE' : 'LIKE'} ${(r.pattern ?? r.value)(w.pattern, w.column)})`;
    }
    case 'isNull':
      return `(${r.column(w.column)} IS ${w.isNull ? '' : 'NOT '}NULL)`;
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
