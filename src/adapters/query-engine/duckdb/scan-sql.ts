/**
 * A ScanPlan as one DuckDB query: data files grouped by identical layout (one read_parquet per
 * group, not per file), projected onto the plan's schema by field id, with delete files applied as
 * the Iceberg spec says:
 *  - a position delete (file_path, pos) removes row `pos` of the data file whose *recorded* path is
 *    file_path, when the data file's sequence number is <= the delete's;
 *  - an equality delete removes rows whose equality columns (by field id) equal a delete row (NULL
 *    equals NULL), for data files with sequence number < the delete's, in the same partition
 *    unless the delete's spec is unpartitioned (then it is global).
 * Output columns: the schema's top-level fields, then (unless `positions: false`) FILE_COL (recorded
 * path) and POS_COL.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataFile, NameMapping, NestedField, PartitionSpec, ScanPlan } from '../../../domain/iceberg/types.js';
import type { FileLayout, LayoutCache } from './layout.js';
import { missingFieldIds, projectFields } from './projection.js';
import { FILE_COL, POS_COL, literal, quoteIdent, sqlString, sqlStringList } from './sql-text.js';

export interface Scan {
  /** A SELECT; use as `(${sql})`. */
  sql: string;
  fields: NestedField[];
}

const recorded = (f: DataFile) => f.recordedPath ?? f.filePath;

/** Canonical partition key: null when the file's spec is unpartitioned (its deletes are global). */
function partitionKey(f: DataFile, specs: PartitionSpec[]): string | null {
  const spec = specs.find((s) => s.specId === f.specId);
  if (spec && spec.fields.every((p) => p.transform === 'void')) return null;
  if (!spec && Object.keys(f.partition).length === 0) return null;
  const entries = Object.entries(f.partition).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([f.specId, entries], (_k, v: unknown) =>
    typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v instanceof Date ? v.toISOString() : v,
  );
}

/** Values of identity-partition source fields, for files that lack those columns (Hive layouts). */
function identityConstants(f: DataFile, specs: PartitionSpec[], missing: number[]): Map<number, unknown> {
  const out = new Map<number, unknown>();
  const spec = specs.find((s) => s.specId === f.specId);
  for (const p of spec?.fields ?? []) {
    if (p.transform === 'identity' && missing.includes(p.sourceId) && p.name in f.partition) out.set(p.sourceId, f.partition[p.name]);
  }
  return out;
}

interface Group {
  layout: FileLayout;
  constants: Map<number, unknown>;
  files: DataFile[];
}

/** Files grouped by layout and partition constants (and `extra`, when given) into one read each. */
function groupFiles(files: DataFile[], layouts: Map<string, FileLayout>, fields: NestedField[], specs: PartitionSpec[], mapping: NameMapping | null | undefined, extra?: (f: DataFile) => unknown[]): Group[] {
  const groups = new Map<string, Group>();
  for (const f of files) {
    const layout = layouts.get(f.filePath)!;
    const constants = identityConstants(f, specs, missingFieldIds(layout, fields, mapping));
    const more = extra ? `|${JSON.stringify(extra(f))}` : '';
    const key = `${layout.key}|${JSON.stringify([...constants], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}${more}`;
    const g = groups.get(key);
    if (g) g.files.push(f);
    else groups.set(key, { layout, constants, files: [f] });
  }
  return [...groups.values()];
}

/** `(local path, recorded path, sequence number, partition key)` rows for joins. */
function filesTable(files: DataFile[], specs: PartitionSpec[]): string {
  const rows = files.map((f) => {
    const part = partitionKey(f, specs);
    return `(${sqlString(f.filePath)}, ${sqlString(recorded(f))}, ${f.sequenceNumber}::BIGINT, ${part === null ? 'NULL::VARCHAR' : sqlString(part)})`;
  });
  return `SELECT * FROM (VALUES ${rows.join(', ')}) AS t(__cg_local, __cg_rec, __cg_seq, __cg_part)`;
}

