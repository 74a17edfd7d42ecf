/**
 * The tables benchmark's four scenarios, each against a peer measured in the same run:
 *  1. aggregate: a GROUP BY over a big table through GraphQL `sql` vs DuckDB over the same Parquet files;
 *  2. append: appendRows with a Parquet upload vs PyIceberg's table.append of the same rows;
 *  3. history: rows(first: 100) on a table with many snapshots and files vs one snapshot and file;
 *  4. listing: a page of tables with schema and current snapshot, latency and backend calls.
 * Every call checks its answer, so a broken path fails the scenario instead of being timed.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { createDuckDbEngine } from '../src/adapters/query-engine/duckdb/index.js';
import { LayoutCache } from '../src/adapters/query-engine/duckdb/layout.js';
import { buildScan } from '../src/adapters/query-engine/duckdb/scan-sql.js';
import { createLocalObjectStore } from '../src/adapters/object-store/local/index.js';
import type { DataFile } from '../src/domain/iceberg/types.js';
import { commitSnapshot, dataFileFromWritten, newTableMetadata, writeMetadataFile } from '../src/iceberg/table-writer.js';
import { schemaFromColumns } from '../src/services/table-writes.js';
import { now, since, summarize, type Summary } from './stats.js';
import { BenchGateway, callRanges, COLUMNS, diffCalls, interleaved, PyIcebergWorker, writeReadings, type Breakdown, type CallRange, type ParquetFacts } from './tables-support.js';

export interface TablesSizes {
  mode: 'full' | 'quick';
  aggregate: { rows: number; files: number; warmup: number; iterations: number };
  append: { rows: number; warmup: number; iterations: number };
  history: { snapshots: number; filesPerSnapshot: number; rowsPerFile: number; warmup: number; iterations: number; cold: number };
  listing: { tables: number; pageSizes: number[]; warmup: number; iterations: number; cold: number };
}

export const TABLES_FULL: TablesSizes = {
  mode: 'full',
  aggregate: { rows: 10_000_000, files: 4, warmup: 2, iterations: 10 },
  append: { rows: 1_000_000, warmup: 1, iterations: 5 },
  // A call on the 10,000-file table takes seconds here, so few rounds.
  history: { snapshots: 1000, filesPerSnapshot: 10, rowsPerFile: 10, warmup: 1, iterations: 7, cold: 2 },
  listing: { tables: 100, pageSizes: [10, 100], warmup: 3, iterations: 20, cold: 5 },
};

export const TABLES_QUICK: TablesSizes = {
  mode: 'quick',
  aggregate: { rows: 1_000_000, files: 2, warmup: 1, iterations: 5 },
  append: { rows: 100_000, warmup: 1, iterations: 3 },
  history: { snapshots: 100, filesPerSnapshot: 10, rowsPerFile: 10, warmup: 2, iterations: 10, cold: 1 },
  listing: { tables: 100, pageSizes: [10, 100], warmup: 2, iterations: 10, cold: 2 },
};

export type Progress = (line: string) => void;

export interface Env {
  progress: Progress;
  tempDir: (prefix: string) => Promise<string>;
  /** Registers cleanup work that runs even when the scenario fails. */
  onCleanup: (fn: () => Promise<unknown>) => void;
}

/** One timed thing: what it is and what its time includes. */
export interface Side {
  label: string;
  includes: string;
  summary: Summary;
}

export interface Comparison {
  scenario: 'aggregate' | 'append' | 'history';
  label: string;
  subject: Side;
  peer: Side;
  /** subject median / peer median */
  ratio: number;
  goal: { max: number; text: string } | null;
  met: boolean | null;
  loadAvg: number;
}

const comparison = (c: Omit<Comparison, 'ratio' | 'met' | 'loadAvg'>, loadAvg: number): Comparison => {
  const ratio = c.subject.summary.medianMs / c.peer.summary.medianMs;
  return { ...c, ratio, met: c.goal ? ratio <= c.goal.max : null, loadAvg };
};

