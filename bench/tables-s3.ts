/**
 * The S3 tables benchmark (`npm run bench -- --only=tables.s3`, or `--only=s3`): the tables
 * benchmark's append, aggregate and rows(first: 100) at many snapshots on a gateway whose warehouse
 * is on S3 (versitygw on 127.0.0.1, WAREHOUSE=s3://…) against the same gateway on local disk, and
 * the S3 gateway's append against PyIceberg appending the same rows to the same S3 server through
 * Nessie's Iceberg REST catalog. Both gateways (and PyIceberg) run in the same process tree at the
 * same time and their calls are interleaved round by round (tables-support.ts `interleaved`), so
 * every ratio is measured in one run. The queries, tables and checks are the tables scenarios' own
 * (tables-scenarios.ts: AGG_QUERY, ROWS_QUERY, COLUMNS, the readings). Writes
 * bench/results/tables-s3-latest.md and .json.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createTestBucket, startS3Server, type RunningS3Server } from '../test/support/s3.js';
import { nessieIcebergUri, startNessie } from '../test/support/services.js';
import { table as mdTable, notesAndErrors, writeReportFiles } from './markdown.js';
import { machine } from './report.js';
import { now, since, summarize, type Summary } from './stats.js';
import { ownedCleanups, type SuiteRunOptions } from './suite.js';
import { AGG_QUERY, createTable, namespace, normalise, ROWS_QUERY } from './tables-scenarios.js';
import { BenchGateway, interleaved, PyIcebergWorker, writeReadings } from './tables-support.js';

export interface S3Sizes {
  mode: 'full' | 'quick';
  append: { rows: number; warmup: number; iterations: number };
  aggregate: { rows: number; files: number; warmup: number; iterations: number };
  history: { snapshots: number; rowsPerFile: number; warmup: number; iterations: number };
}

export const S3_FULL: S3Sizes = {
  mode: 'full',
  append: { rows: 1_000_000, warmup: 1, iterations: 5 },
  aggregate: { rows: 10_000_000, files: 4, warmup: 1, iterations: 5 },
  history: { snapshots: 1000, rowsPerFile: 10, warmup: 1, iterations: 5 },
};

/** Quick: the append keeps its 1M rows (the goal's size); the aggregate and the history are smaller. */
export const S3_QUICK: S3Sizes = {
  mode: 'quick',
  append: { rows: 1_000_000, warmup: 1, iterations: 3 },
  aggregate: { rows: 1_000_000, files: 2, warmup: 1, iterations: 3 },
  history: { snapshots: 100, rowsPerFile: 10, warmup: 1, iterations: 5 },
};

export interface S3Comparison {
  label: string;
  subject: { label: string; summary: Summary };
  peer: { label: string; summary: Summary };
  ratio: number;
  goal: { max: number; text: string } | null;
  met: boolean | null;
  loadAvg: number;
}

export interface S3Report {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: 'full' | 'quick';
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number };
  sizes: S3Sizes;
  comparisons: S3Comparison[];
  setup: Record<string, string>;
  notes: string[];
  errors: string[];
}

const load = () => os.loadavg()[0] ?? 0;
const int = (n: number) => n.toLocaleString('en-US');

const compare = (label: string, subject: S3Comparison['subject'], peer: S3Comparison['peer'], goal: S3Comparison['goal'], loadAvg: number): S3Comparison => {
  const ratio = subject.summary.medianMs / peer.summary.medianMs;
  return { label, subject, peer, ratio, goal, met: goal ? ratio <= goal.max : null, loadAvg };
};

interface Rig {
  s3: RunningS3Server;
  local: BenchGateway;
  remote: BenchGateway;
  gatewayBucket: string;
  nessieUrl: string;
  catalogUri: string;
  s3Properties: Record<string, string>;
}

