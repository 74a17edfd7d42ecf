/**
 * Schema evolution by field id (spec "Schema Evolution"): add, rename, drop, widen, make optional.
 * Every accepted change set yields a new schema with a new id; data files are never rewritten.
 * Columns are named by top-level name, or a dotted path into struct columns (`address.city`).
 */
import { InvalidInput } from '../domain/errors.js';
import { canPromote, fieldsById, formatType, maxFieldId, parseType, refuseFixed } from '../domain/iceberg/type-strings.js';
import type { NestedField, Schema, Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import { NAME_MAPPING_PROPERTY, parseNameMapping, serializeNameMapping, updateNameMapping } from './name-mapping.js';

/** One change, shaped like the API's SchemaChangeInput: exactly one member set. */
export interface SchemaChange {
  addColumn?: { name: string; type: string; required?: boolean | null; doc?: string | null; default?: unknown } | null;
  renameColumn?: { from: string; to: string } | null;
  dropColumn?: string | null;
  widenColumn?: { name: string; type: string } | null;
  makeOptional?: string | null;
}

const bad = (msg: string, column: string) => new InvalidInput(`${msg} (column '${column}')`, 'changes');

function clone(fields: NestedField[]): NestedField[] {
  return structuredClone(fields);
}

/** The struct field list holding `path`'s last segment, and its index there (-1 when absent). */
function locate(fields: NestedField[], path: string): { siblings: NestedField[]; index: number; name: string } {
  const parts = path.split('.');
  let siblings = fields;
  for (const part of parts.slice(0, -1)) {
    const parent = siblings.find((f) => f.name === part);
    if (!parent || typeof parent.type === 'string' || parent.type.type !== 'struct') throw bad('no such struct column', path);
    siblings = parent.type.fields;
  }
  const name = parts[parts.length - 1]!;
  return { siblings, index: siblings.findIndex((f) => f.name === name), name };
}

function existing(fields: NestedField[], path: string) {
  const loc = locate(fields, path);
  if (loc.index < 0) throw bad('no such column', path);
  return { ...loc, field: loc.siblings[loc.index]! };
}

const hasRows = (m: TableMetadata) => {
  const current = m.snapshots.find((s) => s.snapshotId === m.currentSnapshotId);
  return current !== undefined && current.summary['total-records'] !== '0';
};

export function evolveSchema(metadata: TableMetadata, changes: SchemaChange[], now = Date.now()): TableMetadata {
  const base = metadata.schemas.find((s) => s.schemaId === metadata.currentSchemaId);
  if (!base) throw new InvalidInput('table metadata has no current schema', 'changes');
  const fields = clone(base.fields);
  let lastColumnId = Math.max(metadata.lastColumnId, maxFieldId(base));
  const nextId = () => ++lastColumnId;
  const identifier = new Set(base.identifierFieldIds ?? []);
  const spec = metadata.partitionSpecs.find((s) => s.specId === metadata.defaultSpecId);
  const sortOrder = metadata.sortOrders.find((o) => o.orderId === metadata.defaultSortOrderId);
  const referenced = new Set([...(spec?.fields ?? []).map((f) => f.sourceId), ...(sortOrder?.fields ?? []).map((f) => f.sourceId)]);
  const clash = (siblings: NestedField[], name: string, column: string) => {
    if (siblings.some((f) => f.name.toLowerCase() === name.toLowerCase())) throw bad(`a column named '${name}' already exists`, column);
  };

  for (const change of changes) {
    const set = Object.entries(change).filter(([, v]) => v !== null && v !== undefined);
    if (set.length !== 1) throw new InvalidInput('each schema change must set exactly one of addColumn, renameColumn, dropColumn, widenColumn, makeOptional', 'changes');
    if (change.addColumn) {
      const c = change.addColumn;
      const loc = locate(fields, c.name);
      if (!loc.name || loc.name.length > 128 || /[\u0000-\u001f]/.test(loc.name)) throw bad('invalid column name', c.name);
      clash(loc.siblings, loc.name, c.name);
      const required = c.required === true;
      const hasDefault = c.default !== undefined && c.default !== null;
      // Old files lack the column: a required one is only readable when no rows exist or a default fills it.
      if (required && !hasDefault && hasRows(metadata)) throw bad('a required column can only be added to a table without rows, or with a default', c.name);
      const id = nextId();
      let type;
      try {
        type = parseType(c.type, nextId);
        refuseFixed(type, c.name);
      } catch (e) {
        throw bad((e as Error).message, c.name);
      }
      const field: NestedField = { id, name: loc.name, required, type };
      if (c.doc) field.doc = c.doc;
      if (hasDefault) {
        field.initialDefault = c.default;
        field.writeDefault = c.default;
      }
      loc.siblings.push(field);
    } else if (change.renameColumn) {
      const { from, to } = change.renameColumn;
      const { siblings, field } = existing(fields, from);
      if (!to || to.includes('.') || to.length > 128 || /[\u0000-\u001f]/.test(to)) throw bad(`invalid new name '${to}'`, from);
      if (to.toLowerCase() !== field.name.toLowerCase()) clash(siblings, to, from);
      field.name = to;
    } else if (change.dropColumn) {
      const path = change.dropColumn;
      const { siblings, index, field } = existing(fields, path);
      if (identifier.has(field.id)) throw bad('an identifier field cannot be dropped', path);
      if (referenced.has(field.id)) throw bad('a partition or sort source column cannot be dropped', path);
      if (fields.length === 1 && siblings === fields) throw bad('the last column cannot be dropped', path);
      siblings.splice(index, 1);
    } else if (change.widenColumn) {
      const { name, type } = change.widenColumn;
      const { field } = existing(fields, name);
      let to;
      try {
        to = parseType(type, () => 0);
      } catch (e) {
        throw bad((e as Error).message, name);
      }
      if (!canPromote(field.type, to)) throw bad(`cannot change ${formatType(field.type)} to ${formatType(to)} (allowed: int→long, float→double, wider decimal precision)`, name);
      field.type = to;
    } else if (change.makeOptional) {
      const { field } = existing(fields, change.makeOptional);
      if (identifier.has(field.id)) throw bad('an identifier field must stay required', change.makeOptional);
      field.required = false;
    }
  }

  const schema: Schema = { schemaId: Math.max(...metadata.schemas.map((s) => s.schemaId)) + 1, fields };
  const ids = new Set(fieldsById({ schemaId: schema.schemaId, fields }).keys());
  const keptIdentifiers = (base.identifierFieldIds ?? []).filter((i) => ids.has(i));
  if (keptIdentifiers.length) schema.identifierFieldIds = keptIdentifiers;
  // Files without field ids are read through the name mapping: renames add their new name to it.
  const mapping = parseNameMapping(metadata.properties[NAME_MAPPING_PROPERTY]);
  const properties = mapping ? { ...metadata.properties, [NAME_MAPPING_PROPERTY]: serializeNameMapping(updateNameMapping(mapping, base, schema)) } : metadata.properties;
  return {
    ...metadata,
    properties,
    lastUpdatedMs: Math.max(now, metadata.lastUpdatedMs),
    lastColumnId,
    schemas: [...metadata.schemas, schema],
    currentSchemaId: schema.schemaId,
    snapshots: metadata.snapshots.map((s) => (s.snapshotId === metadata.currentSnapshotId ? withoutSchemaId(s) : s)),
  };
}

/**
 * The current snapshot loses its (optional) schema-id when the schema changes: from then on it is
 * read with the table's schema of the moment, by id as without one. Nessie's Iceberg REST catalog
 * (0.99) takes the current snapshot's schema-id for the table's current schema when it loads a
 * metadata file, so keeping the old id would hide the change from every client of that catalog.
 */
function withoutSchemaId(s: Snapshot): Snapshot {
  const { schemaId: _old, ...rest } = s;
  return rest;
}
