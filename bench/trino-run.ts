/**
 * The Trino benchmark (`npm run bench -- --only=trino`; not in the default run): one aggregate over
 * a 10,000,000-row Iceberg table (1,000,000 with --quick) that Trino itself wrote, measured three ways
 * (and a diagnostic fourth) in the same rounds:
 *   (a) the gateway's GraphQL `sql(ref: "main", engine: TRINO)` over HTTP (the gateway checks the
 *       query, resolves main at Nessie, and runs it on Trino in a catalog of its own at main@<hash>);
 *   (b) trino-client directly against the same Trino, the same SQL on the static catalog `iceberg`
 *       (Nessie's REST catalog at main), reading every row (the peer of (a));
 *   (c) the gateway's `sql(engine: DUCKDB)`, which reads the same Parquet files from S3 through its
 *       object cache (its first call fills the cache and is not measured).
 * The stack is the e2e test's (test/e2e/sql-trino.test.ts): versitygw, a Nessie whose Iceberg REST
 * catalog keeps its warehouse on a bucket there, Trino 476 on that Nessie, and an in-process gateway
 * (BenchGateway) with NESSIE_URI, WAREHOUSE, AWS_* and TRINO_URL. The answers must agree (after number
 * formats are normalised), or the bench fails. (d), a diagnostic, is trino-client on the catalog the
 * gateway made for main@<hash>. Before measuring it waits (up to 15 min) until no other benchmark or
 * vitest runs on the machine, and measures again (twice at most) if one started during the rounds.
 * Writes bench/results/trino-latest.md and .json.
 */
import os from 'node:os';
import path from 'node:path';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { createTestBucket, startS3Server } from '../test/support/s3.js';
import { nessieS3GatewayEnv } from '../test/support/s3-gateway.js';
import { startNessie } from '../test/support/services.js';
import { startTrino, TRINO_VERSION } from '../test/support/trino.js';
import { table as mdTable, notesAndErrors, writeReportFiles } from './markdown.js';
import { machine } from './report.js';
import { measure, now, percentile, since, summarize, type Summary } from './stats.js';
import { otherRuns, ownedCleanups, type SuiteRunOptions } from './suite.js';
import { BenchGateway, diffCalls, type Breakdown } from './tables-support.js';


export interface TrinoSizes {
  mode: 'full' | 'quick';
  /** Rows of bench.big: outer × inner (two UNNEST(sequence(…)) cross-joined). */
  rows: number;
  outer: number;
  inner: number;
  warmup: number;
  iterations: number;
}

export const TRINO_FULL: TrinoSizes = { mode: 'full', rows: 10_000_000, outer: 10_000, inner: 1000, warmup: 1, iterations: 21 };
export const TRINO_QUICK: TrinoSizes = { mode: 'quick', rows: 1_000_000, outer: 1000, inner: 1000, warmup: 1, iterations: 15 };

/** The measured query, the same text on all three paths. */
export const TRINO_QUERY = 'SELECT category, count(*) AS n, sum(amount) AS total, avg(x) AS avg_x, max(d) AS last_day FROM bench.big GROUP BY category ORDER BY category';
const CATEGORIES = 100;

/**
 * bench.big, written by Trino: id bigint 1..rows; x double, a multiple of 0.25 below 1000 (so sums
 * of x are exact in any order and avg(x) is the same double on every engine); amount decimal(12,2)
 * below 10,000; category varchar, 100 values; d date over ten years.
 */
function createTableSql(s: TrinoSizes): string {
  return `CREATE TABLE iceberg.bench.big AS
SELECT id,
       CAST((id * 7919) % 4000 AS double) / 4 AS x,
       CAST(CAST((id * 104729) % 1000000 AS decimal(14, 2)) * DECIMAL '0.01' AS decimal(12, 2)) AS amount,
       'cat_' || lpad(CAST((id * 37 + 11) % ${CATEGORIES} AS varchar), 2, '0') AS category,
       date_add('day', CAST(id % 3650 AS integer), DATE '2020-01-01') AS d
FROM (SELECT CAST((a.x - 1) * ${s.inner} + b.y AS bigint) AS id FROM UNNEST(sequence(1, ${s.outer})) a(x) CROSS JOIN UNNEST(sequence(1, ${s.inner})) b(y))`;
}

