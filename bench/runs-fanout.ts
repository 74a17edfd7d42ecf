/**
 * runs.fanout: N graphql-ws subscribers of one run's `runEvents` while the run emits 10 events/s
 * (STEP_PROGRESS with RUN_PROGRESS_MS=100 from a driver pipeline whose rows function just waits),
 * delivery latency = receive time − the event's `at`; N steps up until p95 > 500 ms. The peer, in
 * the same run and interleaved level by level: a bare `ws` WebSocketServer broadcasting a message
 * of the same shape at the same rate. Each server is a child process (bench/runs-servers.ts); the
 * subscribers live in two worker processes (bench/runs-fanout-clients.ts).
 *
 * BENCH_RUNS_CPU_PROF=<dir> starts the gateway child with --cpu-prof into that directory;
 * BENCH_RUNS_FANOUT_LEVELS=1000,2000 replaces the ramp's levels.
 */
import os from 'node:os';
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { histPercentile, runState, sleep, startChild, startRun, type ChildHandle, type Env } from './runs-support.js';

export const FANOUT_FULL = { levels: [500, 1000, 2000, 3000, 5000, 7500, 10000, 15000], windowSec: 10, ratePerSec: 10, workers: 2, connectConcurrency: 50 };
export const FANOUT_QUICK = { levels: [200, 500, 1000], windowSec: 5, ratePerSec: 10, workers: 2, connectConcurrency: 50 };
export type FanoutSizes = typeof FANOUT_FULL;

export const FANOUT_GOALS = { p95Ms: 500, vsWs: 0.5, minSubscribers: 5000 };

export type FanoutSide = 'gateway' | 'ws';

export interface FanoutLevel {
  side: FanoutSide;
  n: number;
  connected: number;
  ready: number;
  connectSec: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Most events one subscriber received in the window (what the source produced, as seen). */
  producedInWindow: number;
  /** Deliveries in the window ÷ (N × producedInWindow). */
  deliveredRatio: number;
  perClientMin: number;
  gaps: number;
  dups: number;
  closedDuring: number;
  pass: boolean;
  reason: string | null;
  loadAvg: number;
  errors: string[];
}

export interface FanoutResult {
  sizes: FanoutSizes;
  goals: typeof FANOUT_GOALS;
  levels: FanoutLevel[];
  largest: Record<FanoutSide, number>;
  ratio: number | null;
  /** null: undetermined (the bare server's N is only a lower bound and the ratio an upper bound at or above the goal). */
  ratioGoalMet: boolean | null;
  /** The bare ws server passed the top level: its N is at least that. */
  wsNAtLeast: boolean;
  minGoalMet: boolean;
  subscription: string;
  gatewayEnv: Record<string, string>;
  samplePayload: unknown;
  notes: string[];
}

const SUBSCRIPTION = 'subscription($id: ID!) { runEvents(runId: $id, after: -1) { seq at type step data } }';

const DRIVER_PIPELINE = `
// The fan-out driver: a run that stays in its ingest step, so the engine emits STEP_PROGRESS every
// RUN_PROGRESS_MS, until the bench adds the run's tag to globalThis.__cascadeBenchStop (or time is up).
export default {
  name: 'fanout_driver',
  description: 'Stays in one step (progress events only) until the benchmark stops it',
  params: { tag: { type: 'String', default: 'x' }, seconds: { type: 'Int', default: 900 } },
  ingest: [{
    name: 'ticks',
    table: 'raw.fanout_ticks',
    source: {
      kind: 'rows',
      rows: async function* (p) {
        const stop = (globalThis.__cascadeBenchStop ??= new Set());
        const until = Date.now() + Number(p.seconds) * 1000;
        while (!stop.has(p.tag) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
        yield [];
      },
    },
  }],
  publish: { merge: false },
};
`;

