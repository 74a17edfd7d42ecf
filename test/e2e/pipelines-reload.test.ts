/**
 * SIGHUP reloads the pipelines folder of a running gateway process: added files appear, changed
 * ones (YAML and TypeScript) take effect, removed ones go, invalid ones are reported; a run of a
 * pipeline added this way succeeds.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COUNTER_PIPELINE, INVALID_PIPELINE, pipelinesDir } from '../support/pipelines.js';
import { graphqlData, startGatewayProcess } from '../support/process.js';
import { freePort } from '../support/services.js';
import type { ChildProcess } from 'node:child_process';

const tsPipeline = (description: string) => `export default { name: 'typed', description: ${JSON.stringify(description)}, ingest: [{ name: 'one', table: 'raw.typed_one', columns: [{ name: 'id', type: 'long' }], source: { kind: 'rows', rows: [{ id: 1 }] } }] };\n`;


describe('pipelines reload on SIGHUP', () => {
  const dirs: string[] = [];
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('picks up added, changed, removed and invalid files without a restart', { timeout: 180_000 }, async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-reload-'));
    const dir = await pipelinesDir({ 'counter.yaml': COUNTER_PIPELINE, 'typed.ts': tsPipeline('first version') });
    dirs.push(home, dir);
    const gw = await startGatewayProcess({ CASCADE_HOME: home, PIPELINES_DIR: dir }, await freePort());
    child = gw.child;
    const LIST = `{ pipelines { name description } pipelineErrors { file message } }`;
    expect(await graphqlData(gw.url, LIST)).toEqual({
      pipelines: [{ name: 'counter', description: 'Appends rows and keeps a total that must always match them' }, { name: 'typed', description: 'first version' }],
      pipelineErrors: [],
    });

    await fs.rm(path.join(dir, 'counter.yaml'));
    await fs.writeFile(path.join(dir, 'typed.ts'), tsPipeline('second version'));
    const later = new Date(Date.now() + 5_000); // a modification time the first import did not see, however coarse the clock
    await fs.utimes(path.join(dir, 'typed.ts'), later, later);
    await fs.writeFile(path.join(dir, 'added.yaml'), COUNTER_PIPELINE.replace('name: counter', 'name: added'));
    await fs.writeFile(path.join(dir, 'invalid.yaml'), INVALID_PIPELINE);
    gw.child.kill('SIGHUP');

    let list: any;
    const until = Date.now() + 30_000;
    do {
      await new Promise((r) => setTimeout(r, 100));
      list = await graphqlData(gw.url, LIST);
    } while (list.pipelineErrors.length === 0 && Date.now() < until);
    expect(list.pipelines).toEqual([
      { name: 'added', description: 'Appends rows and keeps a total that must always match them' },
      { name: 'typed', description: 'second version' },
    ]);
    expect(list.pipelineErrors.map((e: any) => e.file)).toEqual(['invalid.yaml']);
    expect(gw.child.exitCode).toBeNull();

    // Again with nothing changed but the invalid file gone: the TypeScript pipeline stays at its second version.
    await fs.rm(path.join(dir, 'invalid.yaml'));
    gw.child.kill('SIGHUP');
    const until2 = Date.now() + 30_000;
    do {
      await new Promise((r) => setTimeout(r, 100));
      list = await graphqlData(gw.url, LIST);
    } while (list.pipelineErrors.length > 0 && Date.now() < until2);
    expect(list).toEqual({
      pipelines: [{ name: 'added', description: 'Appends rows and keeps a total that must always match them' }, { name: 'typed', description: 'second version' }],
      pipelineErrors: [],
    });

    const runId = (await graphqlData(gw.url, `mutation { startRun(pipeline: "added") { ... on StartRunSuccess { run { runId } } } }`)).startRun.run.runId;
    let run: any;
    do {
      await new Promise((r) => setTimeout(r, 200));
      run = (await graphqlData(gw.url, `query($id: ID!) { run(id: $id) { status error } }`, { id: runId })).run;
    } while (!['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(run.status));
    expect(run).toEqual({ status: 'SUCCEEDED', error: null });
    const removed = await graphqlData(gw.url, `mutation { startRun(pipeline: "counter") { __typename ... on NotFound { message } } }`);
    expect(removed.startRun.__typename).toBe('NotFound');
  });
});