const GQL = `query($q: String!, $e: SqlEngine) { sql(ref: "main", query: $q, engine: $e, maxRows: 1000) { columns { name type } rows truncated } }`;

/** A summary with the samples kept and the nearest-rank p90. */
export interface Stat extends Summary {
  p90Ms: number;
  samplesMs: number[];
}

const stat = (samples: number[]): Stat => ({ ...summarize(samples), p90Ms: percentile([...samples].sort((a, b) => a - b), 90), samplesMs: samples });

export interface TrinoRatio {
  label: string;
  subject: string;
  peer: string;
  /** subject median / peer median. */
  ratio: number;
  /** subject p90 / peer p90. */
  ratioP90: number;
  goal: { max: number; text: string } | null;
  met: boolean | null;
}

export interface TrinoReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: 'full' | 'quick';
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number; loadAvgMeasuring: number };
  sizes: TrinoSizes;
  query: string;
  table: { rows: number; dataFiles: number; bytes: number; createSec: number } | null;
  /** By path: (a) gateway TRINO, (b) Trino direct, (c) gateway DUCKDB, (d) Trino direct on the gateway's catalog. */
  results: { key: string; label: string; stat: Stat }[];
  ratios: TrinoRatio[];
  /** The first call of each path (before the warm-up round; not measured). */
  firstCallsMs: Record<string, number>;
  /** Trino's own times (system.runtime.queries) of the measured queries, medians per client: created → end, queued, analysis, planning. */
  trinoServerMedianMs: Record<string, { elapsedMs: number; queuedMs: number; analysisMs: number; planningMs: number }> | null;
  /** Trino's time for the gateway's CREATE CATALOG of main@<hash> (made on its first TRINO call). */
  createCatalogMs: number | null;
  /**
   * Where (a)'s time went over the measured rounds, per call (means, from /metrics before and after
   * them): inside the gateway's Trino port (CatalogQueryEngine.sql: catalog lookup, the Trino
   * protocol, value conversion), in the version store (Nessie), and the rest (HTTP, GraphQL, the query check).
   */
  gatewayTrinoSplit: { wallMs: number; trinoPortMs: number; versionStoreMs: number; restMs: number } | null;
  /** Backend calls of one gateway call, from /metrics: the first TRINO call, a measured TRINO call, a measured DUCKDB call. */
  breakdowns: Record<string, Breakdown>;
  /**
   * Other benchmarks or vitest runs: before the first attempt, during the attempt reported (checked
   * after every round), after it; the attempts thrown away because one started meanwhile (at most 2,
   * all waits within 15 min).
   */
  otherProcesses: { waitedSec: number; atStart: string[]; measuredWith: string[]; after: string[]; discardedAttempts: string[][] };
  setup: Record<string, string>;
  notes: string[];
  errors: string[];
}

const load = () => os.loadavg()[0] ?? 0;
const int = (n: number) => n.toLocaleString('en-US');
const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

// ───────────────────────────── other runs on the machine ─────────────────────────────

/** This process and its ancestors (npm, sh, tsx), which match `bench/run.ts` themselves. */
/** Polls every 20 s until otherRuns() is empty or `deadline` (a now() value) passes; returns what was running at first and at the end. */
async function waitForQuietMachine(progress: (line: string) => void, deadline: number): Promise<{ waitedSec: number; atStart: string[]; remaining: string[] }> {
  const t0 = now();
  const atStart = await otherRuns();
  let remaining = atStart;
  while (remaining.length > 0 && now() < deadline) {
    progress(`  waiting for other runs to finish (${(since(t0) / 1000).toFixed(0)} s so far): ${remaining.map((l) => l.slice(0, 90)).join(' | ')}`);
    await new Promise((r) => setTimeout(r, 20_000));
    remaining = await otherRuns();
  }
  return { waitedSec: since(t0) / 1000, atStart, remaining };
}

// ───────────────────────────── clients ─────────────────────────────

type Rows = unknown[][];