/** versitygw, a bucket for the gateway and one for Nessie's catalog, Nessie, and the two gateways. */
async function startRig(opts: SuiteRunOptions, own: (fn: () => Promise<unknown>) => void): Promise<Rig> {
  const { progress } = opts;
  const t0 = now();
  const s3 = await startS3Server();
  own(() => s3.stop());
  const gatewayBucket = await createTestBucket(s3, 'bench-gateway');
  const nessieBucket = await createTestBucket(s3, 'bench-nessie');
  const endpoint = { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region };
  const [nessie, local, remote] = await Promise.all([
    startNessie({ s3Warehouse: { location: `s3://${nessieBucket}/warehouse`, ...endpoint } }),
    BenchGateway.start(),
    BenchGateway.start({
      WAREHOUSE: `s3://${gatewayBucket}/warehouse`,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      S3_PATH_STYLE: 'true',
    }),
  ]);
  own(() => nessie.stop());
  own(() => local.stop());
  own(() => remote.stop());
  progress(`  versitygw at ${s3.endpoint}, Nessie at ${nessie.url}, gateways at ${local.url} (local disk) and ${remote.url} (s3://${gatewayBucket}) up in ${(since(t0) / 1000).toFixed(1)} s`);
  return {
    s3,
    local,
    remote,
    gatewayBucket,
    nessieUrl: nessie.url,
    catalogUri: `${nessieIcebergUri(nessie.url)}/main`,
    s3Properties: { 's3.endpoint': s3.endpoint, 's3.access-key-id': s3.accessKeyId, 's3.secret-access-key': s3.secretAccessKey, 's3.region': s3.region, 's3.path-style-access': 'true' },
  };
}

async function duckFile(file: string, start: number, count: number): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    await writeReadings(conn, file, start, count);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** The data file paths of a table's current snapshot on a gateway. */
async function dataFilePaths(g: BenchGateway, name: string): Promise<string[]> {
  const t = await g.data(`{ table(name: "${name}", ref: "main") { currentSnapshot { dataFiles(first: 1000) { nodes { path } } } } }`);
  return (t.table.currentSnapshot.dataFiles.nodes as { path: string }[]).map((f) => f.path);
}

function expectOnS3(paths: string[], bucket: string, what: string): void {
  const off = paths.filter((p) => !p.startsWith(`s3://${bucket}/`));
  if (paths.length === 0 || off.length > 0) throw new Error(`${what}: data files not in s3://${bucket}: ${JSON.stringify(off.length ? off : paths).slice(0, 300)}`);
}

const LOCAL = 'gateway, warehouse on local disk';
const REMOTE = 'gateway, warehouse on S3 (versitygw)';

// ───────────────────────────── append ─────────────────────────────

