/**
 * Read-only SQL checks on DuckDB's own parse tree (json_serialize_sql serialises SELECT statements
 * only, so anything else — INSERT, COPY, ATTACH, PRAGMA, SET, CALL, EXPORT… — is refused by the
 * parser itself). On the tree: exactly one statement; table references must be known tables or
 * CTEs; table functions other than a few generators are refused, as are file-reading, settings and
 * environment functions anywhere in the query. The sandbox (sandbox.ts) is the second line.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput } from '../../../domain/errors.js';

const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);
const FORBIDDEN_FUNCTION = /^(read_|parquet_|sniff_|glob$|iceberg_|delta_|duckdb_|pragma_|query$|query_table$|current_setting$|getenv$|getvariable$|load_|install_|export_|checkpoint|force_checkpoint|which_secret|sqlite_|postgres_|mysql_|arrow_|icu_)/i;
const FORBIDDEN_REFS = new Set(['SHOW_REF', 'COLUMN_DATA', 'DELIM_GET', 'BOUND_REF']);

export interface TableRef {
  /** As written, parts joined with dots. */
  name: string;
  parts: string[];
}

export interface ParsedQuery {
  tables: TableRef[];
}

const bad = (msg: string) => new InvalidInput(msg, 'query');

/** Parses `query` with DuckDB and checks it; returns the tables it reads. */
export async function checkQuery(conn: DuckDBConnection, query: string): Promise<ParsedQuery> {
  if (query.length > 100_000) throw bad('query is too long');
  let count: number;
  try {
    count = (await conn.extractStatements(query)).count;
  } catch (e) {
    throw bad((e as Error).message.replace(/^Failed to extract statements: /, ''));
  }
  if (count !== 1) throw bad(`exactly one statement is allowed, found ${count}`);
  const reader = await conn.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [query]);
  const tree = JSON.parse(String(reader.getRows()[0]?.[0])) as { error: boolean; error_message?: string; statements?: unknown[] };
  if (tree.error) {
    const m = tree.error_message ?? 'invalid query';
    throw bad(/Only SELECT/i.test(m) ? 'only a read-only SELECT (or WITH … SELECT) query is allowed' : m);
  }
  if (tree.statements?.length !== 1) throw bad('exactly one statement is allowed');

  const ctes = new Set<string>();
  const refs: TableRef[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.cte_map && typeof o.cte_map === 'object') {
      for (const entry of ((o.cte_map as { map?: { key: string }[] }).map ?? [])) ctes.add(entry.key.toLowerCase());
    }
    const type = o.type;
    if (typeof type === 'string' && FORBIDDEN_REFS.has(type)) throw bad('SHOW, DESCRIBE and similar statements are not allowed');
    if (type === 'TABLE_FUNCTION') {
      const fn = (o.function as { function_name?: string } | undefined)?.function_name ?? '';
      if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) throw bad(`table function '${fn}' is not allowed; query the tables by name`);
    }
    if (o.class === 'FUNCTION' && typeof o.function_name === 'string' && FORBIDDEN_FUNCTION.test(o.function_name)) {
      throw bad(`function '${o.function_name}' is not allowed`);
    }
    if (type === 'BASE_TABLE') {
      const parts = [o.catalog_name, o.schema_name, o.table_name].filter((p): p is string => typeof p === 'string' && p !== '');
      refs.push({ name: parts.join('.'), parts });
    }
    for (const v of Object.values(o)) walk(v);
  };
  walk(tree.statements);
  const tables = refs.filter((r) => !(r.parts.length === 1 && ctes.has(r.parts[0]!.toLowerCase())));
  const seen = new Set<string>();
  return { tables: tables.filter((t) => !seen.has(t.name) && seen.add(t.name) !== undefined) };
}

/** Resolves each reference to a key of `known` (case-insensitively); unknown names are refused. */
export function resolveTables(refs: TableRef[], known: Iterable<string>): Map<string, string> {
  const byLower = new Map<string, string>();
  for (const k of known) byLower.set(k.toLowerCase(), k);
  const out = new Map<string, string>();
  for (const r of refs) {
    const key = byLower.get(r.name.toLowerCase());
    if (!key) throw bad(`unknown table '${r.name.slice(0, 200)}'`);
    out.set(r.name, key);
  }
  return out;
}
