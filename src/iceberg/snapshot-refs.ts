/**
 * Changes to a table's own metadata that add no snapshot: named snapshot references (Iceberg spec
 * `refs`: tags and branches with their retention) and table properties (retention uses Iceberg's
 * `history.expire.*`). Each returns new metadata; the caller writes it and commits it to the catalog.
 */
import { AlreadyExists, InvalidInput, NotFound } from '../domain/errors.js';
import type { SnapshotRef, TableMetadata } from '../domain/iceberg/types.js';

/** A table's snapshot ref name: what Spark's `CREATE TAG` and PyIceberg accept, kept plain. */
const REF_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Properties whose values must be non-negative integers (Iceberg's retention settings). */
export const RETENTION_PROPERTIES = ['history.expire.max-snapshot-age-ms', 'history.expire.min-snapshots-to-keep', 'history.expire.max-ref-age-ms'] as const;

function checkAge(value: number | null | undefined, field: string): number | undefined {
  if (value == null) return undefined;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidInput(`${field} must be a positive whole number of milliseconds`, field);
  return value;
}

/** The snapshot a table ref points at. @throws NotFound */
export function snapshotOfRef(m: TableMetadata, name: string): string {
  const ref = m.refs[name];
  if (!ref) throw new NotFound(`the table has no snapshot ref '${name}' (it has: ${Object.keys(m.refs).sort().join(', ') || 'none'})`);
  return ref.snapshotId;
}

/** A tag on one of the table's snapshots. Tags are not moved: tagging with a name in use is AlreadyExists. */
export function tagSnapshot(m: TableMetadata, name: string, snapshotId: string, maxRefAgeMs?: number | null, now = Date.now()): TableMetadata {
  if (!REF_NAME.test(name)) throw new InvalidInput('name must be 1..128 letters, digits, ".", "_" or "-", starting with a letter or digit', 'name');
  if (m.refs[name]) throw new AlreadyExists(`the table already has a ${m.refs[name]!.type} '${name}'; remove it first`);
  if (!m.snapshots.some((s) => s.snapshotId === snapshotId)) throw new NotFound(`snapshot ${snapshotId} not found in the table`);
  const ref: SnapshotRef = { snapshotId, type: 'tag' };
  const age = checkAge(maxRefAgeMs, 'maxRefAgeMs');
  if (age !== undefined) ref.maxRefAgeMs = age;
  return { ...m, lastUpdatedMs: Math.max(now, m.lastUpdatedMs), refs: { ...m.refs, [name]: ref } };
}

/** Removes a tag or a branch of the table; `main` (the table's current snapshot) stays. */
export function removeSnapshotRef(m: TableMetadata, name: string, now = Date.now()): TableMetadata {
  if (name === 'main') throw new InvalidInput("'main' is the table's current state and cannot be removed", 'name');
  if (!m.refs[name]) throw new NotFound(`the table has no snapshot ref '${name}'`);
  const refs = { ...m.refs };
  delete refs[name];
  return { ...m, lastUpdatedMs: Math.max(now, m.lastUpdatedMs), refs };
}

/** Sets and removes table properties; the retention properties must be whole numbers. */
export function setProperties(m: TableMetadata, set: Record<string, unknown>, remove: string[], now = Date.now()): TableMetadata {
  const properties = { ...m.properties };
  for (const key of remove) {
    if (!(key in properties)) throw new NotFound(`the table has no property '${key.slice(0, 200)}'`);
    delete properties[key];
  }
  for (const [key, value] of Object.entries(set)) {
    if (key.length === 0 || key.length > 256) throw new InvalidInput('property names must be 1..256 characters', 'set');
    if (remove.includes(key)) throw new InvalidInput(`'${key}' is both set and removed`, 'set');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidInput(`property '${key}' must be a string, number or boolean`, 'set');
    }
    const text = String(value);
    if ((RETENTION_PROPERTIES as readonly string[]).includes(key) && !/^\d{1,15}$/.test(text)) {
      throw new InvalidInput(`property '${key}' must be a whole number`, 'set');
    }
    if (text.length > 4096) throw new InvalidInput(`property '${key}' is longer than 4096 characters`, 'set');
    properties[key] = text;
  }
  return { ...m, lastUpdatedMs: Math.max(now, m.lastUpdatedMs), properties };
}