async function appendScenario(rig: Rig, sizes: S3Sizes['append'], opts: SuiteRunOptions, dir: string, own: (fn: () => Promise<unknown>) => void, setup: Record<string, string>): Promise<S3Comparison[]> {
  const { progress } = opts;
  const input = path.join(dir, 'input.parquet');
  await duckFile(input, 0, sizes.rows);
  progress(`  append: input ${int(sizes.rows)} rows, ${((await fs.stat(input)).size / 2 ** 20).toFixed(1)} MiB Parquet; starting PyIceberg on Nessie's REST catalog (${rig.catalogUri})`);
  const { worker, version } = await PyIcebergWorker.start(path.join(dir, 'pyiceberg'), { uri: rig.catalogUri, properties: rig.s3Properties });
  own(() => worker.close());
  setup.pyiceberg = version;
  const total = sizes.warmup + sizes.iterations;
  for (const g of [rig.local, rig.remote]) {
    await namespace(g, 'bench');
    for (let i = 0; i < total; i++) await createTable(g, `bench.append_${i}`);
  }
  const py: number[] = [];
  const pyWithRead: number[] = [];
  const loadAvg = load();
  progress(`  append: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, local gateway / S3 gateway / PyIceberg (REST catalog, S3) interleaved`);
  const gw = (g: BenchGateway) => async (i: number) => {
    const out = await g.appendFile('main', `bench.append_${i}`, input);
    if (out.addedRows !== String(sizes.rows)) throw new Error(`appendRows added ${out.addedRows} rows, expected ${sizes.rows}`);
  };
  const s = await interleaved(
    [
      { name: 'local', run: gw(rig.local) },
      { name: 's3', run: gw(rig.remote) },
      {
        name: 'pyiceberg',
        run: async (i) => {
          const out = await worker.append(`append_${i}`, input);
          if (out.addedRows !== sizes.rows) throw new Error(`PyIceberg appended ${out.addedRows} rows, expected ${sizes.rows}`);
          if (i >= sizes.warmup) {
            py.push(out.appendMs);
            pyWithRead.push(out.readMs + out.appendMs);
          }
        },
      },
    ],
    sizes.warmup,
    sizes.iterations,
    (d, n) => progress(`    round ${d}/${n}`),
  );
  expectOnS3(await dataFilePaths(rig.remote, 'bench.append_0'), rig.gatewayBucket, 'the S3 gateway');
  const pyFiles = await worker.files('append_0');
  if (!pyFiles.every((p) => p.startsWith('s3://'))) throw new Error(`PyIceberg's data files are not on S3: ${pyFiles.join(', ').slice(0, 300)}`);
  await worker.close();
  const label = `append ${int(sizes.rows)} rows to a new table (Parquet upload)`;
  const remote = { label: REMOTE, summary: s.get('s3')! };
  return [
    compare(label, remote, { label: LOCAL, summary: s.get('local')! }, { max: 1.5, text: '≤ 1.5×' }, loadAvg),
    compare(label, remote, { label: 'PyIceberg table.append through Nessie\'s REST catalog, to the same S3 server', summary: summarize(py) }, { max: 1.0, text: '≤ 1.0×' }, loadAvg),
    compare(label, remote, { label: 'PyIceberg read_table + table.append (informational: both sides read the file)', summary: summarize(pyWithRead) }, null, loadAvg),
  ];
}

// ───────────────────────────── aggregate ─────────────────────────────

async function aggregateScenario(rig: Rig, sizes: S3Sizes['aggregate'], opts: SuiteRunOptions, dir: string): Promise<S3Comparison[]> {
  const { progress } = opts;
  for (const g of [rig.local, rig.remote]) await createTable(g, 'bench.readings');
  const per = Math.ceil(sizes.rows / sizes.files);
  for (let i = 0, start = 0; start < sizes.rows; i++, start += per) {
    const count = Math.min(per, sizes.rows - start);
    const file = path.join(dir, `readings-${i}.parquet`);
    await duckFile(file, start, count);
    for (const g of [rig.local, rig.remote]) {
      const out = await g.appendFile('main', 'bench.readings', file);
      if (out.addedRows !== String(count)) throw new Error(`appendRows added ${out.addedRows} rows, expected ${count}`);
    }
    await fs.rm(file);
    progress(`  aggregate: file ${i + 1}/${sizes.files} (${int(count)} rows) appended to both gateways`);
  }
  expectOnS3(await dataFilePaths(rig.remote, 'bench.readings'), rig.gatewayBucket, 'the S3 gateway');
  const sql = (g: BenchGateway) => async () => {
    const r = await g.data(`query($q: String!) { sql(ref: "main", query: $q, maxRows: 100) { rows } }`, { q: AGG_QUERY });
    return r.sql.rows as unknown[][];
  };
  const want = normalise(await sql(rig.local)());
  const got = normalise(await sql(rig.remote)());
  if (got !== want) throw new Error(`the S3 gateway's aggregate differs from the local one's: ${got} vs ${want}`);
  const loadAvg = load();
  progress(`  aggregate: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, local / S3 interleaved`);
  const check = (g: BenchGateway) => async () => {
    if ((await sql(g)()).length !== 8) throw new Error('aggregate: wrong row count');
  };
  const s = await interleaved([{ name: 'local', run: check(rig.local) }, { name: 's3', run: check(rig.remote) }], sizes.warmup, sizes.iterations, (d, n) => progress(`    round ${d}/${n}`));
  const label = `GraphQL sql: GROUP BY direction over ${int(sizes.rows)} rows (${sizes.files} Parquet files)`;
  return [compare(label, { label: REMOTE, summary: s.get('s3')! }, { label: LOCAL, summary: s.get('local')! }, { max: 1.5, text: '≤ 1.5×' }, loadAvg)];
}

