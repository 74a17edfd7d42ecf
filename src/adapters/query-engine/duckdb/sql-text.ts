/**
 * SQL text helpers: Iceberg types as DuckDB types, identifiers and literals. Everything the engine
 * splices into SQL text goes through here; user values are bound parameters instead.
 */
import { quoteIdent } from '../../../domain/filters.js';
import type { IcebergType, NestedField, Schema } from '../../../domain/iceberg/types.js';

export { quoteIdent };

export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

export function sqlStringList(items: string[]): string {
  return `[${items.map(sqlString).join(', ')}]`;
}

export function duckType(t: IcebergType): string {
  if (typeof t === 'string') {
    switch (t) {
      case 'boolean': return 'BOOLEAN';
      case 'int': return 'INTEGER';
      case 'long': return 'BIGINT';
      case 'float': return 'FLOAT';
      case 'double': return 'DOUBLE';
      case 'date': return 'DATE';
      case 'time': return 'TIME';
      case 'timestamp': return 'TIMESTAMP';
      case 'timestamptz': return 'TIMESTAMPTZ';
      case 'string': return 'VARCHAR';
      case 'uuid': return 'UUID';
      case 'binary': return 'BLOB';
    }
    const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
    if (dec) return `DECIMAL(${dec[1]}, ${dec[2]})`;
    if (/^fixed\[\d+\]$/.test(t)) return 'BLOB';
    throw new Error(`no DuckDB type for Iceberg type ${t}`);
  }
  switch (t.type) {
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckType(f.type)}`).join(', ')})`;
    case 'list':
      return `${duckType(t.element)}[]`;
    case 'map':
      return `MAP(${duckType(t.key)}, ${duckType(t.value)})`;
  }
}

export function isNested(t: IcebergType): boolean {
  return typeof t !== 'string';
}

export function topField(schema: Schema, name: string): NestedField | undefined {
  return schema.fields.find((f) => f.name === name);
}

/** A JS value as a SQL literal of an Iceberg primitive type (defaults, partition constants). */
export function literal(value: unknown, t: IcebergType): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckType(t)})`;
  if (value instanceof Uint8Array) return `from_hex(${sqlString(Buffer.from(value).toString('hex'))})`;
  const text = typeof value === 'object' ? JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) : String(value);
  if (t === 'date' && typeof value === 'number') return `(DATE '1970-01-01' + ${Math.trunc(value)})`;
  if ((t === 'timestamp' || t === 'timestamptz') && typeof value === 'bigint') return `CAST(make_timestamp(${value}) AS ${duckType(t)})`;
  return `CAST(${sqlString(text)} AS ${duckType(t)})`;
}

/** Hidden columns every scan carries: the data file (as recorded) and the row's position in it. */
export const FILE_COL = '__cg_file';
export const POS_COL = '__cg_pos';
