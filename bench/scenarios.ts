/**
 * The catalog benchmark's scenarios.
 *
 * Operations (every backend, same fixture shape; iterations interleaved across backends, see runOp):
 *   content  getContent of one table at a fixed hash (a different key each iteration)
 *   log      one log page of 100 commits, starting at a different commit of the fixture each time
 *            (log-ops: the same with each commit's operations; the port's log always has them, for
 *            Nessie direct it is fetch=ALL instead of the default commit metadata only)
 *   branch   create a branch at the base head
 *   commit   single-key commit: PUT of one Iceberg table (an update, with its content id) with expectedHash
 *   merge    three-way merge of a 100-commit branch touching 1,000 keys (10 per commit) into its
 *            target, which also moved by one commit since the fork (fixture built untimed per iteration)
 * The fixture: a base branch holding namespace `bench` and `baseKeys` tables, one commit per table.
 *
 * Growth (embedded store, optionally Nessie direct): content lookup and log page of 100 on a fresh
 * history of `small` commits/keys, then the same history extended to `large` commits/keys with the
 * store's own commit() in a tight loop. Measured after reopening the store (empty in-process caches),
 * on distinct random keys and random log start commits.
 */
import os from 'node:os';
import type { BackendName, Driver, TablePut } from './drivers.js';
import { labelOf } from './drivers.js';
import { measure, now, rng, since, summarize, type Summary } from './stats.js';

export type OpName = 'content' | 'log' | 'log-ops' | 'branch' | 'commit' | 'merge';

export const OPS: { name: OpName; label: string }[] = [
  { name: 'content', label: 'content lookup' },
  { name: 'log', label: 'log page of 100' },
  { name: 'log-ops', label: 'log page of 100, with operations' },
  { name: 'branch', label: 'create branch' },
  { name: 'commit', label: 'single-key commit' },
  { name: 'merge', label: 'merge 100 commits / 1,000 keys' },
];

export interface Iterations {
  warmup: number;
  iterations: number;
}

export interface HistorySize {
  commits: number;
  keys: number;
}

export interface GrowthPlan {
  small: HistorySize;
  large: HistorySize;
  /** Wall-clock budget for extending to the large history; the build stops there (and says so). */
  budgetSec: number;
}

export interface Sizes {
  mode: 'full' | 'quick';
  /** Tables on the base branch, one commit each. */
  baseKeys: number;
  mergeCommits: number;
  mergeKeysPerCommit: number;
  iterations: Record<OpName, Iterations>;
  growth: {
    /** Per growth run: distinct keys / log start commits measured (after `warmup` unmeasured ones). */
    lookups: number;
    logPages: number;
    warmup: number;
    embedded: GrowthPlan;
    nessie: GrowthPlan;
  };
}

export const FULL: Sizes = {
  mode: 'full',
  baseKeys: 1000,
  mergeCommits: 100,
  mergeKeysPerCommit: 10,
  iterations: {
    content: { warmup: 200, iterations: 1000 },
    log: { warmup: 50, iterations: 300 },
    'log-ops': { warmup: 50, iterations: 300 },
    branch: { warmup: 50, iterations: 300 },
    commit: { warmup: 50, iterations: 300 },
    merge: { warmup: 2, iterations: 15 },
  },
  growth: {
    lookups: 500,
    logPages: 200,
    warmup: 50,
    embedded: { small: { commits: 1000, keys: 1000 }, large: { commits: 100_000, keys: 10_000 }, budgetSec: 540 },
    nessie: { small: { commits: 1000, keys: 1000 }, large: { commits: 10_000, keys: 10_000 }, budgetSec: 150 },
  },
};

export const QUICK: Sizes = {
  mode: 'quick',
  baseKeys: 200,
  mergeCommits: 20,
  mergeKeysPerCommit: 10,
  iterations: {
    content: { warmup: 20, iterations: 100 },
    log: { warmup: 10, iterations: 50 },
    'log-ops': { warmup: 10, iterations: 50 },
    branch: { warmup: 10, iterations: 50 },
    commit: { warmup: 10, iterations: 50 },
    merge: { warmup: 1, iterations: 3 },
  },
  growth: {
    lookups: 100,
    logPages: 50,
    warmup: 10,
    embedded: { small: { commits: 200, keys: 200 }, large: { commits: 2000, keys: 1000 }, budgetSec: 60 },
    nessie: { small: { commits: 200, keys: 200 }, large: { commits: 1000, keys: 1000 }, budgetSec: 45 },
  },
};

