/**
 * Manifest metrics for files the engine wrote: typed min/max values become Iceberg single-value
 * bounds. Strings and binary are truncated to 16 characters/bytes as Iceberg-Java's default metrics
 * mode `truncate(16)` does: the lower bound is a prefix, the upper bound a prefix with its last
 * character incremented (dropped when no such bound exists), so bounds stay valid for pruning.
 */
import { encodeValue } from '../domain/iceberg/binary.js';
import { fieldsById, isPrimitive } from '../domain/iceberg/type-strings.js';
import type { DataFile, PrimitiveType, Schema } from '../domain/iceberg/types.js';
import { toBytes } from '../domain/iceberg/values.js';
import type { WrittenFile } from '../ports/query-engine.js';

export const TRUNCATE_LENGTH = 16;

function truncateString(s: string, upper: boolean): string | null {
  const cps = Array.from(s);
  if (cps.length <= TRUNCATE_LENGTH) return s;
  const prefix = cps.slice(0, TRUNCATE_LENGTH);
  if (!upper) return prefix.join('');
  for (let i = prefix.length - 1; i >= 0; i--) {
    let cp = prefix[i]!.codePointAt(0)! + 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000; // skip surrogates
    if (cp <= 0x10ffff) return prefix.slice(0, i).join('') + String.fromCodePoint(cp);
  }
  return null;
}

function truncateBytes(b: Uint8Array, upper: boolean): Uint8Array | null {
  if (b.length <= TRUNCATE_LENGTH) return b;
  const prefix = Uint8Array.from(b.subarray(0, TRUNCATE_LENGTH));
  if (!upper) return prefix;
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i]! < 0xff) {
      prefix[i]! += 1;
      return prefix.subarray(0, i + 1);
    }
  }
  return null;
}

/** One bound as bytes, or null when it must be left out (NaN, untruncatable, non-primitive). */
export function serializeBound(type: PrimitiveType, value: unknown, upper: boolean): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if ((type === 'float' || type === 'double') && Number.isNaN(Number(value))) return null;
  if (type === 'string' && typeof value === 'string') {
    const t = truncateString(value, upper);
    return t === null ? null : encodeValue(type, t);
  }
  if (type === 'binary') {
    return truncateBytes(toBytes(value), upper);
  }
  if (value instanceof Uint8Array && type !== 'uuid' && !type.startsWith('fixed')) return value; // already serialised
  return encodeValue(type, value);
}

/** Bounds keyed by field id: typed values are serialised; Uint8Array values are taken as serialised. */
export function serializeBounds(schema: Schema, bounds: Map<number, unknown> | undefined, upper: boolean): Map<number, Uint8Array> | undefined {
  if (!bounds) return undefined;
  const fields = fieldsById(schema);
  const out = new Map<number, Uint8Array>();
  for (const [id, value] of bounds) {
    const type = fields.get(id)?.type;
    if (!type || !isPrimitive(type)) continue;
    const b = serializeBound(type, value, upper);
    if (b) out.set(id, b);
  }
  return out;
}

/** A WrittenFile moved to `location`, as a manifest DATA entry (sequence numbers set at commit). */
export function dataFileFromWritten(f: WrittenFile, location: string, schema: Schema, specId: number): DataFile {
  return {
    content: 'DATA',
    filePath: location,
    fileFormat: 'PARQUET',
    specId,
    partition: f.partition,
    recordCount: f.recordCount,
    fileSizeInBytes: f.fileSizeInBytes,
    columnSizes: f.columnSizes,
    valueCounts: f.valueCounts,
    nullValueCounts: f.nullValueCounts,
    lowerBounds: serializeBounds(schema, f.lowerBounds, false)!,
    upperBounds: serializeBounds(schema, f.upperBounds, true)!,
    sequenceNumber: 0,
    fileSequenceNumber: 0,
    snapshotId: '0',
  };
}

/** Makes sure an added file's bounds are bytes (callers may hand over typed values). */
export function normalizeBounds(schema: Schema, f: DataFile): DataFile {
  const typed = (m: Map<number, unknown> | undefined) => m !== undefined && [...m.values()].some((v) => !(v instanceof Uint8Array));
  if (!typed(f.lowerBounds) && !typed(f.upperBounds)) return f;
  return {
    ...f,
    lowerBounds: serializeBounds(schema, f.lowerBounds as Map<number, unknown>, false)!,
    upperBounds: serializeBounds(schema, f.upperBounds as Map<number, unknown>, true)!,
  };
}