// ───────────────────────────── history ─────────────────────────────

async function historyScenario(rig: Rig, sizes: S3Sizes['history'], opts: SuiteRunOptions, dir: string): Promise<S3Comparison[]> {
  const { progress } = opts;
  const file = path.join(dir, 'small.parquet');
  await duckFile(file, 0, sizes.rowsPerFile);
  const t0 = now();
  for (const g of [rig.local, rig.remote]) await createTable(g, 'bench.history');
  for (let i = 0; i < sizes.snapshots; i++) {
    for (const g of [rig.local, rig.remote]) await g.appendFile('main', 'bench.history', file);
    if ((i + 1) % 100 === 0) progress(`  history: ${i + 1}/${sizes.snapshots} snapshots on both gateways (${(since(t0) / 1000).toFixed(0)} s)`);
  }
  const totalRows = sizes.snapshots * sizes.rowsPerFile;
  const rows = (g: BenchGateway) => async () => {
    const r = await g.data(ROWS_QUERY, { t: 'bench.history' });
    if (r.table.rows.rows.length !== Math.min(100, totalRows) || String(r.table.rows.totalCount) !== String(totalRows)) {
      throw new Error(`rows(first: 100): ${r.table.rows.rows.length} rows, totalCount ${r.table.rows.totalCount}; expected ${Math.min(100, totalRows)} of ${totalRows}`);
    }
  };
  await rows(rig.local)();
  await rows(rig.remote)();
  const loadAvg = load();
  progress(`  history: ${sizes.warmup} warm-up + ${sizes.iterations} measured rounds, local / S3 interleaved`);
  const s = await interleaved([{ name: 'local', run: rows(rig.local) }, { name: 's3', run: rows(rig.remote) }], sizes.warmup, sizes.iterations, (d, n) => progress(`    round ${d}/${n}`));
  const label = `rows(first: 100) on a table of ${int(sizes.snapshots)} snapshots (one ${sizes.rowsPerFile}-row file each, warm)`;
  return [compare(label, { label: REMOTE, summary: s.get('s3')! }, { label: LOCAL, summary: s.get('local')! }, { max: 1.5, text: '≤ 1.5×' }, loadAvg)];
}

// ───────────────────────────── run and report ─────────────────────────────

