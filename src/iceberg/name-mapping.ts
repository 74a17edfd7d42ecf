/**
 * Default name mapping (Iceberg spec "Column Projection" / table property
 * `schema.name-mapping.default`): how readers find the columns of data files written without field
 * ids — `[{"field-id": 1, "names": ["id", "old_id"]}, {"field-id": 2, "names": ["s"], "fields": [...]}]`.
 * Built from a schema, kept up to date on schema changes as Iceberg-Java does (a rename adds the
 * new name and keeps the old one; an added column gets an entry; a name taken by another field is
 * removed from the field that had it).
 */
import type { IcebergType, MappedField, NameMapping, NestedField, Schema } from '../domain/iceberg/types.js';

export type { MappedField, NameMapping };

export const NAME_MAPPING_PROPERTY = 'schema.name-mapping.default';

function nestedFields(t: IcebergType): NestedField[] | null {
  if (typeof t === 'string') return null;
  if (t.type === 'struct') return t.fields;
  if (t.type === 'list') return [{ id: t.elementId, name: 'element', required: t.elementRequired, type: t.element }];
  return [
    { id: t.keyId, name: 'key', required: true, type: t.key },
    { id: t.valueId, name: 'value', required: t.valueRequired, type: t.value },
  ];
}

export function mappingFromFields(fields: NestedField[]): NameMapping {
  return fields.map((f) => {
    const nested = nestedFields(f.type);
    return { fieldId: f.id, names: [f.name], ...(nested ? { fields: mappingFromFields(nested) } : {}) };
  });
}

export function mappingFromSchema(schema: Schema): NameMapping {
  return mappingFromFields(schema.fields);
}

/** Parses the property; null when absent or malformed (a reader then has no mapping). */
export function parseNameMapping(text: string | undefined): NameMapping | null {
  if (text === undefined) return null;
  try {
    const walk = (j: unknown): MappedField[] => {
      if (!Array.isArray(j)) throw new Error('not a list');
      return j.map((e: Record<string, unknown>) => {
        const names = e.names;
        if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new Error('names');
        const id = e['field-id'];
        if (id !== undefined && id !== null && !Number.isInteger(id)) throw new Error('field-id');
        return { ...(typeof id === 'number' ? { fieldId: id } : {}), names: [...names], ...(e.fields ? { fields: walk(e.fields) } : {}) };
      });
    };
    return walk(JSON.parse(text));
  } catch {
    return null;
  }
}

export function serializeNameMapping(m: NameMapping): string {
  const out = (fs: MappedField[]): unknown[] =>
    fs.map((f) => ({ ...(f.fieldId !== undefined ? { 'field-id': f.fieldId } : {}), names: f.names, ...(f.fields && f.fields.length > 0 ? { fields: out(f.fields) } : {}) }));
  return JSON.stringify(out(m));
}

/** The entry of `mapping` whose names include `name` (exact), at one level. */
export function mappedByName(mapping: MappedField[] | undefined, name: string): MappedField | undefined {
  return mapping?.find((f) => f.names.includes(name));
}

/** The entry for field `id`, at one level. */
export function mappedById(mapping: MappedField[] | undefined, id: number): MappedField | undefined {
  return mapping?.find((f) => f.fieldId === id);
}

/**
 * Whether reading a file whose top-level columns are named exactly as `schema`'s current columns
 * through `mapping` finds each column as its own field: every current name maps to its field's id.
 */
export function mappingResolvesCurrentNames(mapping: NameMapping, schema: Schema): boolean {
  return schema.fields.every((f) => {
    const hits = mapping.filter((m) => m.names.includes(f.name));
    return hits.length === 1 && hits[0]!.fieldId === f.id;
  });
}

/**
 * The mapping after a schema change from `before` to `after` (Iceberg-Java's MappingUtil.update):
 * fields renamed get their new name added, new fields get an entry, and a name now used by another
 * field is taken off the entry that had it.
 */
export function updateNameMapping(mapping: NameMapping, before: Schema, after: Schema): NameMapping {
  const update = (entries: MappedField[], old: NestedField[] | null, now: NestedField[]): MappedField[] => {
    const next: MappedField[] = entries.map((e) => ({ ...e, names: [...e.names] }));
    for (const f of now) {
      const prev = old?.find((o) => o.id === f.id);
      let entry = next.find((e) => e.fieldId === f.id);
      if (!entry) {
        entry = { fieldId: f.id, names: [f.name] };
        next.push(entry);
      } else if (!entry.names.includes(f.name)) {
        entry.names.push(f.name);
      }
      // The name now belongs to this field only.
      for (const other of next) if (other !== entry) other.names = other.names.filter((n) => n !== f.name);
      const nested = nestedFields(f.type);
      if (nested) entry.fields = update(entry.fields ?? [], prev ? nestedFields(prev.type) : null, nested);
    }
    return next.filter((e) => e.names.length > 0 || (e.fields?.length ?? 0) > 0);
  };
  return update(mapping, before.fields, after.fields);
}
