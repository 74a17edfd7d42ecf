/**
 * Upload pass-through: an uploaded Parquet file that already is a valid data file of the table is
 * kept as it is instead of being rewritten. Conditions (any failing → null, and the caller rewrites
 * the file as usual, which also explains invalid data with its typed errors):
 *  - the table is unpartitioned (every partition field void);
 *  - the file's top-level columns are exactly the table's current columns by name (any order), all
 *    primitive, each with the Parquet physical + logical type of its Iceberg type (int32 int, int64
 *    long, float, double, boolean, UTF8 string, date, timestamp micros with isAdjustedToUTC as
 *    timestamptz/timestamp, decimal with the same precision and scale);
 *  - no field ids, or exactly the table's;
 *  - V1 data pages, plain/dictionary encodings, a codec every Iceberg reader reads; bloom filters and
 *    page indexes are dropped from the footer (parquet-footer.ts);
 *  - one read of every value (DuckDB, parallel, statistics-based optimizations off so the footer
 *    cannot stand in for the data): required columns have no NULLs, and each row group's footer
 *    statistics agree with its values (null count equal, min <= actual min, max >= actual max), so
 *    no reader skips rows on the footer's word.
 * Manifest metrics (value and null counts, bounds) come from that read, not from the footer.
 * The kept file is checked (and its footer trimmed) where it is; putting it into the store is the
 * writer's part (writer.ts).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { decimalOf } from '../../../domain/iceberg/type-strings.js';
import type { NestedField, PrimitiveType, Schema } from '../../../domain/iceberg/types.js';
import { NotPassable, prepareForPassThrough } from '../../../iceberg/parquet-footer.js';
import type { WriteTarget, WrittenFile } from '../../../ports/query-engine.js';
import { comparePhysical, fromDuckText } from './duck-text.js';
import { messageOf } from './errors.js';
import { quoteIdent, sqlString } from './sql-text.js';

/** What a kept file is as a data file, but for where it will be. */
export type KeptFile = Omit<WrittenFile, 'location'>;

const MAX_ROW_GROUPS = 2000;
/** Optimizers that may take footer statistics for facts about the values (count(x) → count(*), compressed materialization). */
const STATS_OPTIMIZERS = 'statistics_propagation,compressed_materialization';

type Row = Record<string, unknown>;

/**
 * Runs `fn` with the optimizers that trust footer statistics off. DuckDB's `disabled_optimizers` is
 * a setting of the whole database instance, so these runs take turns (process-wide) and the
 * setting is restored after each; other queries meanwhile just run without those optimizations.
 */
let turn: Promise<unknown> = Promise.resolve();
async function withoutStatisticsOptimizers<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  const run = turn.then(async () => {
    const previous = String((await conn.runAndReadAll(`SELECT current_setting('disabled_optimizers')`)).getRowsJS()[0]?.[0] ?? '');
    await conn.run(`SET disabled_optimizers = ${sqlString([previous, STATS_OPTIMIZERS].filter(Boolean).join(','))}`);
    try {
      return await fn();
    } finally {
      await conn.run(`SET disabled_optimizers = ${sqlString(previous)}`);
    }
  });
  turn = run.catch(() => undefined);
  return run;
}

/** Whether a Parquet leaf (parquet_schema row) holds exactly Iceberg type `t`. */
export function parquetTypeMatches(el: Row, t: PrimitiveType): boolean {
  const physical = String(el.type ?? '');
  const converted = el.converted_type == null ? null : String(el.converted_type);
  const logical = el.logical_type == null ? null : String(el.logical_type);
  const intLogical = (bits: number) => logical === null || new RegExp(`^IntType\\(bitWidth=${bits}, isSigned=(1|true)\\)$`).test(logical);
  switch (t) {
    case 'boolean':
      return physical === 'BOOLEAN' && converted === null && logical === null;
    case 'int':
      return physical === 'INT32' && (converted === null || converted === 'INT_32') && intLogical(32);
    case 'long':
      return physical === 'INT64' && (converted === null || converted === 'INT_64') && intLogical(64);
    case 'float':
      return physical === 'FLOAT' && converted === null && logical === null;
    case 'double':
      return physical === 'DOUBLE' && converted === null && logical === null;
    case 'string':
      return physical === 'BYTE_ARRAY' && (converted === 'UTF8' || (converted === null && logical !== null && /^StringType\b/.test(logical)));
    case 'date':
      return physical === 'INT32' && (converted === 'DATE' || (converted === null && logical !== null && /^DateType\b/.test(logical)));
    case 'timestamp':
    case 'timestamptz': {
      if (physical !== 'INT64') return false;
      const utc = t === 'timestamptz';
      if (logical === null) return utc && converted === 'TIMESTAMP_MICROS'; // legacy converted type: adjusted to UTC
      const m = /^TimestampType\(isAdjustedToUTC=(1|0|true|false), unit=TimeUnit\((.*)\)\)$/.exec(logical);
      if (!m) return false;
      const adjusted = m[1] === '1' || m[1] === 'true';
      const micros = /MICROS=MicroSeconds\(\)/.test(m[2]!) && /MILLIS=<null>/.test(m[2]!) && /NANOS=<null>/.test(m[2]!);
      return micros && adjusted === utc && (converted === null || converted === 'TIMESTAMP_MICROS');
    }
  }
  const dec = decimalOf(t);
  if (dec) {
    if (converted !== 'DECIMAL' && !(logical !== null && /^DecimalType\b/.test(logical))) return false;
    if (Number(el.precision) !== dec.precision || Number(el.scale) !== dec.scale) return false;
    if (physical === 'INT32') return dec.precision <= 9;
    if (physical === 'INT64') return dec.precision <= 18;
    if (physical === 'FIXED_LEN_BYTE_ARRAY') return Number(el.type_length) > 0 && Number(el.type_length) <= 16;
    return false;
  }
  return false; // time, uuid, binary, fixed: always rewritten
}

