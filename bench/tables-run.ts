/**
 * The tables benchmark (`npm run bench -- --only=tables`, hooked into bench/run.ts): four scenarios
 * from bench/tables-scenarios.ts on the real gateway, each against a peer measured in the same run.
 * Each scenario gets its own gateway and temp home; a failing scenario is reported and the others
 * still run. Writes bench/results/tables-latest.md and tables-latest.json.
 */
import type { SuiteRunOptions } from './suite.js';
import os from 'node:os';
import path from 'node:path';
import { machine } from './report.js';
import { toMarkdown, writeTablesReport, type TablesReport } from './tables-report.js';
import { runAggregate, runAppend, runHistory, runListing, TABLES_FULL, TABLES_QUICK, type Env } from './tables-scenarios.js';

export const TABLES_SCENARIOS = ['aggregate', 'append', 'history', 'listing'] as const;
export type TablesScenario = (typeof TABLES_SCENARIOS)[number];

export interface TablesRunOptions extends SuiteRunOptions {
  /** Only these scenarios (default: all four); a subset's report goes to tables-<names>-latest.*. */
  scenarios?: readonly TablesScenario[];
}

/** Runs the scenarios, prints and writes the report; returns the errors (empty when all ran). */
export async function runTablesBench(opts: TablesRunOptions): Promise<string[]> {
  const only = new Set(opts.scenarios ?? TABLES_SCENARIOS);
  const sizes = opts.quick ? TABLES_QUICK : TABLES_FULL;
  const { progress } = opts;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const errors: string[] = [];
  const notes: string[] = [];
  const report: TablesReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    durationSec: 0,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: 0 },
    sizes,
    versionStore: 'the embedded version store on PGlite',
    aggregate: null,
    append: null,
    history: null,
    listing: null,
    notes,
    errors,
  };
  progress(
    `tables benchmark (${sizes.mode}): aggregate over ${sizes.aggregate.rows.toLocaleString('en-US')} rows, append of ${sizes.append.rows.toLocaleString('en-US')} rows, ` +
      `rows(first: 100) over ${sizes.history.snapshots} snapshots, listing ${sizes.listing.tables} tables`,
  );

  const scenario = async <T>(name: TablesScenario, run: (env: Env) => Promise<T>): Promise<T | null> => {
    if (!only.has(name)) return null;
    const mine: (() => Promise<unknown>)[] = [];
    const all = async () => {
      for (const c of mine.splice(0).reverse()) await c().catch((e: unknown) => progress(`cleanup failed: ${(e as Error).message}`));
    };
    opts.cleanups.push(all);
    const env: Env = { progress, tempDir: opts.tempDir, onCleanup: (fn) => mine.push(fn) };
    const t0 = Date.now();
    progress(`tables.${name}: starting`);
    try {
      const out = await run(env);
      progress(`tables.${name}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      return out;
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message}`);
      progress(`tables.${name}: FAILED: ${(e as Error).stack ?? String(e)}`);
      return null;
    } finally {
      await all();
    }
  };

  report.aggregate = await scenario('aggregate', (env) => runAggregate(sizes.aggregate, env));
  report.append = await scenario('append', (env) => runAppend(sizes.append, env));
  report.history = await scenario('history', (env) => runHistory(sizes.history, env));
  report.listing = await scenario('listing', (env) => runListing(sizes.listing, env));

  const maxLoad = Math.max(loadStart, os.loadavg()[0] ?? 0);
  if (maxLoad > os.cpus().length) {
    notes.push(
      `The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores (other processes). Absolute times are inflated and noisy; ratios less so, as every scenario alternates its calls between the gateway and the peer.`,
    );
  }
  if (sizes.mode === 'quick') notes.push('Quick mode: smaller sizes than the goals are stated for (see sizes in the JSON); the ratios are a smoke check, not the goal measurement.');
  report.finishedAt = new Date().toISOString();
  report.durationSec = (Date.now() - startedAt.getTime()) / 1000;
  report.machine.loadAvgEnd = os.loadavg()[0] ?? 0;
  process.stdout.write(`\n${toMarkdown(report)}`);
  const subset = only.size < TABLES_SCENARIOS.length ? TABLES_SCENARIOS.filter((s) => only.has(s)) : null;
  const files = await writeTablesReport(opts.outDir, report, subset ? `tables-${subset.join('-')}-latest` : 'tables-latest');
  progress(`tables report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return errors;
}
