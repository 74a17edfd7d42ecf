/**
 * Which data files a row filter (`where`, domain/filters.ts) may match, from their manifest
 * metrics alone: lower/upper bounds, value and null counts by field id. The answer is conservative:
 * false only when no row of the file can match the filter as DuckDB evaluates it (a comparison with
 * NULL matches nothing; NaN sorts above every number); anything unknown (no bounds, a column the
 * file predates, a type whose order differs between the metrics and the engine) may match.
 *
 * Negations are pushed down to the leaves (NOT (x > v) is x <= v under SQL's three-valued logic,
 * NOT (x IN …) is x NOT IN …, NOT (x IS NULL) is x IS NOT NULL); a negated LIKE may match anything.
 */
import type { CompareOp, FilterValue, Where } from '../domain/filters.js';
import { parseDate, parseTimestamp } from '../domain/calendar.js';
import { bytesToUnscaled, decodeValue } from '../domain/iceberg/binary.js';
import { decimalOf } from '../domain/iceberg/type-strings.js';
import type { DataFile, IcebergType, PrimitiveType, Schema } from '../domain/iceberg/types.js';

/** A value in the column's order: exact numbers as bigint (decimals scaled), floats as number, strings as UTF-8 bytes. */
type Key = bigint | number | Buffer;

interface Column {
  id: number;
  type: PrimitiveType;
}

const NEGATED: Record<CompareOp, CompareOp> = { _eq: '_neq', _neq: '_eq', _gt: '_lte', _gte: '_lt', _lt: '_gte', _lte: '_gt' };
const DAY_MICROS = 86_400_000_000n;

