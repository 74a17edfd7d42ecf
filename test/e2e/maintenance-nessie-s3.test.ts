/**
 * Table maintenance on Nessie with the warehouse on S3, checked from outside by PyIceberg through
 * Nessie's Iceberg REST catalog and by listing the bucket. The gateway runs open (no auth: everyone
 * is admin) with MAINTENANCE_HISTORY_MS=0 (only ref heads pin files), on branches of its own made
 * from the default branch of the shared test Nessie, with a table whose namespace is unique to the run:
 *  1. the acceptance at full size: 30 appends on `mt-<run>`, a branch `mt-keep-<run>` made
 *     after the 10th, a table tag on the 5th snapshot; an expiry down to the last 3 snapshots: the
 *     branch reads the same rows, keep reads each of its 10 snapshots, the tag reads; every deleted
 *     object is gone from the bucket, every file any snapshot of either branch reads is still there,
 *     and the plan lists keep's manifest lists as kept, pinned by keep;
 *  2. PyIceberg at each branch head reads the same ids as the gateway;
 *  3. a compaction: the same count and sums, fewer data files, a `replace` snapshot, PyIceberg agrees;
 *  4. an orphan removal (cutoff in the future) lists a stray object put under the table's data folder
 *     and nothing any ref reads, and deletes it; the table still reads.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { ensurePyIceberg, runPython } from '../support/python.js';
import { listBucket, nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { testS3Client, type S3Endpoint } from '../support/s3.js';

const RUN = randomBytes(3).toString('hex');
const BRANCH = `mt-${RUN}`;
const KEEP = `mt-keep-${RUN}`;
const NS = `mt_${RUN}`;
const TABLE = `${NS}.events`;
const TAG = 'fifth';
/** Appends on the branch; keep is made after the KEEP_AT-th; the table tag is on the TAG_AT-th snapshot. */
const APPENDS = 30;
const KEEP_AT = 10;
const TAG_AT = 5;
const RETAIN = 3;

/** PyIceberg: the table at each branch head through the REST catalog, and every file each metadata file's snapshots read. */
const PY_READ = `
import json, sys
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.table import StaticTable
CFG = json.loads(sys.argv[1])
ARGS = json.loads(sys.argv[2])
S3 = {"s3.endpoint": CFG["endpoint"], "s3.access-key-id": CFG["accessKeyId"], "s3.secret-access-key": CFG["secretAccessKey"],
      "s3.region": CFG["region"], "s3.path-style-access": "true"}
out = {"refs": {}, "files": {}}
for ref in ARGS["refs"]:
    t = RestCatalog("nessie", **{"uri": f"{CFG['uri']}/{ref}", **S3}).load_table(ARGS["table"])
    a = t.scan().to_arrow()
    s = t.current_snapshot()
    out["refs"][ref] = {"ids": sorted(int(x) for x in a.column("id").to_pylist()), "snapshot": str(s.snapshot_id) if s else None,
                        "operation": s.summary.operation.value if s and s.summary else None, "metadata": t.metadata_location}
for loc in ARGS["metadata"]:
    t = StaticTable.from_metadata(loc, properties=S3)
    files = {loc}
    for s in t.snapshots():
        files.add(s.manifest_list)
        for m in s.manifests(t.io):
            files.add(m.manifest_path)
            for e in m.fetch_manifest_entry(t.io, discard_deleted=True):
                files.add(e.data_file.file_path)
    out["files"][loc] = sorted(files)
print(json.dumps(out))
`;
type PyRead = {
  refs: Record<string, { ids: number[]; snapshot: string | null; operation: string | null; metadata: string }>;
  files: Record<string, string[]>;
};

const PLAN_EXPIRE = `mutation($b: String!, $t: String!, $n: Int) { planExpireSnapshots(branch: $b, table: $t, retainLast: $n) { __typename
  ... on MaintenancePlanSuccess { plan { id kind status snapshotsToExpire fileCountToDelete bytesToReclaim filesToDelete(first: 1000) { path sizeBytes } filesKept(first: 1000) { path pinnedBy } } }
  ... on Error { code message } } }`;
const PLAN_ORPHANS = `mutation($b: String, $t: String!, $o: DateTime) { planRemoveOrphanFiles(table: $t, branch: $b, olderThan: $o) { __typename
  ... on MaintenancePlanSuccess { plan { id kind status fileCountToDelete filesToDelete(first: 1000) { path sizeBytes } } }
  ... on Error { code message } } }`;
