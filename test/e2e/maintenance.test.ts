/**
 * Snapshot expiry as a reviewed plan, safe across branches: a table with 30 appends on main, a
 * branch `keep` made after the 10th, a table tag on the 5th snapshot. Expiring main down to its last
 * 3 snapshots leaves main's rows, every snapshot of `keep` and the tagged one readable, deletes only
 * files nothing reads (checked on disk for every snapshot of every ref), and lists the files it keeps
 * with the refs that pin them. A plan made stale by a later write is refused; roles are enforced.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { SECRET, sign, wsClient } from '../support/auth.js';
import { ensurePyIceberg, runPython } from '../support/python.js';

/** PyIceberg reads the table at a metadata file (the catalog here is embedded, so it is read as a static table). */
const PY_IDS = `
import json, sys
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(sys.argv[1])
print(json.dumps({"snapshot": str(t.current_snapshot().snapshot_id), "ids": sorted(int(x) for x in t.scan().to_arrow().column("id").to_pylist())}))
`;

const PLAN = `mutation($b: String!, $t: String!, $n: Int, $o: DateTime) {
  planExpireSnapshots(branch: $b, table: $t, retainLast: $n, olderThan: $o) {
    __typename
    ... on MaintenancePlanSuccess { plan { id kind status table branch createdBy snapshotsToExpire fileCountToDelete bytesToReclaim
      filesToDelete(first: 1000) { path sizeBytes } filesKept(first: 1000) { path pinnedBy } } }
    ... on Error { code message }
  }
}`;
const EXECUTE = `mutation($id: ID!) { executeMaintenancePlan(id: $id) { __typename
  ... on MaintenancePlanSuccess { plan { status deletedFiles resultHash finishedAt } } ... on Error { code message } } }`;

