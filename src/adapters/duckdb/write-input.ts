/**
 * Writer input as a DuckDB relation with the table's typed columns, validated in one streaming
 * pass: unknown columns, missing or NULL required columns and values that do not convert to the
 * column type are SchemaMismatch naming the column; unreadable files are InvalidInput. JSON rows
 * from the API go through a temporary NDJSON file so DuckDB, not JS, parses and converts them.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput, SchemaMismatch } from '../../domain/errors.js';
import type { IcebergType, NestedField, Schema } from '../../domain/iceberg/types.js';
import type { WriteInput } from '../../ports/query-engine.js';
import { messageOf } from './errors.js';
import { jsonMisfit, jsonValue, primitiveFromText } from './json-nested.js';
import { duckType, literal, quoteIdent, sqlString } from './sql-text.js';

type Kind = 'json' | 'text' | 'typed';

export interface TypedInput {
  /** SELECT list producing the schema's columns, typed. */
  select: string;
  /** FROM clause (a table function call). */
  from: string;
  rowCount: number;
  cleanup: () => Promise<void>;
}

async function ndjsonFile(rows: Record<string, unknown>[]): Promise<{ path: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'cg-rows-'));
  const path = join(dir, 'rows.ndjson');
  const out = createWriteStream(path);
  const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);
  for (const r of rows) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidInput('rows must be JSON objects keyed by column name', 'rows');
    if (!out.write(`${JSON.stringify(r, replacer)}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  out.end();
  await finished(out);
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
function typed(kind: Kind, x: string, t: IcebergType): { value: string; misfit: string } {
  if (kind === 'json' || (typeof t !== 'string' && kind === 'text')) {
    const j = kind === 'text' ? `TRY_CAST(${x} AS JSON)` : x;
    return { value: jsonValue(j, t), misfit: `(${x} IS NOT NULL AND ${jsonMisfit(j, t)})` };
  }
  const value = typeof t === 'string' ? primitiveFromText(x, t, kind !== 'typed') : `TRY_CAST(${x} AS ${duckType(t)})`;
  return { value, misfit: `(${x} IS NOT NULL AND ${value} IS NULL)` };
}

async function open(conn: DuckDBConnection, input: WriteInput): Promise<{ kind: Kind; from: string; names: string[]; cleanup: () => Promise<void> }> {
  let cleanup = async () => {};
  let path: string;
  let format: string;
  if (input.kind === 'rows') {
    if (!Array.isArray(input.rows)) throw new InvalidInput('rows must be a JSON array of objects', 'rows');
    const f = await ndjsonFile(input.rows);
    cleanup = () => rm(f.dir, { recursive: true, force: true });
    path = f.path;
    format = 'NDJSON';
  } else {
    path = input.localPath;
    format = input.format;
  }
  const p = sqlString(path);
  try {
    if (format === 'JSON' || format === 'NDJSON') {
      const from = `read_json_objects(${p}, format = '${format === 'NDJSON' ? 'newline_delimited' : 'auto'}') AS __cg_t(__cg_j)`;
      const r = await conn.runAndReadAll(`SELECT count_if(json_type(__cg_j) <> 'OBJECT'), list(DISTINCT k) FROM (SELECT __cg_j, unnest(CASE WHEN json_type(__cg_j) = 'OBJECT' THEN json_keys(__cg_j) ELSE [NULL] END) AS k FROM ${from})`);
      const [notObjects, keys] = (r.getRowsJS()[0] ?? [0, []]) as [bigint | number, (string | null)[] | null];
      if (Number(notObjects) > 0) throw new InvalidInput('every JSON value must be an object keyed by column name', 'file');
      return { kind: 'json', from, names: (keys ?? []).filter((k): k is string => k !== null), cleanup };
    }
    const from = format === 'CSV' ? `read_csv(${p}, header = true, all_varchar = true)` : format === 'PARQUET' ? `read_parquet(${p})` : null;
    if (!from) throw new InvalidInput(`unknown format ${format}`, 'format');
    const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`);
    return { kind: format === 'CSV' ? 'text' : 'typed', from, names: r.getRowsJS().map((row) => String(row[0])), cleanup };
  } catch (e) {
    await cleanup();
    if (e instanceof InvalidInput) throw e;
    throw new InvalidInput(`the ${format} input could not be read: ${messageOf(e)}`, 'file');
  }
}

export async function typedInput(conn: DuckDBConnection, input: WriteInput, schema: Schema): Promise<TypedInput> {
  const src = await open(conn, input);
  try {
    const known = new Set(schema.fields.map((f) => f.name));
    const unknown = src.names.find((n) => !known.has(n));
    if (unknown !== undefined) throw new SchemaMismatch(`unknown column '${unknown.slice(0, 200)}'`, unknown);
    const present = new Set(src.names);
    const exprs = schema.fields.map((f: NestedField) => {
      if (!present.has(f.name)) {
        return { f, raw: null, value: literal(f.writeDefault, f.type), misfit: 'false' };
      }
      const x = raw(src.kind, f.name);
      return { f, raw: x, ...typed(src.kind, x, f.type) };
    });
    const checks = ['count(*)'];
    exprs.forEach((e, i) => {
      if (e.raw) checks.push(`count_if(${e.misfit}) AS b${i}`, `any_value(CAST(${e.raw} AS VARCHAR)) FILTER (WHERE ${e.misfit}) AS e${i}`);
      else checks.push(`0 AS b${i}`, `NULL AS e${i}`);
      checks.push(e.f.required ? `count_if(${e.value} IS NULL) AS z${i}` : `0 AS z${i}`);
    });
    let row: unknown[];
    try {
      row = (await conn.runAndReadAll(`SELECT ${checks.join(', ')} FROM ${src.from}`)).getRowsJS()[0] ?? [];
    } catch (e) {
      throw new InvalidInput(`the input could not be read: ${messageOf(e)}`, 'file');
    }
    const rowCount = Number(row[0]);
    const missing = exprs.find((e) => e.raw === null && e.f.required && e.f.writeDefault === undefined);
    if (rowCount > 0 && missing) throw new SchemaMismatch(`missing required column '${missing.f.name}'`, missing.f.name);
    exprs.forEach((e, i) => {
      const bad = Number(row[1 + i * 3]);
      if (bad > 0) {
        const example = String(row[2 + i * 3]).slice(0, 100);
        throw new SchemaMismatch(`column '${e.f.name}': ${bad} value(s) do not convert to ${typeof e.f.type === 'string' ? e.f.type : e.f.type.type} (e.g. ${JSON.stringify(example)})`, e.f.name);
      }
      if (Number(row[3 + i * 3]) > 0) throw new SchemaMismatch(`column '${e.f.name}' is required but has NULL values`, e.f.name);
    });
    return {
      select: exprs.map((e) => `${e.value} AS ${quoteIdent(e.f.name)}`).join(', '),
      from: src.from,
      rowCount,
      cleanup: src.cleanup,
    };
  } catch (e) {
    await src.cleanup();
    throw e;
  }
}