export const LOG_PAGE = 100;
const NAMESPACE = 'bench';

export type Progress = (line: string) => void;

export const tableKey = (i: number): string => `${NAMESPACE}.t${String(i).padStart(6, '0')}`;

/** Deterministic shuffle (Fisher–Yates with a seeded PRNG). */
function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

function progressEvery(total: number): number {
  const step = Math.max(1, Math.round(total / 10));
  const nice = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10_000, 20_000, 25_000, 50_000];
  return nice.find((n) => n >= step) ?? step;
}

// ───────────────────────────── operations ─────────────────────────────

/** A backend's fixture: the base branch with its tables, and the commits that built it. */
export interface Fixture {
  driver: Driver;
  prefix: string;
  baseBranch: string;
  /** Head of the base branch right after the fixture was built (reads happen here). */
  readHash: string;
  /** Current head of the base branch (merges move it). */
  head: string;
  keys: string[];
  ids: Map<string, string>;
  /** Hashes of the fixture's commits, oldest first. */
  commits: string[];
  buildRate: number;
}

let locationCounter = 0;
const location = (key: string) => `s3://warehouse/bench/${key.replace(/\./g, '/')}/metadata/${String(++locationCounter).padStart(8, '0')}.metadata.json`;

export async function buildFixture(driver: Driver, prefix: string, sizes: Sizes, progress: Progress): Promise<Fixture> {
  const root = await driver.defaultHead();
  const baseBranch = `${prefix}base`;
  let head = await driver.createBranch(baseBranch, root);
  head = (await driver.createNamespace(baseBranch, head, NAMESPACE)).hash;
  const keys: string[] = [];
  const ids = new Map<string, string>();
  const commits: string[] = [];
  const every = progressEvery(sizes.baseKeys);
  const t0 = now();
  for (let i = 0; i < sizes.baseKeys; i++) {
    const key = tableKey(i);
    const r = await driver.putTables(baseBranch, head, [{ key, metadataLocation: location(key) }], `create table ${key}`);
    const id = r.addedIds[key];
    if (!id) throw new Error(`${driver.name}: commit creating ${key} returned no content id`);
    ids.set(key, id);
    keys.push(key);
    head = r.hash;
    commits.push(head);
    if ((i + 1) % every === 0 || i + 1 === sizes.baseKeys) {
      progress(`  ${labelOf(driver.name)}: building fixture: ${i + 1}/${sizes.baseKeys} commits (${rate(i + 1, since(t0))} commits/s)`);
    }
  }
  return { driver, prefix, baseBranch, readHash: head, head, keys, ids, commits, buildRate: (sizes.baseKeys * 1000) / since(t0) };
}

const rate = (n: number, ms: number) => ((n * 1000) / ms).toFixed(0);

export interface OpResult {
  op: OpName;
  backend: BackendName;
  summary: Summary;
  /** 1-minute load average when the operation's measurement started. */
  loadAvg: number;
}

/** One backend's way of running iteration `i` of an operation: untimed `prepare`, timed `run`. */
interface IterationRunner {
  prepare?: (i: number) => Promise<unknown>;
  run: (i: number, prepared: unknown) => Promise<unknown>;
}

