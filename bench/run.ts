/**
 * `npm run bench` — the catalog benchmark: VersionStore operations on the embedded store (PGlite and
 * PostgreSQL) and on Nessie through our adapter, against Nessie's REST API v2 called directly (the
 * peer), all in one run on this machine; then how content lookups and log pages grow with history.
 *
 *   npm run bench                        everything (~10–15 min on 2 cores)
 *   npm run bench -- --quick             small sizes, a smoke run of a couple of minutes
 *   npm run bench -- --only=catalog.ops  just the operations table (catalog.growth: just growth)
 *   npm run bench -- --only=catalog.ops.merge,catalog.ops.commit   just those operations
 *   npm run bench -- --only=tables       just the tables benchmark (bench/tables-run.ts; its report goes
 *                                        to bench/results/tables-latest.md and tables-latest.json)
 *   npm run bench -- --only=tables.append   one tables scenario (also tables.aggregate, tables.history,
 *                                        tables.listing; report: bench/results/tables-append-latest.*)
 *   npm run bench -- --only=tables.s3    the tables benchmark on S3 (bench/tables-s3.ts: append, aggregate, rows at many
 *                                        snapshots on a gateway with WAREHOUSE on versitygw vs one on local disk, and the
 *                                        append vs PyIceberg through Nessie's REST catalog on the same S3 server;
 *                                        bench/results/tables-s3-latest.*; also --only=s3; not in --only=tables nor the default run)
 *   npm run bench -- --only=trino        the Trino benchmark (bench/trino-run.ts: versitygw, Nessie, Trino 476 and a gateway; a
 *                                        10M-row table written by Trino, its GROUP BY through sql(engine: TRINO) vs trino-client
 *                                        directly vs sql(engine: DUCKDB); bench/results/trino-latest.*; not in the default run)
 *   npm run bench -- --only=http         just the HTTP benchmark (bench/http-run.ts: gateway vs bare yoga vs
 *                                        bare node:http; bench/results/http-latest.md and http-latest.json)
 *   npm run bench -- --only=runs         just the runs benchmark (bench/runs-run.ts: run-event fan-out vs a bare
 *                                        ws broadcast, a 1M-row WAP run vs DuckDB; bench/results/runs-latest.*;
 *                                        not in the default run), or one scenario: --only=runs.fanout / runs.wap
 *   npm run bench -- --only=marts        just the marts benchmark (bench/marts-run.ts: mart reads through GraphQL and
 *                                        MartService vs pg directly, publishing 1M rows vs a plain COPY;
 *                                        bench/results/marts-latest.*; not in the default run), or --only=marts.query / marts.publish
 *   npm run bench -- --only=maintenance  the maintenance benchmark (bench/maintenance-run.ts: planCompaction + executeMaintenancePlan
 *                                        on 10M rows in 1,000 files vs DuckDB copying the same files to one Parquet file, and
 *                                        planExpireSnapshots time as snapshots over 20 branches grow to 10,000, all history vs
 *                                        heads only; bench/results/maintenance-latest.*; not in the default run;
 *                                        --only=maintenance.compaction or maintenance.expiry: one part, reported to maintenance-<part>-latest.*)
 *   npm run bench -- --only=exports      the exports benchmark (bench/exports-run.ts: a 10M-row table's Arrow download through a
 *                                        signed export link, read by curl, vs DuckDB writing the same rows to Parquet directly;
 *                                        time to first byte; bench/results/exports-latest.*; not in the default run)
 *   npm run bench -- --backends=embedded-pglite,nessie-direct --growth=none
 *
 * Services (PostgreSQL, Nessie) are started here from test/support/services.ts on 127.0.0.1 and
 * stopped at the end; temp dirs are removed. The report is printed and written to
 * bench/results/latest.md and latest.json. Progress goes to stderr.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openPglite, openPostgres, type SqlDatabase } from '../src/adapters/sql/database.js';
import { createEmbeddedVersionStore } from '../src/adapters/version-store/embedded/index.js';
import type { VersionStore } from '../src/ports/version-store.js';
import { createTestDatabase, startNessie, startPostgres, type RunningService } from '../test/support/services.js';
import { BACKENDS, labelOf, nessieDirectDriver, portDriver, type BackendName, type Driver, type OpenedStore } from './drivers.js';
import { fixtureRates, growthRows, machine, opRows, toMarkdown, writeReport, type BenchReport } from './report.js';
import { buildFixture, FULL, OPS, QUICK, runGrowth, runOp, type Fixture, type GrowthResult, type OpName, type OpResult } from './scenarios.js';
import { runTablesBench, TABLES_SCENARIOS, type TablesScenario } from './tables-run.js';
import { runHttpBench } from './http-run.js';
import { runTablesS3Bench } from './tables-s3.js';
import { runTrinoBench } from './trino-run.js';
import { runRunsBench, RUNS_SCENARIOS, type RunsScenario } from './runs-run.js';
import { MARTS_SCENARIOS, runMartsBench, type MartsScenario } from './marts-run.js';
import { runMaintenanceBench } from './maintenance-run.js';
import { runExportsBench } from './exports-run.js';

const SUITES = ['catalog', 'catalog.ops', 'catalog.growth', 'tables', ...TABLES_SCENARIOS.map((s) => `tables.${s}` as const), 'tables.s3', 's3', 'trino', 'http', 'runs', ...RUNS_SCENARIOS.map((s) => `runs.${s}` as const), 'marts', ...MARTS_SCENARIOS.map((s) => `marts.${s}` as const), 'maintenance', 'maintenance.compaction', 'maintenance.expiry', 'exports'] as const;
const GROWTH_BACKENDS: BackendName[] = ['embedded-pglite', 'embedded-postgres', 'nessie-direct'];
const HERE = path.dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: npm run bench -- [options]
  --quick                 small sizes (smoke run, a couple of minutes)
  --only=SUITES           comma-separated: ${SUITES.join(', ')} (default: catalog,tables,http; catalog = ops + growth),
                          or single operations: ${OPS.map((o) => `catalog.ops.${o.name}`).join(', ')}
  --backends=NAMES        operations on: ${BACKENDS.map((b) => b.name).join(', ')} (default: all)
  --growth=NAMES          growth on: ${GROWTH_BACKENDS.join(', ')}, or none (default: embedded-pglite,nessie-direct)
  --out=DIR               where latest.md / latest.json go (default: bench/results)
  --help`;

interface Options {
  sizes: typeof FULL;
  ops: boolean;
  /** The operations measured (all unless --only names single ones). */
  opNames: OpName[];
  growth: boolean;
  tables: boolean;
  /** The tables scenarios run (all for `tables`). */
  tablesScenarios: TablesScenario[];
  /** The tables benchmark on S3 (--only=tables.s3 or s3). */
  tablesS3: boolean;
  /** The Trino benchmark (--only=trino). */
  trino: boolean;
  http: boolean;
  /** The runs scenarios run (none unless --only names runs or runs.<scenario>). */
  runs: RunsScenario[];
  /** The marts scenarios run (none unless --only names marts or marts.<scenario>). */
  marts: MartsScenario[];
  /** The maintenance benchmark (--only=maintenance, or maintenance.compaction / maintenance.expiry for one part). */
  maintenance: boolean;
  maintenanceScenarios: ('compaction' | 'expiry')[];
  /** The exports benchmark (--only=exports). */
  exports: boolean;
  backends: BackendName[];
  growthBackends: BackendName[];
  outDir: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      backends: { type: 'string' },
      growth: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const only = values.only ? list(values.only) : ['catalog', 'tables', 'http'];
  const opSuites = new Map(OPS.map((o) => [`catalog.ops.${o.name}`, o.name]));
  for (const s of only) {
    if (!(SUITES as readonly string[]).includes(s) && !opSuites.has(s)) {
      throw new UsageError(`unknown suite '${s}' in --only (known: ${SUITES.join(', ')}, ${[...opSuites.keys()].join(', ')})`);
    }
  }
  const allOps = only.includes('catalog') || only.includes('catalog.ops');
  const opNames = allOps ? OPS.map((o) => o.name) : only.flatMap((s) => opSuites.get(s) ?? []);
  const names = BACKENDS.map((b) => b.name) as string[];
  const backends = values.backends ? list(values.backends) : names;
  for (const b of backends) if (!names.includes(b)) throw new UsageError(`unknown backend '${b}' in --backends (known: ${names.join(', ')})`);
  const growthBackends = values.growth === 'none' ? [] : values.growth ? list(values.growth) : ['embedded-pglite', 'nessie-direct'];
  for (const b of growthBackends) {
    if (!(GROWTH_BACKENDS as string[]).includes(b)) throw new UsageError(`unknown backend '${b}' in --growth (known: ${GROWTH_BACKENDS.join(', ')}, none)`);
  }
  return {
    sizes: values.quick ? QUICK : FULL,
    ops: opNames.length > 0,
    opNames,
    growth: (only.includes('catalog') || only.includes('catalog.growth')) && growthBackends.length > 0,
    tables: only.some((s) => s === 'tables' || (s.startsWith('tables.') && s !== 'tables.s3')),
    tablesS3: only.includes('tables.s3') || only.includes('s3'),
    trino: only.includes('trino'),
    tablesScenarios: only.includes('tables') ? [...TABLES_SCENARIOS] : TABLES_SCENARIOS.filter((s) => only.includes(`tables.${s}`)),
    http: only.includes('http'),
    runs: only.includes('runs') ? [...RUNS_SCENARIOS] : RUNS_SCENARIOS.filter((s) => only.includes(`runs.${s}`)),
    marts: only.includes('marts') ? [...MARTS_SCENARIOS] : MARTS_SCENARIOS.filter((s) => only.includes(`marts.${s}`)),
    maintenance: only.some((s) => s === 'maintenance' || s.startsWith('maintenance.')),
    maintenanceScenarios: (['compaction', 'expiry'] as const).filter((s) => only.includes('maintenance') || only.includes(`maintenance.${s}`)),
    exports: only.includes('exports'),
    backends: backends as BackendName[],
    growthBackends: growthBackends as BackendName[],
    outDir: path.resolve(values.out ?? path.join(HERE, 'results')),
  };
}

