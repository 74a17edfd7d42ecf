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
 * Growth (embedded store, optionally Nessie direct): content lookup and log page of 100 on a history
 * of `small` commits/keys and on one of `large` commits/keys, each built with the store's own
 * commit() in a tight loop; both measured after reopening (empty in-process caches), iterations
 * alternating between the two, on distinct random keys and random log start commits.
 */
import os from 'node:os';
import type { BackendName, Driver, TablePut } from './drivers.js';
import { labelOf } from './drivers.js';
import { now, rng, since, summarize, type Summary } from './stats.js';

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
  /** Wall-clock budget for building the large history; the build stops there (and says so). */
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
  /** Commits per second while building each history via the backend's own commit. */
  buildRateSmall: number;
  buildRateLarge: number;
  buildSeconds: number;
  /** Why the large history is smaller than planned, when it is. */
  reduced: string | null;
}

/** A history built on one branch with the backend's own commit, one table per commit. */
interface History {
  driver: Driver;
  branch: string;
  head: string;
  /** Commit hashes, oldest first. */
  commits: string[];
  keys: number;
  /** Commits per second while building it. */
  rate: number;
  stoppedEarly: boolean;
}

/**
 * Builds `target.commits` commits on a new branch: a new table per commit until `target.keys`
 * tables exist, then updates round-robin. Stops at `budgetSec` (when given) and says so.
 */
async function buildHistory(d: Driver, branch: string, target: HistorySize, budgetSec: number | null, progress: Progress): Promise<History> {
  const label = labelOf(d.name);
  let head = await d.createBranch(branch, await d.defaultHead());
  head = (await d.createNamespace(branch, head, NAMESPACE)).hash;
  const commits: string[] = [];
  const ids: string[] = [];
  const every = progressEvery(target.commits);
  const t0 = now();
  const deadline = budgetSec === null ? null : t0 + budgetSec * 1000;
  let lastLine = now();
  for (let c = 0; c < target.commits; c++) {
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
      progress(`  ${label}: building history '${branch}': ${done}/${target.commits} commits, ${ids.length} keys (${rate(done, since(t0))} commits/s)`);
    }
    if (deadline !== null && now() > deadline && done < target.commits) {
      progress(`  ${label}: build budget of ${budgetSec} s used up at ${done} commits; measuring there`);
      return { driver: d, branch, head, commits, keys: ids.length, rate: (done * 1000) / since(t0), stoppedEarly: true };
    }
  }
  return { driver: d, branch, head, commits, keys: ids.length, rate: (target.commits * 1000) / since(t0), stoppedEarly: false };
}

/**
 * Builds a small and a large history (separate stores for the embedded backends, separate branches
 * on the one Nessie server), then measures content lookups and log pages on both with their
 * iterations alternating, after reopening the stores (empty in-process caches): a change of machine
 * load during the run then hits both sizes alike.
 */
export async function runGrowth(
  open: (size: 'small' | 'large') => Promise<Driver>,
  branchPrefix: string,
  plan: GrowthPlan,
  sizes: Sizes,
  progress: Progress,
): Promise<GrowthResult> {
  const t0 = now();
  const dSmall = await open('small');
  const small = await buildHistory(dSmall, `${branchPrefix}small`, plan.small, null, progress);
  const dLarge = await open('large');
  const large = await buildHistory(dLarge, `${branchPrefix}large`, plan.large, plan.budgetSec, progress);
  const buildSeconds = since(t0) / 1000;
  await dSmall.reopen();
  if (dLarge !== dSmall) await dLarge.reopen();

  const n = sizes.growth;
  const both = [small, large];
  const plans = both.map((h, j) => ({
    h,
    keys: shuffled(Array.from({ length: h.keys }, (_, i) => tableKey(i)), 10 + j),
    starts: shuffled(h.commits.slice(LOG_PAGE - 1), 20 + j),
    content: [] as number[],
    log: [] as number[],
  }));
  const alternate = async (iterations: number, op: 'content' | 'log') => {
    for (let i = 0; i < n.warmup + iterations; i++) {
      for (let k = 0; k < plans.length; k++) {
        const p = plans[(i + k) % plans.length]!;
        const t = now();
        if (op === 'content') await p.h.driver.getContent(p.h.branch, p.h.head, p.keys[i % p.keys.length]!);
        else await p.h.driver.logPage(p.h.branch, p.starts[i % p.starts.length]!, LOG_PAGE, false);
        if (i >= n.warmup) p[op].push(since(t));
      }
    }
  };
  await alternate(n.lookups, 'content');
  await alternate(n.logPages, 'log');
  const point = (j: number): GrowthPoint => ({
    commits: plans[j]!.h.commits.length,
    keys: plans[j]!.h.keys,
    content: summarize(plans[j]!.content),
    log: summarize(plans[j]!.log),
  });
  const result: GrowthResult = {
    backend: dSmall.name,
    plan,
    small: point(0),
    large: point(1),
    buildRateSmall: small.rate,
    buildRateLarge: large.rate,
    buildSeconds,
    reduced: large.stoppedEarly
      ? `stopped at ${large.commits.length} of ${plan.large.commits} planned commits when the ${plan.budgetSec} s build budget ran out (${large.rate.toFixed(0)} commits/s)`
      : null,
  };
  for (const [name, g] of [['small', result.small], ['large', result.large]] as const) {
    progress(
      `  ${labelOf(dSmall.name)}: ${name} history (${g.commits} commits, ${g.keys} keys): content ${g.content.medianMs.toFixed(2)} ms, log page ${g.log.medianMs.toFixed(2)} ms (median)`,
    );
  }
  return result;
}
