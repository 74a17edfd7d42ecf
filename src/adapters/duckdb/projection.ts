/**
 * Reads one file layout as the table schema: each Iceberg field is found in the file by field id
 * (by name when the file has no ids), so renamed columns read under their new names, added ones
 * read as their default (or NULL) and dropped ones vanish. Nested structs, lists and maps are
 * rebuilt by id too; where the file already has the table's shape a plain CAST suffices.
 */
import type { IcebergType, NestedField } from '../../domain/iceberg/types.js';
import { listElement, mapEntries, type FileLayout, type PNode } from './layout.js';
import { duckType, literal, quoteIdent, sqlString } from './sql-text.js';

function find(nodes: PNode[], f: { id: number; name: string }, byId: boolean): PNode | undefined {
  if (byId) return nodes.find((n) => n.fieldId === f.id);
  return nodes.find((n) => n.name === f.name) ?? nodes.find((n) => n.name.toLowerCase() === f.name.toLowerCase());
}

/** Whether the file column already has the table's nested shape (same names, order and ids). */
function sameShape(node: PNode, t: IcebergType, byId: boolean): boolean {
  if (typeof t === 'string') return node.children.length === 0;
  if (t.type === 'struct') {
    return node.children.length === t.fields.length && t.fields.every((f, i) => {
      const c = node.children[i];
      return c !== undefined && c.name === f.name && (!byId || c.fieldId === f.id) && sameShape(c, f.type, byId);
    });
  }
  if (t.type === 'list') {
    const el = listElement(node);
    return el !== undefined && (!byId || el.fieldId === t.elementId) && sameShape(el, t.element, byId);
  }
  const [k, v] = mapEntries(node);
  return k !== undefined && v !== undefined && (!byId || (k.fieldId === t.keyId && v.fieldId === t.valueId)) && sameShape(k, t.key, byId) && sameShape(v, t.value, byId);
}

/** SQL reading `expr` (a value of file column `node`) as Iceberg type `t`. */
function convert(node: PNode, t: IcebergType, expr: string, byId: boolean, depth: number): string {
  if (typeof t === 'string' || sameShape(node, t, byId)) return `CAST(${expr} AS ${duckType(t)})`;
  const v = `__cg_x${depth}`;
  if (t.type === 'struct') {
    const parts = t.fields.map((f) => {
      const c = find(node.children, f, byId);
      const value = c ? convert(c, f.type, `struct_extract(${expr}, ${sqlString(c.name)})`, byId, depth + 1) : literal(f.initialDefault, f.type);
      return `${quoteIdent(f.name)} := ${value}`;
    });
    return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END`;
  }
  if (t.type === 'list') {
    const el = listElement(node);
    if (!el) return literal(null, t);
    return `list_transform(${expr}, lambda ${v}: ${convert(el, t.element, v, byId, depth + 1)})`;
  }
  const [k, val] = mapEntries(node);
  if (!k || !val) return literal(null, t);
  const key = convert(k, t.key, `${v}.key`, byId, depth + 1);
  const value = convert(val, t.value, `${v}.value`, byId, depth + 1);
  return `map_from_entries(list_transform(map_entries(${expr}), lambda ${v}: struct_pack(k := ${key}, v := ${value})))`;
}

/**
 * Select-list items reading `fields` from a file of `layout`. `constants` supplies values for
 * fields missing from the file (identity partition values recorded in the manifest).
 */
export function projectFields(
  layout: FileLayout,
  fields: NestedField[],
  constants: Map<number, unknown> = new Map(),
  alias: (f: NestedField, i: number) => string = (f) => quoteIdent(f.name),
): string[] {
  return fields.map((f, i) => {
    const node = find(layout.columns, f, layout.hasIds);
    if (!node) {
      const value = constants.has(f.id) ? constants.get(f.id) : f.initialDefault;
      return `${literal(value, f.type)} AS ${alias(f, i)}`;
    }
    return `${convert(node, f.type, quoteIdent(node.name), layout.hasIds, 0)} AS ${alias(f, i)}`;
  });
}

/** Ids of the fields `layout` lacks (these may take identity-partition constants). */
export function missingFieldIds(layout: FileLayout, fields: NestedField[]): number[] {
  return fields.filter((f) => !find(layout.columns, f, layout.hasIds)).map((f) => f.id);
}
