/**
 * DuckDB values → JSON-safe values (API.md): 64-bit and wider integers and decimals as strings,
 * timestamps ISO-8601 (timestamptz with Z), dates YYYY-MM-DD, times HH:MM:SS[.ffffff], binary as
 * base64, NaN/±Infinity as strings, lists as arrays, structs as objects, maps with string keys as
 * objects (other maps as [{key, value}] lists). Driven by the column's type so empty maps agree.
 */
import {
  DuckDBArrayValue, DuckDBBlobValue, DuckDBDateValue, DuckDBDecimalValue, DuckDBIntervalValue, DuckDBListValue, DuckDBMapValue,
  DuckDBStructValue, DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue, DuckDBTimeValue, DuckDBTypeId, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import type { JsonValue } from '../../../ports/query-engine.js';
import { daysToIso, microsToIso, timeMicrosToIso } from '../../../domain/iceberg/values.js';

function number(n: number): JsonValue {
  return Number.isFinite(n) ? n : String(n);
}

function timestamp(micros: bigint, zoned: boolean): string {
  const s = microsToIso(micros);
  return zoned ? `${s}Z` : s;
}

function date(v: DuckDBDateValue): string {
  // DuckDBDateValue.toString() prints infinity as a date (5881580-07-11).
  if (!v.isFinite) return v.days > 0 ? 'infinity' : '-infinity';
  return daysToIso(v.days);
}

export function toJsonValue(v: DuckDBValue, type?: DuckDBType): JsonValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return number(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof DuckDBDecimalValue) return v.toString();
  if (v instanceof DuckDBTimestampTZValue) return v.isFinite ? timestamp(v.micros, true) : v.toString();
  if (v instanceof DuckDBTimestampValue) return v.isFinite ? timestamp(v.micros, false) : v.toString();
  if (v instanceof DuckDBTimestampMillisecondsValue) return timestamp(v.millis * 1000n, false);
  if (v instanceof DuckDBTimestampSecondsValue) return timestamp(v.seconds * 1_000_000n, false);
  if (v instanceof DuckDBTimestampNanosecondsValue) return timestamp(v.nanos / 1000n, false);
  if (v instanceof DuckDBDateValue) return date(v);
  if (v instanceof DuckDBTimeValue) return timeMicrosToIso(v.micros);
  if (v instanceof DuckDBBlobValue) return Buffer.from(v.bytes).toString('base64');
  if (v instanceof DuckDBIntervalValue) return { months: v.months, days: v.days, micros: v.micros.toString() };
  if (v instanceof DuckDBListValue || v instanceof DuckDBArrayValue) {
    const el = type && 'valueType' in type ? (type.valueType as DuckDBType) : undefined;
    return v.items.map((x) => toJsonValue(x, el));
  }
  if (v instanceof DuckDBStructValue) {
    const out: Record<string, JsonValue> = {};
    const t = type?.typeId === DuckDBTypeId.STRUCT ? type : undefined;
    for (const [k, x] of Object.entries(v.entries)) {
      const idx = t?.entryIndexes[k];
      out[k] = toJsonValue(x, idx === undefined ? undefined : t?.entryTypes[idx]);
    }
    return out;
  }
  if (v instanceof DuckDBMapValue) {
    const t = type?.typeId === DuckDBTypeId.MAP ? type : undefined;
    const stringKeys = t ? t.keyType.typeId === DuckDBTypeId.VARCHAR : v.entries.every((e) => typeof e.key === 'string');
    if (stringKeys) {
      const out: Record<string, JsonValue> = {};
      for (const e of v.entries) out[String(e.key)] = toJsonValue(e.value, t?.valueType);
      return out;
    }
    return v.entries.map((e) => ({ key: toJsonValue(e.key, t?.keyType), value: toJsonValue(e.value, t?.valueType) }));
  }
  // UUID, TIME WITH TIME ZONE, BIT, unions and others: DuckDB's own text form.
  return String(v);
}

/** A row's values as an object keyed by column name. */
export function objectOf(names: readonly string[], values: readonly JsonValue[]): Record<string, JsonValue> {
  const o: Record<string, JsonValue> = {};
  names.forEach((n, i) => (o[n] = values[i] ?? null));
  return o;
}
