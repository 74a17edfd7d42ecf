/**
 * The seeds' whole stack in one test, without Docker (the topology of docker-compose.yml): the S3
 * server; Nessie with its JDBC2 version store on PostgreSQL (so a restart keeps the catalog) and its
 * Iceberg REST catalog on the bucket; Trino on that catalog; PostgreSQL for runs and marts; and two
 * gateway processes on different ports sharing all of them.
 *  - A run started on gateway A streams every event once, in order, to a subscriber on gateway B,
 *    and is executed once (both gateways are workers).
 *  - After it merges, Trino reads the run's tables at main, and the mart is published once.
 *  - A table Trino creates and fills (CREATE TABLE … AS SELECT) is read through gateway B.
 *  - Nessie restarted on the same database still has main where it was.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { BasicAuth, Trino } from 'trino-client';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, subscribe } from '../support/gateway.js';
import { EVENTS_SUB, pipelinesDir } from '../support/pipelines.js';
import { graphqlData, startGatewayProcess } from '../support/process.js';
import { createTestBucket } from '../support/s3.js';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { createTestDatabase, freePort, startNessie, type RunningService } from '../support/services.js';
import { startTrino, type RunningTrino } from '../support/trino.js';

const GLUCOSE = `import glucose from '${process.cwd()}/pipelines/glucose.ts';\nexport default glucose;\n`;

/** Nessie's JDBC2 version store on a PostgreSQL database (`postgresql://user:pass@host:port/db`). */
function jdbc2(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    'nessie.version.store.type': 'JDBC2',
    'nessie.version.store.persist.jdbc.datasource': 'postgresql',
    'quarkus.datasource.postgresql.jdbc.url': `jdbc:postgresql://${u.host}${u.pathname}`,
    'quarkus.datasource.postgresql.username': decodeURIComponent(u.username),
    'quarkus.datasource.postgresql.password': decodeURIComponent(u.password),
  };
}

async function trinoRows(url: string, query: string): Promise<unknown[][]> {
  const trino = Trino.create({ server: url, catalog: 'iceberg', auth: new BasicAuth('test') });
  const rows: unknown[][] = [];
  for await (const page of await trino.query(query)) {
    if (page.error) throw new Error(`Trino: ${page.error.message}`);
    rows.push(...((page.data ?? []) as unknown[][]));
  }
  return rows;
}

