/**
 * Writer input as a DuckDB relation with the table's typed columns, validated while COPY streams
 * it out (no separate pass): a value that does not convert, or NULL in a required column, makes
 * the query fail through error(); the caller then runs `diagnose()` — the full check over the
 * input — which throws the SchemaMismatch naming the column (with a count and an example). Unknown
 * columns are refused up front; unreadable files are InvalidInput. Parquet columns that already
 * have the column's type are passed through uncast, and the footer gives the row count. JSON rows
 * from the API go through a temporary NDJSON file so DuckDB, not JS, parses and converts them.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput, SchemaMismatch } from '../../../domain/errors.js';
import { decimalOf } from '../../../domain/iceberg/type-strings.js';
import type { IcebergType, NestedField, Schema } from '../../../domain/iceberg/types.js';
import type { WriteInput } from '../../../ports/query-engine.js';
import { messageOf } from './errors.js';
import { jsonMisfit, jsonValue, primitiveFromText } from './json-nested.js';
import { duckType, literal, quoteIdent, sqlString } from './sql-text.js';

type Kind = 'json' | 'text' | 'typed';

export interface TypedInput {
  /** SELECT list producing the schema's columns, typed; it fails (error()) on input that does not fit. */
  select: string;
  /** FROM clause (a table function call or subquery). */
  from: string;
  /** Rows of the input when known without a scan (Parquet footer), else null. */
  rowCount: number | null;
  /** After a failed write: the full check over the input, throwing the SchemaMismatch or InvalidInput that explains it. */
  diagnose: () => Promise<void>;
  cleanup: () => Promise<void>;
}

type InputFormat = 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET';

/** The file DuckDB reads for rows or a file input: the rows go to a temporary NDJSON file, which cleanup removes. */
export async function inputFile(input: Exclude<WriteInput, { kind: 'query' }>): Promise<{ path: string; format: InputFormat; cleanup: () => Promise<void> }> {
  if (input.kind !== 'rows') return { path: input.localPath, format: input.format, cleanup: async () => {} };
  const f = await ndjsonFile(input.rows);
  return { path: f.path, format: 'NDJSON', cleanup: () => rm(f.dir, { recursive: true, force: true }) };
}

