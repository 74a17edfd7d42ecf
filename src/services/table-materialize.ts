/**
 * Helpers for writes whose data comes from a query (pipeline models, merge by key): comparing a
 * query's columns with a table's schema, the upsert query, staged files as a plan, and the
 * namespaces a new table's key needs.
 */
import { keyElements, keyFromElements, namespaceContent, type ContentKey } from '../domain/content.js';
import { InvalidInput } from '../domain/errors.js';
import { quoteIdent } from '../domain/filters.js';
import { formatType, parseType } from '../domain/iceberg/type-strings.js';
import type { ScanPlan, Schema } from '../domain/iceberg/types.js';
import { dataFileFromWritten } from '../iceberg/table-writer.js';
import type { ColumnDescription, WrittenFile } from '../ports/query-engine.js';
import type { CommitHash } from '../domain/refs.js';
import type { Operation, VersionStore } from '../ports/version-store.js';

/** Name of the staged incoming rows in a merge query. */
export const INCOMING = '__cg_incoming';

/** The query's columns have the schema's names and types, in order (required-ness aside). */
export function sameColumns(schema: Schema, columns: ColumnDescription[]): boolean {
  if (schema.fields.length !== columns.length) return false;
  let id = 0;
  return schema.fields.every((f, i) => {
    const c = columns[i]!;
    return f.name === c.name && formatType(f.type) === formatType(parseType(c.type, () => ++id));
  });
}

export const dottedName = (key: string) => keyElements(key).map(quoteIdent).join('.');

/**
 * Upsert by key, all in the engine: the table's rows whose key is not among the incoming rows,
 * plus the incoming rows (one per key when the input repeats a key; which one is unspecified).
 */
export function mergeQuery(table: ContentKey, schema: Schema, key: string[]): string {
  const names = new Set(schema.fields.map((f) => f.name));
  for (const k of key) if (!names.has(k)) throw new InvalidInput(`merge key column '${k}' is not a column of ${table}`, 'key');
  const cols = schema.fields.map((f) => quoteIdent(f.name)).join(', ');
  const match = key.map((k) => `i.${quoteIdent(k)} IS NOT DISTINCT FROM t.${quoteIdent(k)}`).join(' AND ');
  const part = key.map(quoteIdent).join(', ');
  return (
    `SELECT ${cols} FROM ${dottedName(table)} AS t WHERE NOT EXISTS (SELECT 1 FROM ${INCOMING} AS i WHERE ${match}) ` +
    `UNION ALL SELECT ${cols} FROM (SELECT *, row_number() OVER (PARTITION BY ${part}) AS __cg_n FROM ${INCOMING}) WHERE __cg_n = 1`
  );
}

/** Files the engine wrote to a staging location, as an unpartitioned plan the engine can read. */
export function stagedPlan(files: WrittenFile[], schema: Schema): ScanPlan {
  return {
    schema,
    snapshotId: null,
    dataFiles: files.map((f) => dataFileFromWritten(f, f.location, schema, 0)),
    deleteFiles: [],
    partitionSpecs: [{ specId: 0, fields: [] }],
  };
}

/** PUTs for the parent namespaces of `key` that do not exist at `hash` (outermost first). */
export async function missingNamespaceOps(store: VersionStore, hash: string, key: ContentKey): Promise<Operation[]> {
  const parts = keyElements(key).slice(0, -1);
  const prefixes = parts.map((_, i) => keyFromElements(parts.slice(0, i + 1)));
  if (prefixes.length === 0) return [];
  const found = await store.getContents(hash as CommitHash, prefixes);
  return prefixes.filter((p) => !found.get(p)).map((p) => ({ type: 'PUT', key: p, content: namespaceContent(p) }) as Operation);
}
