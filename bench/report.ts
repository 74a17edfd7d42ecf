import { notesAndErrors, table, writeReportFiles } from './markdown.js';
/**
 * Report printing: the operations table (median, p95, ops/s, ratio against Nessie direct measured in
 * the same run, goal met), the growth table, as Markdown (printed and written to
 * bench/results/latest.md) and as JSON (bench/results/latest.json).
 */
import os from 'node:os';
import { labelOf, type BackendName } from './drivers.js';
import type { Fixture, GrowthResult, OpName, OpResult, Sizes } from './scenarios.js';
import { OPS } from './scenarios.js';

/** Ratio goals against Nessie direct (backend median / Nessie direct median). */
export const GOALS: Partial<Record<BackendName, { max: number; text: string }>> = {
  'embedded-pglite': { max: 1.0, text: '≤ 1.0× (as fast as Nessie)' },
  'embedded-postgres': { max: 1.0, text: '≤ 1.0× (as fast as Nessie)' },
  'nessie-gateway': { max: 1.2, text: '≤ 1.2×' },
};
export const GROWTH_GOAL = 2.0;

export interface OpRow {
  op: OpName;
  opLabel: string;
  backend: BackendName;
  backendLabel: string;
  n: number;
  medianMs: number;
  p95Ms: number;
  meanMs: number;
  opsPerSec: number;
  /** 1-minute load average when this operation's measurement started. */
  loadAvg: number;
  /** Median / Nessie direct's median for the same operation, when both were measured. */
  ratioVsNessie: number | null;
  goal: string | null;
  goalMet: boolean | null;
}

export interface GrowthRow {
  backend: BackendName;
  backendLabel: string;
  op: 'content' | 'log';
  opLabel: string;
  small: { commits: number; keys: number; medianMs: number; p95Ms: number };
  large: { commits: number; keys: number; medianMs: number; p95Ms: number };
  /** large median / small median */
  growth: number;
  goalMet: boolean;
}

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSec: number;
  mode: Sizes['mode'];
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string; platform: string; loadAvgStart: number; loadAvgEnd: number };
  sizes: Sizes;
  fixtureBuildRates: { backend: BackendName; commitsPerSec: number }[];
  ops: OpRow[];
  growth: GrowthRow[];
  growthBuilds: {
    backend: BackendName;
    small: { commits: number; keys: number };
    large: { commits: number; keys: number };
    plannedLarge: { commits: number; keys: number };
    commitsPerSecSmall: number;
    commitsPerSecLarge: number;
    buildSeconds: number;
    reduced: string | null;
  }[];
  notes: string[];
  errors: string[];
}

export function opRows(results: OpResult[]): OpRow[] {
  const peer = new Map(results.filter((r) => r.backend === 'nessie-direct').map((r) => [r.op, r.summary.medianMs]));
  const order = new Map(OPS.map((o, i) => [o.name, i]));
  const backendOrder: BackendName[] = ['embedded-pglite', 'embedded-postgres', 'nessie-gateway', 'nessie-direct'];
  return [...results]
    .sort((a, b) => order.get(a.op)! - order.get(b.op)! || backendOrder.indexOf(a.backend) - backendOrder.indexOf(b.backend))
    .map((r) => {
      const p = peer.get(r.op);
      const ratio = p && r.backend !== 'nessie-direct' ? r.summary.medianMs / p : null;
      const goal = GOALS[r.backend];
      return {
        op: r.op,
        opLabel: OPS.find((o) => o.name === r.op)!.label,
        backend: r.backend,
        backendLabel: labelOf(r.backend),
        n: r.summary.n,
        medianMs: r.summary.medianMs,
        p95Ms: r.summary.p95Ms,
        meanMs: r.summary.meanMs,
        opsPerSec: r.summary.opsPerSec,
        loadAvg: r.loadAvg,
        ratioVsNessie: ratio,
        goal: goal?.text ?? (r.backend === 'nessie-direct' ? 'peer' : null),
        goalMet: goal && ratio !== null ? ratio <= goal.max : null,
      };
    });
}

export function growthRows(results: GrowthResult[]): GrowthRow[] {
  return results.flatMap((g) =>
    (['content', 'log'] as const).map((op) => {
      const s = g.small[op];
      const l = g.large[op];
      const growth = l.medianMs / s.medianMs;
      return {
        backend: g.backend,
        backendLabel: labelOf(g.backend),
        op,
        opLabel: op === 'content' ? 'content lookup' : 'log page of 100',
        small: { commits: g.small.commits, keys: g.small.keys, medianMs: s.medianMs, p95Ms: s.p95Ms },
        large: { commits: g.large.commits, keys: g.large.keys, medianMs: l.medianMs, p95Ms: l.p95Ms },
        growth,
        goalMet: growth <= GROWTH_GOAL,
      };
    }),
  );
}

export function machine(): Omit<BenchReport['machine'], 'loadAvgStart' | 'loadAvgEnd'> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

