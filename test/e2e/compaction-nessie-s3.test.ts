/**
 * Issue 22's compaction acceptance at full size, on Nessie with the warehouse on S3 and checked from
 * outside by PyIceberg through Nessie's Iceberg REST catalog: a table of 1,000,000 rows in 200 small
 * files (200 appendRows uploads of Parquet files, 5,000 rows each) on a branch of the run's own is
 * compacted into files near a 1 MiB target (the 1M rows compress to about 2 MiB) while an append races the execution. Afterwards: the same
 * rows and column sums plus the raced row (through GraphQL sql and rows), far fewer data files, each
 * near the target (Table.health and the snapshot's files), a `replace` snapshot, and PyIceberg reads
 * the same count and sums.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { ensurePyIceberg, runPython } from '../support/python.js';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { uploadFile } from '../support/upload.js';

const RUN = randomBytes(3).toString('hex');
const BRANCH = `cp-${RUN}`;
const NS = `cp_${RUN}`;
const TABLE = `${NS}.readings`;
const FILES = 200;
const ROWS_PER_FILE = 5000;
const ROWS = FILES * ROWS_PER_FILE;
const TARGET = 1024 * 1024;

/** PyIceberg at the branch head through the REST catalog: row count, sums, and the current snapshot. */
const PY_SUMS = `
import json, sys
import pyarrow.compute as pc
from pyiceberg.catalog.rest import RestCatalog
CFG = json.loads(sys.argv[1])
ARGS = json.loads(sys.argv[2])
S3 = {"s3.endpoint": CFG["endpoint"], "s3.access-key-id": CFG["accessKeyId"], "s3.secret-access-key": CFG["secretAccessKey"],
      "s3.region": CFG["region"], "s3.path-style-access": "true"}
t = RestCatalog("nessie", **{"uri": f"{CFG['uri']}/{ARGS['ref']}", **S3}).load_table(ARGS["table"])
a = t.scan().to_arrow()
s = t.current_snapshot()
print(json.dumps({"count": a.num_rows, "sumId": str(pc.sum(a.column("id")).as_py()), "sumX": pc.sum(a.column("x")).as_py(),
                  "distinctV": len(pc.unique(a.column("v"))), "operation": s.summary.operation.value, "dataFiles": len(list(t.scan().plan_files()))}))
`;

