/**
 * QueryEngine over DuckDB (in-process, in-memory; data lives in the plans' Parquet files).
 * One concern per file: instance.ts (instance + pool), layout.ts / projection.ts / scan-sql.ts
 * (reading plans by field id with deletes), rows.ts + cursor.ts (paging), sql-safety.ts +
 * sandbox.ts (user SQL; `sql` in child processes: sql-workers.ts + sql-worker.ts), writer.ts + write-input.ts + metrics.ts (Parquet out), query-input.ts
 * (query results straight to Parquet), export-csv.ts (rows as CSV for PostgreSQL COPY), describe.ts + iceberg-types.ts (inferred columns), compare.ts,
 * json-values.ts (values out).
 */
import { totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Where } from '../../../domain/filters.js';
import type { DataFile, PartitionSpec, Schema } from '../../../domain/iceberg/types.js';
import type { CsvExportTarget, LocalScanPlan, QueryEngine, RowQuery, WriteInput } from '../../../ports/query-engine.js';
import { Lru } from '../../../util/lru.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { compareScans } from './compare.js';
import { describeInput } from './describe.js';
import { exportCsv } from './export-csv.js';
import { ConnectionPool, createInstance, type EngineOptions } from './instance.js';
import { LayoutCache } from './layout.js';
import { readRows } from './rows.js';
import { describeQuery, QUERY_WRITE_TIMEOUT_MS } from './query-input.js';
import { SandboxSlots, withSandbox } from './sandbox.js';
import { SqlWorkers } from './sql-workers.js';
import { buildScan } from './scan-sql.js';
import { checkQuery, resolveTables, type ParsedQuery } from './sql-safety.js';
import { quoteIdent } from './sql-text.js';
import { rewriteWithout, writeDataFiles } from './writer.js';

export type { EngineOptions };

const planFiles = (p: LocalScanPlan) => [...p.dataFiles, ...p.deleteFiles].map((f) => f.filePath);

/** Plans may carry file:// URLs (ObjectStore.resolve); DuckDB gets plain paths, deletes keep matching recorded paths. */
function localPlan(plan: LocalScanPlan): LocalScanPlan {
  const local = (f: DataFile): DataFile =>
    f.filePath.startsWith('file:') ? { ...f, filePath: fileURLToPath(f.filePath), recordedPath: f.recordedPath ?? f.filePath } : f;
  return { ...plan, dataFiles: plan.dataFiles.map(local), deleteFiles: plan.deleteFiles.map(local) };
}

export async function createDuckDbEngine(opts: EngineOptions = {}): Promise<QueryEngine> {
  const instance = await createInstance(opts);
  const pool = new ConnectionPool(instance, opts.connections ?? 4);
  const layouts = new LayoutCache();
  const workers = new SqlWorkers();
  const slots = new SandboxSlots(opts.sqlConcurrency ?? 4);

  // A check depends on the query's text alone, so a repeated query (a dashboard's) is parsed once,
  // not twice a call (referencedTables, then viewsFor). Long texts are not kept.
  const checked = new Lru<string, ParsedQuery>(256);
  const check = async (conn: DuckDBConnection, query: string) => {
    const hit = checked.get(query);
    if (hit) return hit;
    const parsed = await checkQuery(conn, query);
    if (query.length <= 10_000) checked.set(query, parsed);
    return parsed;
  };

  /** The query checked (read-only, known tables only) and a view per table it reads. */
  const viewsFor = (query: string, tables: Map<string, LocalScanPlan>) =>
    pool.use(async (conn) => {
      const parsed = await check(conn, query);
      const used = new Set(resolveTables(parsed.tables, tables.keys()).values());
      const out = [];
      for (const key of used) {
        const plan = localPlan(tables.get(key)!);
        const scan = await buildScan(conn, layouts, plan, { positions: false });
        const cols = scan.fields.map((f) => quoteIdent(f.name)).join(', ');
        out.push({ key, sql: `SELECT ${cols} FROM (${scan.sql})`, files: planFiles(plan) });
      }
      return out;
    });
  const querySandbox = async <T>(input: Extract<WriteInput, { kind: 'query' }>, writableDir: string | null, fn: (conn: DuckDBConnection) => Promise<T>) => {
    const views = await viewsFor(input.sql, input.tables);
    const files = views.flatMap((v) => v.files);
    return withSandbox(opts, { tables: views, files }, { writableDir, timeoutMs: input.timeoutMs ?? QUERY_WRITE_TIMEOUT_MS }, fn);
  };

  return {
    kind: 'duckdb',

    rows: (plan: LocalScanPlan, q: RowQuery) =>
      pool.use((conn) => readRows(conn, layouts, plan, q, localPlan)),

    referencedTables: async (query: string) => (checked.get(query) ?? (await pool.use((conn) => check(conn, query)))).tables.map((t) => t.name),

    sql: async (query, tables, limits) => {
      const views = await viewsFor(query, tables);
      const memory = limits.maxMemoryBytes ?? opts.sqlMemoryBytes ?? Math.floor(totalmem() / 8);
      const maxMemoryBytes = memory > 0 ? memory : undefined;
      return slots.use(limits.timeoutMs, (timeoutMs) =>
        workers.run({ opts, tables: views.map(({ key, sql }) => ({ key, sql })), files: views.flatMap((v) => v.files), query, limits: { ...limits, timeoutMs, maxMemoryBytes } }),
      );
    },

    writeDataFiles: (input: WriteInput, target: { schema: Schema; spec: PartitionSpec; dir: string }) =>
      input.kind === 'query'
        ? querySandbox(input, target.dir, (conn) => writeDataFiles(conn, input, target))
        : pool.use((conn) => writeDataFiles(conn, input, target)),

    describe: (input: WriteInput) =>
      input.kind === 'query' ? querySandbox(input, null, (conn) => describeQuery(conn, input.sql)) : pool.use((conn) => describeInput(conn, input)),

    rewriteWithout: (plan: LocalScanPlan, where: Where, target: { schema: Schema; spec: PartitionSpec; dir: string }) =>
      pool.use(async (conn) => rewriteWithout(conn, plan, await buildScan(conn, layouts, localPlan(plan)), where, target)),

    exportCsv: (plan: LocalScanPlan, target: CsvExportTarget) => pool.use((conn) => exportCsv(conn, layouts, localPlan(plan), target)),

    compare: (from: LocalScanPlan, to: LocalScanPlan, sampleSize: number) =>
      pool.use(async (conn) => compareScans(conn, await buildScan(conn, layouts, localPlan(from)), await buildScan(conn, layouts, localPlan(to)), sampleSize)),

    close: async () => {
      workers.close();
      pool.close();
    },
  };
}