describe('the whole stack: S3, Nessie on PostgreSQL, Trino, PostgreSQL, two gateways', () => {
  let nessie: RunningService;
  let nessieProps: Record<string, string>;
  let nessiePort: number;
  let warehouse: string;
  let trino: RunningTrino;
  const gateways: { child: ChildProcess; url: string; log: () => string }[] = [];
  let dir: string;
  const clients: Client[] = [];
  const ws = (url: string) => {
    const c = createClient({ url: `${url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const s3 = inject('s3');
    const server = inject('databaseUrl');
    warehouse = `s3://${await createTestBucket(s3, 'stack')}/warehouse`;
    nessieProps = jdbc2(await createTestDatabase(server, 'stack_nessie'));
    nessiePort = await freePort();
    nessie = await startNessie({ port: nessiePort, s3Warehouse: { location: warehouse, ...s3 }, properties: nessieProps });
    trino = await startTrino({ nessieUri: nessie.url, s3 });
    dir = await pipelinesDir({ 'glucose.ts': GLUCOSE });
    const env = {
      ...nessieS3GatewayEnv(s3, { apiUri: nessie.url, warehouse }),
      DATABASE_URL: await createTestDatabase(server, 'stack_gateways'),
      TRINO_URL: trino.url,
      PIPELINES_DIR: dir,
      RUN_POLL_MS: '200',
    };
    gateways.push(await startGatewayProcess(env, await freePort(), 180_000));
    gateways.push(await startGatewayProcess(env, await freePort(), 180_000));
  }, 400_000);

  afterAll(async () => {
    for (const c of clients) await c.dispose();
    for (const g of gateways) g.child.kill('SIGTERM');
    await Promise.all(gateways.map((g) => new Promise((r) => (g.child.exitCode !== null ? r(null) : g.child.once('exit', r)))));
    await trino?.stop();
    await nessie?.stop();
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  });

  it('runs on A, streams to B once and in order, executes once, merges; Trino reads the result at main; the mart is published once', async () => {
    const [a, b] = gateways as [(typeof gateways)[0], (typeof gateways)[0]];
    const start = await graphqlData(a.url, `mutation { startRun(pipeline: "glucose", params: { days: 3 }) { __typename ... on StartRunSuccess { run { runId } } ... on Error { message } } }`);
    expect(start.startRun.__typename, JSON.stringify(start)).toBe('StartRunSuccess');
    const runId = start.startRun.run.runId as string;
    const onB = subscribe(ws(b.url), EVENTS_SUB, { id: runId });
    await eventually(() => onB.isCompleted(), 240_000);
    expect(onB.errors).toEqual([]);
    const events = onB.events.map((e) => e.runEvents);
    expect(events.map((e) => e.seq)).toEqual(events.map((_: unknown, i: number) => i + 1));
    expect(events.at(-1).type).toBe('RUN_SUCCEEDED');
    expect(events.filter((e) => e.type === 'RUN_STARTED')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'MARTS_PUBLISHED')).toHaveLength(1);
    const fromA = (await graphqlData(a.url, `query($id: ID!) { run(id: $id) { status mergedHash events { seq type } } }`, { id: runId })).run;
    expect(fromA.status).toBe('SUCCEEDED');
    expect(fromA.events.map((e: any) => e.seq)).toEqual(events.map((e) => e.seq));

    // The merge commit is main's head on both gateways; Trino's catalog (Nessie's REST catalog at main) reads the same tables.
    for (const g of gateways) expect((await graphqlData(g.url, `{ defaultBranch { hash } }`)).defaultBranch.hash).toBe(fromA.mergedHash);
    const tables = (await graphqlData(b.url, `{ tables(ref: "main", first: 100) { nodes { namespace name } } }`)).tables.nodes.map((t: any) => `${t.namespace}.${t.name}`);
    expect(tables).toEqual(expect.arrayContaining(['marts.mrt_glucose_overview']));
    for (const name of tables) {
      const counted = (await graphqlData(b.url, `query($q: String!) { sql(ref: "main", query: $q) { rows } }`, { q: `SELECT count(*) FROM ${name}` })).sql.rows[0][0];
      expect(String((await trinoRows(trino.url, `SELECT count(*) FROM iceberg.${name}`))[0]![0]), name).toBe(counted);
    }
    const mart = (await graphqlData(b.url, `{ mart(name: "mrt_glucose_overview") { rowCount publishedFrom { ref commitHash } } }`)).mart;
    expect(mart).toEqual({ rowCount: '3', publishedFrom: { ref: 'main', commitHash: fromA.mergedHash } });
    const runs = (await graphqlData(b.url, `{ runs(pipeline: "glucose", first: 10) { nodes { runId status } } }`)).runs.nodes;
    expect(runs).toEqual([{ runId, status: 'SUCCEEDED' }]);
  }, 300_000);

  it('reads through gateway B a table that Trino created and filled', async () => {
    const b = gateways[1]!;
    await trinoRows(trino.url, 'CREATE SCHEMA IF NOT EXISTS iceberg.lake');
    await trinoRows(trino.url, `CREATE TABLE iceberg.lake.from_trino AS
      SELECT CAST(x AS bigint) AS id, CAST(x AS decimal(10, 2)) / 4 AS quarter, DATE '2026-01-01' + x * INTERVAL '1' DAY AS day
      FROM UNNEST(sequence(1, 50)) AS t(x)`);
    const d = await graphqlData(b.url, `{ table(name: "lake.from_trino") { rows(first: 2, orderBy: [{ column: "id" }]) { rows } }
      sql(ref: "main", query: "SELECT count(*), sum(quarter) FROM lake.from_trino") { rows } }`);
    expect(d.table.rows.rows).toEqual([{ id: '1', quarter: '0.25', day: '2026-01-02' }, { id: '2', quarter: '0.50', day: '2026-01-03' }]);
    expect(d.sql.rows).toEqual([['50', '318.75']]);
    const onTrino = (await graphqlData(b.url, `{ sql(ref: "main", engine: TRINO, query: "SELECT count(*), sum(quarter) FROM lake.from_trino") { rows } }`)).sql.rows;
    expect(onTrino).toEqual(d.sql.rows);
  }, 120_000);

  it('keeps the catalog when Nessie restarts on the same PostgreSQL database', async () => {
    const a = gateways[0]!;
    const before = (await graphqlData(a.url, `{ defaultBranch { hash } }`)).defaultBranch.hash;
    await nessie.stop();
    nessie = await startNessie({ port: nessiePort, s3Warehouse: { location: warehouse, ...inject('s3') }, properties: nessieProps });
    let after: string | null = null;
    for (let i = 0; i < 60 && after === null; i++) {
      after = (await graphqlData(a.url, `{ defaultBranch { hash } }`).catch(() => null))?.defaultBranch.hash ?? null;
      if (after === null) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(after).toBe(before);
    expect((await graphqlData(a.url, `{ sql(ref: "main", query: "SELECT count(*) FROM lake.from_trino") { rows } }`)).sql.rows).toEqual([['50']]);
  }, 120_000);
});