const PLAN_COMPACTION = `mutation($b: String!, $t: String!) { planCompaction(branch: $b, table: $t, targetFileSizeBytes: "134217728") { __typename
  ... on MaintenancePlanSuccess { plan { id kind status rewriteGroups { partition inputFiles deleteFiles inputBytes outputFilesEstimate } } }
  ... on Error { code message } } }`;
const EXECUTE = `mutation($id: ID!) { executeMaintenancePlan(id: $id) { __typename
  ... on MaintenancePlanSuccess { plan { status deletedFiles resultHash error } } ... on Error { code message } } }`;
const SNAPSHOT_FILES = `query($r: String, $t: String!) { table(name: $t, ref: $r) { metadataLocation location
  snapshots(first: 30) { pageInfo { hasNextPage } nodes { snapshotId manifestList dataFiles(first: 50) { pageInfo { hasNextPage } nodes { path } } } } } }`;

describe('table maintenance on Nessie with the warehouse on S3, as PyIceberg and the bucket see it', () => {
  let g: Gateway;
  let py: (args: unknown) => Promise<PyRead>;
  let s3: S3Endpoint;
  let bucket: string;
  /** Snapshot ids of the appends, oldest first, and their manifest lists. */
  const snapshots: string[] = [];
  const manifestLists = new Map<string, string>();
  const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  /** Two rows per append: append i writes ids 2i-1 and 2i. */
  const idsUpTo = (appends: number) => range(appends * 2);

  const q = <T = any>(query: string, variables?: Record<string, unknown>) => g.data<T>(query, variables);
  const idsAt = async (ref: string, opts: { snapshotId?: string; snapshotRef?: string } = {}) =>
    (
      await q(`query($r: String, $t: String!, $s: BigInt, $sr: String) { table(name: $t, ref: $r) { rows(first: 1000, snapshotId: $s, snapshotRef: $sr, orderBy: [{ column: "id" }]) { rows pageInfo { hasNextPage } } } }`, {
        r: ref,
        t: TABLE,
        s: opts.snapshotId ?? null,
        sr: opts.snapshotRef ?? null,
      })
    ).table.rows.rows.map((r: { id: string }) => Number(r.id));
  /** The bucket's key of an s3:// location of the warehouse. */
  const keyOf = (location: string) => {
    const prefix = `s3://${bucket}/`;
    expect(location.startsWith(prefix), location).toBe(true);
    return location.slice(prefix.length);
  };
  /** Every file any snapshot of the table at `ref` reads, as the gateway lists them (metadata, manifest lists, data files). */
  const gatewayFiles = async (ref: string) => {
    const t = (await q(SNAPSHOT_FILES, { r: ref, t: TABLE })).table;
    const out = [t.metadataLocation as string];
    expect(t.snapshots.pageInfo.hasNextPage).toBe(false);
    for (const s of t.snapshots.nodes) {
      expect(s.dataFiles.pageInfo.hasNextPage).toBe(false);
      out.push(s.manifestList);
      for (const f of s.dataFiles.nodes) out.push(f.path);
    }
    return { metadataLocation: t.metadataLocation as string, location: t.location as string, files: out };
  };
  /**
   * Every file either branch reads at its head (the gateway's list and PyIceberg's, which adds the
   * manifests), and what PyIceberg reads through the REST catalog at each branch head.
   */
  const everythingRead = async () => {
    const mine = await gatewayFiles(BRANCH);
    const keep = await gatewayFiles(KEEP);
    const read = await py({ table: TABLE, refs: [BRANCH, KEEP], metadata: [mine.metadataLocation, keep.metadataLocation] });
    const files = new Set([...mine.files, ...keep.files, ...read.files[mine.metadataLocation]!, ...read.files[keep.metadataLocation]!]);
    return { files, read, mine, keep };
  };
  const sums = async () => (await q(`query($r: String!, $q: String!) { sql(ref: $r, query: $q) { rows } }`, { r: BRANCH, q: `SELECT count(*), sum(id), sum(x) FROM ${TABLE}` })).sql.rows[0];
  const health = async () => (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { health { dataFileCount smallFileCount deleteFileCount } currentSnapshot { snapshotId operation } } }`, { r: BRANCH, t: TABLE })).table;

  beforeAll(async () => {
    s3 = inject('s3');
    const catalog = inject('nessieCatalog');
    bucket = new URL(catalog.warehouse).host;
    await ensurePyIceberg();
    const cfg = JSON.stringify({ uri: catalog.uri, ...s3 });
    py = async (args) => JSON.parse(await runPython(PY_READ, [cfg, JSON.stringify(args)], { timeoutMs: 300_000 }));
    // Only ref heads pin files (MAINTENANCE_HISTORY_MS=0), so the expiry has files to delete; no auth: everyone is admin.
    g = await startGateway({ ...nessieS3GatewayEnv(s3, catalog), MAINTENANCE_HISTORY_MS: '0' });

    const branch = await q(`mutation($n: String!) { createBranch(name: $n) { __typename ... on Error { code message } } }`, { n: BRANCH });
    expect(branch.createBranch.__typename, JSON.stringify(branch)).toBe('CreateBranchSuccess');
    const ns = await q(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename ... on Error { code message } } }`, { b: BRANCH, n: NS });
    expect(ns.createNamespace.__typename, JSON.stringify(ns)).toBe('CreateNamespaceSuccess');
    const made = await q(
      `mutation($b: String!, $t: String!) { createTable(branch: $b, name: $t, columns: [{ name: "id", type: "long", required: true }, { name: "v", type: "string" }, { name: "x", type: "double" }]) { __typename ... on Error { code message } } }`,
      { b: BRANCH, t: TABLE },
    );
    expect(made.createTable.__typename, JSON.stringify(made)).toBe('CreateTableSuccess');
    for (let i = 1; i <= APPENDS; i++) {
      const rows = [2 * i - 1, 2 * i].map((id) => ({ id, v: `row ${id}`, x: id / 4 }));
      const r = await q(`mutation($b: String!, $t: String!, $rows: JSON) { appendRows(branch: $b, table: $t, rows: $rows) { __typename ... on WriteSuccess { snapshot { snapshotId manifestList } } ... on Error { code message } } }`, {
        b: BRANCH,
        t: TABLE,
        rows,
      });
      expect(r.appendRows.__typename, JSON.stringify(r)).toBe('WriteSuccess');
      snapshots.push(r.appendRows.snapshot.snapshotId);
      manifestLists.set(r.appendRows.snapshot.snapshotId, r.appendRows.snapshot.manifestList);
      if (i === KEEP_AT) {
        const keep = await q(`mutation($n: String!, $f: String!) { createBranch(name: $n, from: $f) { __typename ... on Error { code message } } }`, { n: KEEP, f: BRANCH });
        expect(keep.createBranch.__typename, JSON.stringify(keep)).toBe('CreateBranchSuccess');
      }
    }
    const tag = await q(`mutation($b: String!, $t: String!, $s: BigInt!, $n: String!) { tagSnapshot(branch: $b, table: $t, name: $n, snapshotId: $s) { __typename ... on Error { code message } } }`, {
      b: BRANCH,
      t: TABLE,
      n: TAG,
      s: snapshots[TAG_AT - 1],
    });
    expect(tag.tagSnapshot.__typename, JSON.stringify(tag)).toBe('TagSnapshotSuccess');
  }, 900_000);
  afterAll(async () => {
    await g?.stop();
  });

  it('1. expires snapshots on its branch: every ref still reads, deleted objects are gone from the bucket, keep pins its files', async () => {
    expect(new Set(manifestLists.values()).size).toBe(APPENDS);
    const before = await idsAt(BRANCH);
    expect(before).toEqual(idsUpTo(APPENDS));
    const keepBefore = await gatewayFiles(KEEP);

    const planned = (await q(PLAN_EXPIRE, { b: BRANCH, t: TABLE, n: RETAIN })).planExpireSnapshots;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    const plan = planned.plan;
    expect(plan).toMatchObject({ kind: 'EXPIRE_SNAPSHOTS', status: 'PLANNED' });
    // The last 3 and the tagged 5th stay: 1–4 and 6–27 go.
    const expired = snapshots.slice(0, APPENDS - RETAIN).filter((_, i) => i !== TAG_AT - 1);
    expect([...plan.snapshotsToExpire].sort()).toEqual([...expired].sort());
    const deleted: string[] = plan.filesToDelete.map((f: { path: string }) => f.path);
    expect(plan.fileCountToDelete).toBe(deleted.length);
    expect(Number(plan.bytesToReclaim)).toBe(plan.filesToDelete.reduce((n: number, f: { sizeBytes: string }) => n + Number(f.sizeBytes), 0));
    // The manifest lists of 11–27 are read by nothing left; those of 1–10 are keep's.
    for (const s of snapshots.slice(KEEP_AT, APPENDS - RETAIN)) expect(deleted, `manifest list of ${s}`).toContain(manifestLists.get(s));
    for (const s of snapshots.slice(0, KEEP_AT)) expect(deleted, `manifest list of ${s}`).not.toContain(manifestLists.get(s));
    for (const f of keepBefore.files) expect(deleted, `${f} is read by ${KEEP}`).not.toContain(f);
    // keep's manifest lists of the snapshots the expiry removes (1–4, 6–10) are kept, pinned by keep.
    const kept = new Map<string, string[]>(plan.filesKept.map((f: { path: string; pinnedBy: string[] }) => [f.path, f.pinnedBy]));
    const keepsExpired = snapshots.slice(0, KEEP_AT).filter((s) => expired.includes(s));
    expect(keepsExpired).toHaveLength(KEEP_AT - 1);
    for (const s of keepsExpired) {
      const list = manifestLists.get(s)!;
      expect(keepBefore.files).toContain(list);
      expect(kept.get(list), `manifest list of ${s}`).toContain(KEEP);
    }
    // Everything about to be deleted is in the bucket now.
    const bucketBefore = new Set(await listBucket(s3, bucket));
    for (const f of deleted) expect(bucketBefore.has(keyOf(f)), f).toBe(true);

    const done = (await q(EXECUTE, { id: plan.id })).executeMaintenancePlan;
    expect(done.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.plan).toMatchObject({ status: 'SUCCEEDED', deletedFiles: deleted.length, error: null });

    // The branch reads the same rows; keep reads each of its 10 snapshots; the tagged snapshot reads.
    expect(await idsAt(BRANCH)).toEqual(before);
    const keepSnapshots = (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { snapshots(first: 100) { nodes { snapshotId } } } }`, { r: KEEP, t: TABLE })).table.snapshots.nodes;
    expect(keepSnapshots.map((n: { snapshotId: string }) => n.snapshotId).sort()).toEqual(snapshots.slice(0, KEEP_AT).sort());
    for (const [i, s] of snapshots.slice(0, KEEP_AT).entries()) expect(await idsAt(KEEP, { snapshotId: s }), `${KEEP} at snapshot ${i + 1}`).toEqual(idsUpTo(i + 1));
    expect(await idsAt(KEEP)).toEqual(idsUpTo(KEEP_AT));
    expect(await idsAt(BRANCH, { snapshotRef: TAG })).toEqual(idsUpTo(TAG_AT));
    expect(await idsAt(BRANCH, { snapshotId: snapshots[TAG_AT - 1] })).toEqual(idsUpTo(TAG_AT));
    const left = (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { snapshots(first: 100) { nodes { snapshotId } } } }`, { r: BRANCH, t: TABLE })).table.snapshots.nodes;
    expect(left.map((n: { snapshotId: string }) => n.snapshotId).sort()).toEqual([snapshots[TAG_AT - 1]!, ...snapshots.slice(APPENDS - RETAIN)].sort());

    // In the bucket: every deleted object is gone, every file any snapshot of either branch reads is there.
    const { files, read } = await everythingRead();
    const bucketAfter = new Set(await listBucket(s3, bucket));
    for (const f of deleted) expect(bucketAfter.has(keyOf(f)), `${f} was deleted`).toBe(false);
    for (const f of files) expect(bucketAfter.has(keyOf(f)), `${f} is read`).toBe(true);
    for (const f of deleted) expect(files.has(f), `${f} is deleted but read`).toBe(false);
    // keep's files as they were before the expiry are all still there.
    for (const f of keepBefore.files) expect(bucketAfter.has(keyOf(f)), `${f} is read by ${KEEP}`).toBe(true);
    // PyIceberg's own walk covers the manifests too: keep's head still reads all 10 snapshots' manifest lists.
    for (const s of snapshots.slice(0, KEEP_AT)) expect(read.files[keepBefore.metadataLocation], `${KEEP}`).toContain(manifestLists.get(s));
  }, 300_000);

  it('2. PyIceberg through Nessie’s REST catalog reads the same rows at each branch head as the gateway', async () => {
    const { read, mine, keep } = await everythingRead();
    const head = async (ref: string) => (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { currentSnapshot { snapshotId } } }`, { r: ref, t: TABLE })).table.currentSnapshot.snapshotId;
    expect(read.refs[BRANCH]!.ids).toEqual(await idsAt(BRANCH));
    expect(read.refs[BRANCH]!.ids).toEqual(idsUpTo(APPENDS));
    expect(read.refs[BRANCH]!.snapshot).toBe(await head(BRANCH));
    expect(read.refs[BRANCH]!.metadata).toBe(mine.metadataLocation);
    expect(read.refs[KEEP]!.ids).toEqual(await idsAt(KEEP));
    expect(read.refs[KEEP]!.ids).toEqual(idsUpTo(KEEP_AT));
    expect(read.refs[KEEP]!.snapshot).toBe(snapshots[KEEP_AT - 1]);
    expect(read.refs[KEEP]!.metadata).toBe(keep.metadataLocation);
  }, 300_000);

  it('3. compacts its branch into one replace snapshot with the same rows, fewer files, and PyIceberg agrees', async () => {
    const before = await sums();
    const rows = APPENDS * 2;
    expect(before.map(String)).toEqual([String(rows), String((rows * (rows + 1)) / 2), String((rows * (rows + 1)) / 2 / 4)]);
    const h0 = await health();
    expect(h0.health).toMatchObject({ dataFileCount: APPENDS, deleteFileCount: 0 });

    const planned = (await q(PLAN_COMPACTION, { b: BRANCH, t: TABLE })).planCompaction;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    expect(planned.plan.kind).toBe('COMPACTION');
    expect(planned.plan.rewriteGroups).toEqual([expect.objectContaining({ inputFiles: APPENDS, deleteFiles: 0, outputFilesEstimate: 1 })]);
    const done = (await q(EXECUTE, { id: planned.plan.id })).executeMaintenancePlan;
    expect(done.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.plan).toMatchObject({ status: 'SUCCEEDED', error: null });

    expect(await sums()).toEqual(before);
    const h1 = await health();
    expect(h1.health.dataFileCount).toBeLessThan(h0.health.dataFileCount);
    expect(h1.health.dataFileCount).toBe(1);
    expect(h1.currentSnapshot.operation).toBe('replace');
    expect(await idsAt(BRANCH)).toEqual(idsUpTo(APPENDS));

    const { read, files } = await everythingRead();
    expect(read.refs[BRANCH]!.snapshot).toBe(h1.currentSnapshot.snapshotId);
    expect(read.refs[BRANCH]!.operation).toBe('replace');
    expect(read.refs[BRANCH]!.ids).toEqual(idsUpTo(APPENDS));
    expect(read.refs[KEEP]!.ids).toEqual(idsUpTo(KEEP_AT));
    const inBucket = new Set(await listBucket(s3, bucket));
    for (const f of files) expect(inBucket.has(keyOf(f)), `${f} is read`).toBe(true);
  }, 300_000);

  it('4. removes a stray object under the table’s data folder, and nothing any ref reads', async () => {
    const { location } = await gatewayFiles(BRANCH);
    const stray = `${location.replace(/\/+$/, '')}/data/stray-${RUN}.parquet`;
    const client = testS3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(stray), Body: 'a killed write left this' }));
    } finally {
      client.destroy();
    }
    const { files } = await everythingRead();
    // The metadata files of every commit of both branches are read too (time travel by commit).
    for (const ref of [BRANCH, KEEP]) {
      const log = (await q(`query($r: String!) { branch(name: $r) { log(first: 100) { nodes { hash } } } }`, { r: ref })).branch.log.nodes;
      for (const { hash } of log) {
        const t = (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { metadataLocation } }`, { r: `${ref}@${hash}`, t: TABLE })).table;
        if (t) files.add(t.metadataLocation);
      }
    }
    const inBucket = new Set(await listBucket(s3, bucket));
    expect(inBucket.has(keyOf(stray))).toBe(true);
    for (const f of files) expect(inBucket.has(keyOf(f)), `${f} is read`).toBe(true);

    const olderThan = new Date(Date.now() + 60_000).toISOString();
    const planned = (await q(PLAN_ORPHANS, { b: BRANCH, t: TABLE, o: olderThan })).planRemoveOrphanFiles;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    expect(planned.plan.kind).toBe('REMOVE_ORPHAN_FILES');
    const orphans: string[] = planned.plan.filesToDelete.map((f: { path: string }) => f.path);
    expect(orphans).toContain(stray);
    for (const f of orphans) expect(files.has(f), `${f} is read by a ref`).toBe(false);

    const done = (await q(EXECUTE, { id: planned.plan.id })).executeMaintenancePlan;
    expect(done.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.plan).toMatchObject({ status: 'SUCCEEDED', deletedFiles: orphans.length, error: null });

    const after = new Set(await listBucket(s3, bucket));
    expect(after.has(keyOf(stray))).toBe(false);
    for (const f of files) expect(after.has(keyOf(f)), `${f} is read`).toBe(true);
    expect(await idsAt(BRANCH)).toEqual(idsUpTo(APPENDS));
    expect(await idsAt(KEEP)).toEqual(idsUpTo(KEEP_AT));
    expect(await idsAt(BRANCH, { snapshotRef: TAG })).toEqual(idsUpTo(TAG_AT));
    const again = await everythingRead();
    expect(again.read.refs[BRANCH]!.ids).toEqual(idsUpTo(APPENDS));
    expect(again.read.refs[KEEP]!.ids).toEqual(idsUpTo(KEEP_AT));
  }, 300_000);
});