export interface BuildOptions {
  /**
   * Output FILE_COL and POS_COL (rows paging, overwrites). Default true. Without them a plan that
   * has no position deletes reads plain `read_parquet([...])` projections: no file names, no row
   * numbers and no join (equality deletes get each file's sequence number and partition as
   * constants of its read instead).
   */
  positions?: boolean;
  /**
   * Only rows at file positions `from` ≤ pos < `to` (`to` null: to the end) of every data file read
   * (rows paging reads one big file a window at a time). The bound sits on read_parquet's
   * file_row_number, which DuckDB pushes into the read: row groups outside it are skipped.
   * Needs `positions`.
   */
  window?: { from: number; to: number | null };
}

/** Equality deletes with more distinct (sequence number, partition) groups than this use the file join. */
const MAX_CONSTANT_GROUPS = 256;

export async function buildScan(conn: DuckDBConnection, layouts: LayoutCache, plan: ScanPlan, opts: BuildOptions = {}): Promise<Scan> {
  const positions = opts.positions ?? true;
  const fields = plan.schema.fields;
  const cols = fields.map((f) => quoteIdent(f.name));
  const dataFiles = plan.dataFiles.filter((f) => f.content === 'DATA' && f.recordCount !== 0);
  if (dataFiles.length === 0) {
    const nulls = fields.map((f) => `${literal(null, f.type)} AS ${quoteIdent(f.name)}`);
    const hidden = positions ? [`NULL::VARCHAR AS ${FILE_COL}`, `NULL::BIGINT AS ${POS_COL}`] : [];
    return { sql: `SELECT ${[...nulls, ...hidden].join(', ')} WHERE false`, fields };
  }
  const posDeletes = plan.deleteFiles.filter((f) => f.content === 'POSITION_DELETES');
  const eqDeletes = plan.deleteFiles.filter((f) => f.content === 'EQUALITY_DELETES' && (f.equalityIds?.length ?? 0) > 0);
  const all = await layouts.get(conn, [...dataFiles, ...eqDeletes].map((f) => f.filePath));

  // Per-file sequence number and partition as constants of each read (equality deletes only).
  let constantMeta = !positions && posDeletes.length === 0 && !opts.window;
  const w = opts.window;
  const windowed = w ? ` WHERE file_row_number >= ${Math.trunc(w.from)}${w.to === null ? '' : ` AND file_row_number < ${Math.trunc(w.to)}`}` : '';
  const mapping = plan.nameMapping;
  let groups = groupFiles(dataFiles, all, fields, plan.partitionSpecs, mapping, constantMeta && eqDeletes.length > 0 ? (f) => [f.sequenceNumber, partitionKey(f, plan.partitionSpecs)] : undefined);
  if (constantMeta && eqDeletes.length > 0 && groups.length > MAX_CONSTANT_GROUPS) {
    constantMeta = false;
    groups = groupFiles(dataFiles, all, fields, plan.partitionSpecs, mapping);
  }
  const ctes: string[] = [];
  let from: string;
  if (constantMeta) {
    const meta = (g: Group) =>
      eqDeletes.length === 0 ? [] : [`${g.files[0]!.sequenceNumber}::BIGINT AS __cg_seq`, `${literal(partitionKey(g.files[0]!, plan.partitionSpecs), 'string')} AS __cg_part`];
    const branches = groups.map((g) => `SELECT ${[...projectFields(g.layout, fields, g.constants, undefined, mapping), ...meta(g)].join(', ')} FROM read_parquet(${sqlStringList(g.files.map((f) => f.filePath))})`);
    if (posDeletes.length === 0 && eqDeletes.length === 0) {
      // Nothing to join or filter: the projection itself.
      return { sql: branches.join(' UNION ALL '), fields };
    }
    ctes.push(`__cg_data AS (${branches.join(' UNION ALL ')})`);
    from = `__cg_data s`;
  } else {
    const branches = groups.map(
      (g) =>
        `SELECT ${[...projectFields(g.layout, fields, g.constants, undefined, mapping), `__cg_f`, `file_row_number AS ${POS_COL}`].join(', ')} ` +
        `FROM read_parquet(${sqlStringList(g.files.map((f) => f.filePath))}, filename = '__cg_f', file_row_number = true)${windowed}`,
    );
    ctes.push(`__cg_files AS (${filesTable(dataFiles, plan.partitionSpecs)})`, `__cg_data AS (${branches.join(' UNION ALL ')})`);
    from = `(SELECT d.*, f.__cg_rec AS ${FILE_COL}, f.__cg_seq, f.__cg_part FROM __cg_data d JOIN __cg_files f ON f.__cg_local = d.__cg_f) s`;
  }
  const conditions: string[] = [];

  if (posDeletes.length > 0) {
    ctes.push(`__cg_dfiles AS (${filesTable(posDeletes, plan.partitionSpecs)})`);
    ctes.push(
      `__cg_pos AS (SELECT p.file_path AS __cg_path, p.pos AS __cg_p, d.__cg_seq AS __cg_dseq FROM read_parquet(${sqlStringList(posDeletes.map((f) => f.filePath))}, filename = '__cg_f') p ` +
        `JOIN __cg_dfiles d ON d.__cg_local = p.__cg_f)`,
    );
    conditions.push(`NOT EXISTS (SELECT 1 FROM __cg_pos x WHERE x.__cg_path = s.${FILE_COL} AND x.__cg_p = s.${POS_COL} AND x.__cg_dseq >= s.__cg_seq)`);
  }

  // Equality deletes grouped by (equality ids, layout): one read per group, joined to their files.
  const eqGroups = new Map<string, { ids: number[]; layout: FileLayout; files: DataFile[] }>();
  for (const f of eqDeletes) {
    const ids = f.equalityIds!;
    const layout = all.get(f.filePath)!;
    const key = `${ids.join(',')}|${layout.key}`;
    const g = eqGroups.get(key);
    if (g) g.files.push(f);
    else eqGroups.set(key, { ids, layout, files: [f] });
  }
  let n = 0;
  for (const g of eqGroups.values()) {
    const eqFields = g.ids.map((id) => fields.find((x) => x.id === id));
    // A delete on a column the read schema no longer has cannot be evaluated here; such deletes are skipped.
    if (eqFields.some((f) => f === undefined)) continue;
    const present = eqFields as NestedField[];
    const proj = projectFields(g.layout, present, new Map(), (_f, i) => `__cg_e${i}`, mapping);
    ctes.push(`__cg_edf${n} AS (${filesTable(g.files, plan.partitionSpecs)})`);
    ctes.push(
      `__cg_eq${n} AS (SELECT ${proj.join(', ')}, d.__cg_seq AS __cg_dseq, d.__cg_part AS __cg_dpart FROM read_parquet(${sqlStringList(g.files.map((f) => f.filePath))}, filename = '__cg_f') e ` +
        `JOIN __cg_edf${n} d ON d.__cg_local = e.__cg_f)`,
    );
    const match = present.map((f, i) => `x.__cg_e${i} IS NOT DISTINCT FROM s.${quoteIdent(f.name)}`);
    conditions.push(
      `NOT EXISTS (SELECT 1 FROM __cg_eq${n} x WHERE x.__cg_dseq > s.__cg_seq AND (x.__cg_dpart IS NULL OR x.__cg_dpart = s.__cg_part) AND ${match.join(' AND ')})`,
    );
    n++;
  }

  const select = `SELECT ${[...cols.map((c) => `s.${c}`), ...(positions ? [`s.${FILE_COL}`, `s.${POS_COL}`] : [])].join(', ')}`;
  const where = conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  return { sql: `WITH ${ctes.join(', ')} ${select} FROM ${from}${where}`, fields };
}