const load = () => os.loadavg()[0] ?? 0;
const int = (n: number) => n.toLocaleString('en-US');
const rate = (n: number, ms: number) => int(Math.round((n / ms) * 1000));

async function startGateway(env: Env): Promise<BenchGateway> {
  const t0 = now();
  const g = await BenchGateway.start();
  env.onCleanup(() => g.stop());
  env.progress(`  gateway started in ${(since(t0) / 1000).toFixed(1)} s at ${g.url}`);
  return g;
}

async function duck(env: Env): Promise<{ conn: import('@duckdb/node-api').DuckDBConnection; close: () => void }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    conn.closeSync();
    db.closeSync();
  };
  env.onCleanup(async () => close());
  return { conn, close };
}

const CREATE_NS = `mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename ... on Error { code message } } }`;
const CREATE_TABLE = `mutation($b: String!, $n: String!, $c: [ColumnInput!]!) { createTable(branch: $b, name: $n, columns: $c) { __typename ... on Error { code message } } }`;
const REGISTER = `mutation($b: String!, $n: String!, $m: String!) { registerTable(branch: $b, name: $n, metadataLocation: $m) { __typename ... on Error { code message } } }`;

export async function namespace(g: BenchGateway, name: string): Promise<void> {
  await g.mutate('createNamespace', CREATE_NS, { b: 'main', n: name }, 'CreateNamespaceSuccess');
}

export async function createTable(g: BenchGateway, name: string): Promise<void> {
  await g.mutate('createTable', CREATE_TABLE, { b: 'main', n: name, c: COLUMNS }, 'CreateTableSuccess');
}

// ───────────────────────────── 1. aggregate ─────────────────────────────

export const AGG_QUERY = 'SELECT direction, count(*) AS n, avg(sgv) AS avg_sgv, sum(sgv) AS sum_sgv FROM bench.readings GROUP BY direction ORDER BY direction';

export interface AggregateResult {
  comparisons: Comparison[];
  rows: number;
  dataFiles: number;
  dataBytes: number;
  buildSeconds: number;
  uploadRowsPerSec: number;
  /** Median of SqlResult.elapsedMs (the engine's own time for the sandboxed query, inside the gateway). */
  engineElapsedMedianMs: number;
  /** One extra gateway call between /metrics scrapes. */
  profile: Breakdown;
}

export const normalise = (rows: unknown[][]) => JSON.stringify(rows.map(([d, n, a, s]) => [String(d), String(n), Number(a).toFixed(6), String(s)]));

