/**
 * Partition tuples between their physical JS form (as decodeValue returns values), their Avro form
 * in manifests, and the manifest list's per-field summaries.
 */
import { bytesToUnscaled, decodeValue, encodeValue, unscaledToBytes } from '../domain/iceberg/binary.js';
import { transformResultType } from '../domain/iceberg/transforms.js';
import { decimalOf, fieldsById } from '../domain/iceberg/type-strings.js';
import type { FieldSummary, PartitionSpec, PrimitiveType, Schema } from '../domain/iceberg/types.js';
import { bytesToUuid, formatDecimal, toUnscaled } from '../domain/iceberg/values.js';
import { avroName, decimalBytes, type PartitionFieldType } from './avro-schemas.js';

type Rec = Record<string, unknown>;

/** Result type of each partition field; a source missing from every schema reads as string. */
export function partitionFieldTypes(spec: PartitionSpec, schemas: Schema[]): PartitionFieldType[] {
  return spec.fields.map((f) => {
    const source = schemas.map((s) => fieldsById(s).get(f.sourceId)).find((x) => x !== undefined);
    let type: PrimitiveType = 'string';
    try {
      if (source) type = transformResultType(f.transform, source.type);
    } catch {
      // unknown transform: readers must ignore the field (spec), keep its raw value
    }
    return { name: f.name, fieldId: f.fieldId, type };
  });
}

function fromAvro(type: PrimitiveType | undefined, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) {
    const dec = type ? decimalOf(type) : null;
    if (dec) return formatDecimal(bytesToUnscaled(v), dec.scale);
    if (type === 'uuid' && v.length === 16) return bytesToUuid(v);
    return Uint8Array.from(v);
  }
  return v;
}

/** Avro partition record → tuple keyed by partition field name (matched by field id, else position). */
export function fromAvroPartition(rec: Rec | undefined, avroFields: Rec[], spec: PartitionSpec, types: PartitionFieldType[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  avroFields.forEach((af, i) => {
    const fid = af['field-id'] === undefined ? undefined : Number(af['field-id']);
    const specField = (fid !== undefined ? spec.fields.find((f) => f.fieldId === fid) : undefined) ?? spec.fields[i];
    const name = specField?.name ?? String(af.name);
    out[name] = fromAvro(types.find((t) => t.name === name)?.type, rec?.[String(af.name)]);
  });
  return out;
}

function toAvro(type: PrimitiveType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  const dec = decimalOf(type);
  if (dec) {
    // Fixed-size two's complement, sign-extended to the precision's byte width.
    const size = decimalBytes(dec.precision);
    const min = unscaledToBytes(toUnscaled(v, dec.scale));
    const out = Buffer.alloc(size, (min[0]! & 0x80) !== 0 ? 0xff : 0);
    Buffer.from(min).copy(out, size - min.length);
    return out;
  }
  const physical = decodeValue(type, encodeValue(type, v));
  switch (type) {
    case 'long': case 'time': case 'timestamp': case 'timestamptz':
      return BigInt(physical as bigint);
    case 'uuid':
      return Buffer.from(encodeValue(type, v));
  }
  return physical instanceof Uint8Array ? Buffer.from(physical) : physical;
}

export function toAvroPartition(partition: Record<string, unknown>, types: PartitionFieldType[]): Rec {
  const out: Rec = {};
  for (const t of types) {
    out[avroName(t.name)] = toAvro(t.type, partition[t.name]);
  }
  return out;
}

function compare(type: PrimitiveType, a: unknown, b: unknown): number {
  const dec = decimalOf(type);
  if (dec) {
    const x = toUnscaled(a, dec.scale);
    const y = toUnscaled(b, dec.scale);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' || typeof a === 'bigint' || typeof a === 'boolean') {
    const [x, y] = [a as number, b as number];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  // strings, uuids, binary: unsigned byte order of the serialised form
  return Buffer.compare(encodeValue(type, a), encodeValue(type, b));
}

/** Manifest-list `partitions`: null/NaN flags and bounds of the non-null values per field. */
export function partitionSummaries(types: PartitionFieldType[], partitions: Record<string, unknown>[]): FieldSummary[] {
  return types.map((t) => {
    const values = partitions.map((p) => p[t.name]).filter((v) => v !== null && v !== undefined);
    const isFloat = t.type === 'float' || t.type === 'double';
    const nonNan = isFloat ? values.filter((v) => !Number.isNaN(Number(v))) : values;
    const s: FieldSummary = { containsNull: values.length < partitions.length };
    if (isFloat) s.containsNan = nonNan.length < values.length;
    if (nonNan.length > 0) {
      const sorted = [...nonNan].sort((a, b) => compare(t.type, a, b));
      s.lowerBound = encodeValue(t.type, sorted[0]);
      s.upperBound = encodeValue(t.type, sorted[sorted.length - 1]);
    }
    return s;
  });
}
