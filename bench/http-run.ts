/**
 * The HTTP benchmark (`npm run bench -- --only=http`, hooked into bench/run.ts): throughput and
 * latency of `{ __typename }` and `{ defaultBranch { name hash } }` sent as POST /graphql JSON with a
 * valid Bearer token, against
 *   - the gateway: buildApp with AUTH_JWT_SECRET (auth on) and every limit at its default, the
 *     embedded store on a temp CASCADE_HOME, CASCADE_DEMO=0, LOG_LEVEL=silent;
 *   - a bare graphql-yoga server, no plugins, over a minimal schema giving the same JSON;
 *   - a bare node:http handler returning the same JSON bytes.
 * Each server is its own child process (bench/http-servers.ts) on 127.0.0.1; autocannon runs here.
 * Every case is warmed up, then the cases run interleaved for a number of rounds and the best round
 * (highest req/s) of each case is reported. Responses are validated (status 200, exact body) before,
 * during and after every measurement, and any non-2xx, error or timeout marks the case invalid.
 * Writes bench/results/http-latest.md and http-latest.json.
 *
 * BENCH_HTTP_CPU_PROF=<dir> starts the gateway child with --cpu-prof into that directory.
 */
import type { SuiteRunOptions } from './suite.js';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config.js';
import { machine } from './report.js';
import { startChild } from './runs-support.js';
import { DEFAULT_BRANCH_QUERY, TYPENAME_QUERY, typenameBody } from './http-servers.js';

export type HttpRunOptions = SuiteRunOptions;

export const HTTP_FULL = { mode: 'full' as const, warmupSec: 3, durationSec: 10, rounds: 2, connections: 50, pipelining: 1 };
export const HTTP_QUICK = { mode: 'quick' as const, warmupSec: 1, durationSec: 2, rounds: 2, connections: 50, pipelining: 1 };
export type HttpSizes = typeof HTTP_FULL | typeof HTTP_QUICK;

export const HTTP_GOALS = { vsYoga: 0.85, vsNode: 0.5 };

const OPERATIONS = [
  { name: 'typename', query: TYPENAME_QUERY },
  { name: 'defaultBranch', query: DEFAULT_BRANCH_QUERY },
] as const;
type OpName = (typeof OPERATIONS)[number]['name'];

type ServerName = 'gateway' | 'gateway-no-rate-limit' | 'yoga' | 'node';
const SERVER_LABELS: Record<ServerName, string> = {
  gateway: 'gateway (auth + default limits)',
  'gateway-no-rate-limit': 'gateway (auth + default limits, RATE_LIMIT_PER_SECOND=0)',
  yoga: 'bare graphql-yoga',
  node: 'bare node:http',
};

export interface HttpRun {
  op: OpName;
  server: ServerName;
  round: number;
  reqPerSec: number;
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses by HTTP status, as autocannon counted them. */
  statuses: Record<string, number>;
  /** Sampled responses (before, during, after) that were not status 200 with the expected body. */
  badSamples: number;
  samples: number;
  valid: boolean;
  loadAvg: number;
}

export interface HttpRow {
  op: OpName;
  query: string;
  server: ServerName;
  serverLabel: string;
  /** The round reported (highest req/s among valid rounds, else the last). */
  best: HttpRun;
  rounds: number[];
  valid: boolean;
}

export interface HttpRatio {
  op: OpName;
  gateway: ServerName;
  vsYoga: number | null;
  vsNode: number | null;
  p99VsYoga: number | null;
  p99VsNode: number | null;
  yogaGoalMet: boolean | null;
  nodeGoalMet: boolean | null;
  valid: boolean;
}

export interface HttpReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: HttpSizes['mode'];
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number };
  sizes: HttpSizes;
  goals: typeof HTTP_GOALS;
  gatewayEnv: Record<string, string>;
  rows: HttpRow[];
  ratios: HttpRatio[];
  runs: HttpRun[];
  notes: string[];
  errors: string[];
}

// ───────────────────────────── autocannon (no bundled types) ─────────────────────────────

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; mean: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  connections: number;
  pipelining: number;
  duration: number;
  timeout?: number;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ───────────────────────────── child servers ─────────────────────────────

