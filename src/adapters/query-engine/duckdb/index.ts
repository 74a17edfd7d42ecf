/**
 * QueryEngine over DuckDB (in-process, in-memory; data lives in the plans' Parquet files).
 * One concern per file: instance.ts (instance + pool), locations.ts (plan URIs → local files,
 * staging written files and putting them into the ObjectStore), object-cache.ts (local copies of
 * non-file objects, fetched through the ObjectStore), layout.ts / projection.ts /
 * scan-sql.ts (reading plans by field id with deletes), rows.ts + cursor.ts (paging), sql-safety.ts +
 * sandbox.ts (user SQL; `sql` in child processes: sql-workers.ts + sql-worker.ts), writer.ts + write-input.ts + metrics.ts (Parquet out),
 * pass-through.ts (uploaded Parquet kept as it is), query-input.ts (query results straight to Parquet),
 * export-csv.ts (rows as CSV for PostgreSQL COPY), export-stream.ts + export-arrow.ts (downloads: CSV, Parquet, Arrow), describe.ts + iceberg-types.ts (inferred columns), compare.ts,
 * json-values.ts (values out).
 */
import { totalmem } from 'node:os';
import type { Where } from '../../../domain/filters.js';
import type { ScanPlan } from '../../../domain/iceberg/types.js';
import type { ObjectStore } from '../../../ports/object-store.js';
import type { CsvExportTarget, ExportFormat, ExportSource, QueryEngine, RowQuery, WriteInput, WriteTarget } from '../../../ports/query-engine.js';
import { Lru } from '../../../util/lru.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { compareScans } from './compare.js';
import { describeInput } from './describe.js';
import { exportCsv } from './export-csv.js';
import { EXPORT_STREAMING_BUFFER, exportIterable, planSelect, produceExport } from './export-stream.js';
import { makeTempDir } from '../../../util/temp-dir.js';
import { ConnectionPool, createInstance, type EngineOptions } from './instance.js';
import { LayoutCache } from './layout.js';
import { PlanFiles, withStaging, type Staging } from './locations.js';
import { ObjectCache, type ObjectCacheOptions } from './object-cache.js';
import { readRows } from './rows.js';
import { describeQuery, QUERY_WRITE_TIMEOUT_MS } from './query-input.js';
import { SandboxSlots, withSandbox } from './sandbox.js';
import { SqlWorkers } from './sql-workers.js';
import { buildScan } from './scan-sql.js';
import { checkQuery, resolveTables, type ParsedQuery } from './sql-safety.js';
import { quoteIdent } from './sql-text.js';
import { rewriteWithout, writeDataFiles } from './writer.js';

export type { EngineOptions };

export interface DuckDbEngineOptions extends EngineOptions {
  /** Local folder written Parquet is staged in before it is put into the store (default: the OS temp folder). */
  stagingDir?: string;
  /**
   * Where non-file objects (`s3://…`) are copied to be read, and how much of them is kept
   * (object-cache.ts; default: a temporary folder of its own, 4 GiB).
   */
  objectCache?: ObjectCacheOptions;
}

/** Exports running at once (each holds a connection or a sandbox while its reader reads); more wait up to EXPORT_WAIT_MS. */
const EXPORT_CONCURRENCY = 8;
const EXPORT_WAIT_MS = 30_000;

const planFiles = (p: ScanPlan) => [...p.dataFiles, ...p.deleteFiles].map((f) => f.filePath);

/**
 * The engine reads plans' files where their file:// URIs point, other locations from local copies
 * it fetches through `objects` (object-cache.ts), and puts the files it writes into `objects`, which
 * alone decides where a location may be. DuckDB itself never reaches the network.
 */
