/**
 * No credential of the S3 warehouse leaks to anyone who can see the gateway: a gateway process on a
 * private versitygw (its random root keys are the gateway's keys), LOG_LEVEL=debug, goes through a
 * realistic session (tables, appends, reads, sql that works and sql that fails, a pipeline run and
 * its events, /readyz and /metrics, storage errors while the server is paused), and neither key nor
 * any signed-URL part (X-Amz-Signature, X-Amz-Credential) shows in any GraphQL response, run event,
 * sql output, /readyz or /metrics body, or the process's stdout and stderr. `sql` cannot read the
 * gateway's environment or DuckDB's settings and secrets.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COUNTER_PIPELINE, pipelinesDir, RUN_FIELDS, START } from '../support/pipelines.js';
import { postGraphql, startGatewayProcess } from '../support/process.js';
import { createTestBucket, startS3Server, type RunningS3Server } from '../support/s3.js';
import { s3GatewayEnv } from '../support/s3-gateway.js';
import { freePort } from '../support/services.js';

describe('S3 credentials stay secret (a gateway process, LOG_LEVEL=debug)', () => {
  let s3: RunningS3Server;
  let child: ChildProcess | undefined;
  let home: string;
  let pdir: string;
  let url: string;
  let log: () => string;
  /** Every body a client or an operator saw. */
  const seen: { what: string; text: string }[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    const bucket = await createTestBucket(s3, 'secrets');
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-secrets-'));
    pdir = await pipelinesDir({ 'counter.yaml': COUNTER_PIPELINE });
    const g = await startGatewayProcess(
      { ...s3GatewayEnv(s3, bucket), CASCADE_HOME: home, LOG_LEVEL: 'debug', PIPELINES_DIR: pdir },
      await freePort(),
    );
    child = g.child;
    url = g.url;
    log = g.log;
  }, 300_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await s3?.stop();
    if (home) await fs.rm(home, { recursive: true, force: true });
    if (pdir) await fs.rm(pdir, { recursive: true, force: true });
  });

  const gql = async (what: string, query: string, variables?: Record<string, unknown>) => {
    const body = await postGraphql(url, query, variables);
    seen.push({ what, text: JSON.stringify(body) });
    return body;
  };
  const get = async (p: string) => {
    const res = await fetch(`${url}${p}`);
    const text = await res.text();
    seen.push({ what: p, text });
    return { status: res.status, text };
  };
  const sql = (query: string) => gql(`sql ${query}`, `query($q: String!) { sql(ref: "main", query: $q) { rows } }`, { q: query });

  it('shows no key and no signed URL in responses, run events, sql, /readyz, /metrics or logs', async () => {
    const ok = async (what: string, query: string, variables?: Record<string, unknown>) => {
      const body = await gql(what, query, variables);
      expect(body.errors, `${what}: ${JSON.stringify(body)}`).toBeUndefined();
      return body.data;
    };
    await ok('namespace', `mutation { createNamespace(branch: "main", name: "sec") { __typename } }`);
    const created = await ok(
      'createTable',
      `mutation { createTable(branch: "main", name: "sec.items", columns: [{ name: "id", type: "long", required: true }, { name: "v", type: "string" }]) { __typename } }`,
    );
    expect(created.createTable.__typename).toBe('CreateTableSuccess');
    const APPEND = `mutation($rows: JSON) { appendRows(branch: "main", table: "sec.items", rows: $rows) { __typename ... on WriteSuccess { addedRows } ... on Error { code message } } }`;
    expect((await ok('append', APPEND, { rows: [{ id: 1, v: 'a' }, { id: 2, v: 'b' }] })).appendRows.__typename).toBe('WriteSuccess');
    const rows = await ok('rows', `{ table(name: "sec.items", ref: "main") { rows(first: 10, orderBy: [{ column: "id" }]) { rows } } }`);
    expect(rows.table.rows.rows).toHaveLength(2);
    expect((await sql('SELECT count(*) FROM sec.items')).data.sql.rows).toEqual([['2']]);
    expect((await sql('SELECT no_such_column FROM sec.items')).errors?.length).toBeGreaterThan(0);

    // sql reaching for the environment, the settings or the secrets: refused, or nothing secret.
    for (const q of [
      `SELECT getenv('AWS_SECRET_ACCESS_KEY')`,
      `SELECT getenv('AWS_ACCESS_KEY_ID')`,
      `SELECT current_setting('s3_secret_access_key')`,
      `SELECT * FROM duckdb_settings()`,
      `SELECT * FROM duckdb_secrets()`,
      `SELECT * FROM which_secret('s3://x/y', 's3')`,
      `CREATE SECRET s (TYPE s3, PROVIDER credential_chain)`,
      `SELECT * FROM read_parquet('s3://x/y.parquet')`,
    ]) {
      const body = await sql(q);
      if (!body.errors) {
        const text = JSON.stringify(body.data);
        expect(text, q).not.toContain(s3.secretAccessKey);
        expect(text, q).not.toContain(s3.accessKeyId);
      }
    }
    const env = await sql(`SELECT getenv('AWS_SECRET_ACCESS_KEY')`);
    if (!env.errors) expect(env.data.sql.rows.flat().filter((v: unknown) => v !== null && v !== '')).toEqual([]);

    // A pipeline run and its events.
    const started = await ok('startRun', START, { p: 'counter' });
    expect(started.startRun.__typename, JSON.stringify(started)).toBe('StartRunSuccess');
    const runId = started.startRun.run.runId;
    const until = Date.now() + 120_000;
    let run: any;
    for (;;) {
      run = (await ok('run', `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: runId })).run;
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(run.status)) break;
      if (Date.now() > until) throw new Error(`run still ${run.status}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run.status, JSON.stringify(run)).toBe('SUCCEEDED');
    const events = (await ok('events', `query($id: ID!) { run(id: $id) { events { seq type step level message data } } }`, { id: runId })).run.events;
    expect(events.length).toBeGreaterThan(0);

    expect((await get('/readyz')).status).toBe(200);
    await get('/metrics');

    // Storage errors: an append and a read of a file not yet in the engine's cache while the server is down.
    expect((await ok('append 2', APPEND, { rows: [{ id: 3, v: 'c' }] })).appendRows.__typename).toBe('WriteSuccess');
    await s3.pause();
    try {
      const failed = await gql('append down', APPEND, { rows: [{ id: 4, v: 'd' }] });
      expect(JSON.stringify(failed)).toContain('BACKEND_UNAVAILABLE');
      const read = await sql('SELECT count(*), max(id) FROM sec.items');
      expect(JSON.stringify(read)).toContain('BACKEND_UNAVAILABLE');
      await get('/readyz');
      await get('/metrics');
    } finally {
      await s3.resume();
    }
    expect((await sql('SELECT count(*) FROM sec.items')).data.sql.rows).toEqual([['3']]);
    await get('/metrics');
    await new Promise((r) => setTimeout(r, 300));

    const logText = log();
    expect(logText.length).toBeGreaterThan(0);
    const places = [...seen, { what: 'gateway stdout/stderr', text: logText }];
    for (const { what, text } of places) {
      expect(text.includes(s3.secretAccessKey), `secret key in ${what}`).toBe(false);
      expect(text.includes(s3.accessKeyId), `access key id in ${what}`).toBe(false);
      expect(/X-Amz-Signature|X-Amz-Credential/i.test(text), `signed URL in ${what}`).toBe(false);
    }
  }, 300_000);
});
