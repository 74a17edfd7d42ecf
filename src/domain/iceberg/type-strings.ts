/**
 * Iceberg types as the API writes them (`decimal(10,2)`, `list<string>`, `map<string, long>`,
 * `struct<name: string, age: int>`) and as the spec's schema JSON holds them (Appendix C), plus the
 * type promotions schema evolution allows.
 */
import { InvalidInput } from '../errors.js';
import type { IcebergType, NestedField, PrimitiveType, Schema } from './types.js';

const SIMPLE = new Set(['boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz', 'string', 'uuid', 'binary']);

export function isPrimitive(t: IcebergType): t is PrimitiveType {
  return typeof t === 'string';
}

export function decimalOf(t: IcebergType | string): { precision: number; scale: number } | null {
  const m = typeof t === 'string' ? /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/.exec(t) : null;
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : null;
}

/**
 * Refuses a type with a fixed[L] anywhere in it (`column`: where it is, for the message): the
 * gateway writes Parquet through DuckDB, which has no fixed-length binary, so it would store
 * variable-length binary, and Iceberg readers refuse that for fixed (the spec's
 * fixed_len_byte_array). Tables with fixed columns made elsewhere are still read.
 */
export function refuseFixed(t: IcebergType, column: string, field = 'columns'): void {
  const has = (x: IcebergType): boolean =>
    typeof x === 'string' ? fixedLengthOf(x) !== null : x.type === 'struct' ? x.fields.some((f) => has(f.type)) : x.type === 'list' ? has(x.element) : has(x.key) || has(x.value);
  if (has(t)) {
    throw new InvalidInput(
      `column '${column}' is or holds a fixed[L]: the gateway cannot write fixed columns (its Parquet writer stores variable-length binary, which Iceberg readers refuse for fixed); use binary`,
      field,
    );
  }
}

export function fixedLengthOf(t: IcebergType | string): number | null {
  const m = typeof t === 'string' ? /^fixed\[\s*(\d+)\s*\]$/.exec(t) : null;
  return m ? Number(m[1]) : null;
}

/** A primitive type string in canonical form (`decimal(9,2)`, `fixed[16]`), or null if it is not one. */
export function parsePrimitive(text: string): PrimitiveType | null {
  const s = text.trim().toLowerCase();
  if (SIMPLE.has(s)) return s as PrimitiveType;
  const d = decimalOf(s);
  if (d) {
    if (d.precision < 1 || d.precision > 38 || d.scale > d.precision) return null;
    return `decimal(${d.precision},${d.scale})`;
  }
  const f = fixedLengthOf(s);
  if (f !== null && f > 0) return `fixed[${f}]`;
  return null;
}

/**
 * Parses an API type string; nested fields get fresh ids from `nextId`. Struct fields, list elements
 * and map values are optional unless followed by `not null`; names may be `backquoted`.
 */
