/**
 * DuckDB's text form of a value (parquet_metadata statistics, COPY partition keys, CAST … AS
 * VARCHAR) → the physical JS value Iceberg works with, as binary.ts's decodeValue returns it:
 * boolean; int and date (days) as number; long, time and timestamps (micros) as bigint; float and
 * double as number; decimal as a decimal string; string and uuid as string; binary as Uint8Array.
 */
import { DuckDBBlobValue } from '@duckdb/node-api';
import { decimalOf } from '../../domain/iceberg/type-strings.js';
import type { PrimitiveType } from '../../domain/iceberg/types.js';
import { formatDecimal, toDays, toMicros, toTimeMicros, toUnscaled } from '../../domain/iceberg/values.js';

export function fromDuckText(type: PrimitiveType, s: string): unknown {
  switch (type) {
    case 'boolean':
      return s === 'true' || s === '1';
    case 'int':
      return Number(s);
    case 'long':
      return BigInt(s);
    case 'float':
    case 'double':
      return Number(s);
    case 'date':
      return toDays(s);
    case 'time':
      return toTimeMicros(s);
    case 'timestamp':
    case 'timestamptz':
      return toMicros(s); // DuckDB's `… (BC) 10:00:00+00` included
    case 'string':
    case 'uuid':
      return s;
    case 'binary':
      return DuckDBBlobValue.fromString(s).bytes;
  }
  const dec = decimalOf(type);
  if (dec) return formatDecimal(toUnscaled(s, dec.scale), dec.scale);
  return DuckDBBlobValue.fromString(s).bytes; // fixed[L]
}

/** Orders two physical values of one type (strings and bytes by UTF-8 bytes, as Parquet does). */
export function comparePhysical(type: PrimitiveType, a: unknown, b: unknown): number {
  const dec = decimalOf(type);
  if (dec) {
    const x = toUnscaled(a, dec.scale);
    const y = toUnscaled(b, dec.scale);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}
