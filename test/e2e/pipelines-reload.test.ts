/**
 * SIGHUP reloads the pipelines folder of a running gateway process: added files appear, changed
 * ones (YAML and TypeScript) take effect, removed ones go, invalid ones are reported; a run under
 * way keeps its pipeline, a queued run whose pipeline went fails saying so, and a run of a
 * pipeline added this way succeeds.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { COUNTER_PIPELINE, INVALID_PIPELINE, SLOW_PIPELINE, pipelinesDir, startRun, waitForRun } from '../support/pipelines.js';
import { graphqlData, startGatewayProcess } from '../support/process.js';
import { freePort } from '../support/services.js';

const tsPipeline = (description: string) => `export default { name: 'typed', description: ${JSON.stringify(description)}, ingest: [{ name: 'one', table: 'raw.typed_one', columns: [{ name: 'id', type: 'long' }], source: { kind: 'rows', rows: [{ id: 1 }] } }] };\n`;
const COUNTER_DESCRIPTION = 'Appends rows and keeps a total that must always match them';
const LIST = `{ pipelines { name description } pipelineErrors { file } }`;

describe('pipelines reload on SIGHUP', () => {
  const dirs: string[] = [];
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('picks up added, changed, removed and invalid files without a restart', { timeout: 180_000 }, async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-reload-'));
    const dir = await pipelinesDir({ 'counter.yaml': COUNTER_PIPELINE, 'typed.ts': tsPipeline('first version'), 'slow.ts': SLOW_PIPELINE });
    dirs.push(home, dir);
    // One run at a time, so a second one waits QUEUED behind the slow one.
    const gw = await startGatewayProcess({ CASCADE_HOME: home, PIPELINES_DIR: dir, RUN_CONCURRENCY: '1' }, await freePort());
    child = gw.child;
    const client = { data: (query: string, variables?: Record<string, unknown>) => graphqlData(gw.url, query, variables) };
    /** Reads the pipelines until `done` holds (30 s at most); the last answer. */
    const listUntil = async (done: (list: any) => boolean) => {
      const until = Date.now() + 30_000;
      let list = await client.data(LIST);
      while (!done(list) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 100));
        list = await client.data(LIST);
      }
      return list;
    };
    expect(await client.data(LIST)).toEqual({
      pipelines: [{ name: 'counter', description: COUNTER_DESCRIPTION }, { name: 'slow', description: 'Batches of events with a pause between batches' }, { name: 'typed', description: 'first version' }],
      pipelineErrors: [],
    });
    const underWay = await startRun(client, 'slow', { batches: 10, delayMs: 500 });
    const queued = await startRun(client, 'counter');

    await fs.rm(path.join(dir, 'counter.yaml'));
    await fs.rm(path.join(dir, 'slow.ts'));
    await fs.writeFile(path.join(dir, 'typed.ts'), tsPipeline('second version'));
    const later = new Date(Date.now() + 5_000); // a modification time the first import did not see, however coarse the clock
    await fs.utimes(path.join(dir, 'typed.ts'), later, later);
    await fs.writeFile(path.join(dir, 'added.yaml'), COUNTER_PIPELINE.replace('name: counter', 'name: added'));
    await fs.writeFile(path.join(dir, 'invalid.yaml'), INVALID_PIPELINE);
    gw.child.kill('SIGHUP');

    let list = await listUntil((l) => l.pipelineErrors.length > 0);
    expect(list.pipelines).toEqual([{ name: 'added', description: COUNTER_DESCRIPTION }, { name: 'typed', description: 'second version' }]);
    expect(list.pipelineErrors.map((e: any) => e.file)).toEqual(['invalid.yaml']);
    expect(gw.child.exitCode).toBeNull();

    // The slow run keeps the pipeline it started with; the counter run, still queued, has none left.
    expect((await waitForRun(client, underWay)).status).toBe('SUCCEEDED');
    const orphan = await waitForRun(client, queued);
    expect(orphan.status).toBe('FAILED');
    expect(orphan.error).toContain("pipeline 'counter' is no longer loaded");

    // Again with nothing changed but the invalid file gone: the TypeScript pipeline stays at its second version.
    await fs.rm(path.join(dir, 'invalid.yaml'));
    gw.child.kill('SIGHUP');
    list = await listUntil((l) => l.pipelineErrors.length === 0);
    expect(list).toEqual({ pipelines: [{ name: 'added', description: COUNTER_DESCRIPTION }, { name: 'typed', description: 'second version' }], pipelineErrors: [] });

    expect(await waitForRun(client, await startRun(client, 'added'))).toMatchObject({ status: 'SUCCEEDED', error: null });
    const removed = await client.data(`mutation { startRun(pipeline: "counter") { __typename } }`);
    expect(removed.startRun.__typename).toBe('NotFound');
  });
});