/** Sets up (untimed) what an operation needs on one backend's fixture. */
async function runnerFor(op: OpName, fx: Fixture, sizes: Sizes, progress: Progress): Promise<IterationRunner> {
  const { driver: d } = fx;
  const it = sizes.iterations[op];
  switch (op) {
    case 'content': {
      const order = shuffled(fx.keys, 1);
      return { run: (i) => d.getContent(fx.baseBranch, fx.readHash, order[i % order.length]!) };
    }
    case 'log':
    case 'log-ops': {
      // Start commits deep enough for a full page (the namespace commit and the fork point count too).
      const starts = shuffled(fx.commits.slice(LOG_PAGE - 1), 2);
      const withOperations = op === 'log-ops';
      return { run: (i) => d.logPage(fx.baseBranch, starts[i % starts.length]!, LOG_PAGE, withOperations) };
    }
    case 'branch': {
      const from = { branch: fx.baseBranch, hash: fx.head };
      return { run: (i) => d.createBranch(`${fx.prefix}br${i}`, from) };
    }
    case 'commit': {
      const branch = `${fx.prefix}commits`;
      let head = await d.createBranch(branch, { branch: fx.baseBranch, hash: fx.head });
      const order = shuffled(fx.keys, 3);
      return {
        run: async (i) => {
          const key = order[i % order.length]!;
          head = (await d.putTables(branch, head, [{ key, id: fx.ids.get(key)!, metadataLocation: location(key) }], `update ${key}`)).hash;
        },
      };
    }
    case 'merge': {
      const per = sizes.mergeKeysPerCommit;
      if (sizes.mergeCommits * per > fx.keys.length) throw new Error('merge fixture touches more keys than the base holds');
      const total = it.warmup + it.iterations;
      return {
        prepare: async (i) => {
          // Source: a fresh branch with mergeCommits commits, each updating `per` distinct tables.
          const branch = `${fx.prefix}merge${i}`;
          let src = await d.createBranch(branch, { branch: fx.baseBranch, hash: fx.head });
          for (let c = 0; c < sizes.mergeCommits; c++) {
            const puts: TablePut[] = [];
            for (let k = c * per; k < (c + 1) * per; k++) {
              const key = fx.keys[k]!;
              puts.push({ key, id: fx.ids.get(key)!, metadataLocation: location(key) });
            }
            src = (await d.putTables(branch, src, puts, `${branch}: update ${per} tables (${c + 1}/${sizes.mergeCommits})`)).hash;
          }
          // Target moves too: one commit adding a table the source does not touch.
          const key = `${NAMESPACE}.target${i}`;
          fx.head = (await d.putTables(fx.baseBranch, fx.head, [{ key, metadataLocation: location(key) }], `add ${key}`)).hash;
          progress(`  ${labelOf(d.name)}: merge ${i + 1}/${total} (fixture: ${sizes.mergeCommits} commits, ${sizes.mergeCommits * per} keys)`);
          return { branch, hash: src };
        },
        run: async (_i, src) => {
          fx.head = await d.merge(src as { branch: string; hash: string }, fx.baseBranch, fx.head);
        },
      };
    }
  }
}

/**
 * Measures one operation on every fixture, interleaved: iteration i runs on each backend in turn
 * (starting with a different backend each time), so a machine whose load changes during the run
 * (other processes on a shared box) affects every backend alike and the ratios stay meaningful.
 * A backend that fails is reported through `onError` and dropped from the operation.
 */
export async function runOp(
  op: OpName,
  fixtures: Fixture[],
  sizes: Sizes,
  progress: Progress,
  onError: (fx: Fixture, e: unknown) => void,
): Promise<OpResult[]> {
  const loadAvg = os.loadavg()[0] ?? 0;
  const active: { fx: Fixture; runner: IterationRunner; samples: number[] }[] = [];
  for (const fx of fixtures) {
    try {
      active.push({ fx, runner: await runnerFor(op, fx, sizes, progress), samples: [] });
    } catch (e) {
      onError(fx, e);
    }
  }
  const { warmup, iterations } = sizes.iterations[op];
  const failed = new Set<Fixture>();
  for (let i = 0; i < warmup + iterations; i++) {
    for (let k = 0; k < active.length; k++) {
      const a = active[(i + k) % active.length]!;
      if (failed.has(a.fx)) continue;
      try {
        const prepared = a.runner.prepare ? await a.runner.prepare(i) : undefined;
        const t0 = now();
        await a.runner.run(i, prepared);
        const ms = since(t0);
        if (i >= warmup) a.samples.push(ms);
      } catch (e) {
        failed.add(a.fx);
        onError(a.fx, e);
      }
    }
  }
  return active.filter((a) => !failed.has(a.fx)).map((a) => ({ op, backend: a.fx.driver.name, summary: summarize(a.samples), loadAvg }));
}

// ───────────────────────────── growth ─────────────────────────────

export interface GrowthPoint {
  commits: number;
  keys: number;
  content: Summary;
  log: Summary;
}

export interface GrowthResult {
  backend: BackendName;
  plan: GrowthPlan;
  small: GrowthPoint;
  large: GrowthPoint;
  /** Commits per second while building the histories via the backend's own commit. */
  buildRateSmall: number;
  buildRateLarge: number;
  buildSeconds: number;
  /** Why the large history is smaller than planned, when it is. */
  reduced: string | null;
}

/**
 * Builds a history of `plan.small` (every commit adds a table), measures, extends it to
 * `plan.large` (new tables until `large.keys`, then updates round-robin), measures again.
 */
