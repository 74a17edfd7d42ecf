/**
 * DuckDB's text form of a value (parquet_metadata statistics, COPY partition keys, CAST … AS
 * VARCHAR) → the physical JS value Iceberg works with, as binary.ts's decodeValue returns it:
 * boolean; int and date (days) as number; long, time and timestamps (micros) as bigint; float and
 * double as number; decimal as a decimal string; string and uuid as string; binary as Uint8Array.
 */
import { decimalOf } from '../../../domain/iceberg/type-strings.js';
import type { PrimitiveType } from '../../../domain/iceberg/types.js';
import { formatDecimal, toDays, toMicros, toTimeMicros, toUnscaled } from '../../../domain/iceberg/values.js';

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
      return blobFromText(s);
  }
  const dec = decimalOf(type);
  if (dec) return formatDecimal(toUnscaled(s, dec.scale), dec.scale);
  return blobFromText(s); // fixed[L]
}

/**
 * A BLOB's bytes from DuckDB's text form of it: printable ASCII stands for itself, every other
 * byte (and `\`, `"`, `'`) is written `\xHH` (0x00 0x41 0x5C → `\x00A\x5C`).
 * (DuckDBBlobValue.fromString takes the text's own bytes, escapes and all.)
 */
export function blobFromText(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 2, i + 4))) {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 4;
    } else {
      const cp = s.codePointAt(i)!;
      out.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      i += cp > 0xffff ? 2 : 1;
    }
  }
  return Uint8Array.from(out);
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