interface Child {
  name: ServerName;
  url: string;
  proc: ChildProcess;
  stop: () => Promise<void>;
}

/** Starts one server of bench/http-servers.ts; it is stopped with the suite's cleanups too. */
async function startServer(opts: HttpRunOptions, name: ServerName, kind: 'gateway' | 'yoga' | 'node', arg: string, execArgv: string[] = []): Promise<Child> {
  const env = { progress: opts.progress, tempDir: opts.tempDir, onCleanup: (fn: () => Promise<unknown>) => void opts.cleanups.push(fn) };
  const child = await startChild('http-servers.ts', [kind, arg], name, env, { nodeArgs: execArgv });
  return { name, url: String(child.ready.url), proc: child.proc, stop: child.stop };
}

// ───────────────────────────── requests and validation ─────────────────────────────

async function post(url: string, query: string, token: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: await res.text() };
}

/** Sends `n` requests one after another; returns how many were not 200 with exactly `expected`. */
async function validate(url: string, query: string, token: string, expected: string, n: number, bad: string[]): Promise<number> {
  let failures = 0;
  for (let i = 0; i < n; i++) {
    try {
      const r = await post(url, query, token);
      if (r.status !== 200 || r.body !== expected) {
        failures++;
        if (bad.length < 5) bad.push(`status ${r.status}: ${r.body.slice(0, 300)}`);
      }
    } catch (e) {
      failures++;
      if (bad.length < 5) bad.push(`request failed: ${(e as Error).message}`);
    }
  }
  return failures;
}

// ───────────────────────────── the run ─────────────────────────────

