/**
 * runs.wap: a Write-Audit-Publish run ingesting 1,000,000 synthetic glucose readings from a Parquet
 * file (generated once with DuckDB), through 3 models (staging, a fact with a window function, a
 * daily aggregate) and 5 audits (not_null, unique, accepted_values, range, row_count_min), then the
 * merge; started with startRun on the real gateway (a child process), each step timed from its run
 * events (STEP_STARTED → its end event). The peer: the same SQL run directly in DuckDB
 * (@duckdb/node-api, one on-disk database): CREATE TABLE from the file, CREATE TABLE per model, the
 * audit queries the engine sends (src/runs/steps/audit.ts), each timed. Rounds alternate sides.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { gql, runState, sleep, startChild, startRun, type Env, type RunEventRow } from './runs-support.js';

export const WAP_FULL = { rows: 1_000_000, rounds: 2 };
export const WAP_QUICK = { rows: 100_000, rounds: 1 };
export type WapSizes = typeof WAP_FULL;

const SOURCE = "{{ source('raw', 'readings') }}";
const MODELS = [
  {
    name: 'stg_readings',
    table: 'bronze.stg_readings',
    sql: `SELECT id, device, epoch_ms("date") AS reading_ts, sgv, direction FROM ${SOURCE} WHERE type = 'sgv' AND sgv BETWEEN 20 AND 600`,
  },
  {
    name: 'fct_readings',
    table: 'silver.fct_readings',
    sql:
      `SELECT id, device, reading_ts, sgv, CASE WHEN sgv < 70 THEN 'Low' WHEN sgv > 180 THEN 'High' ELSE 'Normal' END AS glucose_category, ` +
      `round(avg(sgv) OVER (PARTITION BY device ORDER BY reading_ts ROWS BETWEEN 11 PRECEDING AND CURRENT ROW), 1) AS rolling_avg_1h, ` +
      `CAST(reading_ts AS DATE) AS reading_date FROM {{ ref('stg_readings') }}`,
  },
  {
    name: 'daily_glucose',
    table: 'gold.daily_glucose',
    sql:
      `SELECT device, reading_date, count(*) AS readings, round(avg(sgv), 1) AS avg_sgv, min(sgv) AS min_sgv, max(sgv) AS max_sgv, ` +
      `round(100.0 * avg(CASE WHEN sgv BETWEEN 70 AND 180 THEN 1 ELSE 0 END), 1) AS time_in_range_pct FROM {{ ref('fct_readings') }} GROUP BY device, reading_date`,
  },
];
/** The audits, and the query src/runs/steps/audit.ts sends for each (`T` = the table). */
const AUDITS = [
  { spec: { name: 'sgv_not_null', table: 'fct_readings', check: 'not_null', column: 'sgv' }, sql: 'SELECT count(*) FROM T WHERE "sgv" IS NULL' },
  { spec: { name: 'id_unique', table: 'stg_readings', check: 'unique', column: 'id' }, sql: 'SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM T GROUP BY "id" HAVING count(*) > 1)' },
  {
    spec: { name: 'category_values', table: 'fct_readings', check: 'accepted_values', column: 'glucose_category', values: ['Low', 'Normal', 'High'] },
    sql: `SELECT count(*) FROM T WHERE "glucose_category" IS NOT NULL AND "glucose_category" NOT IN ('Low', 'Normal', 'High')`,
  },
  { spec: { name: 'sgv_range', table: 'fct_readings', check: 'range', column: 'sgv', min: 20, max: 600 }, sql: 'SELECT count(*) FROM T WHERE "sgv" < 20 OR "sgv" > 600' },
  { spec: { name: 'daily_rows', table: 'daily_glucose', check: 'row_count_min', min: 1 }, sql: 'SELECT count(*) FROM T' },
];

export interface WapStep {
  name: string;
  kind: 'ingest' | 'model' | 'audit' | 'publish' | 'other';
  /** Gateway: STEP_STARTED → the step's end event (`at`); DuckDB: the statement's wall time. */
  ms: number;
  /** Gateway: data.elapsedMs of the end event (the step's work, without writing STEP_STARTED). */
  elapsedMs?: number;
}

export interface WapRound {
  side: 'gateway' | 'duckdb';
  round: number;
  steps: WapStep[];
  /** Gateway: RUN_STARTED → RUN_SUCCEEDED; DuckDB: the sum of the steps. */
  totalMs: number;
  /** Gateway: startRun sent → the run seen SUCCEEDED (polling every 100 ms). */
  endToEndMs?: number;
  runId?: string;
  loadAvg: number;
}

export interface WapRow {
  step: string;
  kind: WapStep['kind'];
  gatewayMs: number | null;
  gatewayElapsedMs: number | null;
  duckdbMs: number | null;
  ratio: number | null;
}

export interface WapResult {
  sizes: WapSizes;
  file: { rows: number; bytes: number; generateMs: number; columns: string };
  pipeline: unknown;
  rounds: WapRound[];
  rows: WapRow[];
  total: { gatewayMs: number; gatewayEndToEndMs: number | null; duckdbMs: number; ratio: number };
  notes: string[];
}

