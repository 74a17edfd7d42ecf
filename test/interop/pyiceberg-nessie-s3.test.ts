/**
 * The gateway and PyIceberg on one lakehouse: Nessie's Iceberg REST catalog (`/iceberg/<ref>`) with
 * its warehouse on the S3 test server, and the gateway on the same Nessie (NESSIE_URI) and the same
 * bucket (WAREHOUSE=s3://…). No copies, no LOCATION_ALIASES: both read the content Nessie holds.
 *  (a) PyIceberg creates `lake.events` on main through the REST catalog and appends three batches:
 *      the gateway shows the three snapshots (Nessie's metadata files keep only the current one; the
 *      gateway finds the others in the table's earlier commits), the rows PyIceberg read after each
 *      append, and the same sums in `sql`;
 *  (b) through GraphQL on a branch: createTable, appendRows twice, evolveSchema, overwriteRows with
 *      where; PyIceberg, loading the catalog at `<branch>@<hash>` of each commit, reads what the
 *      gateway reads at that snapshot, and every file either references is in the bucket. Then
 *      PyIceberg appends through the catalog and the gateway appends on top of that: both keep
 *      reading the same rows, and the gateway's metadata file keeps all five snapshots;
 *  (c) merging the branch into main through GraphQL: PyIceberg at main reads the table as the
 *      gateway does.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { startGateway, type Gateway } from '../support/gateway.js';
import { ensurePyIceberg, runPython } from '../support/python.js';

const RUN = randomBytes(3).toString('hex');

const PY_COMMON = `
import json, sys, datetime
def norm(v):
    if v is None: return None
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, float): return str(int(v)) if v.is_integer() else repr(v)
    return str(v)
def canon(arrow):
    return sorted(([{k: norm(v) for k, v in r.items()} for r in arrow.to_pylist()]), key=lambda r: int(r["id"]))
def sums(arrow, cols):
    import pyarrow.compute as pc
    return {c: norm(pc.sum(arrow.column(c)).as_py()) for c in cols}
def schema_of(schema):
    return [[f.field_id, f.name, str(f.field_type).replace(" ", ""), f.required] for f in schema.fields]
CFG = json.loads(sys.argv[1])
ARGS = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
S3 = {"s3.endpoint": CFG["endpoint"], "s3.access-key-id": CFG["accessKeyId"], "s3.secret-access-key": CFG["secretAccessKey"],
      "s3.region": CFG["region"], "s3.path-style-access": "true"}
def catalog(ref):
    from pyiceberg.catalog.rest import RestCatalog
    return RestCatalog("nessie", **{"uri": f"{CFG['uri']}/{ref}", **S3})
def files_of(t):
    """Every object the table's current state references: metadata, manifest list, manifests, data files."""
    out = [t.metadata_location]
    s = t.current_snapshot()
    if s is not None:
        out.append(s.manifest_list)
        for m in s.manifests(t.io):
            out.append(m.manifest_path)
            for e in m.fetch_manifest_entry(t.io, discard_deleted=True):
                out.append(e.data_file.file_path)
    return out
def read(t):
    a = t.scan().to_arrow()
    s = t.current_snapshot()
    return {"snapshot": str(s.snapshot_id) if s is not None else None, "count": a.num_rows, "rows": canon(a),
            "sums": sums(a, [c for c in ("id", "amount", "qty", "price") if c in a.column_names]),
            "schema": schema_of(t.schema()), "snapshotsInMetadata": len(t.snapshots()), "metadata": t.metadata_location}
`;

/** (a) PyIceberg writes lake.events on main through the REST catalog; what it reads after each append. */
const PY_EVENTS = `${PY_COMMON}
import pyarrow as pa
from pyiceberg.exceptions import NamespaceAlreadyExistsError, NoSuchTableError
from pyiceberg.schema import Schema
from pyiceberg.types import NestedField, LongType, StringType, DoubleType
cat = catalog("main")
try:
    cat.create_namespace("lake")
except NamespaceAlreadyExistsError:
    pass
try:
    cat.drop_table("lake.events")  # a Nessie kept from an earlier run
except NoSuchTableError:
    pass
t = cat.create_table("lake.events", schema=Schema(NestedField(1, "id", LongType(), required=True), NestedField(2, "kind", StringType()), NestedField(3, "amount", DoubleType())))
arrow = pa.schema([pa.field("id", pa.int64(), nullable=False), ("kind", pa.string()), ("amount", pa.float64())])
steps = []
for batch in ARGS["batches"]:
    t.append(pa.table({k: [r[k] for r in batch] for k in ("id", "kind", "amount")}, schema=arrow))
    t = cat.load_table("lake.events")
    steps.append({**read(t), "files": files_of(t)})
print(json.dumps({"steps": steps, "location": t.location()}))
`;

