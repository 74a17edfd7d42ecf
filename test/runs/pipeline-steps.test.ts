/**
 * The pipeline steps against a real embedded TableService (PGlite version store, local warehouse,
 * DuckDB): ingest from rows, files, and a Nightscout-style HTTP server; merge by key; a model
 * chain; every audit check passing and failing; the demo glucose pipeline's steps.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { createMemoryEventBus } from '../../src/adapters/event-bus/memory/index.js';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { openPglite } from '../../src/adapters/sql/database.js';
import type { Actor } from '../../src/auth/actor.js';
import type { AuditResult, PipelineRun } from '../../src/domain/runs.js';
import { buildPipeline, resolveParams } from '../../src/pipelines/load.js';
import type { Pipeline } from '../../src/pipelines/spec.js';
import { runAudit } from '../../src/runs/steps/audit.js';
import { runIngest } from '../../src/runs/steps/ingest.js';
import { runModel } from '../../src/runs/steps/model.js';
import type { StepContext, StepCounts } from '../../src/runs/step-context.js';
import type { RefName } from '../../src/domain/refs.js';
import { seedDemoTables } from '../../src/services/demo-tables.js';
import { CatalogService } from '../../src/services/catalog.js';
import type { QueryEngine } from '../../src/ports/query-engine.js';
import { TableService } from '../../src/services/table-writes.js';
import glucose from '../../pipelines/glucose.js';

const actor: Actor = { subject: 'run:test', roles: ['engineer'], kind: 'run', expiresAt: null };
let dir: string;
let services: { catalog: CatalogService; tables: TableService; engine: QueryEngine };
let closeAll: () => Promise<void>;
let branchNo = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cg-steps-'));
  const db = await openPglite(join(dir, 'catalog'));
  const store = await createEmbeddedVersionStore(db);
  const objects = createLocalObjectStore(join(dir, 'warehouse'));
  const engine = await createDuckDbEngine(objects, { threads: 2 });
  const catalog = new CatalogService(store, [], createMemoryEventBus());
  services = { catalog, tables: new TableService(catalog, store, objects, engine), engine };
  await services.catalog.createNamespace('main', 'raw', null, actor);
  closeAll = async () => {
    await engine.close();
    await store.close();
  };
});
afterAll(async () => {
  await closeAll?.();
  await rm(dir, { recursive: true, force: true });
});

function pipeline(spec: Record<string, unknown>): Pipeline {
  const out = buildPipeline({ name: 'test', ...spec }, 'test.ts');
  if (!('pipeline' in out)) throw new Error(JSON.stringify(out.errors));
  return out.pipeline;
}

async function context(p: Pipeline, params: Record<string, unknown> = {}, branch?: string) {
  const name = branch ?? `runs/test/${++branchNo}`;
  if (!branch) await services.catalog.createBranch(name, 'main', actor);
  const progress: StepCounts[] = [];
  const logs: string[] = [];
  const ctx: StepContext = {
    run: { runId: String(branchNo) } as PipelineRun,
    pipeline: p,
    branch: name,
    params: resolveParams(p.spec, params),
    actor,
    tables: services.tables,
    engine: services.engine,
    trino: null,
    pipelinesDir: dir,
    progress: (c) => progress.push({ ...c }),
    log: async (_level, message) => void logs.push(message),
    signal: new AbortController().signal,
  };
  return { ctx, progress, logs };
}

/** Runs every step but publish in order; returns the audit results. */
async function runSteps(ctx: StepContext): Promise<Map<string, AuditResult>> {
  const audits = new Map<string, AuditResult>();
  for (const s of ctx.pipeline.steps) {
    const spec = ctx.pipeline.spec;
    if (s.kind === 'ingest') await runIngest(spec.ingest.find((i) => i.name === s.name)!, ctx);
    if (s.kind === 'model') await runModel(spec.models.find((m) => m.name === s.name)!, ctx);
    if (s.kind === 'audit') audits.set(s.name, await runAudit(spec.audits.find((a) => a.name === s.name)!, ctx));
  }
  return audits;
}

async function query(ctx: StepContext, sql: string) {
  const r = await services.tables.sql(ctx.branch, sql, 10_000, actor);
  return r.rows;
}

async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string; field?: string };
  }
  throw new Error('expected an error');
}

