/**
 * The runs benchmark (`npm run bench -- --only=runs`, hooked into bench/run.ts): Write-Audit-Publish
 * pipeline runs, each scenario against a peer measured in the same run.
 *
 *   runs.fanout  N graphql-ws subscribers of one run receiving 10 events/s: the largest N with p95
 *                delivery ≤ 500 ms, vs a bare `ws` broadcast server (bench/runs-fanout.ts)
 *   runs.wap     a WAP run of 1,000,000 rows through 3 models and 5 audits, timed by step, vs the
 *                same SQL directly in DuckDB (bench/runs-wap.ts)
 *
 * Writes bench/results/runs-latest.md and runs-latest.json (one scenario: runs-<name>-latest.*).
 */
import os from 'node:os';
import path from 'node:path';
import type { SuiteRunOptions } from './suite.js';
import { machine } from './report.js';
import { notesAndErrors, table, writeReportFiles } from './markdown.js';
import { FANOUT_FULL, FANOUT_QUICK, runFanout, type FanoutResult } from './runs-fanout.js';
import { runWap, WAP_FULL, WAP_QUICK, type WapResult } from './runs-wap.js';
import type { Env } from './runs-support.js';

export const RUNS_SCENARIOS = ['fanout', 'wap'] as const;
export type RunsScenario = (typeof RUNS_SCENARIOS)[number];

export interface RunsRunOptions extends SuiteRunOptions {
  scenarios?: readonly RunsScenario[];
}

export interface RunsReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: 'full' | 'quick';
  machine: ReturnType<typeof machine> & { loadAvgStart: number; loadAvgEnd: number; ulimitNoFile: string };
  fanout: FanoutResult | null;
  wap: WapResult | null;
  notes: string[];
  errors: string[];
}

export async function runRunsBench(opts: RunsRunOptions): Promise<string[]> {
  const only = new Set(opts.scenarios ?? RUNS_SCENARIOS);
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const errors: string[] = [];
  const notes: string[] = [];
  const mode = opts.quick ? 'quick' : 'full';
  const report: RunsReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSec: 0,
    mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: 0, ulimitNoFile: await noFileLimit() },
    fanout: null,
    wap: null,
    notes,
    errors,
  };
  progress(`runs benchmark (${mode}): ${[...only].map((s) => `runs.${s}`).join(', ')}`);

  const scenario = async <T>(name: RunsScenario, run: (env: Env) => Promise<T>): Promise<T | null> => {
    if (!only.has(name)) return null;
    const mine: (() => Promise<unknown>)[] = [];
    const all = async () => {
      for (const c of mine.splice(0).reverse()) await c().catch((e: unknown) => progress(`cleanup failed: ${(e as Error).message}`));
    };
    opts.cleanups.push(all);
    const t0 = Date.now();
    progress(`runs.${name}: starting`);
    try {
      const out = await run({ progress, tempDir: opts.tempDir, onCleanup: (fn) => mine.push(fn) });
      progress(`runs.${name}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      return out;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      progress(`runs.${name}: FAILED: ${(e as Error).stack ?? String(e)}`);
      return null;
    } finally {
      await all();
    }
  };

  report.fanout = await scenario('fanout', (env) => runFanout(opts.quick ? FANOUT_QUICK : FANOUT_FULL, env));
  report.wap = await scenario('wap', (env) => runWap(opts.quick ? WAP_QUICK : WAP_FULL, env));

  const maxLoad = Math.max(loadStart, os.loadavg()[0] ?? 0, ...(report.fanout?.levels.map((l) => l.loadAvg) ?? []), ...(report.wap?.rounds.map((r) => r.loadAvg) ?? []));
  if (maxLoad > os.cpus().length) {
    notes.push(
      `The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores (other processes). Absolute figures are inflated and noisy; ` +
        'the fan-out levels alternate gateway and bare ws, and the WAP rounds alternate sides, so the comparisons are less affected.',
    );
  }
  if (mode === 'quick') notes.push('Quick mode: smaller sizes than the goals are stated for; a smoke check, not the goal measurement.');
  report.finishedAt = new Date().toISOString();
  report.durationSec = (Date.now() - startedAt.getTime()) / 1000;
  report.machine.loadAvgEnd = os.loadavg()[0] ?? 0;
  const md = toMarkdown(report);
  process.stdout.write(`\n${md}`);
  const subset = only.size < RUNS_SCENARIOS.length ? RUNS_SCENARIOS.filter((s) => only.has(s)) : null;
  const files = await writeReportFiles(opts.outDir, subset ? `runs-${subset.join('-')}-latest` : 'runs-latest', md, report);
  progress(`runs report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return errors;
}

async function noFileLimit(): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => execFile('sh', ['-c', 'ulimit -n'], (err, out) => resolve(err ? 'unknown' : out.trim())));
}

// ───────────────────────────── report ─────────────────────────────

