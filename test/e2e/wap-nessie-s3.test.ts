/**
 * The glucose Write-Audit-Publish pipeline on Nessie with its warehouse on S3 (the test run's Nessie,
 * whose Iceberg REST catalog keeps its warehouse in a bucket of the versitygw server): the run
 * succeeds and merges into its target, every object its tables reference is in the bucket, and
 * PyIceberg, loading `marts.mrt_glucose_overview` through Nessie's catalog at the target, reads the
 * rows the gateway reads there.
 * The shared Nessie serves every test file, and the demo (CASCADE_DEMO) writes fixed names (dev,
 * feature/glucose-categories, v1.0) and only seeds an empty default branch, so it cannot be isolated:
 * the run is started through GraphQL on a private target branch instead.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { startRun, waitForRun } from '../support/pipelines.js';
import { ensurePyIceberg, runPython } from '../support/python.js';
import { listBucket, nessieS3GatewayEnv } from '../support/s3-gateway.js';

const DAYS = 3;

/** PyIceberg loads a table through the catalog at a ref: its rows' count and sum, and every object it references. */
const PY_READ = `
import json, sys
CFG = json.loads(sys.argv[1])
ARGS = json.loads(sys.argv[2])
from pyiceberg.catalog.rest import RestCatalog
import pyarrow.compute as pc
cat = RestCatalog("nessie", **{"uri": f"{CFG['uri']}/{ARGS['ref']}", "s3.endpoint": CFG["endpoint"],
    "s3.access-key-id": CFG["accessKeyId"], "s3.secret-access-key": CFG["secretAccessKey"],
    "s3.region": CFG["region"], "s3.path-style-access": "true"})
t = cat.load_table(ARGS["table"])
a = t.scan().to_arrow()
files = [t.metadata_location]
s = t.current_snapshot()
files.append(s.manifest_list)
for m in s.manifests(t.io):
    files.append(m.manifest_path)
    for e in m.fetch_manifest_entry(t.io, discard_deleted=True):
        files.append(e.data_file.file_path)
print(json.dumps({"count": a.num_rows, "sum": pc.sum(a.column(ARGS["column"])).as_py(),
    "dates": sorted(str(d) for d in a.column("reading_date").to_pylist()), "files": files, "snapshot": str(s.snapshot_id)}))
`;

describe('the glucose WAP run on Nessie with its warehouse on S3, read by PyIceberg through the catalog', () => {
  let g: Gateway;
  let warehouse: string;
  let bucket: string;
  let run: any;
  const target = `wap-s3-${randomBytes(4).toString('hex')}`;
  const mart = 'marts.mrt_glucose_overview';

  beforeAll(async () => {
    const s3 = inject('s3');
    const catalog = inject('nessieCatalog');
    warehouse = catalog.warehouse.replace(/\/+$/, '');
    bucket = new URL(warehouse).host;
    await ensurePyIceberg();
    g = await startGateway({
      ...nessieS3GatewayEnv(s3, catalog),
      RUN_POLL_MS: '200',
    });
    await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: target });
    // Nessie 0.99 cannot merge into a branch still at the beginning of time ("No common ancestor").
    await g.data(`mutation($n: String!) { createNamespace(branch: $n, name: "landing") { __typename } }`, { n: target });
    run = await waitForRun(g, await startRun(g, 'glucose', { days: DAYS, badReadings: 0 }, target), 600_000);
  }, 900_000);
  afterAll(async () => {
    await g?.stop();
  });

  it('succeeds and merges into its target branch', async () => {
    expect(run.status, run.error).toBe('SUCCEEDED');
    expect(run.target).toBe(target);
    expect(run.audits.map((a: any) => [a.name, a.passed]).sort()).toEqual([
      ['category_values', true],
      ['mart_has_days', true],
      ['sgv_in_range', true],
      ['sgv_not_null', true],
      ['stg_unique_reading_ts', true],
    ]);
    const d = await g.data(`query($n: String!) { branch(name: $n) { hash head { properties } } }`, { n: target });
    expect(d.branch.hash).toBe(run.mergedHash);
    expect(JSON.stringify(d.branch.head.properties)).toContain(run.runId);
  });

  it('keeps every object the target’s tables reference in the bucket', async () => {
    const root = `${warehouse}/`;
    const glucose = ['bronze.stg_entries', 'gold.dim_date', 'marts.mrt_glucose_overview', 'raw.entries', 'silver.fct_glucose_readings'];
    // The target branch was made from the shared Nessie's main, which other test files write to:
    // the run's tables are the five glucose ones, whatever else main held.
    const listed = (await g.data(`query($r: String!) { tables(ref: $r, first: 100) { nodes { namespace name location metadataLocation } } }`, { r: target })).tables.nodes;
    expect(listed.map((t: any) => `${t.namespace}.${t.name}`)).toEqual(expect.arrayContaining(glucose));
    const tables = listed.filter((t: any) => glucose.includes(`${t.namespace}.${t.name}`));
    expect(tables).toHaveLength(glucose.length);
    const locations = new Set<string>();
    for (const t of tables) {
      expect(t.location.startsWith(root), t.location).toBe(true);
      locations.add(t.metadataLocation);
      const d = await g.data(
        `query($r: String!, $t: String!) { table(ref: $r, name: $t) { snapshots(first: 50) { nodes { manifestList dataFiles(first: 500) { nodes { path } } } } } }`,
        { r: target, t: `${t.namespace}.${t.name}` },
      );
      for (const s of d.table.snapshots.nodes) {
        locations.add(s.manifestList);
        for (const f of s.dataFiles.nodes) locations.add(f.path);
      }
    }
    expect(locations.size).toBeGreaterThan(10);
    const keys = new Set(await listBucket(inject('s3'), bucket));
    for (const location of locations) {
      expect(location.startsWith(root), location).toBe(true);
      expect(keys.has(location.slice(`s3://${bucket}/`.length)), `${location} is in the bucket`).toBe(true);
    }
  });

  it('PyIceberg loads the mart through Nessie’s catalog at the target and reads the gateway’s rows', async () => {
    const cfg = JSON.stringify({ uri: inject('nessieCatalog').uri, ...inject('s3') });
    const py = JSON.parse(await runPython(PY_READ, [cfg, JSON.stringify({ ref: target, table: mart, column: 'reading_count' })], { timeoutMs: 300_000 }));
    const d = await g.data(
      `query($r: String!, $t: String!) {
        table(name: $t, ref: $r) { currentSnapshot { snapshotId } rows(orderBy: [{ column: "reading_date" }], first: 1000) { rows totalCount } }
        sql(ref: $r, query: "SELECT count(*), sum(reading_count) FROM marts.mrt_glucose_overview") { rows }
      }`,
      { r: target, t: mart },
    );
    expect(py.snapshot).toBe(d.table.currentSnapshot.snapshotId);
    expect(py.count).toBe(DAYS);
    expect(Number(d.table.rows.totalCount)).toBe(py.count);
    expect(d.table.rows.rows).toHaveLength(py.count);
    const gwSum = d.table.rows.rows.reduce((n: number, r: any) => n + Number(r.reading_count), 0);
    expect(gwSum).toBe(py.sum);
    expect(py.sum).toBe(DAYS * 288);
    expect(d.table.rows.rows.map((r: any) => String(r.reading_date))).toEqual(py.dates);
    expect(d.sql.rows[0].map(String)).toEqual([String(py.count), String(py.sum)]);
    for (const f of py.files) expect(f.startsWith(`${warehouse}/`), f).toBe(true);
  });
});