/** Runs the benchmark, prints and writes the report; returns the errors (empty when all ran and validated). */
export async function runHttpBench(opts: HttpRunOptions): Promise<string[]> {
  const sizes: HttpSizes = opts.quick ? HTTP_QUICK : HTTP_FULL;
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const errors: string[] = [];
  const notes: string[] = [];
  const runs: HttpRun[] = [];
  const children: Child[] = [];
  const stopAll = async () => {
    for (const c of children.splice(0).reverse()) await c.stop().catch((e: unknown) => progress(`stopping ${c.name} failed: ${(e as Error).message}`));
  };
  opts.cleanups.push(stopAll);

  const secret = randomBytes(32).toString('hex');
  const home = await opts.tempDir('cascade-bench-http-');
  const gatewayEnv: Record<string, string> = {
    AUTH_JWT_SECRET: secret,
    CASCADE_HOME: home,
    CASCADE_DEMO: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
  };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ roles: ['viewer'] })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('bench-http')
    .setIssuedAt(now)
    .setExpirationTime(now + 6 * 3600)
    .sign(new TextEncoder().encode(secret));
  const profDir = process.env.BENCH_HTTP_CPU_PROF;
  const gatewayExecArgv = profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`] : [];

  progress(
    `http benchmark (${sizes.mode}): ${OPERATIONS.map((o) => o.query).join(' and ')}; ${sizes.connections} connections, ` +
      `${sizes.warmupSec} s warm-up + ${sizes.rounds} interleaved rounds of ${sizes.durationSec} s per case`,
  );
  const report: HttpReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSec: 0,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: 0 },
    sizes,
    goals: HTTP_GOALS,
    gatewayEnv: { ...gatewayEnv, AUTH_JWT_SECRET: '(random, 64 hex chars)', CASCADE_HOME: '(temp dir)' },
    rows: [],
    ratios: [],
    runs,
    notes,
    errors,
  };

  try {
    // The gateway first: its answer to defaultBranch (the empty store's main hash) is what the bare servers return.
    const gateway = await startServer(opts, 'gateway', 'gateway', JSON.stringify(gatewayEnv), gatewayExecArgv);
    children.push(gateway);
    const first = await post(gateway.url, DEFAULT_BRANCH_QUERY, token);
    const parsed = JSON.parse(first.body) as { data?: { defaultBranch?: { name?: string; hash?: string } }; errors?: unknown };
    const hash = parsed.data?.defaultBranch?.hash;
    if (first.status !== 200 || parsed.errors || parsed.data?.defaultBranch?.name !== 'main' || typeof hash !== 'string') {
      throw new Error(`the gateway's defaultBranch answer is not usable: status ${first.status}: ${first.body.slice(0, 500)}`);
    }
    const expected: Record<OpName, string> = { typename: typenameBody(), defaultBranch: first.body };
    const unauth = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: TYPENAME_QUERY }),
    });
    await unauth.text();
    if (unauth.status !== 401) throw new Error(`auth is not on: a request without a token got status ${unauth.status}, not 401`);
    children.push(await startServer(opts, 'yoga', 'yoga', hash));
    children.push(await startServer(opts, 'node', 'node', hash));
    progress(`servers up: ${children.map((c) => `${c.name} ${c.url}`).join(', ')}`);

    // Every server answers both operations exactly before anything is measured.
    for (const c of children) {
      for (const op of OPERATIONS) {
        const bad: string[] = [];
        if ((await validate(c.url, op.query, token, expected[op.name], 3, bad)) > 0) {
          throw new Error(`${SERVER_LABELS[c.name]} answers ${op.query} wrongly: ${bad.join(' | ')}`);
        }
      }
    }

    const measureOnce = async (c: Child, op: (typeof OPERATIONS)[number], round: number, durationSec: number): Promise<HttpRun> => {
      const bad: string[] = [];
      const loadAvg = os.loadavg()[0] ?? 0;
      let samples = 0;
      let badSamples = 0;
      const sample = async (n: number) => {
        samples += n;
        badSamples += await validate(c.url, op.query, token, expected[op.name], n, bad);
      };
      await sample(3);
      // A few responses under load, about one every 500 ms.
      let sampling = true;
      const during = (async () => {
        while (sampling) {
          await new Promise((r) => setTimeout(r, 500));
          if (sampling) await sample(1);
        }
      })();
      let result: AutocannonResult;
      try {
        result = await autocannon({
          url: `${c.url}/graphql`,
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: op.query }),
          connections: sizes.connections,
          pipelining: sizes.pipelining,
          duration: durationSec,
        });
      } finally {
        sampling = false;
        await during;
      }
      await sample(3);
      const run: HttpRun = {
        op: op.name,
        server: c.name,
        round,
        reqPerSec: result.requests.total / (result.duration || durationSec),
        requests: result.requests.total,
        p50Ms: result.latency.p50,
        p90Ms: result.latency.p90,
        p99Ms: result.latency.p99,
        meanMs: result.latency.mean,
        maxMs: result.latency.max,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v.count])),
        badSamples,
        samples,
        valid: result.requests.total > 0 && result.non2xx === 0 && result.errors === 0 && result.timeouts === 0 && badSamples === 0,
        loadAvg,
      };
      if (!run.valid) {
        errors.push(
          `${op.query} on ${SERVER_LABELS[c.name]}${round > 0 ? `, round ${round}` : ' (warm-up)'}: ${run.non2xx} non-2xx (statuses ${statusList(run.statuses)}), ${run.errors} errors, ${run.timeouts} timeouts of ` +
            `${run.requests} requests; ${badSamples}/${samples} bad samples${bad.length ? `: ${bad.join(' | ')}` : ''}`,
        );
      }
      return run;
    };

    // Warm-up (not reported), each case once.
    for (const op of OPERATIONS) {
      for (const c of [...children]) {
        const w = await measureOnce(c, op, 0, sizes.warmupSec);
        progress(`  warm-up ${op.name.padEnd(13)} ${c.name.padEnd(21)} ${w.reqPerSec.toFixed(0)} req/s${w.valid ? '' : ' INVALID'}`);
        // A per-subject rate limit at its default answers 429 under load from one subject (a slow
        // warm-up on a busy machine may not hit it yet): always measure a gateway without it as well.
        if (c.name === 'gateway' && !children.some((x) => x.name === 'gateway-no-rate-limit')) {
          const rl = loadConfig(gatewayEnv).limits.rateLimit;
          notes.push(
            `One subject is allowed RATE_LIMIT_PER_SECOND (default ${rl.perSecond}/s, burst RATE_LIMIT_BURST ${rl.burst}), so under load the gateway at its default limits answers mostly 429 (rate limit exceeded, refused before the body is read); ` +
              `such rows measure rejections and are marked invalid. A second gateway with RATE_LIMIT_PER_SECOND=0 (everything else identical) is measured alongside.`,
          );
          const home2 = await opts.tempDir('cascade-bench-http-norl-');
          const g2 = await startServer(opts, 'gateway-no-rate-limit', 'gateway', JSON.stringify({ ...gatewayEnv, CASCADE_HOME: home2, RATE_LIMIT_PER_SECOND: '0' }), gatewayExecArgv);
          children.push(g2);
          const check = await post(g2.url, DEFAULT_BRANCH_QUERY, token);
          const h2 = (JSON.parse(check.body) as { data?: { defaultBranch?: { hash?: string } } }).data?.defaultBranch?.hash;
          if (h2 !== hash) throw new Error(`the second gateway's main hash differs (${h2} vs ${hash}): the bare servers' answers would not match`);
          for (const o of OPERATIONS) await measureOnce(g2, o, 0, sizes.warmupSec);
        }
      }
    }
    // Warm-up failures say nothing about the measurement (the rate-limit note covers 429s).
    errors.splice(0);

    for (let round = 1; round <= sizes.rounds; round++) {
      for (const op of OPERATIONS) {
        // Alternate the order between rounds so no server always runs right after the same one.
        const order = round % 2 === 1 ? [...children] : [...children].reverse();
        for (const c of order) {
          const r = await measureOnce(c, op, round, sizes.durationSec);
          runs.push(r);
          progress(
            `  round ${round} ${op.name.padEnd(13)} ${c.name.padEnd(21)} ${r.reqPerSec.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms} ms  p99 ${r.p99Ms} ms` +
              `${r.valid ? '' : `  INVALID (${r.non2xx} non-2xx, statuses ${statusList(r.statuses)}; ${r.errors} errors, ${r.badSamples} bad samples)`}  load ${r.loadAvg.toFixed(1)}`,
          );
        }
      }
    }
  } catch (e) {
    errors.push((e as Error).message);
    progress(`http: FAILED: ${(e as Error).stack ?? String(e)}`);
  } finally {
    await stopAll();
  }

  // ── summary
  for (const op of OPERATIONS) {
    for (const server of Object.keys(SERVER_LABELS) as ServerName[]) {
      const mine = runs.filter((r) => r.op === op.name && r.server === server);
      if (mine.length === 0) continue;
      const valid = mine.filter((r) => r.valid);
      const best = (valid.length > 0 ? valid : mine).reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
      report.rows.push({ op: op.name, query: op.query, server, serverLabel: SERVER_LABELS[server], best, rounds: mine.map((r) => r.reqPerSec), valid: valid.length === mine.length });
    }
    const row = (s: ServerName) => report.rows.find((r) => r.op === op.name && r.server === s);
    for (const g of ['gateway', 'gateway-no-rate-limit'] as const) {
      const gw = row(g);
      if (!gw) continue;
      const yoga = row('yoga');
      const node = row('node');
      const ratio = (a: number, b: number | undefined) => (b ? a / b : null);
      const vsYoga = ratio(gw.best.reqPerSec, yoga?.best.reqPerSec);
      const vsNode = ratio(gw.best.reqPerSec, node?.best.reqPerSec);
      const valid = gw.valid && Boolean(yoga?.valid) && Boolean(node?.valid);
      report.ratios.push({
        op: op.name,
        gateway: g,
        vsYoga,
        vsNode,
        p99VsYoga: ratio(gw.best.p99Ms, yoga?.best.p99Ms),
        p99VsNode: ratio(gw.best.p99Ms, node?.best.p99Ms),
        yogaGoalMet: vsYoga === null ? null : valid && vsYoga >= HTTP_GOALS.vsYoga,
        nodeGoalMet: vsNode === null ? null : valid && vsNode >= HTTP_GOALS.vsNode,
        valid,
      });
    }
  }
  const maxLoad = Math.max(loadStart, os.loadavg()[0] ?? 0, ...runs.map((r) => r.loadAvg));
  notes.push(
    `Load generator: autocannon ${sizes.connections} connections, pipelining ${sizes.pipelining}, in the bench process; each server in its own child process (Node ${process.version}, NODE_ENV=production) on 127.0.0.1. ` +
      `Requests: POST /graphql, content-type and accept application/json, Authorization: Bearer <HS256 token, role viewer> (the bare servers ignore it). ` +
      `Reported: the round with the highest req/s of each case (all rounds in the JSON). On ${os.cpus().length} cores the load generator competes with the server for CPU, which caps the bare servers most.`,
  );
  if (maxLoad > os.cpus().length) {
    notes.push(
      `The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores (other processes). Absolute figures are inflated and noisy; ratios less so, as the cases alternate in every round.`,
    );
  }
  if (sizes.mode === 'quick') notes.push('Quick mode: short runs; the ratios are a smoke check, not the goal measurement.');
  if (profDir) notes.push(`The gateway child ran with --cpu-prof (profiles in ${profDir}), which slows it down: not a goal measurement.`);
  report.finishedAt = new Date().toISOString();
  report.durationSec = (Date.now() - startedAt.getTime()) / 1000;
  report.machine.loadAvgEnd = os.loadavg()[0] ?? 0;
  const md = toMarkdown(report);
  process.stdout.write(`\n${md}`);
  await mkdir(opts.outDir, { recursive: true });
  const mdFile = path.join(opts.outDir, 'http-latest.md');
  const jsonFile = path.join(opts.outDir, 'http-latest.json');
  await writeFile(mdFile, md);
  await writeFile(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  progress(`http report written to ${path.relative(process.cwd(), mdFile)} and ${path.relative(process.cwd(), jsonFile)}`);
  return errors;
}