export function fixtureRates(fixtures: Fixture[]): BenchReport['fixtureBuildRates'] {
  return fixtures.map((f) => ({ backend: f.driver.name, commitsPerSec: f.buildRate }));
}

// ───────────────────────────── formatting ─────────────────────────────

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const num = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : '–');
const ratio = (x: number | null) => (x === null ? '–' : `${x.toFixed(2)}×`);
const yesNo = (b: boolean | null) => (b === null ? '–' : b ? 'yes' : '**NO**');
const int = (x: number) => x.toLocaleString('en-US');

export function toMarkdown(r: BenchReport): string {
  const out: string[] = [];
  out.push(`# Catalog benchmark (${r.mode})`);
  out.push('');
  out.push(
    `${r.startedAt} · ${r.durationSec.toFixed(0)} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB · Node ${r.machine.node} · ${r.machine.platform} · load average ${r.machine.loadAvgStart.toFixed(1)} at start, ${r.machine.loadAvgEnd.toFixed(1)} at end`,
  );
  out.push('');
  if (r.ops.length > 0) {
    out.push(
      `Fixture per backend: namespace + ${int(r.sizes.baseKeys)} Iceberg tables, one commit each. Merge: ${r.sizes.mergeCommits}-commit branch, ` +
        `${r.sizes.mergeKeysPerCommit} keys per commit (${int(r.sizes.mergeCommits * r.sizes.mergeKeysPerCommit)} keys), target moved by one commit. ` +
        `One client, sequential calls, each operation's iterations alternating between backends; ops/s = 1000 / mean. Ratio = median / Nessie direct's median (lower is better).`,
    );
    out.push('');
    out.push('## Operations');
    out.push('');
    out.push(
      table(
        ['operation', 'backend', 'n', 'median ms', 'p95 ms', 'ops/s', '× Nessie direct', 'goal', 'met'],
        r.ops.map((o) => [o.opLabel, o.backendLabel, String(o.n), ms(o.medianMs), ms(o.p95Ms), num(o.opsPerSec), ratio(o.ratioVsNessie), o.goal ?? '–', yesNo(o.goalMet)]),
        ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
      ),
    );
    out.push('');
    const misses = r.ops.filter((o) => o.goalMet === false);
    out.push(
      misses.length === 0
        ? `All ratio goals met (${r.ops.filter((o) => o.goalMet).length} checked).`
        : `Ratio goals missed: ${misses.map((o) => `${o.opLabel} on ${o.backendLabel} (${ratio(o.ratioVsNessie)})`).join('; ')}.`,
    );
  }
  if (r.fixtureBuildRates.length > 0) {
    out.push('');
    out.push(`Fixture build rate (single-table commits via each backend): ${r.fixtureBuildRates.map((f) => `${labelOf(f.backend)} ${f.commitsPerSec.toFixed(0)}/s`).join(', ')}.`);
  }
  if (r.growth.length > 0) {
    out.push('');
    out.push('## Growth');
    out.push('');
    out.push(
      `The same reads on a small and a large history, each built with the backend's own commit (one table per commit: new tables until the key count is reached, then updates); ` +
        `embedded: a separate store per history, Nessie: two branches of one server. Both measured after reopening the stores (empty in-process caches), iterations alternating between the two, ` +
        `on ${r.sizes.growth.lookups} distinct random keys and ${r.sizes.growth.logPages} random log start commits each. Goal: grows at most ${GROWTH_GOAL}×.`,
    );
    out.push('');
    out.push(
      table(
        ['backend', 'operation', 'small history', 'median / p95 ms', 'large history', 'median / p95 ms', 'growth', 'met'],
        r.growth.map((g) => [
          g.backendLabel,
          g.opLabel,
          `${int(g.small.commits)} commits, ${int(g.small.keys)} keys`,
          `${ms(g.small.medianMs)} / ${ms(g.small.p95Ms)}`,
          `${int(g.large.commits)} commits, ${int(g.large.keys)} keys`,
          `${ms(g.large.medianMs)} / ${ms(g.large.p95Ms)}`,
          `${g.growth.toFixed(2)}×`,
          yesNo(g.goalMet),
        ]),
        ['l', 'l', 'l', 'r', 'l', 'r', 'r', 'l'],
      ),
    );
    out.push('');
    for (const b of r.growthBuilds) {
      out.push(
        `- ${labelOf(b.backend)}: histories built with the backend's own commit at ${b.commitsPerSecSmall.toFixed(0)} commits/s (${int(b.small.commits)} commits) and ` +
          `${b.commitsPerSecLarge.toFixed(0)} commits/s (${int(b.large.commits)} commits), ${b.buildSeconds.toFixed(0)} s in all` +
          (b.reduced ? `; reduced from the planned ${int(b.plannedLarge.commits)} commits: ${b.reduced}` : '') +
          '.',
      );
    }
  }
  notesAndErrors(out, r.notes, r.errors);
  return out.join('\n');
}

export async function writeReport(dir: string, r: BenchReport): Promise<{ md: string; json: string }> {
  return writeReportFiles(dir, 'latest', toMarkdown(r), r);
}