export function parseType(text: string, nextId: () => number): IcebergType {
  let pos = 0;
  const fail = (what: string): never => {
    throw new InvalidInput(`invalid type ${JSON.stringify(text)}: ${what} at position ${pos}`, 'type');
  };
  const ws = () => { while (pos < text.length && /\s/.test(text[pos]!)) pos++; };
  const eat = (s: string) => { ws(); if (!text.startsWith(s, pos)) fail(`expected '${s}'`); pos += s.length; };
  const peek = (s: string) => { ws(); return text.startsWith(s, pos); };
  const notNull = (): boolean => {
    ws();
    const m = /^not\s+null\b/i.exec(text.slice(pos));
    if (m) pos += m[0].length;
    return m !== null;
  };
  const name = (): string => {
    ws();
    if (text[pos] === '`') {
      const end = text.indexOf('`', pos + 1);
      if (end < 0) fail('unterminated name');
      const n = text.slice(pos + 1, end);
      pos = end + 1;
      return n;
    }
    const m = /^[^\s:<>,`]+/.exec(text.slice(pos));
    if (!m) fail('expected a field name');
    pos += m![0].length;
    return m![0];
  };
  const type = (): IcebergType => {
    ws();
    const word = /^[a-z_]+/i.exec(text.slice(pos))?.[0].toLowerCase() ?? '';
    if (word === 'list' && peekAfter(word, '<')) {
      pos += word.length; eat('<');
      const elementId = nextId();
      const element = type();
      const elementRequired = notNull();
      eat('>');
      return { type: 'list', elementId, element, elementRequired };
    }
    if (word === 'map' && peekAfter(word, '<')) {
      pos += word.length; eat('<');
      const keyId = nextId();
      const valueId = nextId();
      const key = type();
      eat(',');
      const value = type();
      const valueRequired = notNull();
      eat('>');
      return { type: 'map', keyId, key, valueId, value, valueRequired };
    }
    if (word === 'struct' && peekAfter(word, '<')) {
      pos += word.length; eat('<');
      const fields: NestedField[] = [];
      const seen = new Set<string>();
      if (!peek('>')) {
        do {
          const n = name();
          if (seen.has(n)) fail(`duplicate field ${JSON.stringify(n)}`);
          seen.add(n);
          eat(':');
          const id = nextId();
          const t = type();
          fields.push({ id, name: n, required: notNull(), type: t });
        } while (peek(',') && (pos++, true));
      }
      eat('>');
      return { type: 'struct', fields };
    }
    const m = /^(decimal\s*\(\s*\d+\s*,\s*\d+\s*\)|fixed\s*\[\s*\d+\s*\]|[a-z_]+)/i.exec(text.slice(pos));
    const p = m ? parsePrimitive(m[0].replace(/\s+/g, '')) : null;
    const d = m ? decimalOf(m[0].replace(/\s+/g, '').toLowerCase()) : null;
    if (d && !p) fail(`decimal precision must be 1 to 38 and scale 0 to the precision, got decimal(${d.precision},${d.scale})`);
    if (m && !p && fixedLengthOf(m[0].replace(/\s+/g, '').toLowerCase()) === 0) fail('fixed length must be at least 1');
    if (!m || !p) fail('unknown type');
    pos += m![0].length;
    return p!;
  };
  const peekAfter = (word: string, c: string) => text.slice(pos + word.length).trimStart().startsWith(c);
  const t = type();
  ws();
  if (pos !== text.length) fail('unexpected trailing text');
  return t;
}

/** Formats a type as parseType reads it. */
export function formatType(t: IcebergType): string {
  if (typeof t === 'string') return t;
  const nn = (req: boolean) => (req ? ' not null' : '');
  switch (t.type) {
    case 'list': return `list<${formatType(t.element)}${nn(t.elementRequired)}>`;
    case 'map': return `map<${formatType(t.key)}, ${formatType(t.value)}${nn(t.valueRequired)}>`;
    case 'struct':
      return `struct<${t.fields.map((f) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name) ? f.name : `\`${f.name}\``}: ${formatType(f.type)}${nn(f.required)}`).join(', ')}>`;
  }
}

// ── schema JSON (spec Appendix C) ──

type Json = Record<string, unknown>;

export function typeFromJson(j: unknown): IcebergType {
  if (typeof j === 'string') {
    const p = parsePrimitive(j);
    if (!p) throw new InvalidInput(`unsupported Iceberg type ${JSON.stringify(j)}`, 'type');
    return p;
  }
  const o = (j ?? {}) as Json;
  if (o.type === 'struct') return { type: 'struct', fields: ((o.fields as Json[]) ?? []).map(fieldFromJson) };
  if (o.type === 'list') return { type: 'list', elementId: Number(o['element-id']), element: typeFromJson(o.element), elementRequired: o['element-required'] === true };
  if (o.type === 'map') {
    return { type: 'map', keyId: Number(o['key-id']), key: typeFromJson(o.key), valueId: Number(o['value-id']), value: typeFromJson(o.value), valueRequired: o['value-required'] === true };
  }
  throw new InvalidInput(`unsupported Iceberg type ${JSON.stringify(j)}`, 'type');
}

function fieldFromJson(f: Json): NestedField {
  const field: NestedField = { id: Number(f.id), name: String(f.name), required: f.required === true, type: typeFromJson(f.type) };
  if (typeof f.doc === 'string') field.doc = f.doc;
  if ('initial-default' in f) field.initialDefault = f['initial-default'];
  if ('write-default' in f) field.writeDefault = f['write-default'];
  return field;
}

export function typeToJson(t: IcebergType): unknown {
  if (typeof t === 'string') return t;
  switch (t.type) {
    case 'struct': return { type: 'struct', fields: t.fields.map(fieldToJson) };
    case 'list': return { type: 'list', 'element-id': t.elementId, element: typeToJson(t.element), 'element-required': t.elementRequired };
    case 'map': return { type: 'map', 'key-id': t.keyId, key: typeToJson(t.key), 'value-id': t.valueId, value: typeToJson(t.value), 'value-required': t.valueRequired };
  }
}

function fieldToJson(f: NestedField): Json {
  const j: Json = { id: f.id, name: f.name, required: f.required, type: typeToJson(f.type) };
  if (f.doc !== undefined) j.doc = f.doc;
  if (f.initialDefault !== undefined) j['initial-default'] = f.initialDefault;
  if (f.writeDefault !== undefined) j['write-default'] = f.writeDefault;
  return j;
}

export function schemaFromJson(j: unknown, fallbackId = 0): Schema {
  const o = (j ?? {}) as Json;
  const schema: Schema = { schemaId: o['schema-id'] === undefined ? fallbackId : Number(o['schema-id']), fields: ((o.fields as Json[]) ?? []).map(fieldFromJson) };
  if (Array.isArray(o['identifier-field-ids'])) schema.identifierFieldIds = (o['identifier-field-ids'] as unknown[]).map(Number);
  return schema;
}

export function schemaToJson(s: Schema): Json {
  const j: Json = { type: 'struct', 'schema-id': s.schemaId };
  if (s.identifierFieldIds?.length) j['identifier-field-ids'] = s.identifierFieldIds;
  j.fields = s.fields.map(fieldToJson);
  return j;
}

// ── promotion ──

/** Whether values of `from` can be read as `to` (spec: int→long, float→double, decimal precision widening). */
export function canPromote(from: IcebergType, to: IcebergType): boolean {
  if (typeof from !== 'string' || typeof to !== 'string') return false;
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  const a = decimalOf(from);
  const b = decimalOf(to);
  return !!a && !!b && a.scale === b.scale && b.precision >= a.precision;
}

// ── schema walking ──

/** Every field of a schema (nested struct fields, list elements and map keys/values too) by id. */
export function fieldsById(schema: Schema): Map<number, { name: string; type: IcebergType; required: boolean }> {
  const out = new Map<number, { name: string; type: IcebergType; required: boolean }>();
  const walk = (t: IcebergType, path: string) => {
    if (typeof t === 'string') return;
    if (t.type === 'struct') for (const f of t.fields) { out.set(f.id, { name: path + f.name, type: f.type, required: f.required }); walk(f.type, `${path}${f.name}.`); }
    if (t.type === 'list') { out.set(t.elementId, { name: `${path}element`, type: t.element, required: t.elementRequired }); walk(t.element, `${path}element.`); }
    if (t.type === 'map') {
      out.set(t.keyId, { name: `${path}key`, type: t.key, required: true });
      out.set(t.valueId, { name: `${path}value`, type: t.value, required: t.valueRequired });
      walk(t.key, `${path}key.`);
      walk(t.value, `${path}value.`);
    }
  };
  walk({ type: 'struct', fields: schema.fields }, '');
  return out;
}

export function maxFieldId(schema: Schema): number {
  return Math.max(0, ...fieldsById(schema).keys());
}
