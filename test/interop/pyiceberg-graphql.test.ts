/**
 * PyIceberg (from PyPI) and the gateway on the same tables, across the GraphQL boundary:
 * (a) tables written through GraphQL (createTable, appendRows, overwriteRows with where,
 *     evolveSchema) read in PyIceberg from the metadataLocation GraphQL reports — schema with field
 *     ids, rows, sums, time travel — and, for an append-only table, by DuckDB straight from the
 *     Parquet files the snapshot lists;
 * (b) tables PyIceberg writes (SqlCatalog on sqlite; appends, schema evolution, delete, overwrite)
 *     registered with registerTable and read through `rows` and `sql` with PyIceberg's answers.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { ensurePyIceberg, runPython } from '../support/python.js';

const RUN = randomBytes(3).toString('hex');
const NS = `py${RUN}`;

/** Python side of the canonical form: every value a string (long/decimal as digits, floats shortest, timestamps epoch ms). */
const PY_COMMON = `
import json, sys, datetime
from decimal import Decimal
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
def norm(v):
    if v is None: return None
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, datetime.datetime):
        if v.tzinfo is None: v = v.replace(tzinfo=datetime.timezone.utc)
        return str((v - EPOCH) // datetime.timedelta(milliseconds=1))
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, float): return str(int(v)) if v.is_integer() else repr(v)
    return str(v)
def canon(arrow):
    return sorted(([{k: norm(v) for k, v in r.items()} for r in arrow.to_pylist()]), key=lambda r: int(r["id"]))
def sums(arrow, cols):
    import pyarrow.compute as pc
    return {c: norm(pc.sum(arrow.column(c)).as_py()) for c in cols}
def schema_of(schema):
    return [[f.field_id, f.name, str(f.field_type).replace(" ", ""), f.required] for f in schema.fields]
`;

const READ_SCRIPT = `${PY_COMMON}
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(sys.argv[1])
cols = json.loads(sys.argv[2])
out = {
  "formatVersion": t.metadata.format_version,
  "schema": schema_of(t.schema()),
  "spec": [[f.source_id, f.field_id, str(f.transform), f.name] for f in t.spec().fields],
  "current": str(t.current_snapshot().snapshot_id),
  "snapshots": {},
}
for s in t.snapshots():
    a = t.scan(snapshot_id=s.snapshot_id).to_arrow()
    out["snapshots"][str(s.snapshot_id)] = {"count": a.num_rows, "rows": canon(a), "sums": sums(a, [c for c in cols if c in a.column_names])}
print(json.dumps(out))
`;