export async function createDuckDbEngine(objects: ObjectStore, options: DuckDbEngineOptions = {}): Promise<QueryEngine> {
  const { stagingDir, objectCache, ...opts } = options;
  const cache = new ObjectCache(objects, objectCache);
  const instance = await createInstance(opts);
  const pool = new ConnectionPool(instance, opts.connections ?? 4);
  const layouts = new LayoutCache();
  const workers = new SqlWorkers();
  const slots = new SandboxSlots(opts.sqlConcurrency ?? 4);
  // Exports hold their connection (or sandbox) as long as their reader takes: their own slots and
  // connections, so slow downloads never hold up rows() or sql().
  const exportSlots = new SandboxSlots(EXPORT_CONCURRENCY);

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

  /** Runs `fn` with the local files of the plans it reads, which stay in place until it is done. */
  const reading = async <T>(fn: (files: PlanFiles) => Promise<T>): Promise<T> => {
    const files = new PlanFiles(cache);
    try {
      return await fn(files);
    } finally {
      files.release();
    }
  };
  /** Local plans, read one after another (each one's files concurrently). */
  const localPlans = async (files: PlanFiles, plans: ScanPlan[]) => {
    const out: ScanPlan[] = [];
    for (const p of plans) out.push(await files.local(p));
    return out;
  };

  /**
   * The query checked (read-only, known tables only) and a view per table it reads, over local
   * files of `files` (only those: the sandbox may read nothing else).
   */
  const viewsFor = async (query: string, tables: Map<string, ScanPlan>, files: PlanFiles) => {
    const parsed = checked.get(query) ?? (await pool.use((conn) => check(conn, query)));
    const used = [...new Set(resolveTables(parsed.tables, tables.keys()).values())];
    // Copies of remote files are fetched before a connection is taken.
    const plans = await localPlans(files, used.map((key) => tables.get(key)!));
    return pool.use(async (conn) => {
      const out = [];
      for (const [i, key] of used.entries()) {
        const plan = plans[i]!;
        const scan = await buildScan(conn, layouts, plan, { positions: false });
        const cols = scan.fields.map((f) => quoteIdent(f.name)).join(', ');
        out.push({ key, sql: `SELECT ${cols} FROM (${scan.sql})`, files: planFiles(plan) });
      }
      return out;
    });
  };
  const querySandbox = <T>(input: Extract<WriteInput, { kind: 'query' }>, writableDir: string | null, fn: (conn: DuckDBConnection) => Promise<T>) =>
    reading(async (files) => {
      const views = await viewsFor(input.sql, input.tables, files);
      return withSandbox(opts, { tables: views, files: views.flatMap((v) => v.files) }, { writableDir, timeoutMs: input.timeoutMs ?? QUERY_WRITE_TIMEOUT_MS }, fn);
    });

  /** Runs a write with its own staging folder, once the target is known to be a location the store takes. */
  const staged = <T>(target: WriteTarget, fn: (staging: Staging) => Promise<T>) => {
    objects.resolve(target.location);
    return withStaging(objects, stagingDir, fn);
  };

  return {
    kind: 'duckdb',

    rows: (plan: ScanPlan, q: RowQuery) =>
      reading((files) => pool.use((conn) => readRows(conn, layouts, plan, q, (p) => files.local(p)))),

    version: async () => String((await pool.use((conn) => conn.runAndReadAll('SELECT version()'))).getRows()[0]?.[0] ?? 'unknown'),

    referencedTables: async (query: string) => (checked.get(query) ?? (await pool.use((conn) => check(conn, query)))).tables.map((t) => t.name),

    sql: (query, tables, limits) =>
      reading(async (files) => {
        const views = await viewsFor(query, tables, files);
        const memory = limits.maxMemoryBytes ?? opts.sqlMemoryBytes ?? Math.floor(totalmem() / 8);
        const maxMemoryBytes = memory > 0 ? memory : undefined;
        // The child process gets the engine's DuckDB options, the views and the local files they read: nothing else.
        return slots.use(limits.timeoutMs, (timeoutMs) =>
          workers.run({ opts, tables: views.map(({ key, sql }) => ({ key, sql })), files: views.flatMap((v) => v.files), query, limits: { ...limits, timeoutMs, maxMemoryBytes } }),
        );
      }),

    writeDataFiles: async (input: WriteInput, target: WriteTarget) =>
      staged(target, (staging) =>
        input.kind === 'query'
          ? querySandbox(input, staging.dir, (conn) => writeDataFiles(conn, input, target, staging))
          : pool.use((conn) => writeDataFiles(conn, input, target, staging)),
      ),

    describe: (input: WriteInput) =>
      input.kind === 'query' ? querySandbox(input, null, (conn) => describeQuery(conn, input.sql)) : pool.use((conn) => describeInput(conn, input)),

    rewriteWithout: async (plan: ScanPlan, where: Where, target: WriteTarget) =>
      staged(target, (staging) =>
        reading(async (files) => {
          const local = await files.local(plan);
          return pool.use(async (conn) => rewriteWithout(conn, plan, await buildScan(conn, layouts, local), where, target, staging));
        }),
      ),

    exportCsv: (plan: ScanPlan, target: CsvExportTarget) =>
      reading(async (files) => {
        const local = await files.local(plan);
        return pool.use((conn) => exportCsv(conn, layouts, local, target));
      }),

    exportStream: (source: ExportSource, format: ExportFormat) =>
      exportIterable((push) =>
        exportSlots.use(EXPORT_WAIT_MS, () =>
          reading(async (files) => {
            const scratch = await makeTempDir('export-', stagingDir);
            try {
              if (source.kind === 'plan') {
                const local = await files.local(source.plan);
                const conn = await instance.connect();
                try {
                  await conn.run(`SET streaming_buffer_size = '${EXPORT_STREAMING_BUFFER}'`);
                  return await produceExport(conn, await planSelect(conn, layouts, local, source), format, push, scratch.path);
                } finally {
                  conn.closeSync();
                }
              }
              const views = await viewsFor(source.sql, source.tables, files);
              const memory = opts.sqlMemoryBytes ?? Math.floor(totalmem() / 8);
              return await withSandbox(
                opts,
                { tables: views, files: views.flatMap((v) => v.files) },
                { writableDir: scratch.path, timeoutMs: source.timeoutMs, memoryLimitBytes: memory > 0 ? memory : undefined, streamingBufferSize: EXPORT_STREAMING_BUFFER },
                (conn) => produceExport(conn, { sql: source.sql, params: [] }, format, push, scratch.path),
              );
            } finally {
              await scratch.cleanup();
            }
          }),
        ),
      ),

    compare: (from: ScanPlan, to: ScanPlan, sampleSize: number) =>
      reading(async (files) => {
        const [f, t] = await localPlans(files, [from, to]);
        return pool.use(async (conn) => compareScans(conn, await buildScan(conn, layouts, f!), await buildScan(conn, layouts, t!), sampleSize));
      }),

    close: async () => {
      workers.close();
      pool.close();
      await cache.close();
    },
  };
}
