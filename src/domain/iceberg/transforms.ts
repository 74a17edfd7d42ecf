/**
 * Partition transforms (identity, year, month, day, hour, bucket[N], truncate[W], void): parsing,
 * result types, application to values, and the `name=value` path segments Iceberg-Java and Spark
 * write (human strings, URL-encoded as java.net.URLEncoder does).
 */
import { InvalidInput } from '../errors.js';
import { decodeValue, encodeValue } from './binary.js';
import { icebergHash } from './murmur3.js';
import { decimalOf, fieldsById, isPrimitive } from './type-strings.js';
import type { IcebergType, PartitionSpec, PrimitiveType, Schema } from './types.js';
import { daysToIso, formatDecimal, microsToIso, timeMicrosToIso, toDays, toMicros, toTimeMicros, toUnscaled } from './values.js';

export type Transform =
  | { kind: 'identity' | 'year' | 'month' | 'day' | 'hour' | 'void' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number }
  | { kind: 'unknown'; text: string };

export function parseTransform(text: string): Transform {
  const s = text.trim().toLowerCase();
  if (['identity', 'year', 'month', 'day', 'hour', 'void'].includes(s)) return { kind: s as 'identity' };
  const m = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(s);
  if (m && Number(m[2]) > 0) return m[1] === 'bucket' ? { kind: 'bucket', n: Number(m[2]) } : { kind: 'truncate', width: Number(m[2]) };
  return { kind: 'unknown', text };
}

/** A parsed transform as Iceberg writes it (`bucket[16]`, never `Bucket[ 16 ]`): Java and PyIceberg parse only that form. */
export function transformText(t: Exclude<Transform, { kind: 'unknown' }>): string {
  return t.kind === 'bucket' ? `bucket[${t.n}]` : t.kind === 'truncate' ? `truncate[${t.width}]` : t.kind;
}

const TIME_SOURCES = new Set(['date', 'timestamp', 'timestamptz']);

/** The partition value type; InvalidInput when the transform does not apply to the source type. */
export function transformResultType(transform: string, source: IcebergType): PrimitiveType {
  const t = parseTransform(transform);
  const invalid = () => new InvalidInput(`transform ${transform} cannot be applied to ${isPrimitive(source) ? source : source.type}`, 'transform');
  if (!isPrimitive(source)) {
    if (t.kind === 'void') return 'int';
    throw invalid();
  }
  switch (t.kind) {
    case 'identity':
    case 'void':
      return source;
    case 'bucket':
      if (['boolean', 'float', 'double'].includes(source)) throw invalid();
      return 'int';
    case 'truncate':
      if (!['int', 'long', 'string', 'binary'].includes(source) && !decimalOf(source)) throw invalid();
      return source;
    case 'year':
    case 'month':
    case 'day':
      if (!TIME_SOURCES.has(source)) throw invalid();
      return t.kind === 'day' ? 'date' : 'int';
    case 'hour':
      if (source !== 'timestamp' && source !== 'timestamptz') throw invalid();
      return 'int';
    case 'unknown':
      throw new InvalidInput(`unknown transform ${JSON.stringify(transform)}`, 'transform');
  }
}

const MICROS_PER_DAY = 86_400_000_000n;
const floorDiv = (a: bigint, b: bigint) => a / b - (a % b !== 0n && a < 0n !== b < 0n ? 1n : 0n);

function epochMicros(source: PrimitiveType, value: unknown): bigint {
  return source === 'date' ? BigInt(toDays(value)) * MICROS_PER_DAY : toMicros(value);
}

/**
 * Applies a transform to a value of `source` type. Results are physical values as decodeValue
 * returns them (year/month/hour/bucket: number; day: days as number; identity/truncate: source form).
 */