/** PyIceberg reads a table at each of the given refs (`branch`, `branch@hash`). */
const PY_READ_AT = `${PY_COMMON}
out = {}
for ref in ARGS["refs"]:
    t = catalog(ref).load_table(ARGS["table"])
    out[ref] = {**read(t), "files": files_of(t), "exist": all(t.io.new_input(f).exists() for f in files_of(t))}
print(json.dumps(out))
`;

/** PyIceberg appends through the REST catalog on a branch. */
const PY_APPEND = `${PY_COMMON}
import pyarrow as pa
cat = catalog(ARGS["ref"])
t = cat.load_table(ARGS["table"])
t.append(pa.Table.from_pylist(ARGS["rows"], schema=t.schema().as_arrow()))
t = cat.load_table(ARGS["table"])
print(json.dumps(read(t)))
`;

/** PyIceberg reads a metadata file straight from S3 (no catalog): how many snapshots it keeps. */
const PY_STATIC = `${PY_COMMON}
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(ARGS["metadata"], properties=S3)
print(json.dumps({"snapshots": sorted(str(s.snapshot_id) for s in t.snapshots()), "current": str(t.current_snapshot().snapshot_id)}))
`;

const TABLE_Q = `query($r: String, $t: String!) { table(name: $t, ref: $r) {
  metadataLocation location schema { fields { id name type required } }
  currentSnapshot { snapshotId dataFiles(first: 1000) { nodes { path } } } snapshots(first: 100) { nodes { snapshotId } } } }`;
const ROWS = `query($r: String, $t: String!, $s: BigInt, $a: String) {
  table(name: $t, ref: $r) { rows(snapshotId: $s, first: 1000, after: $a) { columns rows totalCount pageInfo { hasNextPage endCursor } } }
}`;
const SQL = `query($r: String!, $q: String!) { sql(ref: $r, query: $q) { rows } }`;
const WRITE_RESULT = `__typename ... on WriteSuccess { addedRows commit { hash } snapshot { snapshotId } } ... on Error { code message }`;

type Field = { id: number; name: string; type: string; required: boolean };
type PyRead = { snapshot: string | null; count: number; rows: Record<string, string | null>[]; sums: Record<string, string | null>; schema: [number, string, string, boolean][]; snapshotsInMetadata: number; metadata: string };

/** The gateway side of the canonical form: every value a string, rows by id. */
function canon(rows: Record<string, unknown>[]) {
  return rows
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null || v === undefined ? null : String(v)])))
    .sort((a, b) => Number(a.id) - Number(b.id));
}

