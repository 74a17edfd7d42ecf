/**
 * 32-bit Murmur3 (x86 variant, seed 0) and Iceberg's per-type hashing for bucket[N] (spec Appendix B).
 */
import { unscaledToBytes } from './binary.js';
import { decimalOf } from './type-strings.js';
import type { PrimitiveType } from './types.js';
import { toBigInt, toBytes, toDays, toMicros, toTimeMicros, toUnscaled, uuidToBytes } from './values.js';

const rotl = (x: number, r: number) => (x << r) | (x >>> (32 - r));

export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const n = bytes.length;
  const blocks = n & ~3;
  const mixK = (k: number) => Math.imul(rotl(Math.imul(k, c1), 15), c2);
  for (let i = 0; i < blocks; i += 4) {
    const k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    h ^= mixK(k);
    h = (Math.imul(rotl(h, 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3: k ^= bytes[blocks + 2]! << 16; // falls through
    case 2: k ^= bytes[blocks + 1]! << 8; // falls through
    case 1:
      k ^= bytes[blocks]!;
      h ^= mixK(k);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function hashLong(v: bigint): number {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v));
  return murmur3_32(b);
}

/** Iceberg's 32-bit hash of a value of `type` (ints hash as longs so promotion keeps buckets). */
export function icebergHash(type: PrimitiveType, value: unknown): number {
  switch (type) {
    case 'int':
    case 'long':
      return hashLong(toBigInt(value));
    case 'date':
      return hashLong(BigInt(toDays(value)));
    case 'time':
      return hashLong(toTimeMicros(value));
    case 'timestamp':
    case 'timestamptz':
      return hashLong(toMicros(value));
    case 'string':
      return murmur3_32(Buffer.from(String(value), 'utf8'));
    case 'uuid':
      return murmur3_32(uuidToBytes(value));
    case 'binary':
      return murmur3_32(toBytes(value));
    case 'boolean':
      return hashLong(value ? 1n : 0n);
    case 'float':
    case 'double': {
      // doubleToLongBits with NaN and -0.0 canonicalised (spec Appendix B note 5).
      const d = Number(value);
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number.isNaN(d) ? NaN : d === 0 ? 0 : d);
      return hashLong(Number.isNaN(d) ? 0x7ff8000000000000n : b.readBigInt64LE(0));
    }
  }
  const dec = decimalOf(type);
  if (dec) return murmur3_32(unscaledToBytes(toUnscaled(value, dec.scale)));
  return murmur3_32(toBytes(value)); // fixed[L]
}