export function applyTransform(transform: string, source: IcebergType, value: unknown): unknown {
  const resultType = transformResultType(transform, source);
  const t = parseTransform(transform);
  if (value === null || value === undefined || t.kind === 'void') return null;
  const src = source as PrimitiveType;
  switch (t.kind) {
    case 'identity':
      return decodeValue(src, encodeValue(src, value));
    case 'bucket':
      return (icebergHash(src, value) & 0x7fffffff) % t.n;
    case 'truncate': {
      if (src === 'string') return Array.from(String(value)).slice(0, t.width).join('');
      if (src === 'binary') return (decodeValue(src, encodeValue(src, value)) as Uint8Array).subarray(0, t.width);
      const dec = decimalOf(src);
      const v = dec ? toUnscaled(value, dec.scale) : BigInt(decodeValue(src, encodeValue(src, value)) as number | bigint);
      const w = BigInt(t.width);
      const r = v - (((v % w) + w) % w);
      return dec ? formatDecimal(r, dec.scale) : src === 'int' ? Number(r) : r;
    }
    case 'day':
      return Number(floorDiv(epochMicros(src, value), MICROS_PER_DAY));
    case 'hour':
      return Number(floorDiv(epochMicros(src, value), 3_600_000_000n));
    case 'year':
    case 'month': {
      const d = new Date(Number(floorDiv(epochMicros(src, value), 1000n)));
      const years = d.getUTCFullYear() - 1970;
      return t.kind === 'year' ? years : years * 12 + d.getUTCMonth();
    }
  }
  throw new InvalidInput(`cannot apply ${transform} (result ${resultType})`, 'transform');
}

/** Human string of a partition value (Iceberg's Transform.toHumanString). */
export function partitionHumanString(transform: string, source: IcebergType, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const t = parseTransform(transform);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const ym = (months: number) => {
    const y = 1970 + Math.floor(months / 12);
    return `${pad(y, 4)}-${pad(((months % 12) + 12) % 12 + 1)}`;
  };
  switch (t.kind) {
    case 'year': return pad(1970 + Number(value), 4);
    case 'month': return ym(Number(value));
    case 'day': return daysToIso(Number(value));
    case 'hour': {
      const h = Number(value);
      return `${daysToIso(Math.floor(h / 24))}-${pad(((h % 24) + 24) % 24)}`;
    }
    case 'bucket': return String(value);
  }
  const type = isPrimitive(source) ? source : 'string';
  switch (type) {
    case 'date': return daysToIso(toDays(value));
    case 'time': return timeMicrosToIso(toTimeMicros(value));
    case 'timestamp': return microsToIso(toMicros(value));
    case 'timestamptz': return `${microsToIso(toMicros(value))}Z`;
    case 'binary': return Buffer.from(value as Uint8Array).toString('base64');
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return String(value);
}

/** java.net.URLEncoder: unreserved `A-Za-z0-9.-*_`, space as `+`, everything else %XX of UTF-8. */
export function javaUrlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

/** `a=1/b_bucket=3` for a file's partition tuple (keyed by partition field name). */
export function partitionPath(spec: PartitionSpec, schema: Schema, partition: Record<string, unknown>): string {
  const fields = fieldsById(schema);
  return spec.fields
    .map((f) => {
      const source = fields.get(f.sourceId)?.type ?? 'string';
      return `${javaUrlEncode(f.name)}=${javaUrlEncode(partitionHumanString(f.transform, source, partition[f.name]))}`;
    })
    .join('/');
}

/** A row's partition tuple (row values by column name; nested sources by dotted path), keyed by partition field name. */
export function partitionTuple(spec: PartitionSpec, schema: Schema, row: Record<string, unknown>): Record<string, unknown> {
  const fields = fieldsById(schema);
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    const source = fields.get(f.sourceId);
    if (!source) throw new InvalidInput(`partition field ${f.name} refers to unknown column id ${f.sourceId}`, 'partitionBy');
    const value = source.name.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), row);
    out[f.name] = applyTransform(f.transform, source.type, value);
  }
  return out;
}