export async function runAggregate(sizes: TablesSizes['aggregate'], env: Env): Promise<AggregateResult> {
  const { progress } = env;
  const started = now();
  const g = await startGateway(env);
  const dir = await env.tempDir('cascade-bench-agg-');
  const { conn, close } = await duck(env);
  await namespace(g, 'bench');
  await createTable(g, 'bench.readings');
  const per = Math.ceil(sizes.rows / sizes.files);
  let uploadMs = 0;
  for (let i = 0, start = 0; start < sizes.rows; i++, start += per) {
    const count = Math.min(per, sizes.rows - start);
    const file = path.join(dir, `readings-${i}.parquet`);
    const t0 = now();
    await writeReadings(conn, file, start, count);
    const genMs = since(t0);
    const t1 = now();
    const out = await g.appendFile('main', 'bench.readings', file);
    uploadMs += since(t1);
    if (out.addedRows !== String(count)) throw new Error(`appendRows added ${out.addedRows} rows, expected ${count}`);
    await fs.rm(file);
    progress(`  aggregate: file ${i + 1}/${sizes.files}: ${int(count)} rows generated by DuckDB in ${(genMs / 1000).toFixed(1)} s, appended through the gateway in ${(since(t1) / 1000).toFixed(1)} s (${rate(count, since(t1))} rows/s); ${int(start + count)}/${int(sizes.rows)} rows`);
  }
  const t = await g.data(`{ table(name: "bench.readings", ref: "main") { currentSnapshot { totalRows dataFiles(first: 1000) { nodes { path fileSizeBytes } } } } }`);
  const snap = t.table.currentSnapshot;
  if (snap.totalRows !== String(sizes.rows)) throw new Error(`the table holds ${snap.totalRows} rows, expected ${sizes.rows}`);
  const files = (snap.dataFiles.nodes as { path: string; fileSizeBytes: string }[]).map((f) => ({ path: fileURLToPath(f.path), bytes: Number(f.fileSizeBytes) }));
  const buildSeconds = since(started) / 1000;
  progress(`  aggregate: ${int(sizes.rows)} rows in ${files.length} data files (${(files.reduce((n, f) => n + f.bytes, 0) / 2 ** 20).toFixed(0)} MiB) built in ${buildSeconds.toFixed(0)} s`);

  // The peer reads exactly the table's data files, written by the gateway.
  const list = `[${files.map((f) => `'${f.path.replaceAll("'", "''")}'`).join(', ')}]`;
  const direct = AGG_QUERY.replace('bench.readings', `read_parquet(${list})`);
  const fresh = async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    try {
      return (await c.runAndReadAll(direct)).getRowsJS();
    } finally {
      c.closeSync();
      db.closeSync();
    }
  };
  const viaGateway = async () => {
    const r = await g.data(`query($q: String!) { sql(ref: "main", query: $q, maxRows: 100) { rows elapsedMs truncated } }`, { q: AGG_QUERY });
    return r.sql as { rows: unknown[][]; elapsedMs: number };
  };
  // Diagnostic: the engine's own scan SQL as `sql` builds it (buildScan with positions: false: the
  // field-id projection; file name, row number and files join only when deletes need them) run
  // directly on the same open instance, without sandbox or GraphQL.
  const scan = await buildScan(conn, new LayoutCache(), {
    schema: schemaFromColumns(COLUMNS),
    snapshotId: null,
    dataFiles: files.map((f) => ({ content: 'DATA', filePath: f.path, fileFormat: 'PARQUET', specId: 0, partition: {}, recordCount: 1, fileSizeInBytes: f.bytes, sequenceNumber: 1, fileSequenceNumber: 1, snapshotId: '1' })),
    deleteFiles: [],
    partitionSpecs: [{ specId: 0, fields: [] }],
  }, { positions: false });
  const viaScan = AGG_QUERY.replace('bench.readings', `(SELECT ${COLUMNS.map((c) => `"${c.name}"`).join(', ')} FROM (${scan.sql}))`);
  const want = normalise((await conn.runAndReadAll(direct)).getRowsJS());
  if (normalise((await conn.runAndReadAll(viaScan)).getRowsJS()) !== want) throw new Error('the scan SQL aggregate differs from DuckDB direct');
  const first = await viaGateway();
  if (normalise(first.rows) !== want) throw new Error(`the gateway's aggregate differs from DuckDB's: ${normalise(first.rows)} vs ${want}`);

  const elapsed: number[] = [];
  const loadAvg = load();
  progress(`  aggregate: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, gateway / DuckDB direct / DuckDB fresh instance / DuckDB over the engine's scan SQL interleaved`);
  const s = await interleaved(
    [
      { name: 'gateway', run: async (i) => { const r = await viaGateway(); if (i >= sizes.warmup) elapsed.push(r.elapsedMs); if (r.rows.length !== 8) throw new Error('aggregate: wrong row count'); } },
      { name: 'direct', run: async () => { if ((await conn.runAndReadAll(direct)).getRowsJS().length !== 8) throw new Error('aggregate: wrong row count'); } },
      { name: 'fresh', run: async () => { if ((await fresh()).length !== 8) throw new Error('aggregate: wrong row count'); } },
      { name: 'scan', run: async () => { if ((await conn.runAndReadAll(viaScan)).getRowsJS().length !== 8) throw new Error('aggregate: wrong row count'); } },
    ],
    sizes.warmup,
    sizes.iterations,
    (d, n) => progress(`    round ${d}/${n}`),
  );
  const profile = await g.profile(viaGateway);
  close();
  await g.stop();
  const gatewaySide: Side = {
    label: 'gateway: GraphQL sql',
    includes: 'HTTP POST + GraphQL, ref and table resolution, scan planning, a throwaway sandboxed DuckDB instance, the query over the scan SQL (field-id projection, file join), JSON out',
    summary: s.get('gateway')!,
  };
  const label = `GROUP BY direction over ${int(sizes.rows)} rows (${files.length} Parquet files)`;
  return {
    comparisons: [
      comparison({ scenario: 'aggregate', label, subject: gatewaySide, peer: { label: 'DuckDB direct (@duckdb/node-api)', includes: 'the same query over read_parquet([the table\'s data files]) on one open in-process instance', summary: s.get('direct')! }, goal: { max: 1.3, text: '≤ 1.3×' } }, loadAvg),
      comparison({ scenario: 'aggregate', label, subject: gatewaySide, peer: { label: 'DuckDB direct, new instance per query', includes: 'DuckDBInstance.create + connect + the query + close, as the gateway\'s sandbox does (informational)', summary: s.get('fresh')! }, goal: null }, loadAvg),
      comparison({ scenario: 'aggregate', label, subject: gatewaySide, peer: { label: 'DuckDB, the engine\'s scan SQL', includes: 'the query over the SQL the engine generates for the table (src/adapters/query-engine/duckdb/scan-sql.ts buildScan) on the open instance: no GraphQL, no sandbox (informational: isolates the cost of the scan\'s shape)', summary: s.get('scan')! }, goal: null }, loadAvg),
    ],
    rows: sizes.rows,
    dataFiles: files.length,
    dataBytes: files.reduce((n, f) => n + f.bytes, 0),
    buildSeconds,
    uploadRowsPerSec: (sizes.rows / uploadMs) * 1000,
    engineElapsedMedianMs: summarize(elapsed).medianMs,
    profile,
  };
}