describe('PyIceberg and the gateway through Nessie’s Iceberg REST catalog on S3', () => {
  let g: Gateway;
  let py: (script: string, args?: unknown) => Promise<any>;
  let warehouse: string;

  const table = async (ref: string, t: string) => (await g.data(TABLE_Q, { r: ref, t })).table;
  const rowsAt = async (ref: string, t: string, snapshotId?: string) => {
    const out: Record<string, unknown>[] = [];
    let after: string | null = null;
    let page: any;
    do {
      page = (await g.data(ROWS, { r: ref, t, s: snapshotId ?? null, a: after })).table.rows;
      out.push(...page.rows);
      after = page.pageInfo.endCursor;
    } while (page.pageInfo.hasNextPage);
    return { rows: canon(out), totalCount: Number(page.totalCount) };
  };
  const gatewaySchema = (fields: Field[]) => fields.map((f) => [f.id, f.name, f.type, f.required]);

  beforeAll(async () => {
    const s3 = inject('s3');
    const catalog = inject('nessieCatalog');
    warehouse = catalog.warehouse.replace(/\/+$/, '');
    await ensurePyIceberg();
    const cfg = JSON.stringify({ uri: catalog.uri, ...s3 });
    py = async (script, args = {}) => JSON.parse(await runPython(script, [cfg, JSON.stringify(args)], { timeoutMs: 300_000 }));
    g = await startGateway({
      ...nessieS3GatewayEnv(s3, catalog),
    });
  }, 900_000);
  afterAll(async () => {
    await g?.stop();
  });

  describe('(a) a table PyIceberg writes through the catalog on main', () => {
    const batches = [
      [1, 2, 3, 4].map((id) => ({ id, kind: id % 2 ? 'click' : 'view', amount: id * 1.5 })),
      [5, 6, 7].map((id) => ({ id, kind: 'click', amount: id * 0.25 })),
      [8, 9, 10].map((id) => ({ id, kind: id === 9 ? null : 'buy', amount: id * 10 })),
    ];
    let events: { steps: (PyRead & { files: string[] })[]; location: string };
    beforeAll(async () => {
      events = await py(PY_EVENTS, { batches });
    }, 300_000);

    it('lives in the bucket, and Nessie’s metadata files keep only the current snapshot', () => {
      expect(events.location.startsWith(`${warehouse}/`)).toBe(true);
      for (const s of events.steps) for (const f of s.files) expect(f.startsWith(`${warehouse}/`), f).toBe(true);
      expect(events.steps.map((s) => s.count)).toEqual([4, 7, 10]);
      expect(events.steps.map((s) => s.snapshotsInMetadata)).toEqual([1, 1, 1]);
    });

    it('the gateway at main shows the three snapshots, newest first, and the table as PyIceberg has it', async () => {
      const t = await table('main', 'lake.events');
      expect(t.metadataLocation).toBe(events.steps[2]!.metadata);
      expect(t.location).toBe(events.location);
      expect(gatewaySchema(t.schema.fields)).toEqual(events.steps[2]!.schema);
      expect(t.currentSnapshot.snapshotId).toBe(events.steps[2]!.snapshot);
      expect(t.snapshots.nodes.map((n: { snapshotId: string }) => n.snapshotId)).toEqual(events.steps.map((s) => s.snapshot).reverse());
    });

    it('rows at each snapshot equal what PyIceberg read, and sql sums agree', async () => {
      for (const [i, step] of events.steps.entries()) {
        const got = await rowsAt('main', 'lake.events', step.snapshot!);
        expect(got.totalCount, `snapshot ${i + 1}`).toBe(step.count);
        expect(got.rows, `snapshot ${i + 1}`).toEqual(step.rows);
      }
      const last = events.steps[2]!;
      const agg = (await g.data(SQL, { r: 'main', q: 'SELECT count(*), sum(id), sum(amount) FROM lake.events' })).sql;
      expect(agg.rows[0].map(String)).toEqual([String(last.count), last.sums.id, last.sums.amount]);
    });
  });

  describe('(b) a table written through GraphQL on a branch, read by PyIceberg through the catalog', () => {
    const branch = `gw${RUN}`;
    const ns = `shop${RUN}`;
    const t = `${ns}.orders`;
    /** Each commit of the table: its hash and the snapshot current after it. */
    const commits: { step: string; hash: string; snapshot: string | null }[] = [];

    const write = async (mutation: 'appendRows' | 'overwriteRows', rows: unknown[], where?: unknown) => {
      const r = await g.data(
        where === undefined
          ? `mutation($b: String!, $t: String!, $rows: JSON) { ${mutation}(branch: $b, table: $t, rows: $rows) { ${WRITE_RESULT} } }`
          : `mutation($b: String!, $t: String!, $rows: JSON, $w: JSON) { ${mutation}(branch: $b, table: $t, rows: $rows, where: $w) { ${WRITE_RESULT} } }`,
        { b: branch, t, rows, ...(where === undefined ? {} : { w: where }) },
      );
      expect(r[mutation].__typename, JSON.stringify(r[mutation])).toBe('WriteSuccess');
      return { hash: r[mutation].commit.hash as string, snapshot: r[mutation].snapshot.snapshotId as string };
    };

    beforeAll(async () => {
      expect((await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch })).createBranch.__typename).toBe('CreateBranchSuccess');
      const cn = await g.data(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: branch, n: ns });
      expect(cn.createNamespace.__typename).toBe('CreateNamespaceSuccess');
    });

    it('createTable, appendRows twice, evolveSchema, overwriteRows with where: PyIceberg reads the same rows at every commit', async () => {
      const ct = await g.data(
        `mutation($b: String!, $n: String!, $c: [ColumnInput!]!) { createTable(branch: $b, name: $n, columns: $c) { __typename ... on CreateTableSuccess { commit { hash } table { metadataLocation } } ... on Error { code message } } }`,
        {
          b: branch,
          n: t,
          c: [
            { name: 'id', type: 'long', required: true },
            { name: 'item', type: 'string' },
            { name: 'qty', type: 'int' },
            { name: 'price', type: 'double' },
          ],
        },
      );
      expect(ct.createTable.__typename, JSON.stringify(ct.createTable)).toBe('CreateTableSuccess');
      expect(ct.createTable.table.metadataLocation.startsWith(`${warehouse}/`)).toBe(true);
      commits.push({ step: 'createTable', hash: ct.createTable.commit.hash, snapshot: null });
      commits.push({ step: 'append 1', ...(await write('appendRows', [1, 2, 3, 4, 5].map((id) => ({ id, item: ['a', 'b', 'c'][id % 3], qty: id, price: id * 2.5 })))) });
      commits.push({ step: 'append 2', ...(await write('appendRows', [6, 7, 8, 9].map((id) => ({ id, item: ['a', 'b', 'c'][id % 3], qty: id * 10, price: id + 0.125 })))) });
      const evo = await g.data(
        `mutation($b: String!, $t: String!, $c: [SchemaChangeInput!]!) { evolveSchema(branch: $b, table: $t, changes: $c) { __typename ... on EvolveSchemaSuccess { commit { hash } } ... on Error { code message } } }`,
        { b: branch, t, c: [{ addColumn: { name: 'note', type: 'string' } }] },
      );
      expect(evo.evolveSchema.__typename, JSON.stringify(evo.evolveSchema)).toBe('EvolveSchemaSuccess');
      commits.push({ step: 'evolveSchema', hash: evo.evolveSchema.commit.hash, snapshot: commits.at(-1)!.snapshot });
      commits.push({ step: 'overwrite where item = b', ...(await write('overwriteRows', [{ id: 20, item: 'b', qty: 7, price: 1.25, note: 'replaced' }], { item: { _eq: 'b' } })) });

      const refs = commits.map((c) => `${branch}@${c.hash}`);
      const seen: Record<string, PyRead & { files: string[]; exist: boolean }> = await py(PY_READ_AT, { table: t, refs: [...refs, branch] });
      const info = await table(branch, t);
      for (const [i, c] of commits.entries()) {
        const at = seen[refs[i]!]!;
        expect(at.snapshot, c.step).toBe(c.snapshot);
        // The gateway at the same commit: the same current snapshot and rows.
        const there = await rowsAt(refs[i]!, t);
        expect(at.count, c.step).toBe(there.totalCount);
        expect(at.rows, c.step).toEqual(there.rows);
        // And by time travel from the branch head: the same data (the snapshot that was current when
        // the schema changed is read in the new schema since, as Nessie's catalog serves it).
        if (c.snapshot !== null) {
          const columns = at.schema.map((f) => f[1]);
          const travel = (await rowsAt(branch, t, c.snapshot)).rows.map((r) => Object.fromEntries(columns.map((k) => [k, r[k] ?? null])));
          expect(at.rows, `${c.step}, by snapshot id`).toEqual(travel);
        }
        expect(at.snapshotsInMetadata, c.step).toBe(c.snapshot === null ? 0 : 1);
      }
      // The schema change is its own commit: PyIceberg sees the column from then on.
      expect(seen[refs[2]!]!.schema.map((f) => f[1])).toEqual(['id', 'item', 'qty', 'price']);
      expect(seen[refs[3]!]!.schema).toEqual(gatewaySchema(info.schema.fields));
      expect(seen[refs[4]!]!.rows.map((r) => Number(r.id))).toEqual([2, 3, 5, 6, 8, 9, 20]);
      expect((await rowsAt(branch, t, commits[2]!.snapshot!)).rows[0]).toHaveProperty('note', null);
      expect(seen[refs[4]!]!.rows.find((r) => r.id === '20')).toMatchObject({ note: 'replaced', price: '1.25' });

      // At the branch head: the same snapshot, and every file either side references is in the bucket.
      const head = seen[branch]!;
      expect(head.snapshot).toBe(info.currentSnapshot.snapshotId);
      expect(head.metadata).toBe(info.metadataLocation);
      expect(head.exist).toBe(true);
      const gatewayFiles = [info.metadataLocation, ...info.currentSnapshot.dataFiles.nodes.map((n: { path: string }) => n.path)];
      for (const f of [...head.files, ...gatewayFiles]) expect(f.startsWith(`${warehouse}/`), f).toBe(true);
      expect([...head.files].filter((f) => f.endsWith('.parquet')).sort()).toEqual(info.currentSnapshot.dataFiles.nodes.map((n: { path: string }) => n.path).sort());
      for (const f of gatewayFiles) expect(await g.app.ports.objects.head(f), f).not.toBeNull();
      expect(info.snapshots.nodes.map((n: { snapshotId: string }) => n.snapshotId)).toEqual([commits[4]!.snapshot, commits[2]!.snapshot, commits[1]!.snapshot]);
      // Nothing the writes made stayed on local disk (the read cache of remote files aside: OBJECT_CACHE_MB).
      const cache = path.join(g.home, 'cache') + path.sep;
      expect((await filesUnder(g.home, /\.(parquet|avro|metadata\.json)$/)).filter((f) => !f.startsWith(cache))).toEqual([]);
    });

    it('PyIceberg appends through the catalog, then the gateway appends on top: both read the same, the gateway keeps every snapshot', async () => {
      const pyAppend: PyRead = await py(PY_APPEND, { ref: branch, table: t, rows: [{ id: 30, item: 'd', qty: 3, price: 30.5, note: 'from pyiceberg' }] });
      const afterPy = await table(branch, t);
      expect(afterPy.metadataLocation).toBe(pyAppend.metadata);
      expect(afterPy.currentSnapshot.snapshotId).toBe(pyAppend.snapshot);
      expect(afterPy.snapshots.nodes.map((n: { snapshotId: string }) => n.snapshotId)).toEqual([pyAppend.snapshot, commits[4]!.snapshot, commits[2]!.snapshot, commits[1]!.snapshot]);
      expect((await rowsAt(branch, t)).rows).toEqual(pyAppend.rows);
      expect((await rowsAt(branch, t, commits[2]!.snapshot!)).rows.map((r) => Number(r.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);

      const gw = await write('appendRows', [{ id: 40, item: 'e', qty: 4, price: 4.75, note: 'from the gateway' }]);
      commits.push({ step: 'gateway append', ...gw });
      const seen: Record<string, PyRead> = await py(PY_READ_AT, { table: t, refs: [branch] });
      const info = await table(branch, t);
      expect(seen[branch]!.snapshot).toBe(gw.snapshot);
      expect(seen[branch]!.rows).toEqual((await rowsAt(branch, t)).rows);
      expect(seen[branch]!.rows.map((r) => Number(r.id))).toEqual([2, 3, 5, 6, 8, 9, 20, 30, 40]);
      const all = [gw.snapshot, pyAppend.snapshot, commits[4]!.snapshot, commits[2]!.snapshot, commits[1]!.snapshot];
      expect(info.snapshots.nodes.map((n: { snapshotId: string }) => n.snapshotId)).toEqual(all);
      // The metadata file the gateway wrote holds the history Nessie's files did not.
      const file = await py(PY_STATIC, { metadata: info.metadataLocation });
      expect(file).toEqual({ snapshots: [...all].sort(), current: gw.snapshot });
      const sum = (await g.data(SQL, { r: branch, q: `SELECT sum(qty), count(*) FROM ${t}` })).sql.rows[0].map(String);
      expect(sum).toEqual([String(seen[branch]!.rows.reduce((n, r) => n + Number(r.qty), 0)), String(seen[branch]!.count)]);
    });

    it('(c) merged into main through GraphQL, PyIceberg at main reads the table as the gateway does', async () => {
      const m = await g.data(
        `mutation($f: String!) { merge(from: $f, into: "main") { __typename ... on MergeSuccess { hash applied } ... on Error { code message } } }`,
        { f: branch },
      );
      expect(m.merge.__typename, JSON.stringify(m.merge)).toBe('MergeSuccess');
      expect(m.merge.applied).toBe(true);
      const seen: Record<string, PyRead & { exist: boolean }> = await py(PY_READ_AT, { table: t, refs: ['main', `main@${m.merge.hash}`] });
      const info = await table('main', t);
      const onMain = await rowsAt('main', t);
      for (const ref of ['main', `main@${m.merge.hash}`]) {
        expect(seen[ref]!.snapshot, ref).toBe(commits.at(-1)!.snapshot);
        expect(seen[ref]!.snapshot, ref).toBe(info.currentSnapshot.snapshotId);
        expect(seen[ref]!.rows, ref).toEqual(onMain.rows);
        expect(seen[ref]!.exist, ref).toBe(true);
      }
      expect(info.snapshots.nodes).toHaveLength(5);
      // lake.events from (a) is untouched by the merge.
      expect((await table('main', 'lake.events')).snapshots.nodes).toHaveLength(3);
    });
  });
});

/** Files under `dir` (recursively) whose names match. */
async function filesUnder(dir: string, match: RegExp): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await fs.readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (match.test(e.name)) out.push(p);
    }
  };
  await walk(dir);
  return out;
}
