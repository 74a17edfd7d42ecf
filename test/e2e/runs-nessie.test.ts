/**
 * Write-Audit-Publish runs over a real Nessie server: the run branch, its table commits and the one
 * merge commit (carrying the run id) are Nessie's; a failing audit leaves the target untouched.
 * The shared Nessie server serves the whole test run, so runs target a private branch.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { allEvents, COUNTER_PIPELINE, pipelinesDir, SLOW_PIPELINE, startRun, waitForRun } from '../support/pipelines.js';

describe('pipeline runs on Nessie', () => {
  let g: Gateway;
  let dir: string;
  const target = `runs-target-${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    dir = await pipelinesDir({ 'counter.yaml': COUNTER_PIPELINE, 'slow.ts': SLOW_PIPELINE });
    g = await startGateway({ NESSIE_URI: inject('nessieUri'), PIPELINES_DIR: dir, RUN_POLL_MS: '200' });
    // The target starts with no commits, like a fresh catalog's main: Nessie alone cannot merge into it.
    await g.data(`mutation($n: String!, $root: String!) { createBranch(name: $n, from: $root) { __typename } }`, { n: target, root: `@${NO_ANCESTOR}` });
    expect((await headOf()).hash).toBe(NO_ANCESTOR);
  });
  afterAll(async () => {
    await g?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const NO_ANCESTOR = '2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d';
  const headOf = async () => (await g.data(`query($n: String!) { branch(name: $n) { hash head { parentHashes properties } } }`, { n: target })).branch;

  it('merges a passing run into the target as one merge commit carrying the run id, the first into an empty branch', async () => {
    const first = await waitForRun(g, await startRun(g, 'counter', undefined, target));
    expect(first.status, first.error).toBe('SUCCEEDED');
    const published = await headOf();
    expect(published.hash).toBe(first.mergedHash);
    expect(JSON.stringify(published.head.properties)).toContain(first.runId);
    const once = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT (SELECT n FROM silver.counter_total), (SELECT count(*) FROM raw.counter_events)") { rows } }`, { r: target });
    expect(once.sql.rows).toEqual([['3', '3']]);
    const before = await headOf();
    const runId = await startRun(g, 'counter', undefined, target);
    const run = await waitForRun(g, runId);
    expect(run.status, run.error).toBe('SUCCEEDED');
    const after = await headOf();
    expect(after.hash).toBe(run.mergedHash);
    expect(after.head.parentHashes[0]).toBe(before.hash);
    expect(JSON.stringify(after.head.properties)).toContain(runId);
    const d = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT (SELECT n FROM silver.counter_total), (SELECT count(*) FROM raw.counter_events)") { rows } }`, { r: target });
    expect(d.sql.rows).toEqual([['6', '6']]); // the first run's three rows and this run's three
    const events = await allEvents(g, runId);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('a failing audit leaves the target untouched and keeps the data on the run branch', async () => {
    const before = await headOf();
    const run = await waitForRun(g, await startRun(g, 'slow', { batches: 1, delayMs: 0, bad: 4 }, target));
    expect(run.status).toBe('FAILED');
    expect(run.audits.find((a: any) => a.name === 'value_not_null')).toMatchObject({ passed: false, failingRows: '4' });
    expect((await headOf()).hash).toBe(before.hash);
    const onBranch = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT count(*) FROM raw.slow_events WHERE value IS NULL") { rows } }`, { r: run.branch });
    expect(onBranch.sql.rows).toEqual([['4']]);
  });
});
