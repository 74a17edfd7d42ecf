/**
 * Write-Audit-Publish runs end to end, shared by the storage setups (local warehouse on the embedded
 * catalog, S3 on the embedded catalog, S3 on Nessie): live event streams over graphql-ws and SSE
 * (before, after, and across a reconnect: every event exactly once, in order), a failing audit that
 * leaves the target untouched, a passing run that publishes every table at once, cancel, the
 * concurrency limit, and bad input.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import {
  allEvents, BROKEN_SQL_PIPELINE, COUNTER_PIPELINE, EVENTS_SUB, INVALID_PIPELINE, pipelinesDir, SLOW_PIPELINE, START,
  startRun, waitForRun,
} from '../support/pipelines.js';
import { readSse } from '../support/sse.js';
import { sharedExecutionStats } from '../../subscriptions/shared-execution.js';

const TERMINAL = ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELED'];

function expectCompleteStream(events: any[], reference: any[]) {
  expect(events.map((e) => e.seq)).toEqual(reference.map((e) => e.seq));
  expect(events).toEqual(reference);
  expect(reference.map((e) => e.seq)).toEqual(reference.map((_, i) => i + 1));
  expect(TERMINAL).toContain(reference.at(-1).type);
}

export interface RunsSuiteOptions {
  env: () => Promise<Record<string, string>> | Record<string, string>;
  /**
   * Where the runs publish: `main`, or a branch of the suite's own (for a catalog other test files
   * share), made from the default branch with one commit so its history is the suite's alone.
   */
  target: 'main' | 'own branch';
}