async function asUser(g: Gateway, roles: string[]) {
  const token = await sign({ sub: roles[0], roles });
  return async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(`${g.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

/** Every file every snapshot of the table reads on `ref`: its manifest lists, manifests and data files (via the API). */
async function filesOfRef(gql: (q: string, v?: Record<string, unknown>) => Promise<any>, ref: string, table: string): Promise<string[]> {
  const d = await gql(`query($r: String, $t: String!) { table(name: $t, ref: $r) { metadataLocation snapshots(first: 40) { nodes { snapshotId manifestList dataFiles(first: 40) { nodes { path } } } } } }`, { r: ref, t: table });
  const out = [d.table.metadataLocation];
  for (const s of d.table.snapshots.nodes) {
    if (s.manifestList) out.push(s.manifestList);
    for (const f of s.dataFiles.nodes) out.push(f.path);
  }
  return out;
}

/** Only ref heads pin files here (MAINTENANCE_HISTORY_MS=0), so the expiry has files to delete. */
const GATEWAY_ENV = { AUTH_JWT_SECRET: SECRET, RATE_LIMIT_PER_SECOND: '0', MAINTENANCE_HISTORY_MS: '0' };

describe('snapshot expiry, planned and executed, safe across branches', () => {
  let g: Gateway;
  let admin: Awaited<ReturnType<typeof asUser>>;
  let engineer: Awaited<ReturnType<typeof asUser>>;
  const table = `lake.events_${randomBytes(3).toString('hex')}`;
  const snapshots: string[] = [];
  let mainFilesCache: string[] | null = null;

  beforeAll(async () => {
    g = await startGateway(GATEWAY_ENV);
    admin = await asUser(g, ['admin']);
    engineer = await asUser(g, ['engineer']);
    await admin(`mutation { createNamespace(branch: "main", name: "lake") { __typename } }`);
    const made = await admin(`mutation($t: String!) { createTable(branch: "main", name: $t, columns: [{ name: "id", type: "long", required: true }, { name: "v", type: "string" }]) { __typename } }`, { t: table });
    expect(made.createTable.__typename).toBe('CreateTableSuccess');
    for (let i = 1; i <= 30; i++) {
      const r = await admin(`mutation($t: String!, $rows: JSON) { appendRows(branch: "main", table: $t, rows: $rows) { __typename ... on WriteSuccess { snapshot { snapshotId } } } }`, {
        t: table,
        rows: [{ id: i, v: `row ${i}` }],
      });
      snapshots.push(r.appendRows.snapshot.snapshotId);
      if (i === 10) await admin(`mutation { createBranch(name: "keep", from: "main") { __typename } }`);
    }
    mainFilesCache = await filesOfRef(admin, 'main', table);
    const tag = await admin(`mutation($t: String!, $s: BigInt!) { tagSnapshot(branch: "main", table: $t, name: "fifth", snapshotId: $s) { __typename } }`, { t: table, s: snapshots[4] });
    expect(tag.tagSnapshot.__typename).toBe('TagSnapshotSuccess');
  }, 120_000);
  afterAll(async () => {
    await g?.stop();
  });

  const idsAt = async (ref: string, snapshotId?: string, snapshotRef?: string) =>
    (await admin(`query($r: String, $t: String!, $s: BigInt, $sr: String) { table(name: $t, ref: $r) { rows(first: 100, snapshotId: $s, snapshotRef: $sr, orderBy: [{ column: "id" }]) { rows } } }`, { r: ref, t: table, s: snapshotId, sr: snapshotRef }))
      .table.rows.rows.map((r: any) => Number(r.id));
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

  it('reports the table\'s health in GraphQL and as Prometheus gauges of the default branch', async () => {
    const h = (await admin(`query($t: String!) { table(name: $t, ref: "main") { health { dataFileCount smallFileCount deleteFileCount snapshotCount oldestSnapshotAt averageFileSizeBytes needsCompaction } } }`, { t: table })).table.health;
    expect(h).toMatchObject({ dataFileCount: 30, smallFileCount: 30, deleteFileCount: 0, snapshotCount: 30, needsCompaction: true });
    expect(Number(h.averageFileSizeBytes)).toBeGreaterThan(0);
    const metrics = await (await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${await sign({ roles: ['viewer'] })}` } })).text();
    expect(metrics).toContain(`cascade_table_small_files{table="${table}"} 30`);
    expect(metrics).toContain(`cascade_table_needs_compaction{table="${table}"} 1`);
  });

  it('plans with the engineer role, lists what goes and what stays and why, and executes with admin', async () => {
    const keepFiles = await filesOfRef(admin, 'keep', table);
    const mainBefore = await idsAt('main');
    const planned = (await engineer(PLAN, { b: 'main', t: table, n: 3 })).planExpireSnapshots;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    const plan = planned.plan;
    expect(plan).toMatchObject({ kind: 'EXPIRE_SNAPSHOTS', status: 'PLANNED', table, branch: 'main', createdBy: 'engineer' });
    // 30 snapshots, the last 3 and the tagged 5th stay.
    expect(plan.snapshotsToExpire.sort()).toEqual(snapshots.slice(0, 27).filter((_, i) => i !== 4).sort());
    expect(plan.fileCountToDelete).toBeGreaterThan(0);
    expect(plan.filesToDelete.map((f: any) => f.path)).not.toEqual(expect.arrayContaining([keepFiles[1]]));
    for (const f of plan.filesToDelete) expect(keepFiles, `${f.path} is read by keep`).not.toContain(f.path);
    expect(Number(plan.bytesToReclaim)).toBe(plan.filesToDelete.reduce((n: number, f: any) => n + Number(f.sizeBytes), 0));
    // keep's own snapshots' files are kept, pinned by keep.
    const keptByKeep = plan.filesKept.filter((f: any) => f.pinnedBy.includes('keep')).map((f: any) => f.path);
    const keptPaths = plan.filesKept.map((f: any) => f.path);
    for (const path of keepFiles.filter((p) => keptPaths.includes(p))) expect(keptByKeep, `${path} is read by keep`).toContain(path);
    // keep's manifest lists of the snapshots main expires (1–4 and 6–10) are among them.
    expect(keepFiles.filter((p) => keptByKeep.includes(p) && /snap-.*\.avro$/.test(p)).length).toBeGreaterThanOrEqual(9);
    const keepLists = (await admin(`query($t: String!) { table(name: $t, ref: "keep") { snapshots(first: 100) { nodes { snapshotId manifestList } } } }`, { t: table })).table.snapshots.nodes;
    expect(keepLists.map((n: any) => n.snapshotId).sort()).toEqual(snapshots.slice(0, 10).sort());
    for (const n of keepLists) {
      if (n.snapshotId === snapshots[4]) continue; // the tagged 5th stays on main
      expect(plan.filesToDelete.map((f: any) => f.path), `manifest list of ${n.snapshotId}`).not.toContain(n.manifestList);
      expect(plan.filesKept.find((f: any) => f.path === n.manifestList)?.pinnedBy, `manifest list of ${n.snapshotId}`).toContain('keep');
    }

    // The engineer may not execute; nothing changes.
    const denied = (await engineer(EXECUTE, { id: plan.id })).executeMaintenancePlan;
    expect(denied.code).toBe('FORBIDDEN');
    for (const f of plan.filesToDelete) expect(existsSync(fileURLToPath(f.path))).toBe(true);

    const ws = wsClient(g.url, { authorization: `Bearer ${await sign({ roles: ['viewer'] })}` }).client;
    const EVENTS = `subscription($id: ID!, $after: Int) { maintenanceEvents(planId: $id, after: $after) { seq type message data } }`;
    const live = subscribe(ws, EVENTS, { id: plan.id });
    await eventually(() => live.events.length >= 1, 5000);
    const done = (await admin(EXECUTE, { id: plan.id })).executeMaintenancePlan;
    expect(done.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.plan).toMatchObject({ status: 'SUCCEEDED', deletedFiles: plan.fileCountToDelete });
    await eventually(() => live.isCompleted(), 10_000);
    const events = live.events.map((e) => e.maintenanceEvents);
    expect(events.map((e) => e.type)).toEqual(['PLANNED', 'EXECUTION_STARTED', 'COMMITTED', 'FILES_DELETED', 'SUCCEEDED']);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(events[3].data).toEqual({ deleted: plan.fileCountToDelete, total: plan.fileCountToDelete });
    const resumed = subscribe(ws, EVENTS, { id: plan.id, after: 3 });
    await eventually(() => resumed.isCompleted(), 10_000);
    expect(resumed.events.map((e) => e.maintenanceEvents.seq)).toEqual([4, 5]);
    await ws.dispose();
    for (const f of plan.filesToDelete) expect(existsSync(fileURLToPath(f.path)), f.path).toBe(false);

    // Main reads the same rows; keep reads each of its 10 snapshots; the tagged snapshot reads.
    expect(await idsAt('main')).toEqual(mainBefore);
    for (const [i, s] of snapshots.slice(0, 10).entries()) expect(await idsAt('keep', s), `keep at snapshot ${i + 1}`).toEqual(range(i + 1));
    expect(await idsAt('keep')).toEqual(range(10));
    expect(await idsAt('main', undefined, 'fifth')).toEqual(range(5));
    const left = await admin(`query($t: String!) { table(name: $t, ref: "main") { snapshots(first: 100) { nodes { snapshotId } } } }`, { t: table });
    expect(left.table.snapshots.nodes.map((n: any) => n.snapshotId).sort()).toEqual([snapshots[4], ...snapshots.slice(27)].sort());
    // No ref points at a missing file: every file of every snapshot of main and keep exists.
    for (const ref of ['main', 'keep']) for (const path of await filesOfRef(admin, ref, table)) expect(existsSync(fileURLToPath(path)), `${ref}: ${path}`).toBe(true);
    for (const path of keepFiles) expect(existsSync(fileURLToPath(path)), `keep needs ${path}`).toBe(true);
    // PyIceberg reads main and keep at their heads with the same rows.
    await ensurePyIceberg();
    for (const [ref, ids] of [['main', mainBefore], ['keep', range(10)]] as const) {
      const metadataLocation = (await admin(`query($r: String, $t: String!) { table(name: $t, ref: $r) { metadataLocation currentSnapshot { snapshotId } } }`, { r: ref, t: table })).table.metadataLocation;
      const read = JSON.parse(await runPython(PY_IDS, [metadataLocation], { timeoutMs: 300_000 }));
      expect(read.ids, `PyIceberg at ${ref}`).toEqual(ids);
    }
    // Executing it again changes nothing.
    expect((await admin(EXECUTE, { id: plan.id })).executeMaintenancePlan.plan.status).toBe('SUCCEEDED');
    const listed = await admin(`{ maintenancePlans(first: 10) { nodes { id status } hasNextPage } }`);
    expect(listed.maintenancePlans.nodes[0]).toEqual({ id: plan.id, status: 'SUCCEEDED' });
  }, 600_000);

  it('removes orphan files older than the cutoff (a deleted branch\'s write, a killed write\'s leftovers) and nothing any ref reads', async () => {
    // A gateway that did not plan the expiry above (nothing of it cached): older commits still name
    // the expired snapshots, whose manifest lists are gone; planning must not trip over them.
    await g.app.stop(); // keeps the home (g.stop() removes it)
    g = await startGateway({ ...GATEWAY_ENV, CASCADE_HOME: g.home });
    admin = await asUser(g, ['admin']);
    engineer = await asUser(g, ['engineer']);
    // A branch's append whose branch was then deleted (as a failed run's cleaned-up branch), and a killed write's stray file.
    await admin(`mutation { createBranch(name: "scratch", from: "main") { __typename } }`);
    const w = await admin(`mutation($t: String!) { appendRows(branch: "scratch", table: $t, rows: [{ id: 900, v: "scratch" }]) { __typename ... on WriteSuccess { snapshot { snapshotId } } } }`, { t: table });
    expect(w.appendRows.__typename).toBe('WriteSuccess');
    const scratchFiles = (await filesOfRef(admin, 'scratch', table)).filter((p) => !(mainFilesCache ?? []).includes(p));
    const head = (await admin(`{ branch(name: "scratch") { hash } }`)).branch.hash;
    expect((await admin(`mutation($h: String) { deleteBranch(name: "scratch", expectedHash: $h) { __typename } }`, { h: head })).deleteBranch.__typename).toBe('DeleteBranchSuccess');
    const location = (await admin(`query($t: String!) { table(name: $t, ref: "main") { location } }`, { t: table })).table.location as string;
    const dataDir = fileURLToPath(`${location.replace(/\/+$/, '')}/data`);
    const stray = path.join(dataDir, 'killed-write-0001.parquet');
    const young = path.join(dataDir, 'in-flight-0002.parquet');
    await fs.writeFile(stray, 'partial');
    await fs.writeFile(young, 'in flight');
    const old = new Date(Date.now() - 4 * 24 * 3600 * 1000);
    await fs.utimes(stray, old, old);
    for (const f of scratchFiles) if (f.startsWith('file:') && existsSync(fileURLToPath(f))) await fs.utimes(fileURLToPath(f), old, old);

    const mainFiles = [...(await filesOfRef(admin, 'main', table)), ...(await filesOfRef(admin, 'keep', table))];
    const planned = (await engineer(`mutation($t: String!) { planRemoveOrphanFiles(table: $t) { __typename
      ... on MaintenancePlanSuccess { plan { id kind fileCountToDelete filesToDelete(first: 1000) { path sizeBytes } } } ... on Error { code message } } }`, { t: table })).planRemoveOrphanFiles;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    const paths = planned.plan.filesToDelete.map((f: any) => fileURLToPath(f.path));
    expect(planned.plan.kind).toBe('REMOVE_ORPHAN_FILES');
    expect(paths).toContain(stray);
    expect(paths).not.toContain(young);
    const scratchData = scratchFiles.filter((p) => /\/data\//.test(p));
    expect(scratchData.length).toBeGreaterThan(0);
    for (const f of scratchData) expect(paths).toContain(fileURLToPath(f));
    for (const f of mainFiles) expect(paths).not.toContain(fileURLToPath(f));

    const done = (await admin(EXECUTE, { id: planned.plan.id })).executeMaintenancePlan;
    expect(done.plan).toMatchObject({ status: 'SUCCEEDED', deletedFiles: planned.plan.fileCountToDelete });
    expect(existsSync(stray)).toBe(false);
    expect(existsSync(young)).toBe(true);
    for (const f of mainFiles) expect(existsSync(fileURLToPath(f)), f).toBe(true);
    expect(await idsAt('main')).toEqual([...range(30)]);
  });

  it('compacts small files into one replace snapshot with the same rows, keeping an append that races it', async () => {
    const t = `lake.small_${randomBytes(3).toString('hex')}`;
    await admin(`mutation($t: String!) { createTable(branch: "main", name: $t, columns: [{ name: "id", type: "long", required: true }, { name: "x", type: "double" }]) { __typename } }`, { t });
    const append = (rows: unknown[]) => admin(`mutation($t: String!, $rows: JSON) { appendRows(branch: "main", table: $t, rows: $rows) { __typename } }`, { t, rows });
    for (let i = 0; i < 20; i++) await append(Array.from({ length: 50 }, (_, k) => ({ id: i * 50 + k, x: (i * 50 + k) / 4 })));
    const sums = async () => (await admin(`query($q: String!) { sql(ref: "main", query: $q) { rows } }`, { q: `SELECT count(*), sum(id), sum(x) FROM ${t}` })).sql.rows[0];
    const health = async () => (await admin(`query($t: String!) { table(name: $t, ref: "main") { health { dataFileCount smallFileCount needsCompaction } } }`, { t })).table.health;
    expect(await health()).toMatchObject({ dataFileCount: 20, needsCompaction: true });

    const planned = (await engineer(`mutation($t: String!) { planCompaction(branch: "main", table: $t, targetFileSizeBytes: "134217728") { __typename
      ... on MaintenancePlanSuccess { plan { id kind rewriteGroups { partition inputFiles deleteFiles inputBytes outputFilesEstimate } } } ... on Error { code message } } }`, { t })).planCompaction;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    expect(planned.plan.rewriteGroups).toEqual([expect.objectContaining({ inputFiles: 20, deleteFiles: 0, outputFilesEstimate: 1 })]);
    const before = await sums();
    // main is protected: an engineer compacts on a branch and merges; on main it takes an admin.
    expect((await engineer(EXECUTE, { id: planned.plan.id })).executeMaintenancePlan.code).toBe('PROTECTED_BRANCH');
    expect(await health()).toMatchObject({ dataFileCount: 20 });
    // An append racing the compaction: whichever commits first, both land.
    const [done] = await Promise.all([
      admin(EXECUTE, { id: planned.plan.id }).then((d) => d.executeMaintenancePlan),
      append([{ id: 5000, x: 1.5 }]),
    ]);
    expect(done.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.plan.status).toBe('SUCCEEDED');
    expect(await sums()).toEqual([String(Number(before[0]) + 1), String(Number(before[1]) + 5000), Number(before[2]) + 1.5]);
    expect(await health()).toMatchObject({ dataFileCount: 2 });
    const ops = await admin(`query($t: String!) { table(name: $t, ref: "main") { snapshots(first: 2) { nodes { operation } } } }`, { t });
    expect(ops.table.snapshots.nodes.map((n: any) => n.operation).sort()).toEqual(['append', 'replace']);

    // A plan whose input files an overwrite removed fails cleanly: nothing lands.
    for (let i = 0; i < 5; i++) await append([{ id: 6000 + i, x: 0 }]);
    const stale = (await engineer(`mutation($t: String!) { planCompaction(branch: "main", table: $t, targetFileSizeBytes: "134217728") { ... on MaintenancePlanSuccess { plan { id } } } }`, { t })).planCompaction.plan;
    await admin(`mutation($t: String!) { overwriteRows(branch: "main", table: $t, rows: [{ id: 1, x: 1 }]) { __typename } }`, { t });
    const head = (await admin(`{ branch(name: "main") { hash } }`)).branch.hash;
    const refused = (await admin(EXECUTE, { id: stale.id })).executeMaintenancePlan;
    expect(refused.code).toBe('REFERENCE_CONFLICT');
    expect((await admin(`{ branch(name: "main") { hash } }`)).branch.hash).toBe(head);
    expect(await sums()).toEqual(['1', '1', 1]);
  });

  it('compacts only the files a where selects (by their column bounds), leaving the others as they were; a bad where is INVALID_INPUT', async () => {
    const t = `lake.picked_${randomBytes(3).toString('hex')}`;
    const made = await admin(`mutation($t: String!) { createTable(branch: "main", name: $t, columns: [{ name: "id", type: "long", required: true }, { name: "name", type: "string" },
      { name: "day", type: "date" }, { name: "ts", type: "timestamptz" }, { name: "amt", type: "decimal(10,2)" }, { name: "x", type: "double" }]) { __typename } }`, { t });
    expect(made.createTable.__typename).toBe('CreateTableSuccess');
    // Ten appends, one file each: file i holds ids i*100..i*100+99, names g<i/2>-…, day 2026-01-(i+1), amounts i.00..i.99.
    for (let i = 0; i < 10; i++) {
      const day = `2026-01-${String(i + 1).padStart(2, '0')}`;
      const rows = Array.from({ length: 100 }, (_, k) => ({ id: i * 100 + k, name: `g${Math.floor(i / 2)}-${k}`, day, ts: `${day}T12:00:00Z`, amt: `${i}.${String(k).padStart(2, '0')}`, x: (i * 100 + k) / 4 }));
      expect((await admin(`mutation($t: String!, $rows: JSON) { appendRows(branch: "main", table: $t, rows: $rows) { __typename } }`, { t, rows })).appendRows.__typename).toBe('WriteSuccess');
    }
    const PLAN_WHERE = `mutation($t: String!, $w: JSON) { planCompaction(branch: "main", table: $t, targetFileSizeBytes: "134217728", minInputFiles: 2, where: $w) { __typename
      ... on MaintenancePlanSuccess { plan { id rewriteGroups { inputFiles deleteFiles } } } ... on Error { code message } } }`;
    const picked = async (w: unknown) => {
      const r = (await admin(PLAN_WHERE, { t, w })).planCompaction;
      expect(r.__typename, JSON.stringify(r)).toBe('MaintenancePlanSuccess');
      return r.plan.rewriteGroups.reduce((n: number, g: any) => n + g.inputFiles, 0);
    };
    // Each filter language form, against the files' bounds.
    expect(await picked({ id: { _lt: 300 } })).toBe(3);
    expect(await picked({ id: { _gte: 150, _lte: 250 } })).toBe(2);
    expect(await picked({ _or: [{ id: { _gte: 900 } }, { day: { _eq: '2026-01-04' } }] })).toBe(2);
    expect(await picked({ _not: { id: { _gte: 200 } } })).toBe(2);
    expect(await picked({ name: { _like: 'g2-%' } })).toBe(2);
    expect(await picked({ amt: { _gt: '7.50' } })).toBe(3);
    expect(await picked({ day: { _in: ['2026-01-02', '2026-01-03', '2027-01-01'] } })).toBe(2);
    expect(await picked({ ts: { _gte: '2026-01-09T00:00:00Z' } })).toBe(2);
    expect(await picked({ x: { _lt: 50 } })).toBe(2);
    expect(await picked({ id: { _eq: 5 } })).toBe(0); // one file: fewer than minInputFiles
    expect(await picked({ x: { _is_null: true } })).toBe(0);
    expect(await picked({ id: { _gte: 0 } })).toBe(10);

    const files = async () =>
      (await admin(`query($t: String!) { table(name: $t, ref: "main") { snapshots(first: 1) { nodes { dataFiles(first: 100) { nodes { path recordCount } } } } } }`, { t }))
        .table.snapshots.nodes[0].dataFiles.nodes as { path: string; recordCount: string }[];
    const sums = async () => (await admin(`query($q: String!) { sql(ref: "main", query: $q) { rows } }`, { q: `SELECT count(*), sum(id), sum(amt), min(day), max(ts) FROM ${t}` })).sql.rows[0];
    const before = await files();
    const sumsBefore = await sums();
    const planned = (await admin(PLAN_WHERE, { t, w: { id: { _lt: 300 } } })).planCompaction.plan;
    const done = (await admin(EXECUTE, { id: planned.id })).executeMaintenancePlan;
    expect(done.plan?.status, JSON.stringify(done)).toBe('SUCCEEDED');
    const after = await files();
    // The three files of ids 0..299 became one; the seven others are the same files.
    expect(after).toHaveLength(8);
    const kept = before.filter((f) => after.some((a) => a.path === f.path));
    expect(kept).toHaveLength(7);
    expect(kept.reduce((n, f) => n + Number(f.recordCount), 0)).toBe(700);
    expect(after.find((f) => !before.some((b) => b.path === f.path))?.recordCount).toBe('300');
    expect(await sums()).toEqual(sumsBefore);
    const firstIds = (await admin(`query($t: String!) { table(name: $t, ref: "main") { rows(first: 5, where: { id: { _lt: 300 } }, orderBy: [{ column: "id" }]) { rows } } }`, { t }))
      .table.rows.rows.map((r: any) => r.id);
    expect(firstIds).toEqual(['0', '1', '2', '3', '4']);

    // A bad where names the problem, and plans nothing.
    const plansBefore = (await admin(`{ maintenancePlans(first: 1) { nodes { id } } }`)).maintenancePlans.nodes[0].id;
    for (const [w, message] of [
      [{ nope: { _eq: 1 } }, "unknown column 'nope'"],
      [{ id: { _eq: 'abc' } }, 'id._eq expects an integer'],
      [{ id: { _around: 1 } }, "unknown operator '_around' on id"],
      [{ day: { _gt: '2026-13-45' } }, 'day._gt expects a date'],
      [[{ id: { _eq: 1 } }], 'expected an object of column conditions'],
    ] as const) {
      const r = (await admin(PLAN_WHERE, { t, w })).planCompaction;
      expect(r.code, JSON.stringify(r)).toBe('INVALID_INPUT');
      expect(r.message).toContain(message);
    }
    expect((await admin(`{ maintenancePlans(first: 1) { nodes { id } } }`)).maintenancePlans.nodes[0].id).toBe(plansBefore);
    expect(await files()).toEqual(after);
  });

  it('refuses a plan made stale by a later write, and refuses bad input', async () => {
    const plan = (await admin(PLAN, { b: 'main', t: table, n: 1 })).planExpireSnapshots.plan;
    await admin(`mutation($t: String!) { appendRows(branch: "main", table: $t, rows: [{ id: 31, v: "late" }]) { __typename } }`, { t: table });
    const head = (await admin(`{ branch(name: "main") { hash } }`)).branch.hash;
    const stale = (await admin(EXECUTE, { id: plan.id })).executeMaintenancePlan;
    expect(stale.code).toBe('REFERENCE_CONFLICT');
    expect((await admin(`{ branch(name: "main") { hash } }`)).branch.hash).toBe(head);
    expect((await admin(`query($id: ID!) { maintenancePlan(id: $id) { status } }`, { id: plan.id })).maintenancePlan.status).toBe('PLANNED');

    expect((await admin(PLAN, { b: 'main', t: table, n: 0 })).planExpireSnapshots.code).toBe('INVALID_INPUT');
    expect((await admin(PLAN, { b: 'main', t: 'lake.nope', n: 1 })).planExpireSnapshots.code).toBe('NOT_FOUND');
    expect((await admin(PLAN, { b: 'no-such-branch', t: table, n: 1 })).planExpireSnapshots.code).toBe('NOT_FOUND');
    expect((await admin(EXECUTE, { id: 'no-such-plan' })).executeMaintenancePlan.code).toBe('NOT_FOUND');
    const viewer = await asUser(g, ['viewer']);
    expect((await viewer(PLAN, { b: 'main', t: table, n: 1 })).planExpireSnapshots.code).toBe('FORBIDDEN');
  });
});