const ms = (v: number | null | undefined) => (v === null || v === undefined || Number.isNaN(v) ? '–' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v).toLocaleString('en-US')} ms`);
const x = (v: number | null) => (v === null || !Number.isFinite(v) ? '–' : `${v.toFixed(2)}×`);
const yes = (v: boolean) => (v ? '✅' : '❌');

export function toMarkdown(r: RunsReport): string {
  const out: string[] = [];
  out.push(`# Runs benchmark (${r.mode})`, '');
  out.push(
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node} · ` +
      `load ${r.machine.loadAvgStart.toFixed(1)} → ${r.machine.loadAvgEnd.toFixed(1)} · ulimit -n ${r.machine.ulimitNoFile}`,
  );
  const f = r.fanout;
  if (f) {
    out.push('', `## runs.fanout: subscribers of one run at ${f.sizes.ratePerSec} events/s`, '');
    out.push(
      `Largest N with p95 delivery ≤ ${f.goals.p95Ms} ms (every subscriber receiving, the source at ≥ 80% of its rate as seen by the median subscriber, ≥ 95% of events delivered in a ${f.sizes.windowSec} s window, no gaps or duplicates): ` +
        `**gateway ${f.largest.gateway.toLocaleString('en-US')}**, bare ws ${f.wsNAtLeast ? '≥ ' : ''}${f.largest.ws.toLocaleString('en-US')}; ` +
        `ratio ${f.wsNAtLeast ? '≤ ' : ''}${x(f.ratio)} (goal ≥ ${f.goals.vsWs}× ${f.ratio === null ? '–' : f.ratioGoalMet === null ? 'undetermined: raise the top level until bare ws fails' : yes(f.ratioGoalMet)}); ` +
        `gateway ≥ ${f.goals.minSubscribers.toLocaleString('en-US')} ${yes(f.minGoalMet)}.`,
      '',
    );
    out.push(
      table(
        ['N', 'server', 'receiving', 'connect', 'p50', 'p95', 'p99', 'max', 'events/sub', 'delivered', 'pass'],
        f.levels.map((l) => [
          l.n.toLocaleString('en-US'),
          l.side === 'gateway' ? 'gateway (graphql-ws runEvents)' : 'bare ws broadcast',
          l.ready.toLocaleString('en-US'),
          `${l.connectSec.toFixed(1)} s`,
          ms(l.p50Ms),
          ms(l.p95Ms),
          ms(l.p99Ms),
          ms(l.maxMs),
          String(l.producedInWindow),
          `${(l.deliveredRatio * 100).toFixed(1)}%`,
          l.pass ? '✅' : `❌ ${l.reason ?? ''}`,
        ]),
        ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      ),
    );
    out.push(
      '',
      `Subscription: \`${f.subscription}\`. Driver: a run of a pipeline whose rows function waits, with RUN_PROGRESS_MS=${f.gatewayEnv.RUN_PROGRESS_MS} (STEP_PROGRESS every ${f.gatewayEnv.RUN_PROGRESS_MS} ms); one run per level. ` +
        `Bare ws: a \`ws\` WebSocketServer sending one message of the same shape (${JSON.stringify(f.samplePayload ?? {}).length} bytes of event JSON) to every client ${f.sizes.ratePerSec} times a second. ` +
        `Latency = receive time in the load worker − the event's \`at\` (same machine clock). Subscribers: ${f.sizes.workers} worker processes (graphql-ws clients over \`ws\`, or plain \`ws\` clients), each server in its own process; levels alternate gateway and bare ws; a side stops at its first failing level.`,
    );
    for (const n of f.notes) out.push('', n);
  }
  const w = r.wap;
  if (w) {
    out.push('', `## runs.wap: a WAP run of ${w.sizes.rows.toLocaleString('en-US')} rows, 3 models, 5 audits`, '');
    out.push(
      `Total (RUN_STARTED → RUN_SUCCEEDED): **gateway ${ms(w.total.gatewayMs)}** (startRun → seen SUCCEEDED ${ms(w.total.gatewayEndToEndMs)}) vs DuckDB direct ${ms(w.total.duckdbMs)}: **${x(w.total.ratio)}**. ` +
        `Input: ${(w.file.bytes / 2 ** 20).toFixed(1)} MiB Parquet (${w.file.columns}).`,
      '',
    );
    out.push(
      table(
        ['step', 'kind', 'gateway', 'gateway work (elapsedMs)', 'DuckDB direct', 'gateway ÷ DuckDB'],
        w.rows.map((s) => [s.step, s.kind, ms(s.gatewayMs), ms(s.gatewayElapsedMs), ms(s.duckdbMs), x(s.ratio)]),
        ['l', 'l', 'r', 'r', 'r', 'r'],
      ),
    );
    for (const n of w.notes) out.push('', n);
  }
  notesAndErrors(out, r.notes, r.errors);
  return `${out.join('\n')}\n`;
}