// ───────────────────────────── 2. append ─────────────────────────────

export interface AppendResult {
  comparisons: Comparison[];
  rows: number;
  inputBytes: number;
  pyiceberg: string;
  pyReadMedianMs: number;
  /** One extra gateway append between /metrics scrapes. */
  profile: Breakdown;
  /** Median CPU time per measured call: the gateway's process (DuckDB threads included) and PyIceberg's (table.append). */
  cpuMedianMs: { gateway: number; pyiceberg: number };
  /** The data files each side wrote (for the first measured call), and the input file. */
  written: { gateway: ParquetFacts[]; pyiceberg: ParquetFacts[]; input: ParquetFacts };
}

export async function runAppend(sizes: TablesSizes['append'], env: Env): Promise<AppendResult> {
  const { progress } = env;
  const g = await startGateway(env);
  const dir = await env.tempDir('cascade-bench-append-');
  const { conn, close } = await duck(env);
  const input = path.join(dir, 'input.parquet');
  await writeReadings(conn, input, 0, sizes.rows);
  close();
  const inputBytes = (await fs.stat(input)).size;
  progress(`  append: input ${int(sizes.rows)} rows, ${(inputBytes / 2 ** 20).toFixed(1)} MiB Parquet (DuckDB, snappy); starting the PyIceberg worker`);
  const { worker, version } = await PyIcebergWorker.start(path.join(dir, 'pyiceberg'));
  env.onCleanup(() => worker.close());
  await namespace(g, 'bench');
  const total = sizes.warmup + sizes.iterations;
  // Fresh tables on both sides for every call (created untimed beforehand / by the worker).
  for (let i = 0; i <= total; i++) await createTable(g, `bench.append_${i}`);
  for (let i = 0; i < total; i++) await createTable(g, `bench.append_inproc_${i}`);
  const py: { readMs: number; appendMs: number; appendCpuMs: number }[] = [];
  // CPU time of this process (the gateway and its DuckDB threads; the upload client is another process) per measured call.
  const gatewayCpu: number[] = [];
  const loadAvg = load();
  progress(`  append: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, gateway / PyIceberg / gateway with the client in this process interleaved`);
  const s = await interleaved(
    [
      {
        name: 'gateway',
        run: async (i) => {
          const c0 = process.cpuUsage();
          const out = await g.appendFile('main', `bench.append_${i}`, input);
          const c = process.cpuUsage(c0);
          if (i >= sizes.warmup) gatewayCpu.push((c.user + c.system) / 1000);
          if (out.addedRows !== String(sizes.rows)) throw new Error(`appendRows added ${out.addedRows} rows, expected ${sizes.rows}`);
        },
      },
      {
        name: 'gateway-inproc',
        run: async (i) => {
          const out = await g.appendFile('main', `bench.append_inproc_${i}`, input, { inProcess: true });
          if (out.addedRows !== String(sizes.rows)) throw new Error(`appendRows added ${out.addedRows} rows, expected ${sizes.rows}`);
        },
      },
      {
        name: 'pyiceberg',
        run: async (i) => {
          const out = await worker.append(`append_${i}`, input);
          if (out.addedRows !== sizes.rows) throw new Error(`PyIceberg appended ${out.addedRows} rows, expected ${sizes.rows}`);
          if (i >= sizes.warmup) py.push(out);
        },
      },
    ],
    sizes.warmup,
    sizes.iterations,
    (d, n) => progress(`    round ${d}/${n}`),
  );
  const profile = await g.profile(() => g.appendFile('main', `bench.append_${total}`, input));
  // What each side wrote for the first measured call, read the same way (pyarrow's footer).
  const t = await g.data(`{ table(name: "bench.append_${sizes.warmup}", ref: "main") { currentSnapshot { dataFiles(first: 100) { nodes { path } } } } }`);
  const written = {
    gateway: await worker.parquet((t.table.currentSnapshot.dataFiles.nodes as { path: string }[]).map((f) => f.path)),
    pyiceberg: await worker.parquet(await worker.files(`append_${sizes.warmup}`)),
    input: (await worker.parquet([input]))[0]!,
  };
  await worker.close();
  await g.stop();
  const gatewaySide: Side = {
    label: 'gateway: appendRows, Parquet upload',
    includes:
      'multipart HTTP upload of the Parquet file from disk by a client process of its own (fetch with FormData, bench/upload-client.mjs), streaming it to scratch; the file matches the table exactly, so it is kept as it is (pass-through: footer and pages checked, bloom filters dropped from the footer, one parallel DuckDB read of every value checking NULLs and the footer statistics per row group, column metrics from that read) and moved into the table, else it would be rewritten as zstd Parquet with field ids; manifest + manifest list + metadata JSON (with the name mapping), the catalog commit',
    summary: s.get('gateway')!,
  };
  const label = `append ${int(sizes.rows)} rows to a new table`;
  const pyAppend: Side = {
    label: 'PyIceberg table.append (Arrow table in memory)',
    includes: 'table.append of an Arrow table already read: zstd Parquet write with metrics, manifest + list, metadata JSON, SQLite catalog commit',
    summary: summarize(py.map((p) => p.appendMs)),
  };
  return {
    comparisons: [
      comparison(
        {
          scenario: 'append',
          label,
          subject: gatewaySide,
          peer: pyAppend,
          goal: { max: 1.0, text: '≤ 1.0×' },
        },
        loadAvg,
      ),
      comparison(
        {
          scenario: 'append',
          label,
          subject: {
            label: 'gateway, client in the bench process',
            includes: 'the same call with the client (fetch with FormData) in the gateway\'s own process, as the bench sent it before: its encoding work runs on the gateway\'s event loop (informational)',
            summary: s.get('gateway-inproc')!,
          },
          peer: pyAppend,
          goal: null,
        },
        loadAvg,
      ),
      comparison(
        {
          scenario: 'append',
          label,
          subject: gatewaySide,
          peer: { label: 'PyIceberg read_table + append', includes: 'pyarrow.parquet.read_table of the same file, then table.append (informational: both sides read the file)', summary: summarize(py.map((p) => p.readMs + p.appendMs)) },
          goal: null,
        },
        loadAvg,
      ),
    ],
    rows: sizes.rows,
    inputBytes,
    pyiceberg: version,
    pyReadMedianMs: summarize(py.map((p) => p.readMs)).medianMs,
    cpuMedianMs: { gateway: summarize(gatewayCpu).medianMs, pyiceberg: summarize(py.map((p) => p.appendCpuMs)).medianMs },
    profile,
    written,
  };
}