/** trino-client straight at Trino, the static catalog set on the client; every page read. */
class DirectTrino {
  private readonly trino: Trino;

  constructor(url: string, catalog: string, source = 'cascade-bench') {
    this.trino = Trino.create({ server: url, catalog, source, auth: new BasicAuth('bench') });
  }

  async rows(sql: string): Promise<Rows> {
    const out: Rows = [];
    const iter = await this.trino.query(sql);
    for await (const page of iter as AsyncIterable<QueryResult>) {
      if (page.error) throw new Error(`Trino: ${page.error.message}`);
      if (page.data) out.push(...(page.data as Rows));
    }
    return out;
  }
}

async function gatewaySql(g: BenchGateway, engine: 'TRINO' | 'DUCKDB'): Promise<Rows> {
  const r = (await g.data(GQL, { q: TRINO_QUERY, e: engine })).sql as { rows: Rows; truncated: boolean };
  if (r.truncated) throw new Error(`sql(engine: ${engine}) was truncated`);
  return r.rows;
}

/** Decimal text without trailing fraction zeros (`12.50` and `12.5` alike). */
const decimal = (v: unknown) => {
  const s = String(v);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
};

/** One answer in a form all three agree on: counts and sums as exact text, the average to 12 significant digits. */
export const normaliseRows = (rows: Rows): string =>
  JSON.stringify(rows.map(([category, n, total, avg, day]) => [String(category), BigInt(String(n)).toString(), decimal(total), Number(avg).toPrecision(12), String(day)]));

// ───────────────────────────── run and report ─────────────────────────────

const PATHS = [
  { key: 'gatewayTrino', label: '(a) gateway sql(engine: TRINO), GraphQL over HTTP' },
  { key: 'direct', label: '(b) trino-client → Trino, static catalog iceberg' },
  { key: 'gatewayDuck', label: '(c) gateway sql(engine: DUCKDB), GraphQL over HTTP' },
  { key: 'directCommit', label: "(d) trino-client → Trino, the gateway's catalog at main@<hash> (diagnostic)" },
] as const;
type PathKey = (typeof PATHS)[number]['key'];

/** The run worker's polling (RunStore.*) runs in the background whatever the request; left out. */
const callsLine = (b: Breakdown) =>
  `${b.wallMs.toFixed(0)} ms wall; ${Object.entries(b.calls).filter(([k]) => !k.endsWith('@ms') && !k.startsWith('RunStore.')).map(([k, n]) => `${k} ×${n}${b.calls[`${k}@ms`] !== undefined ? ` (${b.calls[`${k}@ms`]} ms)` : ''}`).join(', ') || 'no backend calls'}`;

