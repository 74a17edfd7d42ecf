/**
 * Reads one file layout as the table schema: each Iceberg field is found in the file by field id
 * (by name when the file has no ids), so renamed columns read under their new names, added ones
 * read as their default (or NULL) and dropped ones vanish. Nested structs, lists and maps are
 * rebuilt by id too; where the file already has the table's shape a plain CAST suffices.
 * A file without field ids is read through the table's name mapping (`schema.name-mapping.default`)
 * when it has an entry for the field — the names the field's column may have, so renamed columns
 * still resolve — else by the field's current name.
 */
import type { IcebergType, MappedField, NestedField } from '../../../domain/iceberg/types.js';
import { listElement, mapEntries, type FileLayout, type PNode } from './layout.js';
import { duckType, literal, quoteIdent, sqlString } from './sql-text.js';

function find(nodes: PNode[], f: { id: number; name: string }, byId: boolean, mapping?: MappedField[]): PNode | undefined {
  if (byId) return nodes.find((n) => n.fieldId === f.id);
  const names = mapping?.find((m) => m.fieldId === f.id)?.names ?? [f.name];
  for (const name of names) {
    const hit = nodes.find((n) => n.name === name);
    if (hit) return hit;
  }
  for (const name of names) {
    const hit = nodes.find((n) => n.name.toLowerCase() === name.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}

/** The nested mapping entries of field `id` (for its struct's children), if any. */
const nestedMapping = (mapping: MappedField[] | undefined, id: number) => mapping?.find((m) => m.fieldId === id)?.fields;

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
function convert(node: PNode, t: IcebergType, expr: string, byId: boolean, depth: number, mapping?: MappedField[]): string {
  if (typeof t === 'string' || sameShape(node, t, byId)) return `CAST(${expr} AS ${duckType(t)})`;
  const v = `__cg_x${depth}`;
  if (t.type === 'struct') {
    const parts = t.fields.map((f) => {
      const c = find(node.children, f, byId, mapping);
      const value = c ? convert(c, f.type, `struct_extract(${expr}, ${sqlString(c.name)})`, byId, depth + 1, nestedMapping(mapping, f.id)) : literal(f.initialDefault, f.type);
      return `${quoteIdent(f.name)} := ${value}`;
    });
    return `CASE WHEN ${expr} IS NULL THEN NULL ELSE struct_pack(${parts.join(', ')}) END`;
  }
  if (t.type === 'list') {
    const el = listElement(node);
    if (!el) return literal(null, t);
    return `list_transform(${expr}, lambda ${v}: ${convert(el, t.element, v, byId, depth + 1, nestedMapping(mapping, t.elementId))})`;
  }
  const [k, val] = mapEntries(node);
  if (!k || !val) return literal(null, t);
  const key = convert(k, t.key, `${v}.key`, byId, depth + 1, nestedMapping(mapping, t.keyId));
  const value = convert(val, t.value, `${v}.value`, byId, depth + 1, nestedMapping(mapping, t.valueId));
  return `map_from_entries(list_transform(map_entries(${expr}), lambda ${v}: struct_pack(k := ${key}, v := ${value})))`;
}

/**
 * Select-list items reading `fields` from a file of `layout`. `constants` supplies values for
 * fields missing from the file (identity partition values recorded in the manifest); `mapping` is
 * the table's name mapping (used for files without field ids).
 */
export function projectFields(
  layout: FileLayout,
  fields: NestedField[],
  constants: Map<number, unknown> = new Map(),
  alias: (f: NestedField, i: number) => string = (f) => quoteIdent(f.name),
  mapping?: MappedField[] | null,
): string[] {
  return fields.map((f, i) => {
    const node = find(layout.columns, f, layout.hasIds, mapping ?? undefined);
    if (!node) {
      const value = constants.has(f.id) ? constants.get(f.id) : f.initialDefault;
      return `${literal(value, f.type)} AS ${alias(f, i)}`;
    }
    return `${convert(node, f.type, quoteIdent(node.name), layout.hasIds, 0, nestedMapping(mapping ?? undefined, f.id))} AS ${alias(f, i)}`;
  });
}

/** Ids of the fields `layout` lacks (these may take identity-partition constants). */
export function missingFieldIds(layout: FileLayout, fields: NestedField[], mapping?: MappedField[] | null): number[] {
  return fields.filter((f) => !find(layout.columns, f, layout.hasIds, mapping ?? undefined)).map((f) => f.id);
}