const WRITE_SCRIPT = `${PY_COMMON}
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.partitioning import PartitionSpec, PartitionField
from pyiceberg.schema import Schema
from pyiceberg.transforms import IdentityTransform
from pyiceberg.types import NestedField, LongType, IntegerType, StringType, DoubleType, TimestamptzType, DecimalType, DateType

db_dir, warehouse, alias_dir = sys.argv[1:4]
cat = SqlCatalog("interop", uri=f"sqlite:///{db_dir}/catalog.db", warehouse=warehouse)
cat.create_namespace("ext")
steps = {}
def snap(t, name):
    t.refresh() if hasattr(t, "refresh") else None
    steps.setdefault(t.name()[-1], []).append([name, str(t.current_snapshot().snapshot_id)])

# 1. partitioned by day (identity on a date column: PyIceberg's day() transform needs pyiceberg-core,
#    which the pinned venv does not have), in a warehouse inside the gateway's WAREHOUSE
ts = lambda d, h: datetime.datetime(2025, 3, d, h, 30, tzinfo=datetime.timezone.utc)
readings = cat.create_table("ext.readings",
  schema=Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "device", StringType()),
                NestedField(3, "value", DoubleType()), NestedField(4, "ts", TimestamptzType()), NestedField(5, "day", DateType())),
  partition_spec=PartitionSpec(PartitionField(source_id=5, field_id=1000, transform=IdentityTransform(), name="day")))
a1 = pa.schema([pa.field("id", pa.int64(), nullable=False), ("device", pa.string()), ("value", pa.float64()), ("ts", pa.timestamp("us", tz="UTC")), ("day", pa.date32())])
def with_day(cols):
    cols["day"] = [t.date() for t in cols["ts"]]
    return cols
readings.append(pa.table(with_day({"id": [1, 2, 3, 4, 5, 6], "device": ["a", "b", "a", "b", "a", "c"], "value": [1.5, 2.25, 3.0, 4.75, 5.5, 6.125],
                          "ts": [ts(1, 1), ts(1, 2), ts(2, 3), ts(2, 4), ts(3, 5), ts(3, 6)]}), schema=a1))
snap(readings, "append 1")
readings.append(pa.table(with_day({"id": [7, 8, 9, 10], "device": ["b", "c", "a", "b"], "value": [7.5, 8.0, 9.25, 10.5],
                          "ts": [ts(1, 7), ts(2, 8), ts(4, 9), ts(4, 10)]}), schema=a1))
snap(readings, "append 2")
with readings.update_schema() as u:
    u.add_column("note", StringType())
a2 = pa.schema([pa.field("id", pa.int64(), nullable=False), ("device", pa.string()), ("value", pa.float64()), ("ts", pa.timestamp("us", tz="UTC")), ("day", pa.date32()), ("note", pa.string())])
readings.append(pa.table(with_day({"id": [11, 12], "device": ["a", "c"], "value": [11.0, 12.75], "ts": [ts(4, 11), ts(5, 12)], "note": ["late", None]}), schema=a2))
snap(readings, "append after add column")
readings.delete("id <= 2")
snap(readings, "delete id <= 2")
readings.overwrite(pa.table(with_day({"id": [20, 21], "device": ["b", "b"], "value": [20.5, 21.5], "ts": [ts(2, 20), ts(5, 21)], "note": ["replaced", "replaced"]}), schema=a2),
                   overwrite_filter="device == 'b'")
snap(readings, "overwrite device == b")

# 2. partitioned by identity(name), at a location under a LOCATION_ALIASES target
people = cat.create_table("ext.people",
  schema=Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "name", StringType()),
                NestedField(3, "age", IntegerType()), NestedField(4, "balance", DecimalType(12, 2))),
  partition_spec=PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="name")),
  location=f"file://{alias_dir}/people")
p1 = pa.schema([pa.field("id", pa.int64(), nullable=False), ("name", pa.string()), ("age", pa.int32()), ("balance", pa.decimal128(12, 2))])
D = Decimal
people.append(pa.table({"id": [1, 2, 3], "name": ["a", "b", "a"], "age": [30, 61, 45], "balance": [D("10.50"), D("-3.25"), D("100.00")]}, schema=p1))
snap(people, "append 1")
people.append(pa.table({"id": [4, 5, 6], "name": ["c", "c", "b"], "age": [70, 20, None], "balance": [D("0.01"), D("7.77"), None]}, schema=p1))
snap(people, "append 2")
with people.update_schema() as u:
    u.add_column("email", StringType())
p2 = pa.schema([pa.field("id", pa.int64(), nullable=False), ("name", pa.string()), ("age", pa.int32()), ("balance", pa.decimal128(12, 2)), ("email", pa.string())])
people.append(pa.table({"id": [7], "name": ["a"], "age": [52], "balance": [D("1.00")], "email": ["g@example.org"]}, schema=p2))
snap(people, "append after add column")
people.delete("age > 50")
snap(people, "delete age > 50")
people.overwrite(pa.table({"id": [8], "name": ["c"], "age": [33], "balance": [D("2.50")], "email": ["h@example.org"]}, schema=p2), overwrite_filter="name == 'c'")
snap(people, "overwrite name == c")

out = {}
for t, cols in ((readings, ["id", "value"]), (people, ["id", "age", "balance"])):
    scans = {}
    for s in t.snapshots():
        a = t.scan(snapshot_id=s.snapshot_id).to_arrow()
        scans[str(s.snapshot_id)] = {"count": a.num_rows, "rows": canon(a), "sums": sums(a, cols)}
    out[t.name()[-1]] = {"metadata": t.metadata_location, "schema": schema_of(t.schema()), "steps": steps[t.name()[-1]], "scans": scans}
print(json.dumps(out))
`;