describe('compaction acceptance: 200 small files, 1M rows, on Nessie and S3, with a racing append', () => {
  let g: Gateway;
  let py: () => Promise<{ count: number; sumId: string; sumX: number; distinctV: number; operation: string; dataFiles: number }>;
  let dir: string;
  const q = <T = any>(query: string, variables?: Record<string, unknown>) => g.data<T>(query, variables);
  const sums = async () => (await q(`query($r: String!, $q: String!) { sql(ref: $r, query: $q) { rows } }`, { r: BRANCH, q: `SELECT count(*), sum(id), sum(x), count(DISTINCT v) FROM ${TABLE}` })).sql.rows[0];
  const table = async () =>
    (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { health { dataFileCount smallFileCount deleteFileCount } currentSnapshot { operation }
      snapshots(first: 1) { nodes { dataFiles(first: 1000) { nodes { path fileSizeBytes recordCount } } } } } }`, { r: BRANCH, t: TABLE })).table;

  beforeAll(async () => {
    const s3 = inject('s3');
    const catalog = inject('nessieCatalog');
    await ensurePyIceberg();
    const cfg = JSON.stringify({ uri: catalog.uri, ...s3 });
    py = async () => JSON.parse(await runPython(PY_SUMS, [cfg, JSON.stringify({ ref: BRANCH, table: TABLE })], { timeoutMs: 300_000 }));
    g = await startGateway(nessieS3GatewayEnv(s3, catalog));
    expect((await q(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: BRANCH })).createBranch.__typename).toBe('CreateBranchSuccess');
    expect((await q(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: BRANCH, n: NS })).createNamespace.__typename).toBe('CreateNamespaceSuccess');
    const made = await q(`mutation($b: String!, $t: String!) { createTable(branch: $b, name: $t, columns: [{ name: "id", type: "long", required: true }, { name: "v", type: "string" }, { name: "x", type: "double" }]) { __typename ... on Error { code message } } }`, { b: BRANCH, t: TABLE });
    expect(made.createTable.__typename, JSON.stringify(made)).toBe('CreateTableSuccess');

    // 200 Parquet files of 5,000 rows (ids i*5000 …), written by DuckDB, each one appendRows upload.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-compaction-'));
    const duck = await (await DuckDBInstance.create(':memory:')).connect();
    await duck.run(`COPY (SELECT r::BIGINT AS id, 'v' || (r % 97) AS v, r::DOUBLE / 8 AS x, r // ${ROWS_PER_FILE} AS f FROM range(${ROWS}) t(r)) TO '${dir}' (FORMAT parquet, PARTITION_BY (f), WRITE_PARTITION_COLUMNS false)`);
    duck.closeSync();
    const APPEND_FILE = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { __typename ... on Error { code message } } }`;
    for (let i = 0; i < FILES; i++) {
      const [name] = await fs.readdir(path.join(dir, `f=${i}`));
      const content = await fs.readFile(path.join(dir, `f=${i}`, name!));
      const r = await uploadFile(g.url, APPEND_FILE, { b: BRANCH, t: TABLE }, { name: 'part.parquet', content });
      expect(r.data?.appendRows.__typename, JSON.stringify(r)).toBe('WriteSuccess');
    }
  }, 600_000);
  afterAll(async () => {
    await g?.stop();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('rewrites them into files near the target with the same rows and sums, keeps the raced append, and PyIceberg agrees', async () => {
    const expected = [String(ROWS), String((ROWS * (ROWS - 1)) / 2), (ROWS * (ROWS - 1)) / 2 / 8, '97'];
    expect(await sums()).toEqual(expected);
    const before = await table();
    expect(before.health).toMatchObject({ dataFileCount: FILES, smallFileCount: FILES, deleteFileCount: 0 });

    const planned = (await q(`mutation($b: String!, $t: String!, $s: BigInt) { planCompaction(branch: $b, table: $t, targetFileSizeBytes: $s) { __typename
      ... on MaintenancePlanSuccess { plan { id rewriteGroups { inputFiles deleteFiles inputBytes outputFilesEstimate } } } ... on Error { code message } } }`, { b: BRANCH, t: TABLE, s: String(TARGET) })).planCompaction;
    expect(planned.__typename, JSON.stringify(planned)).toBe('MaintenancePlanSuccess');
    expect(planned.plan.rewriteGroups).toHaveLength(1);
    expect(planned.plan.rewriteGroups[0]).toMatchObject({ inputFiles: FILES, deleteFiles: 0 });

    // An append lands while the compaction executes; whichever commits first, both are there.
    const [done, appended] = await Promise.all([
      q(`mutation($id: ID!) { executeMaintenancePlan(id: $id) { __typename ... on MaintenancePlanSuccess { plan { status error } } ... on Error { code message } } }`, { id: planned.plan.id }),
      new Promise((r) => setTimeout(r, 50)).then(() =>
        q(`mutation($b: String!, $t: String!) { appendRows(branch: $b, table: $t, rows: [{ id: "${ROWS}", v: "late", x: 0.5 }]) { __typename ... on Error { code message } } }`, { b: BRANCH, t: TABLE }),
      ),
    ]);
    expect(done.executeMaintenancePlan.__typename, JSON.stringify(done)).toBe('MaintenancePlanSuccess');
    expect(done.executeMaintenancePlan.plan).toEqual({ status: 'SUCCEEDED', error: null });
    expect(appended.appendRows.__typename, JSON.stringify(appended)).toBe('WriteSuccess');

    // The same rows and sums, and the raced row.
    expect(await sums()).toEqual([String(ROWS + 1), String((ROWS * (ROWS - 1)) / 2 + ROWS), (ROWS * (ROWS - 1)) / 2 / 8 + 0.5, '98']);
    const late = (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { rows(first: 5, where: { v: { _eq: "late" } }) { rows } } }`, { r: BRANCH, t: TABLE })).table.rows.rows;
    expect(late).toEqual([{ id: String(ROWS), v: 'late', x: 0.5 }]);
    const page = (await q(`query($r: String, $t: String!) { table(name: $t, ref: $r) { rows(first: 100) { rows } } }`, { r: BRANCH, t: TABLE })).table.rows.rows;
    expect(page).toHaveLength(100);

    // Fewer files: the compacted ones near the target (none above it by more than a row group's slack), plus the appended one.
    const after = await table();
    const files = after.snapshots.nodes[0].dataFiles.nodes as { path: string; fileSizeBytes: string; recordCount: string }[];
    const compacted = files.filter((f) => Number(f.recordCount) > 1);
    expect(files).toHaveLength(compacted.length + 1);
    expect(compacted.length).toBeGreaterThan(1);
    expect(compacted.length).toBeLessThan(FILES / 10);
    expect(compacted.reduce((n, f) => n + Number(f.recordCount), 0)).toBe(ROWS);
    const sizes = compacted.map((f) => Number(f.fileSizeBytes)).sort((a, b) => a - b);
    for (const size of sizes.slice(1)) expect(size, JSON.stringify(sizes)).toBeGreaterThan(TARGET * 0.5);
    for (const size of sizes) expect(size, JSON.stringify(sizes)).toBeLessThan(TARGET * 1.5);
    expect(after.health.dataFileCount).toBe(files.length);
    const inputPaths = new Set((before.snapshots.nodes[0].dataFiles.nodes as { path: string }[]).map((f) => f.path));
    for (const f of compacted) expect(inputPaths.has(f.path)).toBe(false);

    // PyIceberg through Nessie's REST catalog reads the same.
    const read = await py();
    expect(read).toMatchObject({ count: ROWS + 1, sumId: String((ROWS * (ROWS - 1)) / 2 + ROWS), sumX: (ROWS * (ROWS - 1)) / 2 / 8 + 0.5, distinctV: 98, dataFiles: files.length });
    expect(['replace', 'append']).toContain(read.operation);
  }, 300_000);
});
