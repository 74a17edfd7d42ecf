/**
 * `sql(engine: TRINO)` against `sql(engine: DUCKDB)` on the demo, on a stack of its own: the S3
 * server, a Nessie whose Iceberg REST catalog keeps its warehouse there (with the demo seeded into
 * it by the gateway), and Trino 476 with its Iceberg catalog on that Nessie. Every demo table agrees
 * row for row at main, at the tag v1.0 and at main~1; refused queries never reach Trino (its query
 * list is read to check); a query past its time limit is cancelled in Trino.
 */
import { randomBytes } from 'node:crypto';
import { BasicAuth, Trino } from 'trino-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { createTestBucket } from '../support/s3.js';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { startNessie, type RunningService } from '../support/services.js';
import { startTrino, type RunningTrino } from '../support/trino.js';
import { pipelinesDir, startRun, waitForRun } from '../support/pipelines.js';

/** The demo's glucose pipeline, and a pipeline with a model that runs on Trino. */
const PIPELINES = {
  'glucose.ts': `import glucose from '${process.cwd()}/pipelines/glucose.ts';\nexport default glucose;\n`,
  'trino_model.yaml': `
name: trino_model
target: main
ingest:
  - name: load
    table: raw.t_events
    columns: [{ name: id, type: long, required: true }, { name: amount, type: "decimal(10,2)" }]
    source: { kind: rows, rows: [{ id: 1, amount: "1.50" }, { id: 2, amount: "2.25" }, { id: 3, amount: null }] }
models:
  - name: t_summary
    table: silver.t_summary
    engine: trino
    sql: "SELECT count(*) AS n, sum(amount) AS total FROM {{ source('raw', 't_events') }}"
audits:
  - { name: has_rows, table: silver.t_summary, check: row_count_min, min: 1 }
`,
};

const SQL = `query($r: String!, $q: String!, $e: SqlEngine) { sql(ref: $r, query: $q, engine: $e, maxRows: 10000) { columns { name type } rows truncated } }`;

/** Trino's own query list: the statements it was sent whose text holds `marker`, with their state. */
async function trinoQueries(url: string, marker: string): Promise<{ query: string; state: string }[]> {
  const trino = Trino.create({ server: url, auth: new BasicAuth('test') });
  const out: { query: string; state: string }[] = [];
  const it = await trino.query(`SELECT query, state FROM system.runtime.queries WHERE query LIKE '%${marker}%' AND query NOT LIKE '%system.runtime.queries%'`);
  for await (const page of it) {
    if (page.error) throw new Error(page.error.message);
    for (const [query, state] of (page.data ?? []) as [string, string][]) out.push({ query, state });
  }
  return out;
}