// ───────────────────────────── 3. history ─────────────────────────────

export interface HistoryResult {
  comparisons: Comparison[];
  snapshots: number;
  files: number;
  rows: number;
  buildSeconds: number;
  commitsPerSec: number;
  /** rows(first: 100) calls on the big table between /metrics scrapes: the cold ones, and 3 extra warm ones. */
  profile: { warm: Breakdown[]; cold: Breakdown[] };
}

export const ROWS_QUERY = `query($t: String!) { table(name: $t, ref: "main") { rows(first: 100) { rows totalCount } } }`;

export async function runHistory(sizes: TablesSizes['history'], env: Env): Promise<HistoryResult> {
  const { progress } = env;
  const started = now();
  const g = await startGateway(env);
  const dir = await env.tempDir('cascade-bench-history-');
  const fileCount = sizes.snapshots * sizes.filesPerSnapshot;
  const totalRows = fileCount * sizes.rowsPerFile;
  await namespace(g, 'bench');

  // Data files: written once by the engine (field ids, metrics), then hard-linked under new names.
  const { conn, close } = await duck(env);
  await writeReadings(conn, path.join(dir, 'small.parquet'), 0, sizes.rowsPerFile);
  await writeReadings(conn, path.join(dir, 'single.parquet'), 0, totalRows);
  close();
  const objects = createLocalObjectStore(`file://${g.warehouse}`);
  const engine = await createDuckDbEngine(objects, { connections: 1 });
  env.onCleanup(async () => engine.close());
  const schema = schemaFromColumns(COLUMNS);
  const spec = { specId: 0, fields: [] };
  const written = `${objects.root}/bench/written-${randomUUID()}`;
  const write = async (name: string) => {
    const [w] = await engine.writeDataFiles({ kind: 'file', localPath: path.join(dir, name), format: 'PARQUET' }, { schema, spec, location: written });
    if (!w) throw new Error(`no data file written for ${name}`);
    return w;
  };
  const small = await write('small.parquet');
  const single = await write('single.parquet');
  await engine.close();

  // The warehouse is local here: a written file is linked under each new name, not copied.
  const localFile = (location: string) => fileURLToPath(objects.resolve(location));
  const place = async (location: string, w: typeof small): Promise<DataFile> => {
    const file = localFile(location);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.link(localFile(w.location), file);
    return dataFileFromWritten(w, location, schema, 0);
  };

  // The history table: `snapshots` fast appends of `filesPerSnapshot` files each.
  const location = `${objects.root}/bench/history-${randomUUID()}`;
  let m = newTableMetadata({ location, schema, spec });
  for (let i = 0; i < sizes.snapshots; i++) {
    const added = await Promise.all(Array.from({ length: sizes.filesPerSnapshot }, () => place(`${location}/data/${randomUUID()}.parquet`, small)));
    m = await commitSnapshot(objects, m, { operation: 'append', added });
    if ((i + 1) % Math.max(1, Math.floor(sizes.snapshots / 10)) === 0 || i + 1 === sizes.snapshots) {
      progress(`  history: ${i + 1}/${sizes.snapshots} snapshots committed with the Iceberg layer (${int((i + 1) * sizes.filesPerSnapshot)} files), ${(since(started) / 1000).toFixed(0)} s`);
    }
  }
  const buildMs = since(started);
  await g.mutate('registerTable', REGISTER, { b: 'main', n: 'bench.history', m: await writeMetadataFile(objects, m) }, 'CreateTableSuccess');

  const oneLocation = `${objects.root}/bench/single-${randomUUID()}`;
  const one = newTableMetadata({ location: oneLocation, schema, spec });
  const oneM = await commitSnapshot(objects, one, { operation: 'append', added: [await place(`${oneLocation}/data/${randomUUID()}.parquet`, single)] });
  await g.mutate('registerTable', REGISTER, { b: 'main', n: 'bench.single', m: await writeMetadataFile(objects, oneM) }, 'CreateTableSuccess');

  for (const [t, files, snaps] of [['bench.history', fileCount, sizes.snapshots], ['bench.single', 1, 1]] as const) {
    const st = await g.data(`query($t: String!) { table(name: $t, ref: "main") { stats { fileCount rowCount } snapshots(first: 1) { nodes { snapshotId } } } }`, { t });
    if (st.table.stats.fileCount !== files || st.table.stats.rowCount !== String(totalRows)) throw new Error(`${t}: ${JSON.stringify(st.table.stats)}, expected ${files} files, ${totalRows} rows`);
    void snaps;
  }
  progress(`  history: bench.history (${int(sizes.snapshots)} snapshots, ${int(fileCount)} files) and bench.single (1 snapshot, 1 file), ${int(totalRows)} rows each, registered in ${(since(started) / 1000).toFixed(0)} s`);

  const rows = async (t: string) => {
    const r = await g.data(ROWS_QUERY, { t });
    if (r.table.rows.rows.length !== 100 || r.table.rows.totalCount !== String(totalRows)) throw new Error(`${t}: rows(first: 100) returned ${r.table.rows.rows.length} rows of ${r.table.rows.totalCount}`);
  };
  // Cold: a fresh gateway on the same home (empty metadata, manifest and Parquet layout caches); a
  // trivial query first, so the first GraphQL request's own start-up is not counted.
  const cold = { history: [] as number[], single: [] as number[] };
  const coldCalls: Breakdown[] = [];
  for (let i = 0; i < sizes.cold; i++) {
    for (const t of i % 2 === 0 ? (['history', 'single'] as const) : (['single', 'history'] as const)) {
      await g.restart();
      await g.data('{ __typename }');
      const r = await g.profile(() => rows(`bench.${t}`));
      cold[t].push(r.wallMs);
      if (t === 'history') coldCalls.push(r);
      progress(`    cold ${i + 1}/${sizes.cold} ${t}: ${r.wallMs.toFixed(0)} ms`);
    }
  }
  const warmCalls: Breakdown[] = [];
  const loadAvg = load();
  progress(`  history: ${sizes.warmup} warm-up + ${sizes.iterations} measured warm rounds, interleaved`);
  const s = await interleaved(
    [
      { name: 'history', run: () => rows('bench.history') },
      { name: 'single', run: () => rows('bench.single') },
    ],
    sizes.warmup,
    sizes.iterations,
    (d, n) => progress(`    round ${d}/${n}`),
  );
  // Backend calls on separate, untimed warm calls (scraping /metrics is not part of any timing).
  for (let i = 0; i < 3; i++) warmCalls.push(await g.profile(() => rows('bench.history')));
  await g.stop();
  const label = `rows(first: 100) with totalCount, ${int(totalRows)} rows`;
  const big = `${int(sizes.snapshots)} snapshots, ${int(fileCount)} files`;
  const includes = 'HTTP POST + GraphQL, table lookup, metadata, scan planning (manifest list + manifests), Parquet layouts, totalCount + the first page in DuckDB';
  const coldNote = 'fresh gateway process state on the same home (caches empty; OS page cache warm)';
  return {
    comparisons: [
      comparison({ scenario: 'history', label: `${label}, warm`, subject: { label: `gateway, ${big}`, includes, summary: s.get('history')! }, peer: { label: 'gateway, 1 snapshot, 1 file', includes, summary: s.get('single')! }, goal: { max: 2, text: '≤ 2×' } }, loadAvg),
      comparison(
        { scenario: 'history', label: `${label}, cold`, subject: { label: `gateway, ${big}`, includes: `${includes}; ${coldNote}`, summary: summarize(cold.history) }, peer: { label: 'gateway, 1 snapshot, 1 file', includes: coldNote, summary: summarize(cold.single) }, goal: { max: 2, text: '≤ 2×' } },
        loadAvg,
      ),
    ],
    snapshots: sizes.snapshots,
    files: fileCount,
    rows: totalRows,
    buildSeconds: buildMs / 1000,
    commitsPerSec: (sizes.snapshots / buildMs) * 1000,
    profile: { warm: warmCalls, cold: coldCalls },
  };
}