export function describeRunsE2E(name: string, opts: RunsSuiteOptions): void {
  describe(`pipeline runs (${name})`, () => {
    let g: Gateway;
    let dir: string;
    let target = 'main';
    beforeAll(async () => {
      dir = await pipelinesDir({
        'slow.ts': SLOW_PIPELINE,
        'counter.yaml': COUNTER_PIPELINE,
        'broken_sql.yml': BROKEN_SQL_PIPELINE,
        'invalid.yaml': INVALID_PIPELINE,
      });
      g = await startGateway({ ...(await opts.env()), PIPELINES_DIR: dir, RUN_CONCURRENCY: '1', RUN_POLL_MS: '200' });
      if (opts.target === 'own branch') {
        target = `runs-target-${randomBytes(4).toString('hex')}`;
        await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: target });
        await g.data(`mutation($n: String!) { createNamespace(branch: $n, name: "landing") { __typename } }`, { n: target });
      }
    }, 120_000);
    afterAll(async () => {
      await g?.stop();
      await fs.rm(dir, { recursive: true, force: true });
    });

    const targetHead = async () => (await g.data(`query($t: String!) { branch(name: $t) { hash } }`, { t: target })).branch.hash as string;
    const start = (pipeline: string, params?: Record<string, unknown>) => startRun(g, pipeline, params, target);

    it('lists the pipelines with their steps, and reports the file that did not load', async () => {
      const d = await g.data(`{
        pipelines { name description target steps { name kind dependsOn } lastRun { runId } }
        pipelineErrors { file field message }
      }`);
      expect(d.pipelines.map((p: any) => p.name)).toEqual(['broken_sql', 'counter', 'slow']);
      const slow = d.pipelines.find((p: any) => p.name === 'slow');
      expect(slow.target).toBe('main');
      expect(slow.steps.map((s: any) => `${s.kind}:${s.name}`)).toEqual(
        expect.arrayContaining(['ingest:load_events', 'model:slow_summary', 'audit:value_not_null', 'publish:publish']),
      );
      expect(d.pipelineErrors).toHaveLength(1);
      expect(d.pipelineErrors[0].file).toMatch(/invalid\.yaml$/);
      expect(d.pipelineErrors[0].field).toMatch(/ingest\.0\.table/);
    });

    it('streams every event exactly once, in order, to a subscriber from the start, one after the end, one that reconnects, and over SSE', async () => {
      const before = await targetHead();
      const runId = await start('slow', { batches: 5, delayMs: 600 });
      const early = subscribe(g.ws(), EVENTS_SUB, { id: runId });
      const sse = readSse(`${g.url}/graphql`, EVENTS_SUB, { id: runId });

      // A client that drops mid-run and resubscribes after the last seq it saw.
      const first = subscribe(g.ws(), EVENTS_SUB, { id: runId });
      await eventually(() => first.events.some((e) => e.runEvents.type === 'STEP_PROGRESS'), 30_000);
      first.unsubscribe();
      const seen = first.events.map((e) => e.runEvents);
      const lastSeq = seen.at(-1).seq;
      const second = subscribe(g.ws(), EVENTS_SUB, { id: runId, after: lastSeq });

      const run = await waitForRun(g, runId);
      expect(run.status).toBe('SUCCEEDED');
      await eventually(() => early.isCompleted() && second.isCompleted(), 10_000);
      const reference = await allEvents(g, runId);
      expectCompleteStream(early.events.map((e) => e.runEvents), reference);
      expectCompleteStream([...seen, ...second.events.map((e) => e.runEvents)], reference);
      expect(early.errors).toEqual([]);
      expect(second.errors).toEqual([]);

      await eventually(() => sse.events.length === reference.length, 10_000);
      expectCompleteStream(sse.events.map((e) => e.runEvents), reference);
      sse.close();

      const late = subscribe(g.ws(), EVENTS_SUB, { id: runId });
      await eventually(() => late.isCompleted(), 10_000);
      expectCompleteStream(late.events.map((e) => e.runEvents), reference);

      // Live only, after the end: nothing, and the stream completes.
      const liveOnly = subscribe(g.ws(), EVENTS_SUB, { id: runId, after: -1 });
      await eventually(() => liveOnly.isCompleted(), 10_000);
      expect(liveOnly.events).toEqual([]);

      const types = reference.map((e) => e.type);
      expect(types.slice(0, 3)).toEqual(['RUN_QUEUED', 'RUN_STARTED', 'BRANCH_CREATED']);
      expect(types).toEqual(expect.arrayContaining(['STEP_STARTED', 'STEP_PROGRESS', 'STEP_SUCCEEDED', 'COMMIT_CREATED', 'AUDIT_PASSED', 'MERGED']));
      // Progress carries counts, at least every 2 s while the ingest step runs.
      const ingest = reference.filter((e) => e.step === 'load_events');
      const progress = ingest.filter((e) => e.type === 'STEP_PROGRESS');
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress.every((e) => typeof e.data.rowsRead === 'number' && typeof e.data.rowsWritten === 'number')).toBe(true);

      // One merge commit on the target, carrying the run id; the run's tables are there.
      const d = await g.data(`query($t: String!) { branch(name: $t) { hash head { parentHashes properties message } }
        sql(ref: $t, query: "SELECT n, total FROM silver.slow_summary") { rows } }`, { t: target });
      expect(d.branch.hash).toBe(run.mergedHash);
      expect(d.branch.head.parentHashes[0]).toBe(before);
      expect(d.branch.head.parentHashes).toHaveLength(2);
      expect(JSON.stringify(d.branch.head.properties)).toContain(runId);
      expect(d.sql.rows).toEqual([['500', String(5 * 4950)]]);
      expect(run.branch).toBe(`runs/slow/${runId}`);
      expect(run.commits.length).toBeGreaterThanOrEqual(2);
      expect(run.audits.map((a: any) => [a.name, a.passed])).toEqual([['value_not_null', true], ['id_unique', true], ['value_range', true]]);
    });

    it('a failing audit leaves the target untouched, fails the run with failing-row counts, and keeps the bad data on the run branch', async () => {
      const before = await targetHead();
      const runId = await start('slow', { batches: 2, delayMs: 10, bad: 7 });
      const run = await waitForRun(g, runId);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/value_not_null/);
      expect(run.mergedHash).toBeNull();
      expect(await targetHead()).toBe(before);
      const audit = run.audits.find((a: any) => a.name === 'value_not_null');
      expect(audit).toMatchObject({ passed: false, failingRows: '7', severity: 'error', check: 'not_null', table: 'raw.slow_events' });
      const onBranch = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT count(*) FILTER (WHERE value IS NULL), count(*) FROM raw.slow_events") { rows } }`, { r: run.branch });
      expect(onBranch.sql.rows[0][0]).toBe('7');
      const events = await allEvents(g, runId);
      expect(events.map((e) => e.type)).toContain('AUDIT_FAILED');
      expect(events.at(-1).type).toBe('RUN_FAILED');
      expect(events.map((e) => e.type)).not.toContain('MERGED');
    });

    it('a passing run publishes every table it wrote at once: a reader polling the target never sees a mix', async () => {
      await waitForRun(g, await start('counter'));
      let polls = 0;
      const mismatches: unknown[] = [];
      let stop = false;
      const reader = (async () => {
        while (!stop) {
          const r = await g.gql(`query($t: String!) { sql(ref: $t, query: "SELECT (SELECT n FROM silver.counter_total) AS total, (SELECT count(*) FROM raw.counter_events) AS rows") { rows } }`, { t: target });
          if (r.errors) mismatches.push(r.errors);
          else if (r.data.sql.rows[0][0] !== r.data.sql.rows[0][1]) mismatches.push(r.data.sql.rows[0]);
          polls++;
        }
      })();
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await waitForRun(g, await start('counter')));
      stop = true;
      await reader;
      expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
      expect(polls).toBeGreaterThan(3);
      expect(mismatches).toEqual([]);
      const d = await g.data(`query($t: String!) { sql(ref: $t, query: "SELECT n FROM silver.counter_total") { rows } }`, { t: target });
      expect(d.sql.rows).toEqual([['12']]);
    });

    it('cancels a running run at the next step boundary and a queued one at once; retry starts a new run with the same params', async () => {
      const before = await targetHead();
      const running = await start('slow', { batches: 4, delayMs: 800 });
      const queued = await start('slow', { batches: 1, delayMs: 0 }); // concurrency 1: waits
      const q = await g.data(`mutation($id: ID!) { cancelRun(id: $id) { __typename ... on CancelRunSuccess { run { status } } } }`, { id: queued });
      expect(q.cancelRun).toEqual({ __typename: 'CancelRunSuccess', run: { status: 'CANCELED' } });
      await eventually(() => false, 500);
      const r = await g.data(`mutation($id: ID!) { cancelRun(id: $id) { __typename } }`, { id: running });
      expect(r.cancelRun.__typename).toBe('CancelRunSuccess');
      const ended = await waitForRun(g, running);
      expect(ended.status).toBe('CANCELED');
      expect(await targetHead()).toBe(before);
      expect((await allEvents(g, running)).at(-1).type).toBe('RUN_CANCELED');
      const again = await g.data(`mutation($id: ID!) { cancelRun(id: $id) { __typename ... on Error { code } } }`, { id: running });
      expect(again.cancelRun).toEqual({ __typename: 'InvalidInput', code: 'INVALID_INPUT' });

      const retry = await g.data(`mutation($id: ID!) { retryRun(id: $id) { __typename ... on StartRunSuccess { run { runId params pipeline } } } }`, { id: queued });
      expect(retry.retryRun.__typename).toBe('StartRunSuccess');
      expect(retry.retryRun.run.params).toEqual({ batches: 1, delayMs: 0, bad: 0 });
      expect((await waitForRun(g, retry.retryRun.run.runId)).status).toBe('SUCCEEDED');
    });

    it('finds a run by its node id as well as its runId: run, cancelRun, retryRun and runEvents', async () => {
      // slow, not counter: the listing test below counts counter's runs
      const runId = await start('slow', { batches: 1, delayMs: 0 });
      await waitForRun(g, runId);
      const nodeId = (await g.data(`query($id: ID!) { run(id: $id) { id } }`, { id: runId })).run.id as string;
      expect(nodeId).not.toBe(runId);
      const listed = await g.data(`{ runs(pipeline: "slow", first: 1) { nodes { id runId } } }`);
      expect(listed.runs.nodes).toEqual([{ id: nodeId, runId }]);

      const byNode = await g.data(`query($id: ID!) { run(id: $id) { runId status } node(id: $id) { ... on PipelineRun { runId } } }`, { id: nodeId });
      expect(byNode).toEqual({ run: { runId, status: 'SUCCEEDED' }, node: { runId } });
      const cancel = await g.data(`mutation($id: ID!) { cancelRun(id: $id) { __typename ... on Error { message } } }`, { id: nodeId });
      expect(cancel.cancelRun.__typename).toBe('InvalidInput'); // found, and already ended
      const events = subscribe(g.ws(), EVENTS_SUB, { id: nodeId });
      await eventually(() => events.isCompleted(), 10_000);
      expectCompleteStream(events.events.map((e) => e.runEvents), await allEvents(g, runId));
      const retry = await g.data(`mutation($id: ID!) { retryRun(id: $id) { __typename ... on StartRunSuccess { run { runId pipeline } } } }`, { id: nodeId });
      expect(retry.retryRun).toMatchObject({ __typename: 'StartRunSuccess', run: { pipeline: 'slow' } });
      expect((await waitForRun(g, retry.retryRun.run.runId)).status).toBe('SUCCEEDED');

      // The node id of something else names no run.
      const branchId = (await g.data(`{ defaultBranch { id } }`)).defaultBranch.id as string;
      const other = await g.data(`query($id: ID!) { run(id: $id) { runId } }`, { id: branchId });
      expect(other.run).toBeNull();
      const notFound = await g.data(`mutation($id: ID!) { cancelRun(id: $id) { __typename } }`, { id: branchId });
      expect(notFound.cancelRun.__typename).toBe('NotFound');
    });

    it('runs lists newest first with filters and paging', async () => {
      const d = await g.data(`{ all: runs(first: 100) { nodes { runId pipeline status queuedAt } }
        failed: runs(status: [FAILED]) { nodes { status } }
        counter: runs(pipeline: "counter", first: 2) { nodes { pipeline } pageInfo { hasNextPage endCursor } } }`);
      const times = d.all.nodes.map((n: any) => Date.parse(n.queuedAt));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      expect(d.failed.nodes.length).toBeGreaterThanOrEqual(1);
      expect(d.failed.nodes.every((n: any) => n.status === 'FAILED')).toBe(true);
      expect(d.counter.nodes).toEqual([{ pipeline: 'counter' }, { pipeline: 'counter' }]);
      expect(d.counter.pageInfo.hasNextPage).toBe(true);
      // first: 0 returns no runs but still says whether there are any
      const none = await g.data(`{ some: runs(first: 0) { nodes { runId } pageInfo { hasNextPage endCursor } } no: runs(pipeline: "no-such", first: 0) { pageInfo { hasNextPage } } }`);
      expect(none).toEqual({ some: { nodes: [], pageInfo: { hasNextPage: true, endCursor: null } }, no: { pageInfo: { hasNextPage: false } } });
      const next = await g.data(`query($a: String) { runs(pipeline: "counter", first: 10, after: $a) { nodes { pipeline } } }`, { a: d.counter.pageInfo.endCursor });
      expect(next.runs.nodes).toHaveLength(2);
    });

    it('bad input gives typed errors and changes nothing; an SQL error fails the run with the error', async () => {
      const before = await targetHead();
      const unknown = await g.data(START, { p: 'no_such_pipeline' });
      expect(unknown.startRun).toMatchObject({ __typename: 'NotFound', code: 'NOT_FOUND' });
      const wrongParams = await g.data(START, { p: 'slow', params: { batches: 'many' } });
      expect(wrongParams.startRun).toMatchObject({ __typename: 'InvalidInput', code: 'INVALID_INPUT' });
      expect(wrongParams.startRun.message).toMatch(/batches/);
      const extraParam = await g.data(START, { p: 'slow', params: { nope: 1 } });
      expect(extraParam.startRun.__typename).toBe('InvalidInput');
      const notObject = await g.data(START, { p: 'slow', params: [1, 2] });
      expect(notObject.startRun.__typename).toBe('InvalidInput');
      const badTarget = await g.data(START, { p: 'slow', t: 'no-such-branch' });
      expect(badTarget.startRun.__typename).toBe('NotFound');
      const invalid = await g.data(START, { p: 'invalid' });
      expect(invalid.startRun.__typename).toBe('InvalidInput');
      const unknownRun = await g.gql(`{ run(id: "00000000-0000-0000-0000-000000000000") { runId } }`);
      expect(unknownRun.data!.run).toBeNull();
      const badSub = subscribe(g.ws(), EVENTS_SUB, { id: 'nope' });
      await eventually(() => badSub.errors.length > 0, 5000);
      expect(JSON.stringify(badSub.errors)).toMatch(/NOT_FOUND/);
      expect(await targetHead()).toBe(before);

      const runId = await start('broken_sql');
      const run = await waitForRun(g, runId);
      expect(run.status).toBe('FAILED');
      expect(run.error).toMatch(/no_such_column/);
      const events = await allEvents(g, runId);
      expect(events.map((e) => e.type)).toContain('STEP_FAILED');
      expect(await targetHead()).toBe(before);
    });

    it('subscribers share an event\'s execution only with the same document and variables: two runs, other fields, other after', async () => {
      const before = { ...sharedExecutionStats };
      const runA = await start('counter');
      const runB = await start('counter');
      const a1 = subscribe(g.ws(), EVENTS_SUB, { id: runA });
      const a2 = subscribe(g.ws(), EVENTS_SUB, { id: runA });
      const b1 = subscribe(g.ws(), EVENTS_SUB, { id: runB });
      const b2 = subscribe(g.ws(), EVENTS_SUB, { id: runB });
      const aFewer = subscribe(g.ws(), `subscription($id: ID!) { runEvents(runId: $id) { seq type } }`, { id: runA });
      const aAfter = subscribe(g.ws(), EVENTS_SUB, { id: runA, after: 2 });
      await waitForRun(g, runA);
      await waitForRun(g, runB);
      const all = [a1, a2, b1, b2, aFewer, aAfter];
      await eventually(() => all.every((s) => s.isCompleted()), 20_000);
      const [refA, refB] = [await allEvents(g, runA), await allEvents(g, runB)];
      for (const s of [a1, a2]) expectCompleteStream(s.events.map((e) => e.runEvents), refA);
      for (const s of [b1, b2]) expectCompleteStream(s.events.map((e) => e.runEvents), refB);
      expect(aFewer.events.map((e) => e.runEvents)).toEqual(refA.map((e) => ({ seq: e.seq, type: e.type })));
      expect(aAfter.events.map((e) => e.runEvents)).toEqual(refA.filter((e) => e.seq > 2));
      for (const s of all) expect(s.errors).toEqual([]);
      // Some executions were shared (a1/a2, b1/b2), and not all: every distinct stream executed its own.
      expect(sharedExecutionStats.shared).toBeGreaterThan(before.shared);
      expect(sharedExecutionStats.executed - before.executed).toBeGreaterThanOrEqual(refA.length + refB.length + refA.length + (refA.length - 2));
    });

    it('after: -1 joining a run others follow starts after the newest event, then every later one once, to the end', async () => {
      // Long enough (about 5 s of ingest) that the live-only subscribers join while the run is running.
      const runId = await start('slow', { batches: 8, delayMs: 600 });
      const directBefore = sharedExecutionStats.direct;
      const early = subscribe(g.ws(), EVENTS_SUB, { id: runId });
      await eventually(() => early.events.some((e) => e.runEvents.type === 'STEP_PROGRESS'), 30_000);
      expect(early.events.some((e) => e.runEvents.type === 'STEP_PROGRESS'), 'the run reported progress').toBe(true);
      const seenBefore = early.events.at(-1).runEvents.seq as number;
      const live = [subscribe(g.ws(), EVENTS_SUB, { id: runId, after: -1 }), subscribe(g.ws(), EVENTS_SUB, { id: runId, after: -1 })];
      await waitForRun(g, runId);
      await eventually(() => early.isCompleted() && live.every((s) => s.isCompleted()), 20_000);
      const reference = await allEvents(g, runId);
      expectCompleteStream(early.events.map((e) => e.runEvents), reference);
      for (const s of live) {
        const got = s.events.map((e) => e.runEvents);
        expect(got.length).toBeGreaterThan(0);
        expect(got[0].seq).toBeGreaterThan(seenBefore);
        expect(got).toEqual(reference.slice(got[0].seq - 1));
        expect(s.errors).toEqual([]);
      }
      // Live events went straight from the run's tail to the sockets (src/server/ws-server.ts's
      // direct sink), and the streams above are still whole, in order and ended by a complete.
      expect(sharedExecutionStats.direct).toBeGreaterThan(directBefore);
    });

    it('runUpdated streams status changes of the filtered pipeline', async () => {
      const sub = subscribe(g.ws(), `subscription { runUpdated(pipeline: "counter") { runId pipeline status } }`);
      await new Promise((r) => setTimeout(r, 300));
      const runId = await start('counter');
      await waitForRun(g, runId);
      await eventually(() => sub.events.some((e) => e.runUpdated.status === 'SUCCEEDED'), 10_000);
      const mine = sub.events.map((e) => e.runUpdated).filter((r) => r.runId === runId).map((r) => r.status);
      expect(mine).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
      sub.unsubscribe();
    });
  });
}
