/**
 * Upload pass-through across the GraphQL boundary: a Parquet file DuckDB wrote (no field ids) that
 * matches the table is kept as the table's data file, the table gets `schema.name-mapping.default`,
 * and the table reads the same through GraphQL rows/sql, in PyIceberg (through the mapping, also
 * after a rename via evolveSchema) and in DuckDB straight from the snapshot's files — mixed with files
 * the gateway wrote itself. A file that does not fit is rewritten, or refused with nothing committed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { ensurePyIceberg, runPython } from '../support/python.js';
import { uploadFile } from '../support/upload.js';

const RUN = randomBytes(3).toString('hex');
const NS = `pt${RUN}`;
const T = `${NS}.readings`;

const PY_READ = `
import json, sys
import pyarrow.compute as pc
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(sys.argv[1])
col, threshold = sys.argv[2], int(sys.argv[3])
a = t.scan().to_arrow()
norm = lambda v: None if v is None else str(v)
print(json.dumps({
  "names": a.column_names,
  "count": a.num_rows,
  "sumId": norm(pc.sum(a.column("id")).as_py()),
  "sumCol": norm(pc.sum(a.column(col)).as_py()),
  "nonNullCol": a.column(col).length() - a.column(col).null_count,
  "nonNullDirection": a.column("direction").length() - a.column("direction").null_count,
  "sumAmount": norm(pc.sum(a.column("amount")).as_py()),
  "over": t.scan(row_filter=f"{col} > {threshold}").to_arrow().num_rows,
  "nullCol": t.scan(row_filter=f"{col} IS NULL").to_arrow().num_rows,
  "mapping": json.loads(t.metadata.properties.get("schema.name-mapping.default", "null")),
}))
`;

const WRITE = `__typename ... on WriteSuccess { addedRows snapshot { snapshotId } } ... on Error { code message }`;
const APPEND_FILE = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { ${WRITE} } }`;

describe('uploaded Parquet kept as it is (pass-through), read through the name mapping', () => {
  let g: Gateway;
  let tmp: string;
  let warehouseDir: string;
  let branch: string;
  let db: DuckDBInstance;
  let duck: DuckDBConnection;

  /** Readings as DuckDB writes them: ids from..from+n, NULLs in sgv/direction, several row groups. */
  const readings = (from: number, n: number, sgvName = 'sgv', over: Record<string, string> = {}) => {
    const cols: Record<string, string> = {
      id: 'i::BIGINT',
      [sgvName]: 'CASE WHEN i % 7 = 0 THEN NULL ELSE (40 + (i * 7919) % 361)::INTEGER END',
      direction: `CASE WHEN i % 11 = 0 THEN NULL ELSE (['Flat', 'FortyFiveUp', 'SingleDown'])[1 + (i % 3)::INTEGER] END`,
      ts: `TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i * 300000000)`,
      amount: '(i / 100)::DECIMAL(10,2)',
      day: `DATE '2026-01-01' + (i // 288)::INTEGER`,
      ...over,
    };
    return `SELECT ${Object.entries(cols).map(([k, v]) => `${v} AS "${k}"`).join(', ')} FROM range(${from}, ${from + n}) r(i)`;
  };
  const parquetFile = async (select: string) => {
    const file = path.join(tmp, `in-${randomBytes(4).toString('hex')}.parquet`);
    await duck.run(`COPY (${select}) TO '${file}' (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    return file;
  };
  const upload = async (file: string) => (await uploadFile(g.url, APPEND_FILE, { b: branch, t: T }, { name: 'readings.parquet', content: await fs.readFile(file) })).data?.appendRows;
  const table = async () =>
    (await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { metadataLocation snapshots(first: 100) { nodes { snapshotId } } currentSnapshot { dataFiles(first: 100) { nodes { path } } } } }`, { r: branch, t: T })).table;
  const files = async () => ((await table()).currentSnapshot.dataFiles.nodes as { path: string }[]).map((n) => fileURLToPath(n.path));
  const fieldIds = async (file: string) => (await duck.runAndReadAll(`SELECT field_id FROM parquet_schema('${file}') WHERE num_children IS NULL`)).getRowsJS().map(([id]) => (id === null ? null : Number(id)));
  const sql = async (q: string) => (await g.data(`query($r: String!, $q: String!) { sql(ref: $r, query: $q) { rows } }`, { r: branch, q })).sql.rows[0].map(String);
  const expected = async (select: string, col: string) =>
    (await duck.runAndReadAll(`SELECT count(*), sum(id), sum("${col}"), count("${col}"), count(direction), CAST(sum(amount) AS VARCHAR), count(*) FILTER (WHERE "${col}" > 300), count(*) FILTER (WHERE "${col}" IS NULL) FROM (${select})`))
      .getRowsJS()[0]!.map(String);
  const gateway = (col: string) =>
    sql(`SELECT count(*), sum(id), sum(${col}), count(${col}), count(direction), sum(amount), count(*) FILTER (WHERE ${col} > 300), count(*) FILTER (WHERE ${col} IS NULL) FROM ${T}`);
  const py = async (col: string) => JSON.parse(await runPython(PY_READ, [(await table()).metadataLocation, col, '300']));
  const direct = async (col: string) => {
    // Straight from the files: each file's columns by name (the kept files still call the column sgv).
    const list = (await files()).map((f) => `'${f}'`).join(', ');
    return (await duck.runAndReadAll(`SELECT count(*), sum(id), sum(coalesce(${col === 'sgv' ? 'sgv' : `${col}, sgv`})) FROM read_parquet([${list}], union_by_name = true)`)).getRowsJS()[0]!.map(String);
  };

  beforeAll(async () => {
    await ensurePyIceberg();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-pt-'));
    warehouseDir = path.join(tmp, 'warehouse');
    await fs.mkdir(warehouseDir);
    db = await DuckDBInstance.create(':memory:');
    duck = await db.connect();
    g = await startGateway({ WAREHOUSE: pathToFileURL(warehouseDir).href });
    branch = `pt-${RUN}`;
    await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch });
    await g.data(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: branch, n: NS });
    const created = await g.data(
      `mutation($b: String!, $n: String!, $c: [ColumnInput!]!) { createTable(branch: $b, name: $n, columns: $c) { __typename ... on Error { code message } } }`,
      {
        b: branch,
        n: T,
        c: [
          { name: 'id', type: 'long', required: true },
          { name: 'sgv', type: 'int' },
          { name: 'direction', type: 'string' },
          { name: 'ts', type: 'timestamptz' },
          { name: 'amount', type: 'decimal(10,2)' },
          { name: 'day', type: 'date' },
        ],
      },
    );
    expect(created.createTable.__typename).toBe('CreateTableSuccess');
  }, 900_000);
  afterAll(async () => {
    await g?.stop();
    duck?.closeSync();
    db?.closeSync();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('keeps the file, sets the name mapping, and every reader agrees — also mixed with rewritten files and after a rename', async () => {
    const first = readings(0, 5000);
    const out = await upload(await parquetFile(first));
    expect(out, JSON.stringify(out)).toMatchObject({ __typename: 'WriteSuccess', addedRows: '5000' });
    const [kept] = await files();
    expect(await fieldIds(kept!)).toEqual([null, null, null, null, null, null]); // the uploaded file itself
    const metadata = JSON.parse(await fs.readFile(fileURLToPath((await table()).metadataLocation), 'utf8'));
    expect(JSON.parse(metadata.properties['schema.name-mapping.default'])).toEqual([
      { 'field-id': 1, names: ['id'] },
      { 'field-id': 2, names: ['sgv'] },
      { 'field-id': 3, names: ['direction'] },
      { 'field-id': 4, names: ['ts'] },
      { 'field-id': 5, names: ['amount'] },
      { 'field-id': 6, names: ['day'] },
    ]);

    // A file that does not fit exactly (sgv as BIGINT) is rewritten with field ids: the table mixes both.
    const second = readings(5000, 1000, 'sgv', { sgv: '(i % 500)::BIGINT' });
    expect(await upload(await parquetFile(second))).toMatchObject({ __typename: 'WriteSuccess', addedRows: '1000' });
    const both = await files();
    expect(both).toHaveLength(2);
    const rewritten = both.find((f) => f !== kept)!;
    expect(await fieldIds(rewritten)).toEqual([1, 2, 3, 4, 5, 6]);

    const all = `${first} UNION ALL SELECT * REPLACE (sgv::INTEGER AS sgv) FROM (${second})`;
    const want = await expected(all, 'sgv');
    expect(await gateway('sgv')).toEqual(want);
    const rows = await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { rows(first: 3, orderBy: [{ column: "id" }]) { rows totalCount } } }`, { r: branch, t: T });
    expect(rows.table.rows.totalCount).toBe('6000');
    expect(rows.table.rows.rows.map((r: { id: unknown; sgv: unknown }) => [String(r.id), r.sgv])).toEqual([['0', null], ['1', 40 + 7919 % 361], ['2', 40 + (2 * 7919) % 361]]);
    const p1 = await py('sgv');
    expect([String(p1.count), p1.sumId, p1.sumCol, String(p1.nonNullCol), String(p1.nonNullDirection), p1.sumAmount, String(p1.over), String(p1.nullCol)]).toEqual(want);
    expect((await direct('sgv')).slice(0, 3)).toEqual(want.slice(0, 3));

    // Rename sgv → glucose: the mapping gets the new name; the kept file still says sgv.
    const ev = await g.data(`mutation($b: String!, $t: String!) { evolveSchema(branch: $b, table: $t, changes: [{ renameColumn: { from: "sgv", to: "glucose" } }]) { __typename ... on Error { code message } } }`, { b: branch, t: T });
    expect(ev.evolveSchema.__typename).toBe('EvolveSchemaSuccess');
    // and a file named by the new schema passes through too
    const third = readings(6000, 3000, 'glucose');
    expect(await upload(await parquetFile(third))).toMatchObject({ __typename: 'WriteSuccess', addedRows: '3000' });
    const latest = (await files()).filter((f) => !both.includes(f));
    expect(latest).toHaveLength(1);
    expect(await fieldIds(latest[0]!)).toEqual([null, null, null, null, null, null]);

    const renamedWant = await expected(`SELECT * RENAME (sgv AS glucose) FROM (${all}) UNION ALL ${third}`, 'glucose');
    expect(await gateway('glucose')).toEqual(renamedWant);
    const p2 = await py('glucose');
    expect(p2.names).toEqual(['id', 'glucose', 'direction', 'ts', 'amount', 'day']);
    expect(p2.mapping.find((e: { 'field-id': number }) => e['field-id'] === 2).names).toEqual(['sgv', 'glucose']);
    expect([String(p2.count), p2.sumId, p2.sumCol, String(p2.nonNullCol), String(p2.nonNullDirection), p2.sumAmount, String(p2.over), String(p2.nullCol)]).toEqual(renamedWant);
    expect((await direct('glucose')).slice(0, 3)).toEqual(renamedWant.slice(0, 3));
  }, 300_000);

  it('refuses a file with a NULL in a required column or an extra column, committing nothing', async () => {
    const before = (await table()).snapshots.nodes.length;
    const nullId = await upload(await parquetFile(readings(20000, 100, 'glucose', { id: 'CASE WHEN i = 20050 THEN NULL ELSE i END::BIGINT' })));
    expect(nullId).toMatchObject({ __typename: 'SchemaMismatch', code: 'SCHEMA_MISMATCH' });
    const extra = await upload(await parquetFile(readings(20000, 100, 'glucose', { note: `'x'` })));
    expect(extra).toMatchObject({ code: 'SCHEMA_MISMATCH' });
    expect((await table()).snapshots.nodes.length).toBe(before);
  });
});