export async function runWap(sizes: WapSizes, env: Env): Promise<WapResult> {
  const { progress } = env;
  const notes: string[] = [];
  const dir = await env.tempDir('cascade-bench-runs-wap-');
  const file = path.join(dir, 'readings.parquet');

  // ── the input file, once
  let t0 = performance.now();
  {
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(
      `COPY (SELECT i AS id, CASE WHEN i % 50 = 0 THEN 'mbg' ELSE 'sgv' END AS type,
         CAST(greatest(40, least(400, 140 + 60 * sin(i / 4000.0) + (hash(i) % 61)::INTEGER - 30)) AS INTEGER) AS sgv,
         1700000000000 + (i // 100) * 300000 + (i % 100) * 7 AS date,
         strftime(make_timestamp((1700000000000 + (i // 100) * 300000 + (i % 100) * 7) * 1000), '%Y-%m-%dT%H:%M:%S.000Z') AS dateString,
         ['Flat', 'FortyFiveUp', 'FortyFiveDown', 'SingleUp', 'SingleDown'][1 + (hash(i * 7) % 5)::INTEGER] AS direction,
         'device-' || (i % 100) AS device
       FROM range(${sizes.rows}) t(i)) TO '${file}' (FORMAT PARQUET)`,
    );
    conn.closeSync();
    db.closeSync();
  }
  const generateMs = performance.now() - t0;
  const bytes = (await import('node:fs/promises').then((fs) => fs.stat(file))).size;
  progress(`runs.wap: ${sizes.rows.toLocaleString('en-US')} rows → ${(bytes / 2 ** 20).toFixed(1)} MiB Parquet in ${(generateMs / 1000).toFixed(1)} s`);

  // ── the gateway and its pipeline
  const pipelines = path.join(dir, 'pipelines');
  await mkdir(pipelines, { recursive: true });
  const pipeline = {
    name: 'wap_bench',
    description: 'Synthetic glucose readings: ingest, 3 models, 5 audits, publish',
    target: 'main',
    ingest: [{ name: 'load_readings', table: 'raw.readings', mode: 'append', source: { kind: 'file', path: file, format: 'PARQUET' } }],
    models: MODELS,
    audits: AUDITS.map((a) => a.spec),
  };
  await writeFile(path.join(pipelines, 'wap_bench.ts'), `export default ${JSON.stringify(pipeline, null, 2)};\n`);
  const gatewayEnv: Record<string, string> = {
    CASCADE_HOME: path.join(dir, 'home'),
    CASCADE_DEMO: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    PIPELINES_DIR: pipelines,
    RUN_POLL_MS: '200',
    RATE_LIMIT_PER_SECOND: '0',
  };
  const gateway = await startChild('runs-servers.ts', ['gateway', JSON.stringify(gatewayEnv)], 'gateway', env);
  const url = gateway.ready.url as string;
  const listed = await gql<{ pipelines: { name: string }[] }>(url, '{ pipelines { name } }');
  if (!listed.pipelines.some((p) => p.name === 'wap_bench')) throw new Error(`the gateway did not load the wap_bench pipeline (it has ${listed.pipelines.map((p) => p.name).join(', ') || 'none'})`);

  const rounds: WapRound[] = [];
  const gatewayRound = async (round: number): Promise<WapRound> => {
    // Each round publishes into its own branch made from the empty main, so every run ingests into an empty table.
    const target = `wap-round-${round}`;
    await gql(url, `mutation($n: String!) { createBranch(name: $n, from: "main") { __typename } }`, { n: target });
    const loadAvg = os.loadavg()[0] ?? 0;
    const sent = performance.now();
    const runId = await startRun(url, 'wap_bench', {}, target);
    const status = async () => (await gql<{ run: { status: string } }>(url, 'query($id: ID!) { run(id: $id) { status } }', { id: runId })).run.status;
    while (['QUEUED', 'RUNNING'].includes(await status())) await sleep(100);
    const endToEndMs = performance.now() - sent;
    const st = await runState(url, runId);
    if (st.status !== 'SUCCEEDED') throw new Error(`the WAP run ${runId} ended ${st.status}: ${st.error}`);
    const steps = stepsOf(st.events);
    const at = (type: string) => Date.parse(st.events.find((e) => e.type === type)?.at ?? '');
    const totalMs = at('RUN_SUCCEEDED') - at('RUN_STARTED');
    const sum = steps.reduce((a, s) => a + s.ms, 0);
    steps.push({ name: 'run overhead (branch, events, commits between steps)', kind: 'other', ms: totalMs - sum });
    return { side: 'gateway', round, steps, totalMs, endToEndMs, runId, loadAvg };
  };

  const duckdbRound = async (round: number): Promise<WapRound> => {
    const loadAvg = os.loadavg()[0] ?? 0;
    const db = await DuckDBInstance.create(path.join(dir, `direct-${round}.duckdb`));
    const conn = await db.connect();
    const steps: WapStep[] = [];
    const timed = async (name: string, kind: WapStep['kind'], sql: string) => {
      const s = performance.now();
      const r = await conn.runAndReadAll(sql);
      steps.push({ name, kind, ms: performance.now() - s });
      return r;
    };
    try {
      await timed('load_readings', 'ingest', `CREATE TABLE raw_readings AS SELECT * FROM read_parquet('${file}')`);
      for (const m of MODELS) await timed(m.name, 'model', `CREATE TABLE ${m.name} AS ${direct(m.sql)}`);
      for (const a of AUDITS) {
        const r = await timed(a.spec.name, 'audit', a.sql.replace('FROM T', `FROM ${a.spec.table}`));
        const v = Number(r.getRows()[0]?.[0] ?? -1);
        const failing = a.spec.check === 'row_count_min' ? (v >= Number(a.spec.min) ? 0 : 1) : v;
        if (failing !== 0) notes.push(`DuckDB direct: audit ${a.spec.name} found ${v} (the gateway run passed it)`);
      }
    } finally {
      conn.closeSync();
      db.closeSync();
    }
    return { side: 'duckdb', round, steps, totalMs: steps.reduce((a, s) => a + s.ms, 0), loadAvg };
  };

  try {
    for (let round = 1; round <= sizes.rounds; round++) {
      const order = round % 2 === 1 ? (['gateway', 'duckdb'] as const) : (['duckdb', 'gateway'] as const);
      for (const side of order) {
        const r = side === 'gateway' ? await gatewayRound(round) : await duckdbRound(round);
        rounds.push(r);
        progress(
          `  round ${round} ${side.padEnd(7)} total ${(r.totalMs / 1000).toFixed(2)} s${r.endToEndMs ? ` (end to end ${(r.endToEndMs / 1000).toFixed(2)} s)` : ''}: ` +
            r.steps.map((s) => `${s.name} ${(s.ms / 1000).toFixed(2)}`).join(', ') + `  load ${r.loadAvg.toFixed(1)}`,
        );
      }
    }
  } finally {
    await gateway.stop();
  }

  const best = (side: 'gateway' | 'duckdb') => rounds.filter((r) => r.side === side).reduce((a, b) => (b.totalMs < a.totalMs ? b : a));
  const g = best('gateway');
  const d = best('duckdb');
  const rows: WapRow[] = [];
  for (const s of g.steps) {
    const peer = d.steps.find((x) => x.name === s.name);
    rows.push({ step: s.name, kind: s.kind, gatewayMs: s.ms, gatewayElapsedMs: s.elapsedMs ?? null, duckdbMs: peer?.ms ?? null, ratio: peer ? s.ms / peer.ms : null });
  }
  notes.push(
    `Gateway: the real gateway (buildApp, embedded store on PGlite, warehouse on local disk, LOG_LEVEL=silent) in a child process; the run started with startRun and polled with run(id) every 100 ms; ` +
      `step times are STEP_STARTED → STEP_SUCCEEDED / AUDIT_PASSED / MERGED \`at\` from the run's events (the ingest and model steps write Parquet data files and commit Iceberg metadata to the run branch; publish is one merge commit). ` +
      `Each round publishes into its own branch made from the empty main. DuckDB direct: @duckdb/node-api in the bench process, one on-disk database per round (default threads), ` +
      `the same model SQL with tables for ref()/source(), and the audit queries the engine sends. Reported: the round with the lowest total of each side (all rounds in the JSON).`,
  );
  return {
    sizes,
    file: { rows: sizes.rows, bytes, generateMs, columns: 'id BIGINT, type VARCHAR, sgv INTEGER, date BIGINT (epoch ms), dateString VARCHAR, direction VARCHAR, device VARCHAR (100 devices, one reading per 5 min each)' },
    pipeline,
    rounds,
    rows,
    total: { gatewayMs: g.totalMs, gatewayEndToEndMs: g.endToEndMs ?? null, duckdbMs: d.totalMs, ratio: g.totalMs / d.totalMs },
    notes,
  };
}

/** The model SQL with ref('x') → x and the source → raw_readings, for DuckDB direct. */
function direct(sql: string): string {
  return sql.replace(SOURCE, 'raw_readings').replace(/\{\{\s*ref\('([A-Za-z_][A-Za-z0-9_]*)'\)\s*\}\}/g, '$1');
}

/** Per step: STEP_STARTED → its end event, in run order. */
function stepsOf(events: RunEventRow[]): WapStep[] {
  const out: WapStep[] = [];
  const ends = new Set(['STEP_SUCCEEDED', 'AUDIT_PASSED', 'AUDIT_FAILED', 'MERGED', 'STEP_FAILED']);
  for (const start of events.filter((e) => e.type === 'STEP_STARTED')) {
    const end = events.find((e) => e.seq > start.seq && e.step === start.step && ends.has(e.type));
    if (!end) continue;
    const kind = String(start.data?.kind ?? 'other') as WapStep['kind'];
    const elapsed = end.data?.elapsedMs;
    out.push({ name: start.step ?? '?', kind, ms: Date.parse(end.at) - Date.parse(start.at), ...(typeof elapsed === 'number' ? { elapsedMs: elapsed } : {}) });
  }
  return out;
}