// ───────────────────────────── 4. listing ─────────────────────────────

export interface ListingRow {
  pageSize: number;
  state: 'cold' | 'warm';
  summary: Summary;
  calls: Record<string, CallRange>;
}

export interface ListingResult {
  tables: number;
  buildSeconds: number;
  rows: ListingRow[];
  loadAvg: number;
}

export const listQuery = (n: number) => `{ branch(name: "main") { tables(first: ${n}) { nodes { schema { fields { name } } currentSnapshot { totalRows } } } } }`;

export async function runListing(sizes: TablesSizes['listing'], env: Env): Promise<ListingResult> {
  const { progress } = env;
  const started = now();
  const g = await startGateway(env);
  await namespace(g, 'bench');
  const append = `mutation($t: String!, $rows: JSON) { appendRows(branch: "main", table: $t, rows: $rows) { __typename ... on Error { code message } } }`;
  for (let i = 0; i < sizes.tables; i++) {
    const t = `bench.t${String(i).padStart(4, '0')}`;
    await createTable(g, t);
    await g.mutate('appendRows', append, { t, rows: [{ id: i, sgv: 100 + i, direction: 'Flat', ts: '2026-01-01T00:00:00Z' }, { id: i + 1, sgv: 101, direction: 'FortyFiveUp' }] }, 'WriteSuccess');
    if ((i + 1) % 25 === 0) progress(`  listing: ${i + 1}/${sizes.tables} tables created and appended to through GraphQL, ${(since(started) / 1000).toFixed(0)} s`);
  }
  const buildSeconds = since(started) / 1000;

  const list = async (n: number) => {
    const r = await g.data(listQuery(n));
    const nodes = r.branch.tables.nodes as { schema: { fields: unknown[] }; currentSnapshot: { totalRows: string } | null }[];
    if (nodes.length !== n || nodes.some((x) => x.schema.fields.length !== COLUMNS.length || x.currentSnapshot?.totalRows !== '2')) {
      throw new Error(`tables(first: ${n}) returned ${nodes.length} tables: ${JSON.stringify(nodes[0]).slice(0, 200)}`);
    }
  };
  const measured = async (n: number) => {
    const before = await g.backendCalls();
    const t0 = now();
    await list(n);
    const ms = since(t0);
    return { ms, calls: diffCalls(before, await g.backendCalls()) };
  };

  const rows: ListingRow[] = [];
  for (const n of sizes.pageSizes) {
    const samples: number[] = [];
    const calls: Record<string, number>[] = [];
    for (let i = 0; i < sizes.cold; i++) {
      await g.restart();
      await g.data('{ __typename }');
      const r = await measured(n);
      samples.push(r.ms);
      calls.push(r.calls);
    }
    rows.push({ pageSize: n, state: 'cold', summary: summarize(samples), calls: callRanges(calls) });
    progress(`  listing: page of ${n}, cold (${sizes.cold} fresh gateways): median ${summarize(samples).medianMs.toFixed(1)} ms`);
  }
  const loadAvg = load();
  const warmCalls = new Map<number, Record<string, number>[]>(sizes.pageSizes.map((n) => [n, []]));
  const s = await interleaved(
    sizes.pageSizes.map((n) => ({
      name: String(n),
      run: () => list(n),
    })),
    sizes.warmup,
    sizes.iterations,
  );
  // Backend calls on separate, untimed warm calls (scraping /metrics is not part of any timing).
  for (const n of sizes.pageSizes) for (let i = 0; i < 3; i++) warmCalls.get(n)!.push((await measured(n)).calls);
  for (const n of sizes.pageSizes) {
    rows.push({ pageSize: n, state: 'warm', summary: s.get(String(n))!, calls: callRanges(warmCalls.get(n)!) });
    progress(`  listing: page of ${n}, warm: median ${s.get(String(n))!.medianMs.toFixed(1)} ms`);
  }
  await g.stop();
  return { tables: sizes.tables, buildSeconds, rows, loadAvg };
}
