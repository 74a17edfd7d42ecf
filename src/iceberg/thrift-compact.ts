/**
 * Thrift compact protocol, generically: a struct is decoded to its fields (id, wire type, value) and
 * encoded back byte-for-byte equivalent, so Parquet footers and page headers can be inspected and a
 * footer re-written with some fields left out, without a generated schema (unknown fields survive).
 */

export const T = { TRUE: 1, FALSE: 2, BYTE: 3, I16: 4, I32: 5, I64: 6, DOUBLE: 7, BINARY: 8, LIST: 9, SET: 10, MAP: 11, STRUCT: 12 } as const;

export type TValue = boolean | number | bigint | Uint8Array | TList | TMap | TStruct;
export interface TList {
  kind: 'list';
  elemType: number;
  items: TValue[];
}
export interface TMap {
  kind: 'map';
  keyType: number;
  valueType: number;
  entries: [TValue, TValue][];
}
export interface TField {
  id: number;
  type: number;
  value: TValue;
}
export interface TStruct {
  kind: 'struct';
  fields: TField[];
}

const MAX_DEPTH = 64;

export class ThriftError extends Error {}

/** Decodes one struct from `buf` at `offset`; `end` is the offset after it. Throws ThriftError on malformed or truncated input. */
export function decodeStruct(buf: Uint8Array, offset = 0): { value: TStruct; end: number } {
  let pos = offset;
  const byte = () => {
    if (pos >= buf.length) throw new ThriftError('truncated');
    return buf[pos++]!;
  };
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new ThriftError('varint too long');
    }
  };
  const zigzag = (): bigint => {
    const v = varint();
    return (v >> 1n) ^ -(v & 1n);
  };
  const small = (): number => Number(zigzag());
  const value = (type: number, depth: number): TValue => {
    if (depth > MAX_DEPTH) throw new ThriftError('nested too deeply');
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        return byte() === T.TRUE; // inside a list or map, booleans take a byte each
      case T.BYTE:
        return (byte() << 24) >> 24;
      case T.I16:
      case T.I32:
        return small();
      case T.I64:
        return BigInt.asIntN(64, zigzag());
      case T.DOUBLE: {
        if (pos + 8 > buf.length) throw new ThriftError('truncated');
        const v = new DataView(buf.buffer, buf.byteOffset + pos, 8).getFloat64(0, true);
        pos += 8;
        return v;
      }
      case T.BINARY: {
        const n = Number(varint());
        if (pos + n > buf.length) throw new ThriftError('truncated');
        const v = buf.slice(pos, pos + n);
        pos += n;
        return v;
      }
      case T.LIST:
      case T.SET: {
        const h = byte();
        let n = h >> 4;
        if (n === 15) n = Number(varint());
        const elemType = h & 0x0f;
        if (n > buf.length - pos + 1) throw new ThriftError('list size beyond the input');
        const items: TValue[] = [];
        for (let i = 0; i < n; i++) items.push(value(elemType, depth + 1));
        return { kind: 'list', elemType, items };
      }
      case T.MAP: {
        const n = Number(varint());
        if (n === 0) return { kind: 'map', keyType: 0, valueType: 0, entries: [] };
        if (n > buf.length - pos) throw new ThriftError('map size beyond the input');
        const kv = byte();
        const entries: [TValue, TValue][] = [];
        for (let i = 0; i < n; i++) entries.push([value(kv >> 4, depth + 1), value(kv & 0x0f, depth + 1)]);
        return { kind: 'map', keyType: kv >> 4, valueType: kv & 0x0f, entries };
      }
      case T.STRUCT:
        return struct(depth + 1);
      default:
        throw new ThriftError(`unknown type ${type}`);
    }
  };
  const struct = (depth: number): TStruct => {
    const fields: TField[] = [];
    let last = 0;
    for (;;) {
      const h = byte();
      if (h === 0) return { kind: 'struct', fields };
      const type = h & 0x0f;
      const delta = h >> 4;
      const id = delta === 0 ? small() : last + delta;
      last = id;
      const v = type === T.TRUE || type === T.FALSE ? type === T.TRUE : value(type, depth);
      fields.push({ id, type, value: v });
    }
  };
  const v = struct(0);
  return { value: v, end: pos };
}

export function encodeStruct(s: TStruct): Uint8Array {
  const out: number[] = [];
  const varint = (v: bigint) => {
    let x = BigInt.asUintN(64, v);
    while (x >= 0x80n) {
      out.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    out.push(Number(x));
  };
  const zigzag = (v: bigint) => varint((v << 1n) ^ (v >> 63n));
  const value = (type: number, v: TValue) => {
    switch (type) {
      case T.TRUE:
      case T.FALSE:
        out.push(v ? T.TRUE : T.FALSE);
        return;
      case T.BYTE:
        out.push(Number(v) & 0xff);
        return;
      case T.I16:
      case T.I32:
      case T.I64:
        zigzag(BigInt.asIntN(64, BigInt(v as number | bigint)));
        return;
      case T.DOUBLE: {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setFloat64(0, v as number, true);
        out.push(...b);
        return;
      }
      case T.BINARY: {
        const b = v as Uint8Array;
        varint(BigInt(b.length));
        for (const x of b) out.push(x);
        return;
      }
      case T.LIST:
      case T.SET: {
        const l = v as TList;
        if (l.items.length < 15) out.push((l.items.length << 4) | l.elemType);
        else {
          out.push(0xf0 | l.elemType);
          varint(BigInt(l.items.length));
        }
        for (const item of l.items) value(l.elemType, item);
        return;
      }
      case T.MAP: {
        const m = v as TMap;
        varint(BigInt(m.entries.length));
        if (m.entries.length === 0) return;
        out.push((m.keyType << 4) | m.valueType);
        for (const [k, x] of m.entries) {
          value(m.keyType, k);
          value(m.valueType, x);
        }
        return;
      }
      case T.STRUCT:
        struct(v as TStruct);
        return;
      default:
        throw new ThriftError(`unknown type ${type}`);
    }
  };
  const struct = (st: TStruct) => {
    let last = 0;
    for (const f of st.fields) {
      const isBool = f.type === T.TRUE || f.type === T.FALSE;
      const type = isBool ? (f.value ? T.TRUE : T.FALSE) : f.type;
      const delta = f.id - last;
      if (delta > 0 && delta <= 15) out.push((delta << 4) | type);
      else {
        out.push(type);
        zigzag(BigInt(f.id));
      }
      last = f.id;
      if (!isBool) value(f.type, f.value);
    }
    out.push(0);
  };
  struct(s);
  return Uint8Array.from(out);
}

/** The value of field `id`, or undefined. */
export function field(s: TStruct | undefined, id: number): TValue | undefined {
  return s?.fields.find((f) => f.id === id)?.value;
}

export const num = (v: TValue | undefined): number | undefined => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined);
export const struct = (v: TValue | undefined): TStruct | undefined => (v && typeof v === 'object' && 'kind' in v && v.kind === 'struct' ? v : undefined);
export const list = (v: TValue | undefined): TValue[] => (v && typeof v === 'object' && 'kind' in v && v.kind === 'list' ? v.items : []);
