/**
 * Two gateway instances on one PostgreSQL: a subscriber on B sees every event of a run that A
 * executes (LISTEN/NOTIFY), and runs started across both execute exactly once each (claimed with
 * SELECT … FOR UPDATE SKIP LOCKED).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../support/services.js';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { allEvents, EVENTS_SUB, pipelinesDir, SLOW_PIPELINE, startRun, waitForRun } from '../support/pipelines.js';

describe('runs across two gateway instances on one PostgreSQL', () => {
  let a: Gateway;
  let b: Gateway;
  let dir: string;
  let warehouse: string;
  beforeAll(async () => {
    const url = await createTestDatabase(inject('databaseUrl'), 'runs');
    dir = await pipelinesDir({ 'slow.ts': SLOW_PIPELINE });
    // Instances behind one load balancer share the catalog database and the warehouse.
    warehouse = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-shared-warehouse-'));
    const env = { DATABASE_URL: url, PIPELINES_DIR: dir, WAREHOUSE: `file://${warehouse}`, RUN_POLL_MS: '200', RUN_CONCURRENCY: '2' };
    a = await startGateway(env);
    b = await startGateway(env);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rm(warehouse, { recursive: true, force: true });
  });

  it('a subscriber on B receives every event of a run started through A, in order, exactly once', async () => {
    const runId = await startRun(a, 'slow', { batches: 3, delayMs: 400 });
    const sub = subscribe(b.ws(), EVENTS_SUB, { id: runId });
    const run = await waitForRun(a, runId);
    expect(run.status).toBe('SUCCEEDED');
    await eventually(() => sub.isCompleted(), 15_000);
    const reference = await allEvents(b, runId);
    expect(sub.events.map((e) => e.runEvents)).toEqual(reference);
    expect(reference.map((e) => e.seq)).toEqual(reference.map((_, i) => i + 1));
    expect(reference.at(-1).type).toBe('RUN_SUCCEEDED');
  });

  it('executes 10 runs started across both instances exactly once each', async () => {
    // Each run targets its own branch, so all of them can merge.
    for (let i = 0; i < 10; i++) await a.data(`mutation($n: String!) { createBranch(name: $n, from: "main") { __typename } }`, { n: `target-${i}` });
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) => startRun(i % 2 ? b : a, 'slow', { batches: 1, delayMs: 0 }, `target-${i}`)),
    );
    const runs = await Promise.all(ids.map((id) => waitForRun(b, id)));
    expect(runs.map((r) => [r.status, r.error])).toEqual(Array(10).fill(['SUCCEEDED', null]));
    const owners = new Set<string>();
    for (const id of ids) {
      const events = await allEvents(a, id);
      const started = events.filter((e) => e.type === 'RUN_STARTED');
      expect(started, `run ${id} started once`).toHaveLength(1);
      expect(events.filter((e) => e.type === 'MERGED')).toHaveLength(1);
      owners.add(String(started[0].data.owner));
    }
    for (let i = 0; i < 10; i++) {
      const d = await a.data(`query($n: String!) { branch(name: $n) { hash } }`, { n: `target-${i}` });
      expect(d.branch.hash).toBe(runs[i].mergedHash);
    }
    // Both instances took part (each polls and is woken by NOTIFY).
    expect(owners.size).toBe(2);
  });
});