export async function runFanout(planned: FanoutSizes, env: Env): Promise<FanoutResult> {
  const { progress } = env;
  const notes: string[] = [];
  const levelsEnv = process.env.BENCH_RUNS_FANOUT_LEVELS?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
  const sizes = levelsEnv?.length ? { ...planned, levels: levelsEnv } : planned;
  if (levelsEnv?.length) notes.push(`Levels set by BENCH_RUNS_FANOUT_LEVELS: ${levelsEnv.join(', ')}.`);
  const home = await env.tempDir('cascade-bench-runs-fanout-');
  const pipelines = path.join(home, 'pipelines');
  await import('node:fs/promises').then((fs) => fs.mkdir(pipelines, { recursive: true }));
  await writeFile(path.join(pipelines, 'fanout_driver.ts'), DRIVER_PIPELINE);
  const gatewayEnv: Record<string, string> = {
    CASCADE_HOME: path.join(home, 'home'),
    CASCADE_DEMO: '0',
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    PIPELINES_DIR: pipelines,
    RUN_PROGRESS_MS: String(Math.round(1000 / sizes.ratePerSec)),
    RUN_POLL_MS: '200',
    RATE_LIMIT_PER_SECOND: '0',
  };
  const profDir = process.env.BENCH_RUNS_CPU_PROF;
  const gateway = await startChild('runs-servers.ts', ['gateway', JSON.stringify(gatewayEnv)], 'gateway', env, {
    nodeArgs: profDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`] : [],
  });
  if (profDir) notes.push(`The gateway ran with --cpu-prof (profiles in ${profDir}), which slows it down: not a goal measurement.`);
  const bare = await startChild('runs-servers.ts', ['ws', String(sizes.ratePerSec)], 'bare ws server', env);
  const workers: ChildHandle[] = [];
  for (let i = 0; i < sizes.workers; i++) workers.push(await startChild('runs-fanout-clients.ts', [], `load worker ${i + 1}`, env));
  const gatewayUrl = gateway.ready.url as string;
  const wsUrl = bare.ready.url as string;
  progress(`runs.fanout: gateway ${gatewayUrl}, bare ws ${wsUrl}, ${workers.length} load workers; levels ${sizes.levels.join(', ')}; ${sizes.windowSec} s windows at ${sizes.ratePerSec} events/s`);

  const levels: FanoutLevel[] = [];
  const failed = new Set<FanoutSide>();
  let samplePayload: unknown = null;
  let runSeq = 0;

  const measureLevel = async (side: FanoutSide, n: number): Promise<FanoutLevel> => {
    let runId: string | null = null;
    const tag = `level-${side}-${n}-${++runSeq}`;
    const loadAvg = os.loadavg()[0] ?? 0;
    const errors: string[] = [];
    try {
      if (side === 'gateway') {
        runId = await startRun(gatewayUrl, 'fanout_driver', { tag, seconds: 1800 });
        const until = Date.now() + 60_000;
        for (;;) {
          const st = await runState(gatewayUrl, runId);
          const tick = st.events.find((e) => e.type === 'STEP_PROGRESS');
          if (tick) {
            if (!samplePayload) {
              samplePayload = { seq: tick.seq, at: tick.at, type: tick.type, step: tick.step, data: tick.data };
              bare.send({ type: 'payload', data: { type: tick.type, step: tick.step, data: tick.data } });
            }
            break;
          }
          if (st.status !== 'RUNNING' && st.status !== 'QUEUED') throw new Error(`the driver run ended (${st.status}): ${st.error}`);
          if (Date.now() > until) throw new Error('the driver run emitted no STEP_PROGRESS within 60 s');
          await sleep(200);
        }
      }
      // Connect, split over the workers.
      const t0 = Date.now();
      const shares = workers.map((_, i) => Math.floor(n / workers.length) + (i < n % workers.length ? 1 : 0));
      const connected = await Promise.all(
        workers.map((w, i) =>
          w.request<{ opened: number; failed: number; errors: string[] }>(
            { type: 'connect', url: side === 'gateway' ? gatewayUrl : wsUrl, kind: side, count: shares[i], query: SUBSCRIPTION, variables: { id: runId }, concurrency: sizes.connectConcurrency },
            'connected',
          ),
        ),
      );
      const opened = connected.reduce((a, c) => a + c.opened, 0);
      errors.push(...connected.flatMap((c) => c.errors));
      // Ready: every subscriber received an event (its subscription is live on the server).
      const readyBy = Date.now() + 60_000 + n * 20;
      let ready = 0;
      for (;;) {
        const st = await Promise.all(workers.map((w) => w.request<{ ready: number; open: number }>({ type: 'status' }, 'status')));
        ready = st.reduce((a, s) => a + s.ready, 0);
        if (ready >= n || Date.now() > readyBy) break;
        await sleep(500);
      }
      const connectSec = (Date.now() - t0) / 1000;
      progress(`  ${side.padEnd(7)} N=${String(n).padStart(5)}: ${opened} connected, ${ready} receiving after ${connectSec.toFixed(1)} s`);
      let result: FanoutLevel = {
        side, n, connected: opened, ready, connectSec, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, producedInWindow: 0, deliveredRatio: 0,
        perClientMin: 0, gaps: 0, dups: 0, closedDuring: 0, pass: false, reason: null, loadAvg, errors,
      };
      if (ready < n) {
        result.reason = `only ${ready} of ${n} subscribers received events within ${Math.round((readyBy - t0) / 1000)} s (${opened} connected)`;
        return result;
      }
      await sleep(2000);
      type WorkerResult = { hist: [number, number][]; clients: number; open: number; received: number; perClientMin: number; perClientMedian: number; gaps: number; dups: number; closedDuring: number; errors: string[]; perClientMax?: number };
      const results = await Promise.all(workers.map((w) => w.request<WorkerResult>({ type: 'measure', ms: sizes.windowSec * 1000 }, 'result', sizes.windowSec * 1000 + 120_000)));
      const hist = new Map<number, number>();
      for (const r of results) for (const [ms, c] of r.hist) hist.set(ms, (hist.get(ms) ?? 0) + c);
      const received = results.reduce((a, r) => a + r.received, 0);
      const produced = Math.max(...results.map((r) => r.perClientMedian));
      result = {
        ...result,
        p50Ms: histPercentile(hist, 50),
        p95Ms: histPercentile(hist, 95),
        p99Ms: histPercentile(hist, 99),
        maxMs: Math.max(...hist.keys()),
        producedInWindow: produced,
        deliveredRatio: produced > 0 ? received / (n * produced) : 0,
        perClientMin: Math.min(...results.map((r) => r.perClientMin)),
        gaps: results.reduce((a, r) => a + r.gaps, 0),
        dups: results.reduce((a, r) => a + r.dups, 0),
        closedDuring: results.reduce((a, r) => a + r.closedDuring, 0),
        loadAvg: Math.max(loadAvg, os.loadavg()[0] ?? 0),
      };
      errors.push(...results.flatMap((r) => r.errors));
      const expected = sizes.ratePerSec * sizes.windowSec;
      const reasons: string[] = [];
      if (!(result.p95Ms <= FANOUT_GOALS.p95Ms)) reasons.push(`p95 ${result.p95Ms} ms > ${FANOUT_GOALS.p95Ms} ms`);
      // 80%: timers and store writes jitter on a busy machine; a server that cannot keep up falls far below.
      if (produced < 0.8 * expected) reasons.push(`${produced} events per subscriber in the ${sizes.windowSec} s window, fewer than 80% of ${expected}`);
      if (result.deliveredRatio < 0.95) reasons.push(`only ${(result.deliveredRatio * 100).toFixed(1)}% of the events delivered in the window`);
      if (result.gaps > 0 || result.dups > 0) reasons.push(`${result.gaps} gaps and ${result.dups} duplicates in seq`);
      if (result.closedDuring > 0) reasons.push(`${result.closedDuring} connections closed during the window`);
      result.pass = reasons.length === 0;
      result.reason = reasons.length ? reasons.join('; ') : null;
      return result;
    } finally {
      await Promise.all(workers.map((w) => w.request({ type: 'close' }, 'closed', 120_000).catch((e: unknown) => errors.push(`closing clients: ${(e as Error).message}`))));
      if (runId) {
        gateway.send({ type: 'stop-run', tag });
        const until = Date.now() + 60_000;
        while (Date.now() < until) {
          const st = await runState(gatewayUrl, runId).catch(() => null);
          if (st && st.status !== 'RUNNING' && st.status !== 'QUEUED') break;
          await sleep(250);
        }
      }
      await sleep(1000);
    }
  };

  for (const n of sizes.levels) {
    for (const side of ['gateway', 'ws'] as const) {
      if (failed.has(side)) continue;
      let level: FanoutLevel;
      try {
        level = await measureLevel(side, n);
      } catch (e) {
        level = {
          side, n, connected: 0, ready: 0, connectSec: 0, p50Ms: NaN, p95Ms: NaN, p99Ms: NaN, maxMs: NaN, producedInWindow: 0, deliveredRatio: 0,
          perClientMin: 0, gaps: 0, dups: 0, closedDuring: 0, pass: false, reason: `failed: ${(e as Error).message}`, loadAvg: os.loadavg()[0] ?? 0, errors: [],
        };
      }
      levels.push(level);
      progress(
        `  ${side.padEnd(7)} N=${String(n).padStart(5)}: p50 ${level.p50Ms} ms, p95 ${level.p95Ms} ms, p99 ${level.p99Ms} ms, ` +
          `${level.producedInWindow} events/subscriber, delivered ${(level.deliveredRatio * 100).toFixed(1)}% ${level.pass ? 'PASS' : `FAIL: ${level.reason}`}  load ${level.loadAvg.toFixed(1)}`,
      );
      if (!level.pass) failed.add(side);
    }
    if (failed.size === 2) break;
  }
  for (const c of [...workers, bare, gateway]) await c.stop().catch(() => undefined);

  const largestOf = (side: FanoutSide) => Math.max(0, ...levels.filter((l) => l.side === side && l.pass).map((l) => l.n));
  const largest = { gateway: largestOf('gateway'), ws: largestOf('ws') };
  const top = sizes.levels[sizes.levels.length - 1]!;
  if (!failed.has('ws') && largest.ws === top) notes.push(`The bare ws server passed every level up to ${top}: its N is at least that (the ramp ends there), so the ratio is an upper bound.`);
  if (!failed.has('gateway') && largest.gateway === top) notes.push(`The gateway passed every level up to ${top}: its N is at least that (the ramp ends there).`);
  const ratio = largest.ws > 0 ? largest.gateway / largest.ws : null;
  const wsNAtLeast = !failed.has('ws') && largest.ws === top;
  return {
    sizes,
    goals: FANOUT_GOALS,
    levels,
    largest,
    ratio,
    ratioGoalMet: ratio === null || ratio < FANOUT_GOALS.vsWs ? false : wsNAtLeast ? null : true,
    wsNAtLeast,
    minGoalMet: largest.gateway >= FANOUT_GOALS.minSubscribers,
    subscription: SUBSCRIPTION,
    gatewayEnv: { ...gatewayEnv, CASCADE_HOME: '(temp dir)', PIPELINES_DIR: '(temp dir with fanout_driver.ts)' },
    samplePayload,
    notes,
  };
}