export async function runGrowth(d: Driver, branchName: string, plan: GrowthPlan, sizes: Sizes, progress: Progress): Promise<GrowthResult> {
  const label = labelOf(d.name);
  const root = await d.defaultHead();
  const branch = branchName;
  let head = await d.createBranch(branch, root);
  head = (await d.createNamespace(branch, head, NAMESPACE)).hash;
  const commits: string[] = [];
  const ids: string[] = [];
  const buildStart = now();

  const build = async (target: HistorySize, deadline: number | null): Promise<{ rate: number; stoppedEarly: boolean }> => {
    const from = commits.length;
    const every = progressEvery(target.commits);
    const t0 = now();
    let lastLine = now();
    for (let c = from; c < target.commits; c++) {
      let put: TablePut;
      if (ids.length < target.keys) {
        const key = tableKey(ids.length);
        put = { key, metadataLocation: location(key) };
      } else {
        const k = c % ids.length;
        const key = tableKey(k);
        put = { key, id: ids[k]!, metadataLocation: location(key) };
      }
      const r = await d.putTables(branch, head, [put], put.id ? `update ${put.key}` : `create table ${put.key}`);
      head = r.hash;
      commits.push(head);
      if (!put.id) {
        const id = r.addedIds[put.key];
        if (!id) throw new Error(`${d.name}: commit creating ${put.key} returned no content id`);
        ids.push(id);
      }
      const done = c + 1;
      if (done % every === 0 || done === target.commits || now() - lastLine > 30_000) {
        lastLine = now();
        progress(`  ${label}: building history: ${done}/${target.commits} commits, ${ids.length} keys (${rate(done - from, since(t0))} commits/s)`);
      }
      if (deadline !== null && now() > deadline) {
        progress(`  ${label}: build budget of ${plan.budgetSec} s used up at ${done} commits; measuring there`);
        return { rate: ((done - from) * 1000) / since(t0), stoppedEarly: true };
      }
    }
    return { rate: ((target.commits - from) * 1000) / since(t0), stoppedEarly: false };
  };

  const measurePoint = async (seed: number): Promise<GrowthPoint> => {
    await d.reopen();
    const n = sizes.growth;
    const keyOrder = shuffled(
      Array.from({ length: ids.length }, (_, i) => tableKey(i)),
      seed,
    );
    const starts = shuffled(commits.slice(LOG_PAGE - 1), seed + 1);
    const content = summarize(
      await measure({ warmup: n.warmup, iterations: n.lookups, run: (i) => d.getContent(branch, head, keyOrder[i % keyOrder.length]!) }),
    );
    const log = summarize(
      await measure({ warmup: n.warmup, iterations: n.logPages, run: (i) => d.logPage(branch, starts[i % starts.length]!, LOG_PAGE, false) }),
    );
    return { commits: commits.length, keys: ids.length, content, log };
  };

  progress(`  ${label}: growth: building ${plan.small.commits} commits / ${plan.small.keys} keys`);
  const a = await build(plan.small, null);
  const small = await measurePoint(10);
  progress(
    `  ${label}: at ${small.commits} commits: content ${small.content.medianMs.toFixed(2)} ms, log page ${small.log.medianMs.toFixed(2)} ms (median); build rate ${a.rate.toFixed(0)} commits/s`,
  );

  // The large build aims for the full size and stops at the budget (then says where it stopped).
  const large = plan.large;
  progress(
    `  ${label}: growth: extending to ${large.commits} commits / ${large.keys} keys (budget ${plan.budgetSec} s; ~${((large.commits - commits.length) / a.rate).toFixed(0)} s at the rate so far)`,
  );
  const b = await build(large, now() + plan.budgetSec * 1000);
  const reduced = b.stoppedEarly
    ? `stopped at ${commits.length} of ${large.commits} planned commits when the ${plan.budgetSec} s build budget ran out (${b.rate.toFixed(0)} commits/s)`
    : null;
  const buildSeconds = since(buildStart) / 1000;
  const big = await measurePoint(20);
  progress(
    `  ${label}: at ${big.commits} commits: content ${big.content.medianMs.toFixed(2)} ms, log page ${big.log.medianMs.toFixed(2)} ms (median); build rate ${b.rate.toFixed(0)} commits/s`,
  );
  return { backend: d.name, plan, small, large: big, buildRateSmall: a.rate, buildRateLarge: b.rate, buildSeconds, reduced };
}
