/**
 * Iceberg single-value binary serialisation (spec Appendix D), used for manifest lower/upper bounds
 * and manifest-list partition summaries.
 *
 * decodeValue returns: boolean; int and date (days) as number; long, time and timestamp(tz)
 * (microseconds) as bigint; float/double as number; decimal as a decimal string; string and uuid as
 * string; fixed/binary as Uint8Array. encodeValue accepts those and the forms values.ts reads.
 */
import { InvalidInput } from '../errors.js';
import { decimalOf, fixedLengthOf } from './type-strings.js';
import type { PrimitiveType } from './types.js';
import { bytesToUuid, formatDecimal, toBigInt, toBytes, toDays, toInt, toMicros, toTimeMicros, toUnscaled, uuidToBytes } from './values.js';

export function encodeValue(type: PrimitiveType, value: unknown): Uint8Array {
  const buf = (n: number) => Buffer.alloc(n);
  switch (type) {
    case 'boolean':
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      const b = buf(4);
      b.writeInt32LE(type === 'date' ? toDays(value) : toInt(value));
      return new Uint8Array(b);
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz': {
      const b = buf(8);
      b.writeBigInt64LE(type === 'long' ? toBigInt(value) : type === 'time' ? toTimeMicros(value) : toMicros(value));
      return new Uint8Array(b);
    }
    case 'float':
    case 'double': {
      const n = typeof value === 'bigint' ? Number(value) : Number(value);
      if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') throw new InvalidInput(`cannot read ${String(value)} as ${type}`, 'value');
      const b = buf(type === 'float' ? 4 : 8);
      if (type === 'float') b.writeFloatLE(n);
      else b.writeDoubleLE(n);
      return new Uint8Array(b);
    }
    case 'string':
      return new Uint8Array(Buffer.from(String(value), 'utf8'));
    case 'uuid':
      return uuidToBytes(value);
    case 'binary':
      return toBytes(value);
  }
  const dec = decimalOf(type);
  if (dec) return unscaledToBytes(toUnscaled(value, dec.scale));
  const len = fixedLengthOf(type);
  if (len !== null) {
    const b = toBytes(value);
    if (b.length !== len) throw new InvalidInput(`a ${type} value must have ${len} bytes, not ${b.length}`, 'value');
    return b;
  }
  throw new InvalidInput(`cannot serialise values of type ${type}`, 'type');
}

export function decodeValue(type: PrimitiveType, bytes: Uint8Array): unknown {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (n: number) => {
    if (b.length !== n) throw new InvalidInput(`a ${type} bound must have ${n} bytes, not ${b.length}`, 'value');
  };
  switch (type) {
    case 'boolean':
      need(1);
      return b[0] !== 0;
    case 'int':
    case 'date':
      need(4);
      return b.readInt32LE(0);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      // Iceberg-Java wrote 4-byte bounds for some promoted int→long columns; read them as ints.
      if (type === 'long' && b.length === 4) return BigInt(b.readInt32LE(0));
      need(8);
      return b.readBigInt64LE(0);
    case 'float':
      need(4);
      return b.readFloatLE(0);
    case 'double':
      if (b.length === 4) return b.readFloatLE(0); // promoted float column
      need(8);
      return b.readDoubleLE(0);
    case 'string':
      return b.toString('utf8');
    case 'uuid':
      need(16);
      return bytesToUuid(bytes);
    case 'binary':
      return Uint8Array.from(b);
  }
  const dec = decimalOf(type);
  if (dec) return formatDecimal(bytesToUnscaled(bytes), dec.scale);
  const len = fixedLengthOf(type);
  if (len !== null) return Uint8Array.from(b);
  throw new InvalidInput(`cannot deserialise values of type ${type}`, 'type');
}

/** Two's-complement big-endian with the fewest bytes that hold the value (spec: decimal, hashing). */
export function unscaledToBytes(n: bigint): Uint8Array {
  let len = 1;
  while (n < -(1n << BigInt(8 * len - 1)) || n >= 1n << BigInt(8 * len - 1)) len++;
  let u = n < 0n ? (1n << BigInt(8 * len)) + n : n;
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(u & 0xffn);
    u >>= 8n;
  }
  return out;
}

export function bytesToUnscaled(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let u = 0n;
  for (const byte of bytes) u = (u << 8n) | BigInt(byte);
  return (bytes[0]! & 0x80) !== 0 ? u - (1n << BigInt(8 * bytes.length)) : u;
}