interface Column {
  f: NestedField & { type: PrimitiveType };
  /** SQL of the aggregate's min/max text. */
  min: string;
  max: string;
}

/** The file's columns as the table's, or a reason why not. */
async function matchSchema(conn: DuckDBConnection, p: string, schema: Schema): Promise<Column[]> {
  const rows = (await conn.runAndReadAll(`SELECT name, type, type_length, repetition_type, num_children, converted_type, scale, precision, field_id, logical_type FROM parquet_schema(${p})`)).getRowObjectsJS();
  const [root, ...leaves] = rows;
  if (!root || Number(root.num_children ?? 0) !== leaves.length || leaves.length !== schema.fields.length) throw new NotPassable('columns differ');
  const withIds = leaves.filter((l) => l.field_id != null).length;
  if (withIds !== 0 && withIds !== leaves.length) throw new NotPassable('some columns have field ids');
  const byName = new Map(leaves.map((l) => [String(l.name), l]));
  if (byName.size !== leaves.length) throw new NotPassable('duplicate column names');
  return schema.fields.map((f) => {
    const el = byName.get(f.name);
    if (!el) throw new NotPassable(`column ${f.name} missing`);
    if (typeof f.type !== 'string' || Number(el.num_children ?? 0) > 0 || el.repetition_type === 'REPEATED') throw new NotPassable('nested column');
    if (withIds > 0 && Number(el.field_id) !== f.id) throw new NotPassable('field ids differ');
    if (!parquetTypeMatches(el, f.type)) throw new NotPassable(`column ${f.name}: type`);
    const c = quoteIdent(f.name);
    const t = f.type;
    const agg = (fn: 'min' | 'max') =>
      t === 'timestamp' || t === 'timestamptz'
        ? `CAST(epoch_us(${fn}(${c})) AS VARCHAR)`
        : t === 'float' || t === 'double'
          ? `CAST(${fn}(${c}) FILTER (WHERE NOT isnan(${c})) AS VARCHAR)`
          : `CAST(${fn}(${c}) AS VARCHAR)`;
    return { f: f as Column['f'], min: agg('min'), max: agg('max') };
  });
}

/** A value of the aggregate's text (timestamps as epoch micros). */
function actualValue(t: PrimitiveType, s: string): unknown {
  return t === 'timestamp' || t === 'timestamptz' ? BigInt(s) : fromDuckText(t, s);
}

/** A footer statistic's text as a value; NotPassable when it does not parse. */
function footerValue(t: PrimitiveType, s: string): unknown {
  let v: unknown;
  try {
    v = fromDuckText(t, s);
  } catch {
    throw new NotPassable('footer statistic does not parse');
  }
  if (typeof v === 'number' && Number.isNaN(v)) throw new NotPassable('NaN footer statistic');
  return v;
}

export async function tryPassThrough(conn: DuckDBConnection, path: string, target: WriteTarget): Promise<KeptFile | null> {
  try {
    return await passThrough(conn, path, target);
  } catch (e) {
    if (e instanceof NotPassable) return null;
    // Anything DuckDB could not read the file for: the rewrite reports it properly.
    if (/^[A-Za-z ]*Error:/.test(messageOf(e))) return null;
    throw e;
  }
}