class UsageError extends Error {}

// ───────────────────────────── progress and cleanup ─────────────────────────────

const started = Date.now();
const progress = (line: string) => process.stderr.write(`[bench +${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);

const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => progress(`cleanup failed: ${(e as Error).message}`));
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    progress(`${sig}: stopping services and removing temp dirs`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ───────────────────────────── backends ─────────────────────────────

type NessieFactory = (opts: { uri: string }) => VersionStore | Promise<VersionStore>;

/** Our Nessie adapter (src/adapters/version-store/nessie), loaded lazily so the other backends run without it. */
async function loadNessieAdapter(): Promise<NessieFactory> {
  const spec = '../src/adapters/version-store/nessie/index.js';
  let mod: { createNessieVersionStore?: NessieFactory };
  try {
    mod = (await import(spec)) as typeof mod;
  } catch (e) {
    throw new Error(`the Nessie adapter (src/adapters/version-store/nessie/index.ts) cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof mod.createNessieVersionStore !== 'function') throw new Error('src/adapters/version-store/nessie/index.ts does not export createNessieVersionStore');
  return mod.createNessieVersionStore;
}

const embedded = async (db: SqlDatabase): Promise<OpenedStore> => {
  const store = await createEmbeddedVersionStore(db, { defaultBranch: 'main' });
  return {
    store,
    close: async () => {
      await store.close();
      await db.close();
    },
  };
};