describe('sql on Trino and on DuckDB', () => {
  let nessie: RunningService;
  let trino: RunningTrino;
  let g: Gateway;
  let gatewayEnv: Record<string, string> = {};
  beforeAll(async () => {
    const s3 = inject('s3');
    const warehouse = `s3://${await createTestBucket(s3, 'trino')}/warehouse`;
    nessie = await startNessie({ s3Warehouse: { location: warehouse, ...s3 } });
    trino = await startTrino({ nessieUri: nessie.url, s3 });
    gatewayEnv = { ...nessieS3GatewayEnv(s3, { apiUri: nessie.url, warehouse }), TRINO_URL: trino.url };
    g = await startGateway({
      PIPELINES_DIR: await pipelinesDir(PIPELINES),
      RUN_POLL_MS: '200',
      ...gatewayEnv,
      CASCADE_DEMO: 'true',
    });
  }, 300_000);
  afterAll(async () => {
    await g?.stop();
    await trino?.stop();
    await nessie?.stop();
  });

  it('lists both engines with their versions; DuckDB is the default', async () => {
    const d = await g.data(`{ sqlEngines { engine version isDefault } }`);
    expect(d.sqlEngines).toEqual([
      { engine: 'DUCKDB', version: expect.stringMatching(/^v?\d+\.\d+/), isDefault: true },
      { engine: 'TRINO', version: '476', isDefault: false },
    ]);
  });

  it('agrees row for row on every demo table at main, at the tag v1.0 and at main~1', async () => {
    const tables = (await g.data(`{ tables(ref: "main", first: 100) { nodes { namespace name schema { fields { name } } } } }`)).tables.nodes
      .map((t: any) => ({ ...t, name: `${t.namespace}.${t.name}` }));
    expect(tables.length).toBeGreaterThanOrEqual(4);
    let compared = 0;
    for (const ref of ['main', 'v1.0', 'main~1']) {
      const here = (await g.data(`query($r: String!) { tables(ref: $r, first: 100) { nodes { namespace name } } }`, { r: ref })).tables.nodes.map((t: any) => `${t.namespace}.${t.name}`);
      for (const t of tables.filter((x: any) => here.includes(x.name))) {
        const order = t.schema.fields.map((_: unknown, i: number) => i + 1).join(', ');
        const q = `SELECT * FROM ${t.name} ORDER BY ${order}`;
        const duck = (await g.data(SQL, { r: ref, q, e: 'DUCKDB' })).sql;
        const onTrino = (await g.data(SQL, { r: ref, q, e: 'TRINO' })).sql;
        expect(onTrino.columns, `${t.name} at ${ref}`).toEqual(duck.columns);
        expect(onTrino.rows, `${t.name} at ${ref}`).toEqual(duck.rows);
        expect(onTrino.truncated).toBe(false);
        compared += duck.rows.length;
      }
    }
    expect(compared).toBeGreaterThan(100);
  }, 120_000);

  it('carries decimals, timestamps with and without zone, dates, binary and 64-bit values exactly', async () => {
    const branch = `trino-types-${randomBytes(3).toString('hex')}`;
    await g.data(`mutation($b: String!) { createBranch(name: $b) { __typename } }`, { b: branch });
    const columns = [
      { name: 'id', type: 'long', required: true }, { name: 'amount', type: 'decimal(20,4)' }, { name: 'ts', type: 'timestamp' },
      { name: 'tz', type: 'timestamptz' }, { name: 'd', type: 'date' }, { name: 'b', type: 'binary' }, { name: 'x', type: 'double' }, { name: 's', type: 'string' },
    ];
    await g.data(`mutation($b: String!) { createNamespace(branch: $b, name: "lake") { __typename } }`, { b: branch });
    const made = await g.data(`mutation($b: String!, $c: [ColumnInput!]!) { createTable(branch: $b, name: "lake.typed", columns: $c) { __typename ... on Error { message } } }`, { b: branch, c: columns });
    expect(made.createTable.__typename).toBe('CreateTableSuccess');
    const rows = [
      { id: '9007199254740993', amount: '12345678901234.5678', ts: '2026-01-02T03:04:05.123456', tz: '2026-01-02T03:04:05.654321Z', d: '2026-01-02', b: '3q2+7w==', x: 1.5, s: 'a' },
      { id: '-2', amount: '-0.0001', ts: '1969-12-31T23:59:59.999999', tz: '1970-01-01T00:00:00Z', d: '1900-03-01', b: '', x: -0.25, s: null },
      { id: '3', amount: null, ts: null, tz: null, d: null, b: null, x: null, s: 'ü' },
    ];
    const added = await g.data(`mutation($b: String!, $r: JSON) { appendRows(branch: $b, table: "lake.typed", rows: $r) { __typename ... on Error { message } } }`, { b: branch, r: rows });
    expect(added.appendRows.__typename).toBe('WriteSuccess');
    const q = 'SELECT id, amount, ts, tz, d, b, x, s, id + 1 AS next_id, amount * 2 AS twice FROM lake.typed ORDER BY id';
    const duck = (await g.data(SQL, { r: branch, q, e: 'DUCKDB' })).sql;
    const onTrino = (await g.data(SQL, { r: branch, q, e: 'TRINO' })).sql;
    expect(onTrino.rows).toEqual(duck.rows);
    expect(onTrino.rows[2][0]).toBe('9007199254740993');
    expect(onTrino.rows[2][8]).toBe('9007199254740994');
    expect(onTrino.rows[2].slice(1, 6)).toEqual(['12345678901234.5678', '2026-01-02T03:04:05.123456', '2026-01-02T03:04:05.654321Z', '2026-01-02', '3q2+7w==']);
    expect(onTrino.columns.map((c: any) => c.type)).toEqual(duck.columns.map((c: any) => c.type));
  }, 60_000);

  it('refuses DDL, DML, system tables, other catalogs and a second statement on both engines, and nothing reaches Trino', async () => {
    const marker = `refused_${randomBytes(4).toString('hex')}`;
    const refused = [
      `CREATE TABLE lake.${marker} AS SELECT 1 AS x`,
      `INSERT INTO raw.entries SELECT * FROM raw.entries /* ${marker} */`,
      `DELETE FROM raw.entries /* ${marker} */`,
      `DROP TABLE raw.entries /* ${marker} */`,
      `SELECT * FROM system.runtime.queries /* ${marker} */`,
      `SELECT * FROM iceberg.raw.entries /* ${marker} */`,
      `SELECT 1 /* ${marker} */; SELECT 2`,
      `SELECT * FROM TABLE(system.query(query => 'SELECT 1')) /* ${marker} */`,
    ];
    for (const q of refused) {
      for (const e of ['DUCKDB', 'TRINO']) {
        const r = await g.gql(SQL, { r: 'main', q, e });
        expect(r.errors?.[0]?.extensions?.code, `${e}: ${q}`).toBe('INVALID_INPUT');
      }
    }
    expect(await trinoQueries(trino.url, marker)).toEqual([]);
  });

  it('cancels a query in Trino once it is past its time limit', async () => {
    const marker = `slow_${randomBytes(4).toString('hex')}`;
    const q = `SELECT count(*) AS n /* ${marker} */ FROM raw.entries CROSS JOIN UNNEST(sequence(1, 10000)) AS a(x) CROSS JOIN UNNEST(sequence(1, 10000)) AS b(y) CROSS JOIN UNNEST(sequence(1, 10000)) AS c(z)`;
    // A gateway of its own with a short time limit, on the same Nessie, S3 and Trino.
    const quick = await startGateway({ ...gatewayEnv, QUERY_TIMEOUT_MS: '5000' });
    let r: Awaited<ReturnType<Gateway['gql']>>;
    try {
      r = await quick.gql(SQL, { r: 'main', q, e: 'TRINO' });
    } finally {
      await quick.stop();
    }
    expect(r.errors?.[0]?.extensions?.code).toBe('LIMIT_EXCEEDED');
    let seen: { state: string }[] = [];
    for (let i = 0; i < 40; i++) {
      seen = await trinoQueries(trino.url, marker);
      if (seen.length > 0 && seen.every((s) => s.state === 'FAILED' || s.state === 'CANCELED')) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(seen.length).toBe(1);
    expect(['FAILED', 'CANCELED']).toContain(seen[0]!.state);
  }, 90_000);

  it('runs a pipeline model on Trino: Trino commits its table on the run branch, the run audits and merges it', async () => {
    const target = `trino-target-${randomBytes(3).toString('hex')}`;
    await g.data(`mutation($b: String!) { createBranch(name: $b) { __typename } }`, { b: target });
    const summary = async () => {
      const q = 'SELECT n, total FROM silver.t_summary';
      const onTrino = (await g.data(SQL, { r: target, q, e: 'TRINO' })).sql.rows;
      expect((await g.data(SQL, { r: target, q, e: 'DUCKDB' })).sql.rows).toEqual(onTrino);
      return onTrino;
    };
    for (const [i, want] of [[1, [['3', '3.75']]], [2, [['6', '7.50']]]] as const) {
      const run = await waitForRun(g, await startRun(g, 'trino_model', undefined, target));
      expect(run.status, run.error).toBe('SUCCEEDED');
      expect(run.audits).toEqual([expect.objectContaining({ name: 'has_rows', passed: true })]);
      expect(run.commits.length, `run ${i}`).toBeGreaterThanOrEqual(2);
      expect(await summary(), `run ${i}`).toEqual(want);
    }
    const events = (await g.data(`{ runs(pipeline: "trino_model", first: 1) { nodes { events { type step message } } } }`)).runs.nodes[0].events;
    expect(events.find((e: any) => e.type === 'STEP_SUCCEEDED' && e.step === 't_summary')?.message).toMatch(/rebuilt silver\.t_summary with 1 rows/);
  }, 120_000);

  it('says so when TRINO is asked of a gateway without Trino', async () => {
    const plain = await startGateway({});
    try {
      const r = await plain.gql(SQL, { r: 'main', q: 'SELECT 1', e: 'TRINO' });
      expect(r.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/TRINO_URL/);
      expect((await plain.data(`{ sqlEngines { engine } }`)).sqlEngines).toEqual([{ engine: 'DUCKDB' }]);
    } finally {
      await plain.stop();
    }
  });
});