const SCHEMA_Q = `query($r: String, $t: String!) { table(name: $t, ref: $r) {
  metadataLocation formatVersion schema { fields { id name type required } } partitionSpec { fields { name transform } }
  currentSnapshot { snapshotId } snapshots(first: 100) { nodes { snapshotId operation } } } }`;
const ROWS = `query($r: String, $t: String!, $s: BigInt, $f: Int, $a: String) {
  table(name: $t, ref: $r) { rows(snapshotId: $s, first: $f, after: $a) { columns rows totalCount pageInfo { hasNextPage endCursor } } }
}`;
const SQL = `query($r: String!, $q: String!) { sql(ref: $r, query: $q) { columns { name } rows rowCount } }`;
const WRITE_RESULT = `__typename ... on WriteSuccess { addedRows snapshot { snapshotId } } ... on Error { code message }`;

type Field = { id: number; name: string; type: string; required: boolean };

/** The gateway side of the canonical form, by column type. */
function canon(rows: Record<string, unknown>[], fields: Field[]) {
  const types = new Map(fields.map((f) => [f.name, f.type]));
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : types.get(k)?.startsWith('timestamp') ? String(Date.parse(String(v))) : String(v)])))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

describe('PyIceberg and the gateway on the same tables, through GraphQL', () => {
  let g: Gateway;
  let tmp: string;
  let warehouseDir: string;
  let aliasDir: string;
  let branch: string;

  const rowsAll = async (t: string, s?: string) => {
    const out: Record<string, unknown>[] = [];
    let after: string | null = null;
    let page: any;
    do {
      page = (await g.data(ROWS, { r: branch, t, s: s ?? null, f: 1000, a: after })).table.rows;
      out.push(...page.rows);
      after = page.pageInfo.endCursor;
    } while (page.pageInfo.hasNextPage);
    return { rows: out, totalCount: page.totalCount as string, columns: page.columns as string[] };
  };
  const sql = async (q: string) => (await g.data(SQL, { r: branch, q })).sql;
  const table = async (t: string) => (await g.data(SCHEMA_Q, { r: branch, t })).table;

  beforeAll(async () => {
    await ensurePyIceberg();
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-pyg-'));
    warehouseDir = path.join(tmp, 'warehouse');
    aliasDir = path.join(tmp, 'external-lake');
    await fs.mkdir(warehouseDir);
    await fs.mkdir(aliasDir);
    g = await startGateway({ WAREHOUSE: pathToFileURL(warehouseDir).href, LOCATION_ALIASES: `s3://external-lake/=${pathToFileURL(aliasDir).href}/` });
    branch = `py-${RUN}`;
    expect((await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch })).createBranch.__typename).toBe('CreateBranchSuccess');
    expect((await g.data(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: branch, n: NS })).createNamespace.__typename).toBe('CreateNamespaceSuccess');
  }, 900_000);
  afterAll(async () => {
    await g?.stop();
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  describe('(a) tables written through GraphQL, read by PyIceberg and by DuckDB', () => {
    const create = async (name: string, columns: unknown[], partitionBy?: unknown[]) => {
      const r = await g.data(
        `mutation($b: String!, $n: String!, $c: [ColumnInput!]!, $p: [PartitionFieldInput!]) { createTable(branch: $b, name: $n, columns: $c, partitionBy: $p) { __typename ... on Error { code message } } }`,
        { b: branch, n: name, c: columns, p: partitionBy ?? null },
      );
      expect(r.createTable.__typename, JSON.stringify(r.createTable)).toBe('CreateTableSuccess');
    };
    const append = async (t: string, rows: unknown[]) => {
      const r = await g.data(`mutation($b: String!, $t: String!, $rows: JSON) { appendRows(branch: $b, table: $t, rows: $rows) { ${WRITE_RESULT} } }`, { b: branch, t, rows });
      expect(r.appendRows.__typename, JSON.stringify(r.appendRows)).toBe('WriteSuccess');
      expect(r.appendRows.addedRows).toBe(String(rows.length));
      return r.appendRows.snapshot.snapshotId as string;
    };
    /** PyIceberg's view of the table at the metadataLocation GraphQL reports, checked against rows/sql at every snapshot. */
    const checkInPyIceberg = async (t: string, sumCols: string[]) => {
      const info = await table(t);
      expect(info.metadataLocation).toMatch(/^file:\/\//);
      const py = JSON.parse(await runPython(READ_SCRIPT, [info.metadataLocation, JSON.stringify(sumCols)]));
      expect(py.formatVersion).toBe(info.formatVersion);
      expect(py.schema).toEqual(info.schema.fields.map((f: Field) => [f.id, f.name, f.type, f.required]));
      expect(py.current).toBe(info.currentSnapshot.snapshotId);
      expect(Object.keys(py.snapshots).sort()).toEqual(info.snapshots.nodes.map((n: any) => n.snapshotId).sort());
      for (const [id, want] of Object.entries<any>(py.snapshots)) {
        const got = await rowsAll(t, id);
        expect(got.totalCount, `snapshot ${id}`).toBe(String(want.count));
        expect(canon(got.rows, info.schema.fields.filter((f: Field) => got.columns.includes(f.name))), `snapshot ${id}`).toEqual(want.rows);
      }
      const current = py.snapshots[py.current];
      const agg = await sql(`SELECT count(*), ${sumCols.map((c) => `sum(${c})`).join(', ')} FROM ${t}`);
      expect(agg.rows[0].map((v: unknown) => (v === null ? null : String(v)))).toEqual([String(current.count), ...sumCols.map((c) => current.sums[c])]); // sums of no rows: null on both sides
      return { info, py };
    };

    it('an append-only table: PyIceberg agrees on schema, rows, sums and time travel; DuckDB on the snapshot’s Parquet files agrees too', async () => {
      const t = `${NS}.events`;
      await create(t, [
        { name: 'id', type: 'long', required: true },
        { name: 'name', type: 'string' },
        { name: 'amount', type: 'decimal(10,2)' },
        { name: 'score', type: 'double' },
        { name: 'day', type: 'date' },
        { name: 'ts', type: 'timestamptz' },
        { name: 'n', type: 'int' },
      ]);
      const row = (i: number) => ({
        id: i,
        name: i % 4 === 0 ? null : `name ${i}`,
        amount: `${(i * 37) % 1000}.${String(i % 100).padStart(2, '0')}`,
        score: i / 8,
        day: `2025-0${1 + (i % 9)}-1${i % 10}`,
        ts: new Date(Date.UTC(2025, 0, 1) + i * 3_600_123).toISOString(),
        n: i % 5 === 0 ? null : i * 3,
      });
      const snaps: string[] = [];
      for (const [from, n] of [[1, 10], [11, 25], [36, 7]] as const) snaps.push(await append(t, Array.from({ length: n }, (_, k) => row(from + k))));
      const { py } = await checkInPyIceberg(t, ['id', 'amount', 'score', 'n']);
      expect(py.snapshots[snaps[0]!].count).toBe(10);
      expect(py.snapshots[snaps[1]!].count).toBe(35);
      expect(py.snapshots[snaps[2]!].count).toBe(42);

      const files = await g.data(
        `query($r: String, $t: String!) { table(name: $t, ref: $r) { currentSnapshot { totalRows dataFiles(first: 1000) { nodes { path content recordCount } } } } }`,
        { r: branch, t },
      );
      const nodes = files.table.currentSnapshot.dataFiles.nodes as { path: string; content: string; recordCount: string }[];
      expect(nodes).toHaveLength(3);
      expect(nodes.every((n) => n.content === 'DATA')).toBe(true);
      const paths = nodes.map((n) => fileURLToPath(n.path));
      for (const p of paths) expect(p.startsWith(warehouseDir + path.sep)).toBe(true);
      const duck = await DuckDBInstance.create(':memory:');
      const conn = await duck.connect();
      try {
        const list = `[${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(', ')}]`;
        const r = await conn.runAndReadAll(`SELECT count(*)::VARCHAR, sum(id)::VARCHAR, sum(amount)::VARCHAR, sum(score)::DOUBLE, sum(n)::VARCHAR FROM read_parquet(${list})`);
        const [count, sumId, sumAmount, sumScore, sumN] = r.getRows()[0]!;
        const cur = py.snapshots[py.current];
        expect([count, sumId, sumAmount, String(sumScore), sumN]).toEqual([String(cur.count), cur.sums.id, cur.sums.amount, cur.sums.score, cur.sums.n]);
        expect(count).toBe(files.table.currentSnapshot.totalRows);
        expect(nodes.reduce((a, n) => a + Number(n.recordCount), 0)).toBe(42);
      } finally {
        conn.closeSync();
        duck.closeSync();
      }
    });

    it('a binary column: PyIceberg filters on it and finds every row (the files\' bounds are the bytes)', async () => {
      const t = `${NS}.blobs`;
      await create(t, [{ name: 'id', type: 'long', required: true }, { name: 'b', type: 'binary' }]);
      // one file per append, with bytes DuckDB prints escaped (0x00, 0x5C, 0x22, 0xFF)
      const values = ['00', '5c41ff22', '4142'];
      for (const [i, b] of values.entries()) await append(t, [{ id: i + 1, b: Buffer.from(b, 'hex').toString('base64') }]);
      const script = `${PY_COMMON}
from pyiceberg.table import StaticTable
from pyiceberg.expressions import EqualTo
t = StaticTable.from_metadata(sys.argv[1])
print(json.dumps({h: sorted(t.scan(row_filter=EqualTo("b", bytes.fromhex(h))).to_arrow().column("id").to_pylist()) for h in json.loads(sys.argv[2])}))
`;
      const found = JSON.parse(await runPython(script, [(await table(t)).metadataLocation, JSON.stringify(values)]));
      expect(found).toEqual(Object.fromEntries(values.map((b, i) => [b, [i + 1]])));
    });

    it('a partitioned table after appends, an overwrite with where and schema evolution reads the same in PyIceberg', async () => {
      const t = `${NS}.readings`;
      await create(
        t,
        [
          { name: 'id', type: 'long', required: true },
          { name: 'device', type: 'string' },
          { name: 'value', type: 'int' },
          { name: 'ts', type: 'timestamptz' },
        ],
        [{ column: 'ts', transform: 'day' }],
      );
      const at = (d: number, h: number) => new Date(Date.UTC(2025, 2, d, h, 15)).toISOString();
      await append(t, [1, 2, 3, 4, 5, 6].map((i) => ({ id: i, device: ['a', 'b', 'c'][i % 3], value: i * 10, ts: at(1 + (i % 3), i) })));
      await append(t, [7, 8, 9, 10].map((i) => ({ id: i, device: ['a', 'b', 'c'][i % 3], value: i * 10, ts: at(1 + (i % 4), i) })));
      const ow = await g.data(
        `mutation($b: String!, $t: String!, $rows: JSON, $w: JSON) { overwriteRows(branch: $b, table: $t, rows: $rows, where: $w) { ${WRITE_RESULT} } }`,
        { b: branch, t, rows: [{ id: 50, device: 'b', value: 500, ts: at(2, 12) }], w: { device: { _eq: 'b' } } },
      );
      expect(ow.overwriteRows.__typename, JSON.stringify(ow.overwriteRows)).toBe('WriteSuccess');
      const evo = await g.data(
        `mutation($b: String!, $t: String!, $c: [SchemaChangeInput!]!) { evolveSchema(branch: $b, table: $t, changes: $c) { __typename ... on Error { code message } } }`,
        { b: branch, t, c: [{ addColumn: { name: 'note', type: 'string' } }, { renameColumn: { from: 'value', to: 'reading' } }, { widenColumn: { name: 'reading', type: 'long' } }] },
      );
      expect(evo.evolveSchema.__typename, JSON.stringify(evo.evolveSchema)).toBe('EvolveSchemaSuccess');
      await append(t, [{ id: 60, device: 'a', reading: 6000000000, ts: at(5, 1), note: 'after evolution' }]);

      const { info, py } = await checkInPyIceberg(t, ['id', 'reading']);
      expect(info.schema.fields).toEqual([
        { id: 1, name: 'id', type: 'long', required: true },
        { id: 2, name: 'device', type: 'string', required: false },
        { id: 3, name: 'reading', type: 'long', required: false },
        { id: 4, name: 'ts', type: 'timestamptz', required: false },
        { id: 5, name: 'note', type: 'string', required: false },
      ]);
      expect(py.spec).toEqual([[4, 1000, 'day', 'ts_day']]);
      const cur = py.snapshots[py.current];
      expect(cur.rows.map((r: any) => Number(r.id))).toEqual([2, 3, 5, 6, 8, 9, 50, 60]);
      expect(cur.rows.find((r: any) => r.id === '60')).toMatchObject({ reading: '6000000000', note: 'after evolution' });
      expect(cur.rows.find((r: any) => r.id === '2')).toMatchObject({ reading: '20', note: null });
    });

    it('overwriteRows(rows: []) with where, then without: PyIceberg reads the same at every snapshot', async () => {
      const t = `${NS}.deletions`;
      await create(t, [{ name: 'id', type: 'long', required: true }, { name: 'v', type: 'int' }]);
      await append(t, [1, 2, 3, 4, 5].map((i) => ({ id: i, v: i * 10 })));
      const OW = `mutation($b: String!, $t: String!, $rows: JSON, $w: JSON) { overwriteRows(branch: $b, table: $t, rows: $rows, where: $w) { ${WRITE_RESULT} } }`;
      const some = await g.data(OW, { b: branch, t, rows: [], w: { id: { _gte: 3 } } });
      expect(some.overwriteRows, JSON.stringify(some.overwriteRows)).toMatchObject({ __typename: 'WriteSuccess', addedRows: '0' });
      const { py } = await checkInPyIceberg(t, ['id', 'v']);
      expect(py.snapshots[py.current].rows.map((r: any) => Number(r.id))).toEqual([1, 2]);
      const all = await g.data(OW, { b: branch, t, rows: [] });
      expect(all.overwriteRows.__typename, JSON.stringify(all.overwriteRows)).toBe('WriteSuccess');
      const after = await checkInPyIceberg(t, ['id', 'v']);
      expect(after.py.snapshots[after.py.current]).toMatchObject({ count: 0, rows: [] });
    });
  });

  describe('(b) tables PyIceberg wrote, registered and read through GraphQL', () => {
    let py: Record<string, { metadata: string; schema: [number, string, string, boolean][]; steps: [string, string][]; scans: Record<string, { count: number; rows: any[]; sums: Record<string, string> }> }>;
    beforeAll(async () => {
      const dbDir = path.join(tmp, 'sqlite');
      await fs.mkdir(dbDir);
      py = JSON.parse(await runPython(WRITE_SCRIPT, [dbDir, pathToFileURL(path.join(warehouseDir, 'pyiceberg')).href, aliasDir]));
    }, 300_000);

    const register = async (name: string, metadataLocation: string) => {
      const r = await g.data(
        `mutation($b: String!, $n: String!, $l: String!) { registerTable(branch: $b, name: $n, metadataLocation: $l) { __typename ... on CreateTableSuccess { table { name } } ... on Error { code message } } }`,
        { b: branch, n: name, l: metadataLocation },
      );
      expect(r.registerTable.__typename, JSON.stringify(r.registerTable)).toBe('CreateTableSuccess');
    };
    const sameAsPyIceberg = async (t: string, which: 'readings' | 'people') => {
      const want = py[which]!;
      const info = await table(t);
      expect(info.schema.fields.map((f: Field) => [f.id, f.name, f.type, f.required])).toEqual(want.schema);
      const steps = want.steps.map(([, id]) => id);
      expect(info.currentSnapshot.snapshotId).toBe(steps.at(-1));
      for (const id of steps) expect(info.snapshots.nodes.map((n: any) => n.snapshotId)).toContain(id);
      for (const [label, id] of want.steps) {
        const scan = want.scans[id]!;
        const got = await rowsAll(t, id);
        expect(got.totalCount, `${which} at ${label}`).toBe(String(scan.count));
        expect(canon(got.rows, info.schema.fields), `${which} at ${label}`).toEqual(scan.rows);
      }
      const current = want.scans[steps.at(-1)!]!;
      expect(canon((await rowsAll(t)).rows, info.schema.fields)).toEqual(current.rows);
      return { info, current };
    };

    it('partitioned by day, appended twice, a column added, delete(filter) and overwrite: rows and sql agree with PyIceberg', async () => {
      const want = py.readings!;
      expect(want.metadata.startsWith(pathToFileURL(warehouseDir).href + '/')).toBe(true);
      const t = `${NS}.py_readings`;
      await register(t, want.metadata);
      const { current } = await sameAsPyIceberg(t, 'readings');
      expect(current.rows.map((r) => Number(r.id))).toEqual([3, 5, 6, 8, 9, 11, 12, 20, 21]);
      const agg = await sql(`SELECT count(*), sum(id), sum(value), count(note) FROM ${t}`);
      expect(agg.rows[0].map(String)).toEqual([String(current.count), current.sums.id, current.sums.value, String(current.rows.filter((r) => r.note !== null).length)]);
      const byDevice = await sql(`SELECT device, count(*) FROM ${t} GROUP BY device ORDER BY device`);
      const counts = new Map<string, number>();
      for (const r of current.rows) counts.set(r.device, (counts.get(r.device) ?? 0) + 1);
      expect(byDevice.rows.map((r: unknown[]) => [r[0], String(r[1])])).toEqual([...counts].sort(([a], [b]) => a.localeCompare(b)).map(([d, n]) => [d, String(n)]));
      const filtered = await g.data(`query($r: String, $t: String!, $w: JSON) { table(name: $t, ref: $r) { rows(where: $w, first: 100) { totalCount } } }`, { r: branch, t, w: { device: { _eq: 'b' } } });
      expect(filtered.table.rows.totalCount).toBe(String(counts.get('b')));
    });

    it('identity-partitioned under a LOCATION_ALIASES target, registered through the alias prefix: rows and sql agree with PyIceberg', async () => {
      const want = py.people!;
      const real = pathToFileURL(aliasDir).href + '/';
      expect(want.metadata.startsWith(real)).toBe(true);
      const t = `${NS}.py_people`;
      await register(t, `s3://external-lake/${want.metadata.slice(real.length)}`);
      const { current } = await sameAsPyIceberg(t, 'people');
      expect(current.rows.map((r) => Number(r.id))).toEqual([1, 3, 6, 8]);
      const agg = await sql(`SELECT count(*), sum(id), sum(age), sum(balance), count(email) FROM ${t}`);
      expect(agg.rows[0].map(String)).toEqual([String(current.count), current.sums.id, current.sums.age, current.sums.balance, String(current.rows.filter((r) => r.email !== null).length)]);
      const first = want.steps[0]![1];
      const old = await rowsAll(t, first);
      expect(old.columns).not.toContain('email');
      expect(old.totalCount).toBe('3');
    });
  });
});