interface Services {
  postgres?: RunningService;
  nessie?: RunningService;
}

async function makeDriver(name: BackendName, svc: Services, purpose: string): Promise<Driver> {
  switch (name) {
    case 'embedded-pglite': {
      const dir = await tempDir(`cascade-bench-pglite-${purpose}-`);
      return portDriver(name, async () => embedded(await openPglite(dir)));
    }
    case 'embedded-postgres': {
      const url = await createTestDatabase(svc.postgres!.url, `bench_${purpose}`);
      return portDriver(name, async () => embedded(await openPostgres(url)));
    }
    case 'nessie-gateway': {
      const create = await loadNessieAdapter();
      return portDriver(name, async () => {
        const store = await create({ uri: svc.nessie!.url });
        return { store, close: () => store.close() };
      });
    }
    case 'nessie-direct':
      return nessieDirectDriver(svc.nessie!.url);
  }
}

// ───────────────────────────── main ─────────────────────────────

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { sizes } = opts;
  const startedAt = new Date();
  const loadStart = os.loadavg()[0] ?? 0;
  const errors: string[] = [];
  const notes: string[] = [];
  if (opts.exports) {
    errors.push(...(await runExportsBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups })).map((e) => `exports: ${e}`));
    if (!opts.maintenance && !opts.trino && opts.marts.length === 0 && opts.runs.length === 0 && !opts.tablesS3 && !opts.tables && !opts.ops && !opts.growth && !opts.http) return errors.length > 0 ? 1 : 0;
  }
  if (opts.maintenance) {
    errors.push(...(await runMaintenanceBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups, scenarios: opts.maintenanceScenarios })).map((e) => `maintenance: ${e}`));
    if (!opts.trino && opts.marts.length === 0 && opts.runs.length === 0 && !opts.tablesS3 && !opts.tables && !opts.ops && !opts.growth && !opts.http) return errors.length > 0 ? 1 : 0;
  }
  if (opts.trino) {
    errors.push(...(await runTrinoBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups })).map((e) => `trino: ${e}`));
    if (opts.marts.length === 0 && opts.runs.length === 0 && !opts.tablesS3 && !opts.tables && !opts.ops && !opts.growth && !opts.http) return errors.length > 0 ? 1 : 0;
  }
  if (opts.marts.length > 0) {
    errors.push(...(await runMartsBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups, scenarios: opts.marts })).map((e) => `marts: ${e}`));
    if (opts.runs.length === 0 && !opts.tables && !opts.http && !opts.ops && !opts.growth) return errors.length > 0 ? 1 : 0;
  }
  if (opts.runs.length > 0) {
    errors.push(...(await runRunsBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups, scenarios: opts.runs })).map((e) => `runs: ${e}`));
    if (!opts.tables && !opts.http && !opts.ops && !opts.growth) return errors.length > 0 ? 1 : 0;
  }
  if (opts.tablesS3) {
    errors.push(...(await runTablesS3Bench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups })).map((e) => `tables.s3: ${e}`));
    if (!opts.tables && !opts.ops && !opts.growth && !opts.http) return errors.length > 0 ? 1 : 0;
  }
  if (opts.tables) {
    errors.push(...(await runTablesBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups, scenarios: opts.tablesScenarios })).map((e) => `tables: ${e}`));
    if (!opts.ops && !opts.growth && !opts.http) return errors.length > 0 ? 1 : 0;
  }
  if (opts.http) {
    errors.push(...(await runHttpBench({ quick: sizes.mode === 'quick', outDir: opts.outDir, progress, tempDir, cleanups })).map((e) => `http: ${e}`));
    if (!opts.ops && !opts.growth) return errors.length > 0 ? 1 : 0;
  }
  const opBackends = opts.ops ? opts.backends : [];
  const growthBackends = opts.growth ? opts.growthBackends : [];
  const needed = new Set<BackendName>([...opBackends, ...growthBackends]);
  progress(
    `catalog benchmark (${sizes.mode}): operations on ${opBackends.join(', ') || 'none'}; growth on ${growthBackends.join(', ') || 'none'}`,
  );

  // Services, in parallel (Nessie takes ~20 s to start).
  const svc: Services = {};
  const wantPg = needed.has('embedded-postgres');
  const wantNessie = needed.has('nessie-gateway') || needed.has('nessie-direct');
  const t0 = Date.now();
  await Promise.all([
    wantPg &&
      startPostgres().then((s) => {
        svc.postgres = s;
        cleanups.push(() => s.stop());
      }),
    wantNessie &&
      startNessie().then((s) => {
        svc.nessie = s;
        cleanups.push(() => s.stop());
      }),
  ]);
  if (wantPg || wantNessie) {
    progress(`services up in ${((Date.now() - t0) / 1000).toFixed(1)} s${svc.postgres ? ' · PostgreSQL' : ''}${svc.nessie ? ` · Nessie at ${svc.nessie.url}` : ''}`);
  }

  // ── operations
  const opResults: OpResult[] = [];
  const fixtures: Fixture[] = [];
  if (opBackends.length > 0) {
    // Nessie direct first: its fixture also warms the JVM up before anything of Nessie is measured.
    const order = [...opBackends].sort((a, b) => (a === 'nessie-direct' ? -1 : b === 'nessie-direct' ? 1 : 0));
    const prefixes: Record<BackendName, string> = { 'embedded-pglite': 'ep_', 'embedded-postgres': 'eg_', 'nessie-gateway': 'gw_', 'nessie-direct': 'nd_' };
    for (const name of order) {
      try {
        const driver = await makeDriver(name, svc, 'ops');
        cleanups.push(() => driver.close());
        progress(`${labelOf(name)}: building the fixture (namespace + ${sizes.baseKeys} tables, one commit each)`);
        fixtures.push(await buildFixture(driver, prefixes[name], sizes, progress));
      } catch (e) {
        errors.push(`${labelOf(name)}: fixture failed: ${(e as Error).message}`);
        progress(`${labelOf(name)}: FAILED: ${(e as Error).message}`);
      }
    }
    // Operation-major, iterations interleaved across backends (runOp); a failing backend is dropped.
    let live = [...fixtures].sort((a, b) => BACKENDS.findIndex((x) => x.name === a.driver.name) - BACKENDS.findIndex((x) => x.name === b.driver.name));
    for (const op of OPS.filter((o) => opts.opNames.includes(o.name))) {
      if (live.length === 0) break;
      const it = sizes.iterations[op.name];
      progress(`${op.label}: ${it.warmup} warm-up + ${it.iterations} measured iterations, interleaved over ${live.map((f) => labelOf(f.driver.name)).join(', ')}`);
      const results = await runOp(op.name, live, sizes, progress, (fx, e) => {
        live = live.filter((f) => f !== fx);
        errors.push(`${op.label} on ${labelOf(fx.driver.name)} failed (backend dropped from the remaining operations): ${(e as Error).message}`);
        progress(`  ${labelOf(fx.driver.name)} FAILED: ${(e as Error).message}`);
      });
      for (const r of results) {
        opResults.push(r);
        progress(`  ${labelOf(r.backend).padEnd(24)} median ${r.summary.medianMs.toFixed(2)} ms, p95 ${r.summary.p95Ms.toFixed(2)} ms, ${r.summary.opsPerSec.toFixed(0)} ops/s`);
      }
    }
  }

  // ── growth
  const growthResults: GrowthResult[] = [];
  for (const name of growthBackends) {
    const plan = name === 'nessie-direct' ? sizes.growth.nessie : sizes.growth.embedded;
    progress(`growth on ${labelOf(name)}: ${plan.small.commits} → ${plan.large.commits} commits, ${plan.small.keys} → ${plan.large.keys} keys`);
    try {
      let nessie: Driver | undefined;
      const open = async (size: 'small' | 'large'): Promise<Driver> => {
        // One Nessie server: both histories are branches of it. Embedded: a store per history.
        if (name === 'nessie-direct' && nessie) return nessie;
        const driver = await makeDriver(name, svc, `growth_${size}`);
        cleanups.push(() => driver.close());
        if (name === 'nessie-direct') nessie = driver;
        return driver;
      };
      growthResults.push(await runGrowth(open, name === 'nessie-direct' ? 'ng_' : 'growth_', plan, sizes, progress));
    } catch (e) {
      errors.push(`growth on ${labelOf(name)} failed: ${(e as Error).message}`);
      progress(`  FAILED: ${(e as Error).message}`);
    }
  }

  // ── report
  if (opResults.some((r) => r.backend === 'nessie-direct') || growthBackends.includes('nessie-direct')) {
    notes.push(
      'Nessie 0.99.0 server: IN_MEMORY version store, 1 GB heap, SerialGC, started by the bench on 127.0.0.1 (test/support/services.ts); Nessie direct = fetch (undici keep-alive) to its REST API v2 from this process.',
    );
  }
  if (opResults.some((r) => r.backend === 'nessie-direct')) {
    notes.push(
      "Nessie direct's log page is GET /trees/{ref}@{hash}/history?max-records=100 (the v2 spelling: `maxRecords` is ignored by v2, which then answers its default page of 250): commit metadata only. The row 'with operations' adds fetch=ALL, which is what the port's log returns (each commit's operations), so that row compares like with like.",
    );
  }
  if (opResults.some((r) => r.backend === 'nessie-gateway')) {
    notes.push('Gateway over Nessie = our VersionStore adapter (src/adapters/version-store/nessie) called in process, without the GraphQL/HTTP edge; its log page returns commits with their operations.');
  }
  if (opResults.some((r) => r.backend.startsWith('embedded'))) {
    notes.push(
      'Embedded = createEmbeddedVersionStore on PGlite (files in a temp dir) or on PostgreSQL (embedded-postgres, fsync off, over TCP on 127.0.0.1), called in process. Reads (content, log) are at a fixed commit hash on every backend.',
    );
  }
  const maxLoad = Math.max(loadStart, os.loadavg()[0] ?? 0, ...opResults.map((r) => r.loadAvg));
  if (maxLoad > os.cpus().length) {
    notes.push(
      `The machine was busy: 1-minute load average up to ${maxLoad.toFixed(1)} on ${os.cpus().length} cores (other processes). Absolute times are inflated and noisy; the ratios are less affected because every operation's iterations alternate between backends.`,
    );
  }
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    durationSec: (Date.now() - startedAt.getTime()) / 1000,
    mode: sizes.mode,
    machine: { ...machine(), loadAvgStart: loadStart, loadAvgEnd: os.loadavg()[0] ?? 0 },
    sizes,
    fixtureBuildRates: fixtureRates(fixtures),
    ops: opRows(opResults),
    growth: growthRows(growthResults),
    growthBuilds: growthResults.map((g) => ({
      backend: g.backend,
      small: { commits: g.small.commits, keys: g.small.keys },
      large: { commits: g.large.commits, keys: g.large.keys },
      plannedLarge: g.plan.large,
      commitsPerSecSmall: g.buildRateSmall,
      commitsPerSecLarge: g.buildRateLarge,
      buildSeconds: g.buildSeconds,
      reduced: g.reduced,
    })),
    notes,
    errors,
  };
  const md = toMarkdown(report);
  process.stdout.write(`\n${md}`);
  const files = await writeReport(opts.outDir, report);
  progress(`report written to ${path.relative(process.cwd(), files.md)} and ${path.relative(process.cwd(), files.json)}`);
  return errors.length > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (e) {
  progress(`failed: ${(e as Error).stack ?? String(e)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
