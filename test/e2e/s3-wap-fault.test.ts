/**
 * The warehouse's S3 server stops in the middle of a Write-Audit-Publish run (a private versitygw,
 * paused once the ingest step has started): the run ends FAILED with a reason naming the bucket as
 * unreachable, the target branch's head is unchanged and nothing is merged; once the server is back,
 * retrying the run succeeds and merges.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { allEvents, pipelinesDir, SLOW_PIPELINE, startRun, waitForRun } from '../support/pipelines.js';
import { createTestBucket, startS3Server, type RunningS3Server } from '../support/s3.js';
import { s3GatewayEnv } from '../support/s3-gateway.js';

describe('the S3 server stops during a WAP run', () => {
  let s3: RunningS3Server;
  let g: Gateway;
  let pdir: string;
  const target = `wapfault-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    s3 = await startS3Server();
    const bucket = await createTestBucket(s3, 'wapfault');
    pdir = await pipelinesDir({ 'slow.ts': SLOW_PIPELINE });
    g = await startGateway({ ...s3GatewayEnv(s3, bucket), PIPELINES_DIR: pdir });
    await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: target });
  }, 300_000);
  afterAll(async () => {
    await g?.stop();
    await s3?.stop();
    if (pdir) await fs.rm(pdir, { recursive: true, force: true });
  });

  const head = async () => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b: target })).branch.hash as string;

  it('fails the run, naming the storage, without touching the target; a retry after the server is back merges', async () => {
    const before = await head();
    const runId = await startRun(g, 'slow', { batches: 4, delayMs: 400 }, target);
    // Pause once the ingest step has started writing.
    const until = Date.now() + 60_000;
    for (;;) {
      const events = await allEvents(g, runId);
      if (events.some((e) => e.type === 'STEP_STARTED' && e.step === 'load_events')) break;
      if (Date.now() > until) throw new Error(`no STEP_STARTED for load_events: ${JSON.stringify(events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await s3.pause();
    let failed: any;
    try {
      failed = await waitForRun(g, runId, 180_000);
      expect(failed.status, JSON.stringify(failed)).toBe('FAILED');
      expect(failed.error, JSON.stringify(failed)).toMatch(/S3 bucket .* is unreachable|unavailable/i);
      expect(failed.mergedHash).toBeNull();
      const events = await allEvents(g, runId);
      expect(events.map((e) => e.type)).not.toContain('MERGED');
      expect(await head()).toBe(before);
    } finally {
      await s3.resume();
    }
    const retry = await g.data(`mutation($id: ID!) { retryRun(id: $id) { __typename ... on StartRunSuccess { run { runId } } ... on Error { code message } } }`, { id: runId });
    expect(retry.retryRun.__typename, JSON.stringify(retry)).toBe('StartRunSuccess');
    const done = await waitForRun(g, retry.retryRun.run.runId, 180_000);
    expect(done.status, JSON.stringify(done)).toBe('SUCCEEDED');
    expect(done.mergedHash).toBeTruthy();
    expect((await allEvents(g, done.runId)).map((e) => e.type)).toContain('MERGED');
    expect(await head()).toBe(done.mergedHash);
    const total = await g.data(`query($r: String!) { sql(ref: $r, query: "SELECT n, total FROM silver.slow_summary") { rows } }`, { r: target });
    expect(total.sql.rows).toEqual([['400', String(4 * 4950)]]);
  }, 400_000);
});