describe('ingest', () => {
  it('creates the table (and its namespace) from inferred columns and appends each batch', async () => {
    const p = pipeline({
      ingest: [{
        name: 'load',
        table: 'landing.events',
        source: { kind: 'rows', rows: async function* () { yield [{ id: 1, name: 'a' }]; yield []; yield [{ id: 2, name: 'b' }, { id: 3, name: null }]; } },
      }],
    });
    const { ctx, progress } = await context(p);
    const out = await runIngest(p.spec.ingest[0]!, ctx);
    expect(out).toMatchObject({ rowsRead: 3, rowsWritten: 3 });
    expect(out.commits).toHaveLength(3); // create + two appends
    expect(progress.at(-1)).toEqual({ rowsRead: 3, rowsWritten: 3 });
    expect(await query(ctx, 'SELECT id, name FROM landing.events ORDER BY id')).toEqual([['1', 'a'], ['2', 'b'], ['3', null]]);
    const view = await services.tables.table(ctx.branch, 'landing.events', actor);
    const m = await services.tables.metadata(view!.content.metadataLocation);
    expect(m.schemas[0]!.fields.map((f) => `${f.name}:${String(f.type)}`)).toEqual(['id:long', 'name:string']);
  });

  it('merges by key: existing keys are replaced, new ones added, in one commit', async () => {
    const rows = (list: [number, string][]) => list.map(([id, v]) => ({ id, v }));
    const p = pipeline({
      ingest: [{
        name: 'upsert',
        table: 'raw.kv',
        mode: 'merge',
        key: ['id'],
        columns: [{ name: 'id', type: 'long', required: true }, { name: 'v', type: 'string' }],
        source: { kind: 'rows', rows: (params: Record<string, unknown>) => rows(params.second ? [[2, 'B'], [3, 'C'], [3, 'C']] : [[1, 'a'], [2, 'b']]) },
      }],
      params: { second: { type: 'Boolean', default: false } },
    });
    const { ctx } = await context(p);
    expect((await runIngest(p.spec.ingest[0]!, ctx)).commits).toHaveLength(2);
    const second = { ...ctx, params: { second: true } };
    const out = await runIngest(p.spec.ingest[0]!, second);
    expect(out.commits).toHaveLength(1);
    expect(out.rowsRead).toBe(3);
    expect(await query(ctx, 'SELECT id, v FROM raw.kv ORDER BY id')).toEqual([['1', 'a'], ['2', 'B'], ['3', 'C']]);
  });

  it('reads a glob of NDJSON files and a CSV file relative to the pipelines folder; a missing path is InvalidInput', async () => {
    await writeFile(join(dir, 'part-1.ndjson'), '{"k": 1, "t": "x"}\n{"k": 2, "t": "y"}\n');
    await writeFile(join(dir, 'part-2.ndjson'), '{"k": 3, "t": "z"}\n');
    await writeFile(join(dir, 'one.csv'), 'k,t\n10,ten\n');
    const p = pipeline({
      ingest: [
        { name: 'parts', table: 'raw.parts', source: { kind: 'file', path: 'part-*.ndjson' } },
        { name: 'csv', table: 'raw.parts_csv', source: { kind: 'file', path: 'one.csv' } },
        { name: 'missing', table: 'raw.none', source: { kind: 'file', path: 'nope/*.parquet' } },
      ],
    });
    const { ctx } = await context(p);
    expect(await runIngest(p.spec.ingest[0]!, ctx)).toMatchObject({ rowsRead: 3, rowsWritten: 3 });
    expect(await query(ctx, 'SELECT sum(k), string_agg(t, \'\' ORDER BY k) FROM raw.parts')).toEqual([['6', 'xyz']]);
    await runIngest(p.spec.ingest[1]!, ctx);
    expect(await query(ctx, 'SELECT k, t FROM raw.parts_csv')).toEqual([['10', 'ten']]);
    const e = await errorOf(runIngest(p.spec.ingest[2]!, ctx));
    expect(e).toMatchObject({ code: 'INVALID_INPUT', field: 'source.path' });
  });

  describe('HTTP source (Nightscout-style)', () => {
    let server: Server;
    let url: string;
    const requests: URLSearchParams[] = [];
    let entries = Array.from({ length: 25 }, (_, i) => ({ _id: `e${i}`, date: 1_000 + i, sgv: 100 + i, type: 'sgv' }));
    beforeAll(async () => {
      server = createServer((req, res) => {
        const u = new URL(req.url!, 'http://x');
        if (u.pathname === '/broken') return void res.end('{"not": "an array"}');
        if (u.pathname === '/fail') return void ((res.statusCode = 503), res.end('down'));
        requests.push(u.searchParams);
        const count = Number(u.searchParams.get('count') ?? 10);
        const after = Number(u.searchParams.get('find[date][$gt]') ?? -Infinity);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(entries.filter((e) => e.date > after).slice(0, count)));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const a = server.address();
      url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('pages with count and a since-cursor, and resumes after the newest value on the next run', async () => {
      const p = pipeline({
        ingest: [{ name: 'ns', table: 'raw.ns_entries', mode: 'merge', key: ['_id'], source: { kind: 'http', url: `${url}/api/v1/entries.json`, pageSize: 10 } }],
      });
      const { ctx, progress } = await context(p);
      const out = await runIngest(p.spec.ingest[0]!, ctx);
      expect(out).toMatchObject({ rowsRead: 25, rowsWritten: 25 });
      expect(requests.map((r) => r.get('find[date][$gt]'))).toEqual([null, '1009', '1019']);
      expect(requests.every((r) => r.get('count') === '10')).toBe(true);
      expect(progress.map((x) => x.rowsRead)).toEqual(expect.arrayContaining([10, 20, 25]));
      entries = [...entries, { _id: 'e25', date: 2_000, sgv: 90, type: 'sgv' }];
      requests.length = 0;
      expect(await runIngest(p.spec.ingest[0]!, ctx)).toMatchObject({ rowsRead: 1 });
      expect(requests.map((r) => r.get('find[date][$gt]'))).toEqual(['1024']);
      expect(await query(ctx, 'SELECT count(*), max(date) FROM raw.ns_entries')).toEqual([['26', '2000']]);
    });

    it('reports an unreachable server, an HTTP error and a body that is not an array as typed errors naming the URL', async () => {
      const src = (u: string) => pipeline({ ingest: [{ name: 'x', table: 'raw.http_bad', source: { kind: 'http', url: u, timeoutMs: 2000 } }] });
      const run = async (u: string) => {
        const p = src(u);
        const { ctx } = await context(p);
        return errorOf(runIngest(p.spec.ingest[0]!, ctx));
      };
      const closed = await run('http://127.0.0.1:1/api/v1/entries.json');
      expect(closed.code).toBe('BACKEND_UNAVAILABLE');
      expect(closed.message).toContain('http://127.0.0.1:1/api/v1/entries.json');
      expect(await run(`${url}/fail`)).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: expect.stringContaining('503') });
      expect(await run(`${url}/broken`)).toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
});

describe('models', () => {
  it('materialises a chain in one commit each, replaces a table whose columns changed, and reports SQL errors as InvalidInput', async () => {
    const p = pipeline({
      ingest: [{ name: 'load', table: 'raw.nums', source: { kind: 'rows', rows: Array.from({ length: 50 }, (_, i) => ({ n: i })) } }],
      models: [
        { name: 'totals', table: 'gold.totals', sql: "SELECT sum(n) AS total, count(*) AS cnt FROM {{ ref('evens') }};" },
        { name: 'evens', table: 'silver.evens', sql: "SELECT n, n * {{ param('factor') }} AS scaled FROM {{ source('raw', 'nums') }} WHERE n % 2 = 0" },
        { name: 'broken', sql: "SELECT no_such_column FROM {{ ref('evens') }}" },
      ],
      params: { factor: { type: 'Float', default: 1.5 } },
    });
    const { ctx } = await context(p);
    await runIngest(p.spec.ingest[0]!, ctx);
    const evens = await runModel(p.spec.models[1]!, ctx);
    expect(evens).toMatchObject({ rowsWritten: 25, message: expect.stringContaining('created silver.evens') });
    expect(evens.commits).toHaveLength(1);
    const totals = await runModel(p.spec.models[0]!, ctx);
    expect(totals.rowsWritten).toBe(1);
    expect(await query(ctx, 'SELECT total, cnt FROM gold.totals')).toEqual([['600', '25']]);
    expect(await query(ctx, 'SELECT scaled FROM silver.evens WHERE n = 4')).toEqual([['6.0']]); // 1.5 is a DECIMAL literal

    // Same columns: an overwrite snapshot on the same table.
    const again = await runModel(p.spec.models[1]!, ctx);
    expect(again.message).toContain('rebuilt');
    const view = await services.tables.table(ctx.branch, 'silver.evens', actor);
    const m = await services.tables.metadata(view!.content.metadataLocation);
    expect(m.snapshots.map((s) => s.summary.operation)).toEqual(['append', 'overwrite']);
    expect(await query(ctx, 'SELECT count(*) FROM silver.evens')).toEqual([['25']]);

    // Different columns: recreated from the result, same content id.
    const changed = { ...p.spec.models[1]!, sql: "SELECT CAST(n AS VARCHAR) AS label FROM {{ source('raw', 'nums') }}" };
    expect((await runModel(changed, ctx)).message).toContain('created');
    const after = await services.tables.table(ctx.branch, 'silver.evens', actor);
    expect(after!.content.id).toBe(view!.content.id);
    expect(await query(ctx, 'SELECT count(*), min(label) FROM silver.evens')).toEqual([['50', '0']]);

    expect(await errorOf(runModel(p.spec.models[2]!, ctx))).toMatchObject({ code: 'INVALID_INPUT' });
    const writing = { ...p.spec.models[2]!, sql: "COPY (SELECT 1) TO '/tmp/x.csv'" };
    expect(await errorOf(runModel(writing, ctx))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('audits', () => {
  it('passes and fails each check with the right failingRows', async () => {
    const now = Date.now();
    const rows = [
      { id: 1, cat: 'a', v: 5, ts: now - 1_000, at: new Date(now - 1_000).toISOString() },
      { id: 2, cat: 'b', v: 50, ts: now - 2_000, at: new Date(now - 2_000).toISOString() },
      { id: 2, cat: 'z', v: null, ts: now - 3_000, at: new Date(now - 3_000).toISOString() },
      { id: 3, cat: null, v: 500, ts: now - 4_000, at: new Date(now - 4_000).toISOString() },
    ];
    const audit = (name: string, a: Record<string, unknown>) => ({ name, table: 'load', ...a });
    const p = pipeline({
      ingest: [{
        name: 'load',
        table: 'raw.audited',
        columns: [{ name: 'id', type: 'long' }, { name: 'cat', type: 'string' }, { name: 'v', type: 'int' }, { name: 'ts', type: 'long' }, { name: 'at', type: 'timestamptz' }],
        source: { kind: 'rows', rows },
      }],
      audits: [
        audit('nn_pass', { check: 'not_null', column: 'id' }),
        audit('nn_fail', { check: 'not_null', column: 'v' }),
        audit('uq_pass', { check: 'unique', columns: ['id', 'cat'] }),
        audit('uq_fail', { check: 'unique', column: 'id' }),
        audit('av_pass', { check: 'accepted_values', column: 'id', values: [1, 2, 3] }),
        audit('av_fail', { check: 'accepted_values', column: 'cat', values: ['a', 'b'] }),
        audit('range_pass', { check: 'range', column: 'v', min: 0, max: 500 }),
        audit('range_fail', { check: 'range', column: 'v', min: 10, max: 100, severity: 'warn' }),
        audit('count_pass', { check: 'row_count_min', min: 4 }),
        audit('count_fail', { check: 'row_count_min', min: 10 }),
        audit('fresh_pass', { check: 'freshness', column: 'ts', maxAgeSeconds: 3600 }),
        audit('fresh_ts_pass', { check: 'freshness', column: 'at', maxAgeSeconds: 3600 }),
        audit('fresh_fail', { check: 'freshness', column: 'at', maxAgeSeconds: 0.001 }),
        { name: 'sql_pass', check: 'sql', sql: "SELECT * FROM {{ source('raw', 'audited') }} WHERE v > 1000" },
        { name: 'sql_fail', check: 'sql', sql: "SELECT * FROM raw.audited WHERE cat = 'z' OR v IS NULL;" },
      ],
    });
    const { ctx } = await context(p);
    const results = await runSteps(ctx);
    const failing = Object.fromEntries([...results].map(([k, r]) => [k, r.failingRows]));
    expect(failing).toEqual({
      nn_pass: 0n, nn_fail: 1n, uq_pass: 0n, uq_fail: 2n, av_pass: 0n, av_fail: 1n, range_pass: 0n, range_fail: 2n,
      count_pass: 0n, count_fail: 6n, fresh_pass: 0n, fresh_ts_pass: 0n, fresh_fail: 1n, sql_pass: 0n, sql_fail: 1n,
    });
    for (const [name, r] of results) expect(r.passed).toBe(name.endsWith('_pass'));
    expect(results.get('range_fail')).toMatchObject({ severity: 'warn', table: 'raw.audited', check: 'range' });
    expect(results.get('fresh_pass')!.message).toContain(String(now - 1_000));
    expect(results.get('nn_fail')!.message).toContain('1 row');
    expect(results.get('sql_pass')!.table).toBe('');

    const unknown = { name: 'x', table: 'raw.audited', check: 'not_null' as const, column: 'nope', severity: 'error' as const };
    expect(await errorOf(runAudit(unknown, ctx))).toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('the glucose demo pipeline', () => {
  it('ingests, builds the marts and fails only the not_null audit when bad readings are injected', async () => {
    const out = buildPipeline(glucose, 'glucose.ts');
    if (!('pipeline' in out)) throw new Error(JSON.stringify(out.errors));
    const { ctx } = await context(out.pipeline, { days: 2, badReadings: 3 });
    const results = await runSteps(ctx);
    expect(Object.fromEntries([...results].map(([k, r]) => [k, r.passed]))).toEqual({
      sgv_not_null: false, sgv_in_range: true, stg_unique_reading_ts: true, category_values: true, mart_has_days: true,
    });
    expect(results.get('sgv_not_null')!.failingRows).toBe(3n);
    expect(await query(ctx, 'SELECT reading_date, reading_count FROM marts.mrt_glucose_overview ORDER BY 1')).toEqual([['2026-11-01', '285'], ['2026-11-02', '288']]);
    const tables = await services.tables.listTables({ refName: ctx.branch, commitHash: (await services.catalog.resolve(ctx.branch)).hash }, { first: 20 });
    expect(tables.edges.map((e: { node: { key: string } }) => e.node.key)).toEqual([
      'bronze.stg_entries', 'gold.dim_date', 'marts.mrt_glucose_overview', 'raw.entries', 'silver.fct_glucose_readings',
    ]);

    // Raw is append-only: ingesting the same days again appends, and bronze drops the duplicates.
    const again = await runSteps({ ...ctx, params: { days: 2, badReadings: 0 } });
    expect(again.get('stg_unique_reading_ts')!.passed).toBe(true);
    expect(again.get('sgv_not_null')!.failingRows).toBe(3n);
    expect(await query(ctx, 'SELECT count(*) FROM raw.entries')).toEqual([['1152']]);
    expect(await query(ctx, 'SELECT count(*) FROM bronze.stg_entries')).toEqual([['576']]);
  });

  it('overwrites the seeded demo tables in place: its models produce the same columns', async () => {
    const out = buildPipeline(glucose, 'glucose.ts');
    if (!('pipeline' in out)) throw new Error(JSON.stringify(out.errors));
    const branch = `demo-${++branchNo}`;
    await services.catalog.createBranch(branch, 'main', actor);
    for (const ns of ['bronze', 'silver', 'gold', 'marts']) await services.catalog.createNamespace(branch, ns, null, actor);
    await seedDemoTables(services.tables, branch as RefName, 1);
    const { ctx } = await context(out.pipeline, { days: 2 }, branch);
    await runSteps(ctx);
    for (const t of ['bronze.stg_entries', 'silver.fct_glucose_readings', 'gold.dim_date', 'marts.mrt_glucose_overview']) {
      const view = await services.tables.table(branch, t, actor);
      const m = await services.tables.metadata(view!.content.metadataLocation);
      expect([t, m.snapshots.map((s) => s.summary.operation)]).toEqual([t, ['append', 'overwrite']]);
    }
    expect(await query(ctx, 'SELECT count(*) FROM marts.mrt_glucose_overview')).toEqual([['2']]);
  });
});