async function passThrough(conn: DuckDBConnection, path: string, target: WriteTarget): Promise<KeptFile | null> {
  if (target.spec.fields.some((f) => f.transform !== 'void')) return null;
  const p = sqlString(path);
  const columns = await matchSchema(conn, p, target.schema);
  const footer = await prepareForPassThrough(path);

  // Footer statistics per row group and column (read after the footer was trimmed).
  const meta = (
    await conn.runAndReadAll(
      `SELECT row_group_id, row_group_num_rows, path_in_schema, num_values, stats_null_count, stats_min, stats_max, stats_min_value, stats_max_value, total_compressed_size FROM parquet_metadata(${p}) ORDER BY row_group_id, column_id`,
    )
  ).getRowObjectsJS();
  const groups: { rows: number; cols: Map<string, Row> }[] = [];
  for (const r of meta) {
    const g = Number(r.row_group_id);
    groups[g] ??= { rows: Number(r.row_group_num_rows), cols: new Map() };
    groups[g]!.cols.set(String(r.path_in_schema), r);
  }
  if (groups.length === 0 || groups.length > MAX_ROW_GROUPS || groups.some((g) => g === undefined)) throw new NotPassable('row groups');
  for (const g of groups) {
    if (g.cols.size !== columns.length) throw new NotPassable('row group columns');
    for (const c of columns) {
      const r = g.cols.get(c.f.name);
      if (!r || Number(r.num_values) !== g.rows) throw new NotPassable('column chunk value count');
    }
  }
  const total = groups.reduce((n, g) => n + g.rows, 0);
  if (total === 0) throw new NotPassable('no rows');

  // Row group of each row from its position: uniform sizes divide, else a CASE over the starts.
  const sizes = groups.map((g) => g.rows);
  const uniform = sizes.slice(0, -1).every((s) => s === sizes[0]) && sizes.at(-1)! <= sizes[0]!;
  let rg: string;
  if (uniform) rg = `file_row_number // ${sizes[0]}`;
  else {
    let start = 0;
    const whens = sizes.slice(0, -1).map((s, i) => `WHEN file_row_number < ${(start += s)} THEN ${i}`);
    rg = `CASE ${whens.join(' ')} ELSE ${sizes.length - 1} END`;
  }
  const aggs = columns.flatMap((c) => [`count(${quoteIdent(c.f.name)})`, c.min, c.max]);
  const sql = `SELECT __cg_rg, count(*), ${aggs.join(', ')} FROM (SELECT ${rg} AS __cg_rg, * FROM read_parquet(${p}, file_row_number = true)) GROUP BY ALL`;
  const actual = await withoutStatisticsOptimizers(conn, async () => (await conn.runAndReadAll(sql)).getRowsJS());
  if (actual.length !== groups.length) throw new NotPassable('row groups read');

  const nulls = new Map<number, number>();
  const lower = new Map<number, unknown>();
  const upper = new Map<number, unknown>();
  const sizesById = new Map<number, number>();
  for (const row of actual) {
    const g = groups[Number(row[0])];
    if (!g || Number(row[1]) !== g.rows) throw new NotPassable('row group sizes');
    columns.forEach((c, i) => {
      const t = c.f.type;
      const id = c.f.id;
      const nonNull = Number(row[2 + i * 3]);
      const minText = row[3 + i * 3];
      const maxText = row[4 + i * 3];
      const n = g.rows - nonNull;
      if (c.f.required && n > 0) throw new NotPassable('NULL in a required column');
      const r = g.cols.get(c.f.name)!;
      if (r.stats_null_count != null && Number(r.stats_null_count) !== n) throw new NotPassable('footer null count differs from the values');
      nulls.set(id, (nulls.get(id) ?? 0) + n);
      sizesById.set(id, (sizesById.get(id) ?? 0) + Number(r.total_compressed_size ?? 0));
      if (minText == null || maxText == null) return; // no (non-NaN) values: any footer min/max excludes nothing
      const lo = actualValue(t, String(minText));
      const hi = actualValue(t, String(maxText));
      for (const s of [r.stats_min_value, r.stats_min]) if (s != null && comparePhysical(t, footerValue(t, String(s)), lo) > 0) throw new NotPassable('footer min above the values');
      for (const s of [r.stats_max_value, r.stats_max]) if (s != null && comparePhysical(t, footerValue(t, String(s)), hi) < 0) throw new NotPassable('footer max below the values');
      const prevLo = lower.get(id);
      const prevHi = upper.get(id);
      if (prevLo === undefined || comparePhysical(t, lo, prevLo) < 0) lower.set(id, lo);
      if (prevHi === undefined || comparePhysical(t, hi, prevHi) > 0) upper.set(id, hi);
    });
  }
  return {
    recordCount: total,
    fileSizeInBytes: footer.size,
    partition: {},
    columnSizes: sizesById,
    valueCounts: new Map(columns.map((c) => [c.f.id, total])),
    nullValueCounts: nulls,
    lowerBounds: lower,
    upperBounds: upper,
    passedThrough: true,
  };
}
