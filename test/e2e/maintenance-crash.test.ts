/**
 * SIGKILL of the gateway process in the middle of executing a maintenance plan, then a restart on
 * the same home: the plan completes at start (every planned file deleted, the plan SUCCEEDED), and
 * no ref points at a missing file (every file of every snapshot of every ref is checked).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, subscribe } from '../support/gateway.js';
import { graphqlData, startGatewayProcess } from '../support/process.js';
import { freePort } from '../support/services.js';

const STRAYS = 50_000;

describe('a maintenance plan survives a SIGKILL of the gateway', () => {
  const dirs: string[] = [];
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
  });

  it('completes the deletions at restart; every file of every ref still exists', { timeout: 300_000 }, async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-maint-crash-'));
    dirs.push(home);
    const env = { CASCADE_HOME: home };
    const port = await freePort();
    let gw = await startGatewayProcess(env, port);
    child = gw.child;
    const q = (query: string, variables?: Record<string, unknown>) => graphqlData(gw.url, query, variables);
    await q(`mutation { createNamespace(branch: "main", name: "lake") { __typename } }`);
    await q(`mutation { createTable(branch: "main", name: "lake.t", columns: [{ name: "id", type: "long", required: true }]) { __typename } }`);
    for (let i = 0; i < 3; i++) await q(`mutation($r: JSON) { appendRows(branch: "main", table: "lake.t", rows: $r) { __typename } }`, { r: [{ id: i }] });
    await q(`mutation { createBranch(name: "side", from: "main") { __typename } }`);
    await q(`mutation { appendRows(branch: "side", table: "lake.t", rows: [{ id: 99 }]) { __typename } }`);

    // Leftovers of killed writes, old enough to be orphans.
    const location = (await q(`{ table(name: "lake.t", ref: "main") { location } }`)).table.location as string;
    const strays = path.join(fileURLToPath(location), 'data', 'killed');
    await fs.mkdir(strays, { recursive: true });
    const old = new Date(Date.now() - 4 * 24 * 3600 * 1000);
    for (let i = 0; i < STRAYS; i += 500) {
      await Promise.all(Array.from({ length: 500 }, async (_, k) => {
        const f = path.join(strays, `part-${i + k}.parquet`);
        await fs.writeFile(f, 'x');
        await fs.utimes(f, old, old);
      }));
    }
    const planned = await q(`mutation { planRemoveOrphanFiles(table: "lake.t") { ... on MaintenancePlanSuccess { plan { id fileCountToDelete } } } }`);
    const plan = planned.planRemoveOrphanFiles.plan;
    expect(plan.fileCountToDelete).toBe(STRAYS);

    // Kill the gateway as soon as it reports its execution under way (COMMITTED: what it must complete).
    const ws = createClient({ url: `${gw.url.replace('http', 'ws')}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    const events = subscribe(ws, `subscription($id: ID!) { maintenanceEvents(planId: $id) { seq type data } }`, { id: plan.id });
    void q(`mutation($id: ID!) { executeMaintenancePlan(id: $id) { __typename } }`, { id: plan.id }).catch(() => undefined);
    await eventually(() => events.events.some((e) => e.maintenanceEvents.type === 'COMMITTED'), 60_000);
    gw.child.kill('SIGKILL');
    await new Promise((r) => gw.child.once('exit', r));
    await Promise.resolve(ws.dispose()).catch(() => undefined);
    const remaining = async () => (existsSync(strays) ? (await fs.readdir(strays)).length : 0);
    expect(await remaining(), 'the kill came before the deletions ended').toBeGreaterThan(0);

    // Restart on the same home: the execution completes by itself.
    gw = await startGatewayProcess(env, port);
    child = gw.child;
    let status = '';
    for (let i = 0; i < 120 && status !== 'SUCCEEDED'; i++) {
      status = (await q(`query($id: ID!) { maintenancePlan(id: $id) { status } }`, { id: plan.id })).maintenancePlan.status;
      if (status !== 'SUCCEEDED') await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe('SUCCEEDED');
    expect((await q(`query($id: ID!) { maintenancePlan(id: $id) { deletedFiles } }`, { id: plan.id })).maintenancePlan.deletedFiles).toBeGreaterThan(0);
    expect(await remaining()).toBe(0);

    // No ref points at a missing file: every file of every snapshot of every ref exists.
    const refs = (await q(`{ references(first: 100) { nodes { name } } }`)).references.nodes.map((r: any) => r.name);
    expect(refs).toEqual(expect.arrayContaining(['main', 'side']));
    for (const ref of refs) {
      const t = (await q(`query($r: String) { table(name: "lake.t", ref: $r) { metadataLocation snapshots(first: 50) { nodes { manifestList dataFiles(first: 50) { nodes { path } } } } } }`, { r: ref })).table;
      if (!t) continue;
      const files = [t.metadataLocation, ...t.snapshots.nodes.flatMap((s: any) => [s.manifestList, ...s.dataFiles.nodes.map((f: any) => f.path)])];
      for (const f of files) expect(existsSync(fileURLToPath(f)), `${ref}: ${f}`).toBe(true);
    }
    expect((await q(`{ sql(ref: "side", query: "SELECT count(*) FROM lake.t") { rows } }`)).sql.rows).toEqual([['4']]);
  });
});