export function toMarkdown(r: TrinoReport): string {
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const m = r.machine;
  const out = [
    `# Trino benchmark (${r.mode})`,
    '',
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${m.cpus}× ${m.cpuModel} · ${m.memoryGb} GB · Node ${m.node} · ${m.platform} · load ${m.loadAvgStart.toFixed(1)} → ${m.loadAvgMeasuring.toFixed(1)} (measuring) → ${m.loadAvgEnd.toFixed(1)}`,
    '',
    `Query (the same text on every path): \`${r.query}\``,
    '',
    r.table
      ? `Table \`bench.big\` on main, written by Trino (CTAS, ${r.table.createSec.toFixed(0)} s): ${int(r.table.rows)} rows, ${r.table.dataFiles} Parquet data files, ${(r.table.bytes / 2 ** 20).toFixed(1)} MiB.`
      : 'Table `bench.big`: not made.',
    '',
    mdTable(
      ['path', 'median ms', 'p90 ms', 'min ms', 'max ms', 'n'],
      r.results.map((x) => [x.label, ms(x.stat.medianMs), ms(x.stat.p90Ms), ms(x.stat.minMs), ms(x.stat.maxMs), String(x.stat.n)]),
      ['l', 'r', 'r', 'r', 'r', 'r'],
    ),
    '',
    mdTable(
      ['ratio', 'of medians', 'of p90s', 'goal', 'met'],
      r.ratios.map((x) => [x.label, `${x.ratio.toFixed(2)}×`, `${x.ratioP90.toFixed(2)}×`, x.goal?.text ?? '— (reported)', x.met === null ? '—' : x.met ? 'yes' : 'NO']),
      ['l', 'r', 'r', 'l', 'l'],
    ),
    '',
  ];
  const first = Object.entries(r.firstCallsMs);
  if (first.length > 0) {
    out.push(`First calls (before the warm-up round, not measured): ${first.map(([k, v]) => `${PATHS.find((p) => p.key === k)?.label.slice(0, 3) ?? k} ${ms(v)} ms`).join(', ')}${r.createCatalogMs !== null ? `; Trino's CREATE CATALOG of main@<hash> (part of (a)'s first call): ${ms(r.createCatalogMs)} ms` : ''}.`, '');
  }
  if (r.trinoServerMedianMs) {
    out.push(
      "Trino's own times of the measured queries (system.runtime.queries; medians):",
      '',
      mdTable(
        ['client', 'created → end ms', 'queued ms', 'analysis ms', 'planning ms'],
        Object.entries(r.trinoServerMedianMs).map(([k, v]) => [k, ms(v.elapsedMs), ms(v.queuedMs), ms(v.analysisMs), ms(v.planningMs)]),
        ['l', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  if (r.gatewayTrinoSplit) {
    const x = r.gatewayTrinoSplit;
    out.push(`(a) over the measured rounds, mean per call: ${ms(x.wallMs)} ms = ${ms(x.trinoPortMs)} ms in the gateway's Trino port (CatalogQueryEngine.sql) + ${ms(x.versionStoreMs)} ms in the version store (Nessie: resolve main, read the table's entry; the mean over (a)'s and (c)'s calls) + ${ms(x.restMs)} ms else (HTTP, GraphQL, the query check, the table's metadata from cache).`, '');
  }
  for (const [k, b] of Object.entries(r.breakdowns)) out.push(`- backend calls, ${k}: ${callsLine(b)}`);
  if (Object.keys(r.breakdowns).length > 0) out.push('');
  const o = r.otherProcesses;
  out.push(
    `Other benchmark or vitest runs on the machine: ${o.atStart.length === 0 ? 'none at the start' : `${o.atStart.length} processes at the start`}, waited ${o.waitedSec.toFixed(0)} s in all; ${o.discardedAttempts.length} attempt(s) thrown away because one started during the rounds; while measuring the reported rounds: ${o.measuredWith.length === 0 ? 'none' : o.measuredWith.join(' | ')}; after: ${o.after.length === 0 ? 'none' : o.after.join(' | ')}.`,
    '',
  );
  out.push(...Object.entries(r.setup).map(([k, v]) => `- ${k}: ${v}`));
  notesAndErrors(out, r.notes, r.errors);
  return out.join('\n');
}

export async function runTrinoBench(opts: SuiteRunOptions): Promise<string[]> {
  const sizes = opts.quick ? TRINO_QUICK : TRINO_FULL;
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = load();
  let loadMeasuring = loadStart;
  const errors: string[] = [];
  const notes: string[] = [];
  const setup: Record<string, string> = {};
  const results: TrinoReport['results'] = [];
  const ratios: TrinoRatio[] = [];
  const firstCallsMs: Record<string, number> = {};
  const breakdowns: Record<string, Breakdown> = {};
  let table: TrinoReport['table'] = null;
  let trinoServerMedianMs: TrinoReport['trinoServerMedianMs'] = null;
  let createCatalogMs: number | null = null;
  let gatewayTrinoSplit: TrinoReport['gatewayTrinoSplit'] = null;
  const otherProcesses: TrinoReport['otherProcesses'] = { waitedSec: 0, atStart: [], measuredWith: [], after: [], discardedAttempts: [] };
  const { own, cleanup } = ownedCleanups(opts);
  progress(`trino benchmark (${sizes.mode}): ${int(sizes.rows)}-row table written by Trino; gateway sql(engine: TRINO) vs trino-client direct vs gateway sql(engine: DUCKDB)`);
  try {
    // ── the stack: versitygw, Nessie on a bucket there, Trino on that Nessie, the gateway on all three
    let t0 = now();
    const s3 = await startS3Server();
    own(() => s3.stop());
    const bucket = await createTestBucket(s3, 'bench-trino');
    const warehouse = `s3://${bucket}/warehouse`;
    const nessie = await startNessie({ s3Warehouse: { location: warehouse, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region } });
    own(() => nessie.stop());
    const trino = await startTrino({ nessieUri: nessie.url, s3 });
    own(() => trino.stop());
    const g = await BenchGateway.start({ ...nessieS3GatewayEnv(s3, { apiUri: nessie.url, warehouse }), TRINO_URL: trino.url });
    own(() => g.stop());
    const engines = (await g.data(`{ sqlEngines { engine version } }`)).sqlEngines as { engine: string; version: string }[];
    progress(`  versitygw at ${s3.endpoint}, Nessie at ${nessie.url}, Trino ${TRINO_VERSION} at ${trino.url}, gateway at ${g.url} up in ${(since(t0) / 1000).toFixed(1)} s`);
    setup['S3 server'] = `versitygw (test/support/s3.ts, posix backend on this machine's disk) at ${s3.endpoint}, path-style; bucket ${bucket}`;
    setup['Nessie'] = `${nessie.url} (in-memory version store), Iceberg REST catalog with its warehouse at ${warehouse}`;
    setup['Trino'] = `${TRINO_VERSION}, single node (test/support/trino.ts: 2 GB heap, query.max-memory 1GB), static catalog iceberg on Nessie's REST catalog at main, dynamic catalogs on`;
    setup['gateway'] = `in-process (BenchGateway: buildApp(loadConfig(env)) on a loopback port) with NESSIE_URI, WAREHOUSE=${warehouse}, AWS_*, S3_PATH_STYLE and TRINO_URL; engines ${engines.map((e) => `${e.engine} ${e.version}`).join(', ')}; object cache OBJECT_CACHE_MB default`;
    setup['client'] = 'one client, one call at a time; (a) and (c) POST /graphql with fetch from this process, (b) trino-client 0.2.9 from this process (user bench, source cascade-bench)';

    // ── bench.big, through Trino
    const direct = new DirectTrino(trino.url, 'iceberg');
    t0 = now();
    progress(`  creating bench.big (${int(sizes.rows)} rows) with CREATE TABLE AS in Trino`);
    await direct.rows('CREATE SCHEMA iceberg.bench');
    const created = await direct.rows(createTableSql(sizes));
    const createSec = since(t0) / 1000;
    if (String(created[0]?.[0]) !== String(sizes.rows)) throw new Error(`CREATE TABLE AS wrote ${JSON.stringify(created)} rows, expected ${sizes.rows}`);
    const files = (await g.data(`{ table(name: "bench.big", ref: "main") { currentSnapshot { totalRows dataFiles(first: 1000) { nodes { path fileSizeBytes recordCount } } } } }`)).table.currentSnapshot;
    const nodes = files.dataFiles.nodes as { path: string; fileSizeBytes: string }[];
    if (String(files.totalRows) !== String(sizes.rows)) throw new Error(`the gateway sees ${files.totalRows} rows in bench.big at main, expected ${sizes.rows}`);
    if (!nodes.every((f) => f.path.startsWith(`s3://${bucket}/`))) throw new Error(`bench.big's data files are not in s3://${bucket}: ${nodes[0]?.path}`);
    table = { rows: sizes.rows, dataFiles: nodes.length, bytes: nodes.reduce((s, f) => s + Number(f.fileSizeBytes), 0), createSec };
    progress(`  bench.big: ${int(sizes.rows)} rows in ${table.dataFiles} files, ${(table.bytes / 2 ** 20).toFixed(1)} MiB, made in ${createSec.toFixed(0)} s`);

    // ── wait for a machine without other benchmark or vitest runs (15 min at most in all, first calls and rounds)
    const waitDeadline = now() + 15 * 60_000;
    const first = await waitForQuietMachine(progress, waitDeadline);
    otherProcesses.waitedSec += first.waitedSec;
    otherProcesses.atStart = first.atStart;

    // ── first calls (not in the results): (b) first, so Trino has read the files once before (a)'s first call
    let onCommit: DirectTrino | undefined;
    const run: Record<PathKey, () => Promise<Rows>> = {
      gatewayTrino: () => gatewaySql(g, 'TRINO'),
      direct: () => direct.rows(TRINO_QUERY),
      gatewayDuck: () => gatewaySql(g, 'DUCKDB'),
      directCommit: () => onCommit!.rows(TRINO_QUERY),
    };
    const answers: Partial<Record<PathKey, string>> = {};
    const firstCall = async (key: PathKey) => {
      let rows: Rows = [];
      const t = now();
      if (key === 'direct' || key === 'directCommit') rows = await run[key]();
      else breakdowns[`first ${key === 'gatewayTrino' ? '(a) TRINO' : '(c) DUCKDB'} call`] = await g.profile(async () => (rows = await run[key]()));
      firstCallsMs[key] = since(t);
      answers[key] = normaliseRows(rows);
      if (rows.length !== CATEGORIES) throw new Error(`${key}: ${rows.length} rows, expected ${CATEGORIES}`);
    };
    for (const key of ['direct', 'gatewayTrino'] as const) await firstCall(key);
    // (d): the catalog the gateway made for main@<hash> on its first TRINO call, queried straight.
    const commitCatalogs = (await direct.rows(`SELECT catalog_name FROM system.metadata.catalogs WHERE catalog_name LIKE 'iceberg\\_c\\_%' ESCAPE '\\'`)).map(([c]) => String(c));
    if (commitCatalogs.length !== 1) throw new Error(`expected one per-commit catalog in Trino after the gateway's first TRINO call, found ${JSON.stringify(commitCatalogs)}`);
    onCommit = new DirectTrino(trino.url, commitCatalogs[0]!, 'cascade-bench-commit');
    setup['(d)'] = `trino-client on the catalog ${commitCatalogs[0]} (made by the gateway: Nessie's REST catalog at main@<hash>), same SQL, source cascade-bench-commit`;
    for (const key of ['directCommit', 'gatewayDuck'] as const) await firstCall(key);
    progress(`  first calls: ${Object.entries(firstCallsMs).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ')}`);
    for (const key of ['gatewayTrino', 'gatewayDuck', 'directCommit'] as const) {
      if (answers[key] !== answers.direct) {
        throw new Error(`${key} answers differently from Trino direct:\n  ${key}: ${answers[key]!.slice(0, 400)}\n  direct: ${answers.direct!.slice(0, 400)}`);
      }
    }
    progress(`  all four paths return the same ${CATEGORIES} rows`);

    // ── measured rounds, interleaved (tables-support.ts `interleaved`, keeping the samples for p90), on a
    // machine without other benchmarks or vitest runs: wait for one (15 min at most in all), and measure
    // again (at most twice) when one started during the rounds.
    const total = sizes.warmup + sizes.iterations;
    let samples = new Map<PathKey, number[]>();
    for (let attempt = 1; ; attempt++) {
      const quiet = await waitForQuietMachine(progress, waitDeadline);
      otherProcesses.waitedSec += quiet.waitedSec;
      otherProcesses.measuredWith = [...quiet.remaining];
      if (quiet.remaining.length > 0) progress(`  other runs still going after ${otherProcesses.waitedSec.toFixed(0)} s of waiting; measuring anyway`);
      samples = new Map<PathKey, number[]>(PATHS.map((p) => [p.key, []]));
      const seen: { key: PathKey; rows: Rows }[] = [];
      const loads: number[] = [];
      progress(`  attempt ${attempt}: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, (a) / (b) / (c) / (d) interleaved`);
      let before = new Map<string, number>();
      for (let i = 0; i < total; i++) {
        if (i === sizes.warmup) before = await g.backendCalls();
        const order = i % 2 === 0 ? PATHS : [...PATHS].reverse();
        for (const p of order) {
          const [ms] = await measure({ warmup: 0, iterations: 1, run: async () => seen.push({ key: p.key, rows: await run[p.key]() }) });
          if (i >= sizes.warmup) samples.get(p.key)!.push(ms!);
        }
        loads.push(load());
        for (const l of await otherRuns()) if (!otherProcesses.measuredWith.some((m) => m.split(' ')[0] === l.split(' ')[0])) otherProcesses.measuredWith.push(l);
        if (i >= sizes.warmup) progress(`    round ${i - sizes.warmup + 1}/${sizes.iterations}: ${PATHS.map((p) => `${p.key} ${samples.get(p.key)!.at(-1)!.toFixed(0)} ms`).join(', ')}`);
      }
      loadMeasuring = Math.max(...loads);
      const calls = diffCalls(before, await g.backendCalls());
      const wallMs = samples.get('gatewayTrino')!.reduce((a, b) => a + b, 0) / sizes.iterations;
      const trinoPortMs = (calls['CatalogQueryEngine.sql@ms'] ?? 0) / sizes.iterations;
      // (a) and (c) both resolve main and read the table's entry (one VersionStore.resolve each): the mean per sql call
      const versionStoreMs = Object.entries(calls).filter(([k]) => k.startsWith('VersionStore.') && k.endsWith('@ms')).reduce((a, [, v]) => a + v, 0) / Math.max(1, calls['VersionStore.resolve'] ?? 0);
      gatewayTrinoSplit = { wallMs, trinoPortMs, versionStoreMs, restMs: wallMs - trinoPortMs - versionStoreMs };
      for (const x of seen) if (normaliseRows(x.rows) !== answers.direct) throw new Error(`${x.key}: a measured call answered differently from the first calls`);
      const intruders = otherProcesses.measuredWith.filter((l) => !quiet.remaining.includes(l));
      if (intruders.length === 0 || attempt === 3 || now() >= waitDeadline) break;
      otherProcesses.discardedAttempts.push(intruders);
      progress(`  attempt ${attempt} thrown away: other runs started during it: ${intruders.map((l) => l.slice(0, 90)).join(' | ')}`);
    }
    for (const p of PATHS) results.push({ key: p.key, label: p.label, stat: stat(samples.get(p.key)!) });
    const get = (k: PathKey) => results.find((r) => r.key === k)!.stat;
    const ratio = (label: string, a: PathKey, b: PathKey, goal: TrinoRatio['goal']): TrinoRatio => {
      const r = get(a).medianMs / get(b).medianMs;
      return { label, subject: a, peer: b, ratio: r, ratioP90: get(a).p90Ms / get(b).p90Ms, goal, met: goal ? r <= goal.max : null };
    };
    ratios.push(ratio('(a)/(b): gateway on Trino vs trino-client direct', 'gatewayTrino', 'direct', { max: 1.1, text: '≤ 1.1×' }));
    ratios.push(ratio('(c)/(a): gateway on DuckDB vs gateway on Trino', 'gatewayDuck', 'gatewayTrino', null));
    ratios.push(ratio("(a)/(d): the gateway vs its own Trino catalog queried directly (diagnostic)", 'gatewayTrino', 'directCommit', null));
    ratios.push(ratio("(d)/(b): the gateway's catalog at main@<hash> vs the static one, both direct (diagnostic)", 'directCommit', 'direct', null));
    for (const r of ratios) progress(`  ${r.label}: ${r.ratio.toFixed(2)}× (p90 ${r.ratioP90.toFixed(2)}×)`);

    // ── where the time goes (after the measured rounds, so they do not disturb them)
    breakdowns['(a) TRINO call after the measured rounds'] = await g.profile(() => run.gatewayTrino());
    breakdowns['(c) DUCKDB call after the measured rounds'] = await g.profile(() => run.gatewayDuck());
    try {
      const q = await direct.rows(
        `SELECT source, query, date_diff('millisecond', created, "end") AS ms, queued_time_ms, analysis_time_ms, planning_time_ms FROM system.runtime.queries WHERE state = 'FINISHED' AND (query = ${sqlString(TRINO_QUERY)} OR query LIKE 'CREATE CATALOG IF NOT EXISTS %') ORDER BY created`,
      );
      createCatalogMs = q.filter(([, text]) => String(text).startsWith('CREATE CATALOG')).map(([, , ms]) => Number(ms))[0] ?? null;
      const bySource = (src: string) => {
        // the last attempt's measured rounds are the last `iterations` (the gateway's profiled call after them dropped)
        const all = q.filter(([s, text]) => s === src && text === TRINO_QUERY);
        const tail = src === 'cascade-gateway' ? 1 : 0;
        const xs = all.slice(all.length - tail - sizes.iterations, all.length - tail);
        const med = (i: number) => stat(xs.map((x) => Number(x[i]))).medianMs;
        return { elapsedMs: med(2), queuedMs: med(3), analysisMs: med(4), planningMs: med(5) };
      };
      trinoServerMedianMs = { '(a) via the gateway': bySource('cascade-gateway'), '(b) direct': bySource('cascade-bench'), "(d) direct on the gateway's catalog": bySource('cascade-bench-commit') };
    } catch (e) {
      notes.push(`Trino's query list could not be read: ${(e as Error).message}`);
    }
    otherProcesses.after = await otherRuns();
  } catch (e) {
    errors.push((e as Error).message);
    progress(`trino: FAILED: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await cleanup();
  }
  notes.push(
    `Every round runs (a), (b), (c) and (d) once each, one call at a time, the order reversed every other round; ${sizes.warmup} warm-up round, then ${sizes.iterations} measured rounds; medians and nearest-rank p90s of those. Before the warm-up round each path was called once more and checked: (b) first, then (a) — its first call per commit includes the gateway's CREATE CATALOG of main@<hash> in Trino — then (d), then (c), whose first call copies the table's Parquet files from S3 into the gateway's object cache. No first call is in the figures.`,
    "(d) is a diagnostic, not a goal: trino-client straight at the catalog the gateway made for main@<hash>, to split (a)'s extra time between the gateway itself ((a)/(d)) and reading through a per-commit catalog rather than the static one ((d)/(b)). The backend-call lines leave out the run worker's background polling (RunStore.*).",
    'All four answers are compared after normalising number formats (counts and decimal sums as exact text, avg(x) to 12 significant digits; x is a multiple of 0.25, so its sums are exact on both engines); every measured answer is checked against the first.',
    '(a) and (b) run the same SQL text on the same Trino and read the same snapshot: (a) in a catalog at main@<hash> made by the gateway, (b) in the static catalog `iceberg` at main. (a) adds the gateway: GraphQL over HTTP, the query check (DuckDB\'s parser), main resolved at Nessie and the table\'s metadata read (cached), and the values converted to the API\'s JSON.',
    'Everything (versitygw, Nessie, Trino, the gateway and its DuckDB child, the client) runs on this one machine; "S3" is versitygw on 127.0.0.1.',
  );
  const loadEnd = load();
  const maxLoad = Math.max(loadStart, loadMeasuring);
  if (otherProcesses.measuredWith.length > 0) notes.push(`Measured while other runs were going on the machine (after waiting ${otherProcesses.waitedSec.toFixed(0)} s): ${otherProcesses.measuredWith.join(' | ')}. Absolute times are inflated; ratios less so.`);
  if (maxLoad > os.cpus().length) notes.push(`1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores; this counts the bench's own Trino, Nessie, versitygw and DuckDB threads as well as anything else on the machine.`);
  if (sizes.mode === 'quick') notes.push(`Quick mode: ${int(sizes.rows)} rows (full: ${int(TRINO_FULL.rows)}), ${sizes.iterations} measured rounds.`);
  const report: TrinoReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSec: (Date.now() - startedAt.getTime()) / 1000,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: loadEnd, loadAvgMeasuring: loadMeasuring },
    sizes,
    query: TRINO_QUERY,
    table,
    results,
    ratios,
    firstCallsMs,
    trinoServerMedianMs,
    createCatalogMs,
    gatewayTrinoSplit,
    breakdowns,
    otherProcesses,
    setup,
    notes,
    errors,
  };
  process.stdout.write(`\n${toMarkdown(report)}`);
  const out = await writeReportFiles(opts.outDir, 'trino-latest', toMarkdown(report), report);
  progress(`trino report written to ${path.relative(process.cwd(), out.md)} and ${path.relative(process.cwd(), out.json)}`);
  return errors;
}
