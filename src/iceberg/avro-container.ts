/**
 * Avro object container files (the framing of manifests and manifest lists), in memory.
 *
 * Values are encoded and decoded by avsc; the container framing is done here because avsc's
 * BlockEncoder cannot take a long type that holds 64-bit snapshot ids exactly (its `long` is a JS
 * number) and, built from a Type, drops Iceberg's `field-id` attributes from the header. We write
 * the caller's raw schema JSON into the header, so every `field-id` survives byte for byte.
 * Codecs: null and deflate (raw deflate, what Iceberg-Java and PyIceberg write).
 */
import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import avro from 'avsc';
import { InvalidInput } from '../domain/errors.js';

/** avsc `long` as bigint, so ids such as 7817332053627255703 keep every digit. */
const bigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: unknown) => BigInt(v as string),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === 'bigint',
  compare: (a: bigint, b: bigint) => (a === b ? 0 : a < b ? -1 : 1),
});

export function avroType(schema: unknown): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, { registry: { long: bigLong } as never });
}

/**
 * Compiled types by schema text: every manifest of a table repeats the same schema, and compiling
 * one (avsc generates its reader and writer code) costs far more than encoding a few entries.
 */
const compiledTypes = new Map<string, avro.Type>();
function readType(schemaText: string, schema: unknown): avro.Type {
  let t = compiledTypes.get(schemaText);
  if (!t) {
    t = avroType(schema);
    if (compiledTypes.size >= 256) compiledTypes.delete(compiledTypes.keys().next().value!);
    compiledTypes.set(schemaText, t);
  }
  return t;
}

const MAGIC = Buffer.from('Obj\x01', 'latin1');
const META_TYPE = avro.Type.forSchema({ type: 'map', values: 'bytes' });
const COUNT_TYPE = avro.Type.forSchema('long');

export interface AvroFile {
  /** The writer schema, parsed from the header (with every attribute, e.g. `field-id`). */
  schema: Record<string, unknown>;
  /** Header key-value metadata other than avro.*, as UTF-8 strings. */
  metadata: Record<string, string>;
  records: Record<string, unknown>[];
}

export function readAvroFile(bytes: Uint8Array, what = 'Avro file'): AvroFile {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): never => {
    throw new InvalidInput(`${what} is not a readable Avro container: ${why}`, 'avro');
  };
  if (buf.length < 4 || !buf.subarray(0, 4).equals(MAGIC)) bad('bad magic');
  const meta = META_TYPE.decode(buf, 4) as { value: Record<string, Buffer>; offset: number };
  if (meta.offset < 0) bad('truncated header');
  let pos = meta.offset;
  const sync = buf.subarray(pos, pos + 16);
  pos += 16;
  const codec = meta.value['avro.codec']?.toString() ?? 'null';
  if (codec !== 'null' && codec !== 'deflate') bad(`unsupported codec ${codec}`);
  const schemaText = meta.value['avro.schema']?.toString() ?? bad('no schema');
  const schema = JSON.parse(schemaText) as Record<string, unknown>;
  const type = readType(schemaText, schema);
  const records: Record<string, unknown>[] = [];
  while (pos < buf.length) {
    const count = COUNT_TYPE.decode(buf, pos) as { value: number; offset: number };
    const size = COUNT_TYPE.decode(buf, count.offset) as { value: number; offset: number };
    if (count.offset < 0 || size.offset < 0 || size.offset + size.value + 16 > buf.length) bad('truncated block');
    const raw = buf.subarray(size.offset, size.offset + size.value);
    const block = codec === 'deflate' ? inflateRawSync(raw) : raw;
    let p = 0;
    for (let i = 0; i < count.value; i++) {
      const r = type.decode(block, p) as { value: Record<string, unknown>; offset: number };
      if (r.offset < 0) bad('truncated record');
      records.push(r.value);
      p = r.offset;
    }
    pos = size.offset + size.value;
    if (!buf.subarray(pos, pos + 16).equals(sync)) bad('sync marker mismatch');
    pos += 16;
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta.value)) if (!k.startsWith('avro.')) metadata[k] = v.toString('utf8');
  return { schema, metadata, records };
}

/** One-block container file; `schema` is written to the header exactly as given. */
export function writeAvroFile(schema: Record<string, unknown>, metadata: Record<string, string>, records: unknown[], codec: 'null' | 'deflate' = 'deflate'): Uint8Array {
  const schemaText = JSON.stringify(schema);
  const type = readType(schemaText, schema);
  const meta: Record<string, Buffer> = { 'avro.schema': Buffer.from(schemaText), 'avro.codec': Buffer.from(codec) };
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, 'utf8');
  const sync = randomBytes(16);
  const parts: Buffer[] = [MAGIC, META_TYPE.toBuffer(meta), sync];
  if (records.length > 0) {
    const raw = Buffer.concat(records.map((r) => type.toBuffer(r)));
    const block = codec === 'deflate' ? deflateRawSync(raw) : raw;
    parts.push(COUNT_TYPE.toBuffer(records.length), COUNT_TYPE.toBuffer(block.length), block, sync);
  }
  return new Uint8Array(Buffer.concat(parts));
}