function cmp(a: Key, b: Key): number {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return Buffer.compare(a, b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A decimal text or number as an unscaled bigint at `scale` (null when it has more fraction digits, or is not plain). */
function unscaled(v: FilterValue, scale: number): bigint | null {
  const text = typeof v === 'number' ? String(v) : String(v);
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const frac = m[3] ?? '';
  if (frac.length > scale) return null;
  const n = BigInt(m[2]! + frac.padEnd(scale, '0'));
  return m[1] === '-' ? -n : n;
}

const fractionDigits = (v: FilterValue) => /\.(\d+)/.exec(String(v))?.[1]?.length ?? 0;

/**
 * The filter value as [low, high] keys of the column's order: the value lies between them (equal
 * when it is exact). Null when the column is not pruned on (unknown order, or a value we cannot place).
 */
function valueRange(c: Column, v: FilterValue): [Key, Key] | null {
  const t = c.type;
  switch (t) {
    case 'boolean':
      return typeof v === 'boolean' ? [v ? 1n : 0n, v ? 1n : 0n] : null;
    case 'int':
    case 'long': {
      if (typeof v === 'number' && Number.isSafeInteger(v)) return [BigInt(v), BigInt(v)];
      return typeof v === 'string' && /^-?\d{1,19}$/.test(v) ? [BigInt(v), BigInt(v)] : null;
    }
    case 'float':
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) ? [v, v] : null;
    case 'date': {
      const d = typeof v === 'string' ? parseDate(v) : null;
      return d === null ? null : [BigInt(d), BigInt(d)];
    }
    case 'time': {
      const m = typeof v === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(v) : null;
      if (!m) return null;
      const micros = BigInt((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0').slice(0, 6));
      return (m[4] ?? '').length > 6 ? [micros, micros + 1n] : [micros, micros];
    }
    case 'timestamp':
    case 'timestamptz': {
      const p = typeof v === 'string' ? parseTimestamp(v) : null;
      if (!p) return null;
      // A zone the column does not keep (or one it needs and the text lacks: the session's) moves the instant by up to a day.
      const slack = (p.zoned !== (t === 'timestamptz') ? DAY_MICROS : 0n) + (fractionDigits(v) > 6 ? 1n : 0n);
      return [p.micros - slack, p.micros + slack];
    }
    case 'string':
      return typeof v === 'string' ? [Buffer.from(v, 'utf8'), Buffer.from(v, 'utf8')] : null;
  }
  const dec = decimalOf(t);
  if (dec) {
    // Compared exactly at a scale that holds both (the bounds are scaled up to it in boundKey).
    const scale = Math.max(dec.scale, fractionDigits(v));
    const n = unscaled(v, scale);
    return n === null ? null : [n, n];
  }
  return null; // uuid, binary, fixed: not pruned on
}

/** A bound as a key comparable with valueRange's for value `v` (decimals scaled to the value's scale). */
function boundKey(c: Column, bytes: Uint8Array | undefined, v: FilterValue | null): Key | null {
  if (!bytes) return null;
  try {
    const dec = decimalOf(c.type);
    if (dec) {
      const scale = v === null ? dec.scale : Math.max(dec.scale, fractionDigits(v));
      return bytesToUnscaled(bytes) * 10n ** BigInt(scale - dec.scale);
    }
    const x = decodeValue(c.type, bytes);
    switch (c.type) {
      case 'boolean':
        return x ? 1n : 0n;
      case 'int':
      case 'date':
        return BigInt(x as number);
      case 'long':
      case 'time':
      case 'timestamp':
      case 'timestamptz':
        return x as bigint;
      case 'float':
      case 'double':
        return Number.isNaN(x) ? null : (x as number);
      case 'string':
        return Buffer.from(x as string, 'utf8');
      default:
        return null;
    }
  } catch {
    return null; // a bound of another type (an unexpected promotion): unknown
  }
}

/** Lower and upper bound of the column in the file, widened for float (32-bit) bounds. */
function bounds(c: Column, f: DataFile, v: FilterValue | null): [Key | null, Key | null] {
  let lo = boundKey(c, f.lowerBounds?.get(c.id), v);
  let hi = boundKey(c, f.upperBounds?.get(c.id), v);
  if (c.type === 'float') {
    if (typeof lo === 'number') lo = lo - Math.abs(lo) * 1e-6 - 1e-38;
    if (typeof hi === 'number') hi = hi + Math.abs(hi) * 1e-6 + 1e-38;
  }
  return [lo, hi];
}

/** Whether every value of the column in the file is NULL (false when unknown). */
function allNull(c: Column, f: DataFile): boolean {
  const values = f.valueCounts?.get(c.id);
  const nulls = f.nullValueCounts?.get(c.id);
  return values !== undefined && nulls !== undefined && nulls >= values && (f.nanValueCounts?.get(c.id) ?? 0) === 0;
}

/** Whether the column may hold a value for which `x op v` is true. */
function compareMayMatch(c: Column, f: DataFile, op: CompareOp, v: FilterValue): boolean {
  if (allNull(c, f)) return false;
  const range = valueRange(c, v);
  if (!range) return true;
  // NaN (not in the bounds) is above every number and unequal to every other value in DuckDB.
  if ((c.type === 'float' || c.type === 'double') && (op === '_gt' || op === '_gte' || op === '_neq')) return true;
  const [vlo, vhi] = range;
  const [lo, hi] = bounds(c, f, v);
  switch (op) {
    case '_eq':
      return (hi === null || cmp(hi, vlo) >= 0) && (lo === null || cmp(lo, vhi) <= 0);
    case '_neq':
      // Only a file whose every value equals v (exactly known) is out.
      return !(lo !== null && hi !== null && cmp(vlo, vhi) === 0 && cmp(lo, vlo) === 0 && cmp(hi, vlo) === 0 && exactBounds(c));
    case '_gt':
      return hi === null || cmp(hi, vlo) > 0;
    case '_gte':
      return hi === null || cmp(hi, vlo) >= 0;
    case '_lt':
      return lo === null || cmp(lo, vhi) < 0;
    case '_lte':
      return lo === null || cmp(lo, vhi) <= 0;
  }
}

/** Bounds that are the column's true min and max (strings may be truncated prefixes). */
const exactBounds = (c: Column) => c.type !== 'string' && c.type !== 'float' && c.type !== 'double';

/** LIKE 'prefix%…': only values starting with the literal prefix match (case-sensitive). */
function likeMayMatch(c: Column, f: DataFile, pattern: string): boolean {
  if (allNull(c, f)) return false;
  if (c.type !== 'string') return true;
  const prefix = /^[^%_\\]*/.exec(pattern)![0];
  if (prefix === '') return true;
  const p = Buffer.from(prefix, 'utf8');
  const [lo, hi] = bounds(c, f, null);
  if (Buffer.isBuffer(hi) && Buffer.compare(hi, p) < 0) return false;
  if (Buffer.isBuffer(lo) && Buffer.compare(lo.subarray(0, p.length), p) > 0) return false;
  return true;
}

function columnsOf(schema: Schema): Map<string, Column> {
  const out = new Map<string, Column>();
  for (const field of schema.fields) {
    const t: IcebergType = field.type;
    if (typeof t === 'string') out.set(field.name, { id: field.id, type: t });
  }
  return out;
}

function mayMatch(w: Where, f: DataFile, cols: Map<string, Column>, negated: boolean): boolean {
  const col = (name: string) => cols.get(name);
  switch (w.kind) {
    case 'and':
    case 'or': {
      const any = (w.kind === 'or') !== negated; // NOT (a AND b) = NOT a OR NOT b
      return any ? w.items.length > 0 && w.items.some((i) => mayMatch(i, f, cols, negated)) : w.items.every((i) => mayMatch(i, f, cols, negated));
    }
    case 'not':
      return mayMatch(w.item, f, cols, !negated);
    case 'compare': {
      const c = col(w.column);
      return c === undefined || compareMayMatch(c, f, negated ? NEGATED[w.op] : w.op, w.value);
    }
    case 'in': {
      const c = col(w.column);
      if (c === undefined) return true;
      // An empty list is rendered TRUE (NOT IN) or FALSE (IN), NULLs included.
      if (w.values.length === 0) return w.negated !== negated;
      // NOT IN one value is <>; with more, out only when every value is NULL.
      if (w.negated !== negated) return w.values.length === 1 ? compareMayMatch(c, f, '_neq', w.values[0]!) : !allNull(c, f);
      return w.values.some((v) => compareMayMatch(c, f, '_eq', v));
    }
    case 'like': {
      const c = col(w.column);
      if (negated || w.caseInsensitive || c === undefined) return c === undefined || !allNull(c, f);
      return likeMayMatch(c, f, w.pattern);
    }
    case 'isNull': {
      const c = col(w.column);
      if (c === undefined) return true;
      const wantNull = w.isNull !== negated;
      const values = f.valueCounts?.get(c.id);
      const nulls = f.nullValueCounts?.get(c.id);
      if (wantNull) return nulls === undefined || nulls > 0;
      return values === undefined || nulls === undefined || values > nulls || (f.nanValueCounts?.get(c.id) ?? 0) > 0;
    }
  }
}

/**
 * The data files of which some row may match `where` (columns by name in `schema`, metrics by field
 * id), in their order.
 */
export function filesMayMatch(files: DataFile[], where: Where, schema: Schema): DataFile[] {
  const cols = columnsOf(schema);
  return files.filter((f) => mayMatch(where, f, cols, false));
}