// ───────────────────────────── report ─────────────────────────────

const num = (v: number, d = 0) => v.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
const met = (v: boolean | null, valid = true) => (v === null ? '–' : !valid ? 'invalid' : v ? '✅' : '❌');
const statusList = (s: Record<string, number>) => Object.entries(s).map(([k, v]) => `${v} × ${k}`).join(', ');

export function toMarkdown(r: HttpReport): string {
  const lines: string[] = [];
  lines.push(`# HTTP benchmark (${r.mode})`, '');
  lines.push(
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node} · ` +
      `load ${r.machine.loadAvgStart.toFixed(1)} → ${r.machine.loadAvgEnd.toFixed(1)} · ${r.sizes.connections} connections, ${r.sizes.durationSec} s per case, best of ${r.sizes.rounds} interleaved rounds`,
    '',
  );
  lines.push('| operation | server | req/s | p50 ms | p99 ms | rounds (req/s) | valid |', '|---|---|--:|--:|--:|---|:-:|');
  for (const row of r.rows) {
    lines.push(
      `| \`${row.query}\` | ${row.serverLabel} | ${num(row.best.reqPerSec)} | ${num(row.best.p50Ms)} | ${num(row.best.p99Ms)} | ${row.rounds.map((v) => num(v)).join(' / ')} | ${row.valid ? '✅' : '❌'} |`,
    );
  }
  lines.push('');
  lines.push(
    `| operation | gateway | req/s ÷ bare yoga | goal ≥ ${r.goals.vsYoga}× | req/s ÷ bare node:http | goal ≥ ${r.goals.vsNode}× | p99 ÷ yoga | p99 ÷ node:http |`,
    '|---|---|--:|:-:|--:|:-:|--:|--:|',
  );
  for (const q of r.ratios) {
    const query = OPERATIONS.find((o) => o.name === q.op)!.query;
    lines.push(
      `| \`${query}\` | ${SERVER_LABELS[q.gateway]} | ${x(q.vsYoga)} | ${met(q.yogaGoalMet, q.valid)} | ${x(q.vsNode)} | ${met(q.nodeGoalMet, q.valid)} | ${x(q.p99VsYoga)} | ${x(q.p99VsNode)} |`,
    );
  }
  lines.push('');
  if (r.notes.length) lines.push('Notes:', '', ...r.notes.map((n) => `- ${n}`), '');
  if (r.errors.length) lines.push('Errors:', '', ...r.errors.map((e) => `- ${e}`), '');
  return `${lines.join('\n')}\n`;
}