export function toMarkdown(r: S3Report): string {
  const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const out = [
    `# Tables on S3 benchmark (${r.mode})`,
    '',
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus}× ${r.machine.cpuModel} · load ${r.machine.loadAvgStart.toFixed(1)} → ${r.machine.loadAvgEnd.toFixed(1)}`,
    '',
    mdTable(
      ['measurement', 'subject', 'median ms', 'peer', 'median ms', 'ratio', 'goal', 'met', 'n', 'load'],
      r.comparisons.map((c) => [
        c.label,
        c.subject.label,
        ms(c.subject.summary.medianMs),
        c.peer.label,
        ms(c.peer.summary.medianMs),
        `${c.ratio.toFixed(2)}×`,
        c.goal?.text ?? '—',
        c.met === null ? '—' : c.met ? 'yes' : 'NO',
        String(c.subject.summary.n),
        c.loadAvg.toFixed(1),
      ]),
      ['l', 'l', 'r', 'l', 'r', 'r', 'l', 'l', 'r', 'r'],
    ),
    '',
    ...Object.entries(r.setup).map(([k, v]) => `- ${k}: ${v}`),
  ];
  notesAndErrors(out, r.notes, r.errors);
  return out.join('\n');
}

export async function runTablesS3Bench(opts: SuiteRunOptions): Promise<string[]> {
  const sizes = opts.quick ? S3_QUICK : S3_FULL;
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = load();
  const errors: string[] = [];
  const notes: string[] = [];
  const setup: Record<string, string> = {};
  const comparisons: S3Comparison[] = [];
  const { own, cleanup } = ownedCleanups(opts);
  progress(
    `tables.s3 benchmark (${sizes.mode}): append of ${int(sizes.append.rows)} rows, aggregate over ${int(sizes.aggregate.rows)} rows, rows(first: 100) over ${sizes.history.snapshots} snapshots; gateway on S3 vs on local disk, and vs PyIceberg through Nessie's REST catalog`,
  );
  try {
    const rig = await startRig(opts, own);
    setup['S3 server'] = `versitygw (test/support/s3.ts, posix backend on this machine's disk) at ${rig.s3.endpoint}; the S3 gateway's WAREHOUSE=s3://${rig.gatewayBucket}/warehouse, path-style`;
    setup['version store'] = 'both gateways: the embedded version store on PGlite (a home of their own each)';
    setup['Nessie'] = `${rig.nessieUrl}, Iceberg REST catalog ${rig.catalogUri} with its warehouse in a bucket of its own on the same versitygw (PyIceberg only)`;
    const dir = await opts.tempDir('cascade-bench-s3-');
    const step = async (name: string, run: () => Promise<S3Comparison[]>) => {
      const t0 = now();
      progress(`tables.s3 ${name}: starting`);
      try {
        const cs = await run();
        comparisons.push(...cs);
        for (const c of cs) progress(`  ${c.label}: ${c.subject.summary.medianMs.toFixed(0)} ms vs ${c.peer.label} ${c.peer.summary.medianMs.toFixed(0)} ms = ${c.ratio.toFixed(2)}×`);
        progress(`tables.s3 ${name}: done in ${(since(t0) / 1000).toFixed(0)} s`);
      } catch (e) {
        errors.push(`${name}: ${(e as Error).message}`);
        progress(`tables.s3 ${name}: FAILED: ${(e as Error).stack ?? String(e)}`);
      }
    };
    await step('append', () => appendScenario(rig, sizes.append, opts, dir, own, setup));
    await step('aggregate', () => aggregateScenario(rig, sizes.aggregate, opts, dir));
    await step('history', () => historyScenario(rig, sizes.history, opts, dir));
  } catch (e) {
    errors.push(`setup: ${(e as Error).message}`);
    progress(`tables.s3: FAILED: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await cleanup();
  }
  notes.push(
    'Every ratio is subject median / peer median with the calls of both sides interleaved in the same rounds (the first side alternating), both gateways and the S3 server running at the same time on this machine. versitygw runs on 127.0.0.1, so "S3" here costs the S3 protocol and the SDK (requests, multipart, no network latency), not a remote store.',
    'The history table is built by appendRows of one small file per snapshot (one data file per snapshot), not the tables.history scenario\'s 10 files per snapshot written outside the gateway.',
  );
  const maxLoad = Math.max(loadStart, load(), ...comparisons.map((c) => c.loadAvg));
  if (maxLoad > os.cpus().length) notes.push(`The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores (other processes). Absolute times are inflated and noisy; ratios less so.`);
  if (sizes.mode === 'quick') notes.push('Quick mode: the append keeps 1M rows; the aggregate and the history are smaller than the full sizes, with fewer rounds.');
  const report: S3Report = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSec: (Date.now() - startedAt.getTime()) / 1000,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: load() },
    sizes,
    comparisons,
    setup,
    notes,
    errors,
  };
  process.stdout.write(`\n${toMarkdown(report)}`);
  const files = await writeReportFiles(opts.outDir, 'tables-s3-latest', toMarkdown(report), report);
  progress(`tables.s3 report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return errors;
}