async function ndjsonFile(rows: Record<string, unknown>[]): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cg-rows-'));
  const path = join(dir, 'rows.ndjson');
  const out = createWriteStream(path);
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);
  try {
    for (const r of rows) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidInput('rows must be JSON objects keyed by column name', 'rows');
      if (!out.write(`${JSON.stringify(r, replacer)}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
    }
    out.end();
    await finished(out);
  } catch (e) {
    // A bad row: no temporary file stays behind.
    out.destroy();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return { path, dir };
}

const pointer = (name: string) => sqlString(`/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`);

/** Source value of column `name`: text (CSV), JSON (JSON input; SQL NULL for JSON null) or typed. */
function raw(kind: Kind, name: string): string {
  if (kind !== 'json') return quoteIdent(name);
  const p = pointer(name);
  return `CASE WHEN json_type(__cg_j, ${p}) = 'NULL' THEN NULL ELSE json_extract(__cg_j, ${p}) END`;
}

/** The value as the column's type (NULL when it does not convert) and the test for that. */
function typed(kind: Kind, x: string, t: IcebergType, sourceType?: string): { value: string; misfit: string; nullMeansMisfit: boolean } {
  if (kind === 'json' || (typeof t !== 'string' && kind === 'text')) {
    const j = kind === 'text' ? `TRY_CAST(${x} AS JSON)` : x;
    return { value: jsonValue(j, t), misfit: `(${x} IS NOT NULL AND ${jsonMisfit(j, t)})`, nullMeansMisfit: false };
  }
  // Nested: try(CAST …) is NULL when any leaf does not convert (TRY_CAST would only null that leaf).
  // A typed file's string column is text too, as far as whole values go (binary stays as the file has it).
  const value = typeof t === 'string' ? primitiveFromText(x, t, kind !== 'typed', kind !== 'typed' || sourceType === 'VARCHAR') : `try(CAST(${x} AS ${duckType(t)}))`;
  return { value, misfit: `(${x} IS NOT NULL AND ${value} IS NULL)`, nullMeansMisfit: true };
}

interface Source {
  kind: Kind;
  from: string;
  names: string[];
  /** DuckDB type of each column (typed input only). */
  types: Map<string, string>;
  /** Row count known without a scan (the Parquet footer), else null. */
  rowCount: number | null;
  cleanup: () => Promise<void>;
}

async function open(conn: DuckDBConnection, input: WriteInput): Promise<Source> {
  if (input.kind === 'query') {
    // The query's views are defined on `conn` (query-input.ts); its result is typed already.
    const from = `(${input.sql}) AS __cg_q`;
    const r = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowsJS();
    const types = new Map(r.map((row) => [String(row[0]), String(row[1])]));
    return { kind: 'typed', from, names: r.map((row) => String(row[0])), types, rowCount: null, cleanup: async () => {} };
  }
  if (input.kind === 'rows' && !Array.isArray(input.rows)) throw new InvalidInput('rows must be a JSON array of objects', 'rows');
  const { path, format, cleanup } = await inputFile(input);
  const p = sqlString(path);
  try {
    if (format === 'JSON' || format === 'NDJSON') {
      const from = `read_json_objects(${p}, format = '${format === 'NDJSON' ? 'newline_delimited' : 'auto'}') AS __cg_t(__cg_j)`;
      const r = await conn.runAndReadAll(`SELECT count_if(json_type(__cg_j) <> 'OBJECT'), list(DISTINCT k) FROM (SELECT __cg_j, unnest(CASE WHEN json_type(__cg_j) = 'OBJECT' THEN json_keys(__cg_j) ELSE [NULL] END) AS k FROM ${from})`);
      const [notObjects, keys] = (r.getRowsJS()[0] ?? [0, []]) as [bigint | number, (string | null)[] | null];
      if (Number(notObjects) > 0) throw new InvalidInput('every JSON value must be an object keyed by column name', 'file');
      return { kind: 'json', from, names: (keys ?? []).filter((k): k is string => k !== null), types: new Map(), rowCount: null, cleanup };
    }
    const from = format === 'CSV' ? `read_csv(${p}, header = true, all_varchar = true, allow_quoted_nulls = false)` : format === 'PARQUET' ? `read_parquet(${p})` : null;
    if (!from) throw new InvalidInput(`unknown format ${format}`, 'format');
    const r = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowsJS();
    const types = new Map(r.map((row) => [String(row[0]), String(row[1])]));
    if (format === 'CSV') await refuseRepeatedHeader(conn, p, r.map((row) => String(row[0])));
    let rowCount: number | null = null;
    if (format === 'PARQUET') {
      const meta = await conn.runAndReadAll(`SELECT sum(num_rows) FROM parquet_file_metadata(${p})`);
      const n = meta.getRowsJS()[0]?.[0];
      rowCount = n === null || n === undefined ? null : Number(n);
    }
    return { kind: format === 'CSV' ? 'text' : 'typed', from, names: r.map((row) => String(row[0])), types, rowCount, cleanup };
  } catch (e) {
    await cleanup();
    if (e instanceof InvalidInput || e instanceof SchemaMismatch) throw e;
    throw new InvalidInput(`the ${format} input could not be read: ${messageOf(e)}`, 'file');
  }
}

/** DuckDB renames a repeated CSV header name (`id`, `id_1`); the header itself says whether one was. */
async function refuseRepeatedHeader(conn: DuckDBConnection, p: string, names: string[]): Promise<void> {
  if (!names.some((n) => /_\d+$/.test(n))) return;
  const header = (await conn.runAndReadAll(`SELECT * FROM read_csv(${p}, header = false, all_varchar = true) LIMIT 1`)).getRowsJS()[0] ?? [];
  const seen = new Set<string>();
  for (const h of header.map(String)) {
    if (seen.has(h)) throw new SchemaMismatch(`column '${h.slice(0, 200)}' appears more than once in the CSV header`, h.slice(0, 200));
    seen.add(h);
  }
}

/** DuckDB's own spelling of each Iceberg type's DuckDB type, to compare with the input's column types. */
async function canonicalTypes(conn: DuckDBConnection, fields: NestedField[]): Promise<string[]> {
  if (fields.length === 0) return [];
  const r = await conn.runAndReadAll(`DESCRIBE SELECT ${fields.map((f, i) => `CAST(NULL AS ${duckType(f.type)}) AS c${i}`).join(', ')}`);
  return r.getRowsJS().map((row) => String(row[1]));
}

/** Marker of the error() calls that stop a COPY on input that does not fit. */
const CHECK_FAILED = 'cg_write_check_failed';

/**
 * JSON rows reach us parsed, so an integer past 2^53 has already lost digits (9007199254740993 is
 * 9007199254740992 by now): for a long or decimal column that would store a neighbour of the value
 * sent. Such numbers are refused; sent as strings they are exact.
 */
function refuseRoundedIntegers(rows: Record<string, unknown>[], schema: Schema): void {
  const exact = schema.fields.filter((f) => f.type === 'long' || (typeof f.type === 'string' && decimalOf(f.type) !== null));
  if (exact.length === 0) return;
  rows.forEach((row, i) => {
    for (const f of exact) {
      const v = row?.[f.name];
      if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
        throw new SchemaMismatch(`rows[${i}].${f.name}: ${v} is past 2^53, where JSON numbers lose digits; send it as a string`, f.name);
      }
    }
  });
}

export async function typedInput(conn: DuckDBConnection, input: WriteInput, schema: Schema): Promise<TypedInput> {
  if (input.kind === 'rows' && Array.isArray(input.rows)) refuseRoundedIntegers(input.rows, schema);
  const src = await open(conn, input);
  try {
    const known = new Set(schema.fields.map((f) => f.name));
    const unknown = src.names.find((n) => !known.has(n));
    if (unknown !== undefined) throw new SchemaMismatch(`unknown column '${unknown.slice(0, 200)}'`, unknown);
    const present = new Set(src.names);
    const exprs: Expr[] = schema.fields.map((f: NestedField) => {
      if (!present.has(f.name)) {
        return { f, raw: null, value: literal(f.writeDefault, f.type), misfit: 'false', nullMeansMisfit: false, same: false };
      }
      // CSV: an empty field is NULL, a quoted empty one ("") an empty string, as PostgreSQL's COPY
      // reads them; only a string column can hold the latter, so for the others both are NULL.
      const x = src.kind === 'text' && f.type !== 'string' ? `NULLIF(${raw(src.kind, f.name)}, '')` : raw(src.kind, f.name);
      return { f, raw: x, ...typed(src.kind, x, f.type, src.types.get(f.name)), same: false };
    });
    if (src.kind === 'typed') {
      const canonical = await canonicalTypes(conn, schema.fields);
      exprs.forEach((e, i) => {
        // fixed[L] is a BLOB in DuckDB too, but its length still needs checking.
        const fixed = typeof e.f.type === 'string' && e.f.type.startsWith('fixed');
        if (e.raw !== null && !fixed && src.types.get(e.f.name) === canonical[i]) Object.assign(e, { value: e.raw, misfit: 'false', nullMeansMisfit: false, same: true });
      });
    }
    const diagnose = () => diagnoseInput(conn, src.from, exprs, src.kind);
    const missing = exprs.find((e) => e.raw === null && e.f.required && e.f.writeDefault === undefined);
    if (missing) {
      // Only an empty input may lack a required column; without a footer count, the diagnosis counts.
      if (src.rowCount === null) await diagnose();
      else if (src.rowCount > 0) throw new SchemaMismatch(`missing required column '${missing.f.name}'`, missing.f.name);
    }
    return { ...guardedSelect(src.from, exprs), rowCount: missing ? 0 : src.rowCount, diagnose, cleanup: src.cleanup };
  } catch (e) {
    await src.cleanup();
    throw e;
  }
}

interface Expr {
  f: NestedField;
  /** The input's value (null: the column is absent). */
  raw: string | null;
  value: string;
  misfit: string;
  /** The misfit test is "non-NULL input, NULL value" (typed and CSV primitives). */
  nullMeansMisfit: boolean;
  /** The input column already has the column's type (passed through). */
  same: boolean;
}

/**
 * The typed columns in one streaming query: conversions in an inner SELECT (each computed once),
 * the checks around them in the outer one, failing the query on the first value that does not fit.
 */
function guardedSelect(from: string, exprs: Expr[]): { select: string; from: string } {
  const inner: string[] = [];
  const outer = exprs.map((e, i) => {
    const name = quoteIdent(e.f.name);
    const fail = `error('${CHECK_FAILED}:${i}')`;
    if (e.raw === null) return `${e.value} AS ${name}`;
    const v = `__cg_v${i}`;
    inner.push(`${e.value} AS ${v}`);
    const bad: string[] = [];
    if (!e.same) {
      // Typed and CSV primitives misfit exactly when a non-NULL input converts to NULL; JSON and nested text have their own test.
      if (e.nullMeansMisfit) {
        inner.push(`${e.raw} AS __cg_r${i}`);
        bad.push(`(__cg_r${i} IS NOT NULL AND ${v} IS NULL)`);
      } else {
        inner.push(`${e.misfit} AS __cg_m${i}`);
        bad.push(`__cg_m${i}`);
      }
    }
    if (e.f.required) bad.push(`${v} IS NULL`);
    return bad.length === 0 ? `${v} AS ${name}` : `CASE WHEN ${bad.join(' OR ')} THEN ${fail} ELSE ${v} END AS ${name}`;
  });
  return { select: outer.join(', '), from: inner.length > 0 ? `(SELECT ${inner.join(', ')} FROM ${from}) __cg_i` : from };
}

/** Is a write failure the error() of a check (then `diagnose()` explains it)? */
export function isCheckFailure(e: unknown): number | null {
  const m = new RegExp(`${CHECK_FAILED}:(\\d+)`).exec(messageOf(e));
  return m ? Number(m[1]) : null;
}

/**
 * The full check over the input, one scan: row count, and per column the number of values that do
 * not convert (with an example) and of NULLs in required columns. Throws the first problem found.
 */
async function diagnoseInput(conn: DuckDBConnection, from: string, exprs: Expr[], kind: Kind): Promise<void> {
  const checks = ['count(*)'];
  exprs.forEach((e, i) => {
    if (e.raw && !e.same) checks.push(`count_if(${e.misfit}) AS b${i}`, `any_value(CAST(${e.raw} AS VARCHAR)) FILTER (WHERE ${e.misfit}) AS e${i}`);
    else checks.push(`0 AS b${i}`, `NULL AS e${i}`);
    checks.push(e.f.required ? `count_if(${e.value} IS NULL) AS z${i}` : `0 AS z${i}`);
  });
  let row: unknown[];
  try {
    row = (await conn.runAndReadAll(`SELECT ${checks.join(', ')} FROM ${from}`)).getRowsJS()[0] ?? [];
  } catch (e) {
    throw new InvalidInput(`the input could not be read: ${messageOf(e)}`, 'file');
  }
  const rowCount = Number(row[0]);
  const missing = exprs.find((e) => e.raw === null && e.f.required && e.f.writeDefault === undefined);
  if (rowCount > 0 && missing) throw new SchemaMismatch(`missing required column '${missing.f.name}'`, missing.f.name);
  exprs.forEach((e, i) => {
    const bad = Number(row[1 + i * 3]);
    if (bad > 0) {
      // JSON input: the value as sent, already JSON text ("12.345", 2.5, [1]); CSV and the like: the text, quoted.
      const text = String(row[2 + i * 3]);
      const example = kind === 'json' ? (text.length > 100 ? `${text.slice(0, 100)}…` : text) : JSON.stringify(text.slice(0, 100));
      throw new SchemaMismatch(`column '${e.f.name}': ${bad} value(s) do not convert to ${typeof e.f.type === 'string' ? e.f.type : e.f.type.type} (e.g. ${example})`, e.f.name);
    }
    if (Number(row[3 + i * 3]) > 0) throw new SchemaMismatch(`column '${e.f.name}' is required but has NULL values`, e.f.name);
  });
}
