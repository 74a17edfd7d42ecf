/**
 * SIGKILL of the gateway process in the middle of a run, then a restart on the same home: the run
 * is FAILED with a reason, the target is unchanged, and new runs work. And the state a kill right
 * after the run's merge commit leaves (merged, not recorded): the restart finds the merge and says so.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackends } from '../../src/adapters/index.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { freePort } from '../support/services.js';
import { graphqlData, startGatewayProcess } from '../support/process.js';
import { pipelinesDir, SLOW_PIPELINE } from '../support/pipelines.js';

const startProcess = (env: Record<string, string>, port: number) => startGatewayProcess(env, port);


const START = `mutation($p: JSON) { startRun(pipeline: "slow", params: $p) { ... on StartRunSuccess { run { runId } } } }`;
const RUN = `query($id: ID!) { run(id: $id) { status error mergedHash events { seq type } } defaultBranch { hash } }`;

async function waitFor(url: string, runId: string, done: (run: any) => boolean, ms = 60_000) {
  const until = Date.now() + ms;
  for (;;) {
    const d = await graphqlData(url, RUN, { id: runId });
    if (done(d.run)) return d;
    if (Date.now() > until) throw new Error(`run ${runId}: ${JSON.stringify(d.run)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('runs survive a crash of the gateway', () => {
  const dirs: string[] = [];
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  /** A gateway on a fresh home, SIGKILLed while a slow run's ingest step runs (after it committed at least one batch to its branch). */
  async function killMidRun() {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-run-crash-'));
    const pipelines = await pipelinesDir({ 'slow.ts': SLOW_PIPELINE });
    dirs.push(home, pipelines);
    const env = { CASCADE_HOME: home, PIPELINES_DIR: pipelines };
    const port = await freePort();
    const gw = await startProcess(env, port);
    child = gw.child;
    const before: string = (await graphqlData(gw.url, `{ defaultBranch { hash } }`)).defaultBranch.hash;
    const runId: string = (await graphqlData(gw.url, START, { p: { batches: 20, delayMs: 500 } })).startRun.run.runId;
    await waitFor(gw.url, runId, (r) => r.events.filter((e: any) => e.type === 'STEP_PROGRESS').length >= 2);
    gw.child.kill('SIGKILL');
    await new Promise((r) => gw.child.once('exit', r));
    return { env, port, runId, before };
  }

  it('marks the killed run FAILED with a reason at restart, leaves the target unchanged, and runs again', { timeout: 300_000 }, async () => {
    const { env, port, runId, before } = await killMidRun();
    const gw = await startProcess(env, port);
    child = gw.child;
    const after = await waitFor(gw.url, runId, (r) => r.status !== 'RUNNING');
    expect(after.run.status).toBe('FAILED');
    expect(after.run.error).toMatch(/restarted|stopped/);
    expect(after.run.mergedHash).toBeNull();
    expect(after.run.events.at(-1).type).toBe('RUN_FAILED');
    expect(after.run.events.map((e: any) => e.seq)).toEqual(after.run.events.map((_: any, i: number) => i + 1));
    expect(after.defaultBranch.hash).toBe(before);

    const next = (await graphqlData(gw.url, START, { p: { batches: 2, delayMs: 10 } })).startRun.run.runId;
    const ok = await waitFor(gw.url, next, (r) => r.status === 'SUCCEEDED' || r.status === 'FAILED');
    expect(ok.run.status).toBe('SUCCEEDED');
    expect(ok.defaultBranch.hash).toBe(ok.run.mergedHash);
    gw.child.kill('SIGTERM');
    await new Promise((r) => gw.child.once('exit', r));
  });

  it('a run killed between its merge commit and recording it is FAILED at restart with its merge found and named', { timeout: 300_000 }, async () => {
    const { env, port, runId } = await killMidRun();

    // What the engine's merge leaves when the process dies before it records MERGED: the run's
    // branch merged into the target by a commit carrying the run id, the run still RUNNING.
    const config = loadConfig({ ...process.env, ...env, CASCADE_DEMO: '0', LOG_LEVEL: 'silent' } as Record<string, string>);
    const backends = await createBackends(config, createLogger('silent'), createMetrics());
    let mergedHash: string;
    let head: string;
    try {
      const run = (await backends.runs.getRun(runId))!;
      expect(run).toMatchObject({ status: 'RUNNING', mergedHash: null });
      const source = await backends.store.getReference(run.branch! as never);
      const out = await backends.store.merge({
        fromHash: source.hash,
        fromRefName: source.name,
        into: run.target as never,
        expectedHash: run.baseHash as never,
        noFastForward: true,
        meta: { message: `Publish run ${runId}`, author: run.startedBy, properties: { run_id: runId, pipeline: 'slow', run_branch: run.branch! } },
      });
      mergedHash = out.hash;
      // Others kept committing to the target before the restart: the merge is no longer among its newest commits.
      head = mergedHash;
      for (let i = 0; i < 150; i++) {
        const c = await backends.store.commit(run.target as never, head as never, { message: `other writer ${i}`, author: 'someone' }, [
          { type: 'PUT', key: `after_crash_${i}`, content: { type: 'NAMESPACE', elements: [`after_crash_${i}`], properties: {} } },
        ]);
        head = c.commit.hash;
      }
    } finally {
      await backends.close();
    }

    const gw = await startProcess(env, port);
    child = gw.child;
    const after = await waitFor(gw.url, runId, (r) => r.status !== 'RUNNING');
    expect(after.run.status).toBe('FAILED');
    expect(after.run.mergedHash).toBe(mergedHash);
    expect(after.run.error).toContain(`after the run merged into main as ${mergedHash}`);
    expect(after.run.events.slice(-2).map((e: any) => e.type)).toEqual(['MERGED', 'RUN_FAILED']);
    expect(after.run.events.map((e: any) => e.seq)).toEqual(after.run.events.map((_: any, i: number) => i + 1));
    expect(after.defaultBranch.hash).toBe(head);
    gw.child.kill('SIGTERM');
    await new Promise((r) => gw.child.once('exit', r));
  });
});
