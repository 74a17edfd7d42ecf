/**
 * Interoperability with PyIceberg (from PyPI): a table written here (Parquet by DuckDB with field
 * ids, manifests and metadata by src/iceberg) must read correctly in PyIceberg — schema, rows,
 * partition and metrics pruning, time travel — and a table PyIceberg writes must plan correctly here.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { decodeValue } from '../../src/domain/iceberg/binary.js';
import type { Schema } from '../../src/domain/iceberg/types.js';
import { parseTableMetadata } from '../../src/iceberg/metadata-json.js';
import { planScan, snapshotSummary } from '../../src/iceberg/scan-planner.js';
import { commitSnapshot, dataFileFromWritten, newTableMetadata, writeMetadataFile } from '../../src/iceberg/table-writer.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { WrittenFile } from '../../src/ports/query-engine.js';
import { ensurePyIceberg, runPython } from '../support/python.js';

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'category', required: false, type: 'string' },
    { id: 3, name: 'price', required: false, type: 'decimal(9,2)' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
    { id: 5, name: 'Origin Country', required: false, type: 'string' },
  ],
};
const spec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] };
const COLUMNS = ['id', 'category', 'price', 'ts', 'Origin Country'];

/** Writes rows as Parquet with field ids (a local file: `location` is its file:// URI) and collects the stats a manifest needs, as the engine does. */
async function writeParquet(conn: DuckDBConnection, file: string, rows: string, category: string): Promise<WrittenFile> {
  const select = `SELECT * FROM (VALUES ${rows}) t(id, category, price, ts, "Origin Country")`;
  await conn.run(`COPY (${select}) TO '${file}' (FORMAT parquet, FIELD_IDS {id: 1, category: 2, price: 3, ts: 4, "Origin Country": 5})`);
  const agg = COLUMNS.map((c, i) => `min("${c}") AS min${i}, max("${c}") AS max${i}, count("${c}") AS n${i}`).join(', ');
  const stats = (await conn.runAndReadAll(`SELECT count(*) AS rows, ${agg} FROM read_parquet('${file}')`)).getRowObjects()[0]!;
  const meta = (await conn.runAndReadAll(`SELECT path_in_schema AS col, sum(total_compressed_size)::BIGINT AS size FROM parquet_metadata('${file}') GROUP BY 1`)).getRowObjects();
  const recordCount = Number(stats.rows);
  const ids = new Map(COLUMNS.map((c, i) => [c, i + 1]));
  return {
    location: pathToFileURL(file).href,
    recordCount,
    fileSizeInBytes: (await fs.stat(file)).size,
    partition: { category },
    columnSizes: new Map(meta.map((m) => [ids.get(String(m.col))!, Number(m.size)])),
    valueCounts: new Map(COLUMNS.map((_, i) => [i + 1, recordCount])),
    nullValueCounts: new Map(COLUMNS.map((_, i) => [i + 1, recordCount - Number(stats[`n${i}`])])),
    lowerBounds: new Map(COLUMNS.map((_, i) => [i + 1, stats[`min${i}`]])),
    upperBounds: new Map(COLUMNS.map((_, i) => [i + 1, stats[`max${i}`]])),
  };
}

const READ_SCRIPT = `
import json, sys
from pyiceberg.table import StaticTable
t = StaticTable.from_metadata(sys.argv[1])
def scan(**kw):
    return t.scan(**kw).to_arrow()
a = scan()
out = {
  "schema": [[f.field_id, f.name, str(f.field_type), f.required] for f in t.schema().fields],
  "spec": [[f.source_id, f.field_id, str(f.transform), f.name] for f in t.spec().fields],
  "rows": a.num_rows,
  "ids": sorted(a.column("id").to_pylist()),
  "prices": sorted(str(p) for p in a.column("price").to_pylist()),
  "countries": sorted(a.column("Origin Country").to_pylist()),
  "beta": scan(row_filter="category == 'beta'").num_rows,
  "big_ids": scan(row_filter="id >= 4").num_rows,
  "beta_files": len(list(t.scan(row_filter="category == 'beta'").plan_files())),
  "id_files": len(list(t.scan(row_filter="id >= 100").plan_files())),
  "first": scan(snapshot_id=int(sys.argv[2])).num_rows,
  "snapshots": [str(s.snapshot_id) for s in t.snapshots()],
  "current": str(t.current_snapshot().snapshot_id),
  "summary": t.current_snapshot().summary.additional_properties,
}
print(json.dumps(out))
`;

const WRITE_SCRIPT = `
import json, sys, datetime
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog
wh = sys.argv[1]
cat = SqlCatalog("interop", uri=f"sqlite:///{wh}/catalog.db", warehouse=f"file://{wh}")
cat.create_namespace("ns")
arrow_schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("d", pa.date32())])
t = cat.create_table("ns.people", schema=arrow_schema)
with t.update_spec() as u:
    u.add_identity("name")
d = datetime.date(2025, 1, 1)
t.append(pa.table({"id": [1, 2, 3], "name": ["a", "b", "a"], "d": [d, d, d]}, schema=arrow_schema))
t.append(pa.table({"id": [4, 5], "name": ["c", "c"], "d": [d, d]}, schema=arrow_schema))
t.delete("id == 2")
print(json.dumps({"metadata": t.metadata_location, "rows": t.scan().to_arrow().num_rows}))
`;

describe('PyIceberg interoperability', () => {
  let dir: string;
  let store: ObjectStore;
  let duck: DuckDBInstance;
  let conn: DuckDBConnection;
  beforeAll(async () => {
    await ensurePyIceberg();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-interop-'));
    store = createLocalObjectStore(pathToFileURL(dir).href);
    duck = await DuckDBInstance.create(':memory:');
    conn = await duck.connect();
  }, 900_000);
  afterAll(async () => {
    conn?.closeSync();
    duck?.closeSync();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('PyIceberg reads a table written here: schema, rows, pruning by partition and bounds, time travel', async () => {
    const location = `${store.root}/db/sales`;
    const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-interop-scratch-'));
    const upload = async (w: WrittenFile) => {
      const file = fileURLToPath(w.location);
      const loc = `${location}/data/category=${w.partition.category as string}/${path.basename(file)}`;
      await store.put(loc, createReadStream(file));
      return dataFileFromWritten(w, loc, schema, 0);
    };
    const ts = (s: string) => `'${s}'::TIMESTAMPTZ`;
    const alpha = await writeParquet(conn, path.join(scratch, 'a.parquet'), `(1::BIGINT, 'alpha', 1.50::DECIMAL(9,2), ${ts('2024-10-04 10:00:00+00')}, 'The Netherlands'), (2, 'alpha', 20.25, ${ts('2024-10-05 11:30:00.5+00')}, NULL)`, 'alpha');
    const beta = await writeParquet(conn, path.join(scratch, 'b.parquet'), `(3::BIGINT, 'beta', 99.99::DECIMAL(9,2), ${ts('2024-10-06 00:00:00+00')}, 'USA')`, 'beta');
    const alpha2 = await writeParquet(conn, path.join(scratch, 'c.parquet'), `(4::BIGINT, 'alpha', -3.10::DECIMAL(9,2), ${ts('2024-10-07 00:00:00+00')}, 'Belgium'), (5, 'alpha', 0.00, NULL, 'France')`, 'alpha');

    const m0 = newTableMetadata({ location, schema, spec });
    const loc0 = await writeMetadataFile(store, m0);
    const m1 = await commitSnapshot(store, m0, { operation: 'append', added: [await upload(alpha), await upload(beta)] });
    const loc1 = await writeMetadataFile(store, m1, loc0);
    const plan1 = await planScan(store, m1);
    const aFile = plan1.dataFiles.find((f) => f.partition.category === 'alpha')!;
    expect(decodeValue('decimal(9,2)', aFile.upperBounds!.get(3)!)).toBe('20.25');
    expect(decodeValue('timestamptz', aFile.upperBounds!.get(4)!)).toBe(1728127800500000n);
    // overwrite: replace the first alpha file by another one (a DELETED and an EXISTING entry)
    const m2 = await commitSnapshot(store, m1, { operation: 'overwrite', added: [await upload(alpha2)], removed: [aFile] });
    const loc2 = await writeMetadataFile(store, m2, loc1);
    await fs.rm(scratch, { recursive: true, force: true });

    const out = JSON.parse(await runPython(READ_SCRIPT, [loc2, m1.currentSnapshotId!])) as Record<string, unknown>;
    expect(out.schema).toEqual([[1, 'id', 'long', true], [2, 'category', 'string', false], [3, 'price', 'decimal(9, 2)', false], [4, 'ts', 'timestamptz', false], [5, 'Origin Country', 'string', false]]);
    expect(out.spec).toEqual([[2, 1000, 'identity', 'category']]);
    expect(out.rows).toBe(3);
    expect(out.ids).toEqual([3, 4, 5]);
    expect(out.prices).toEqual(['-3.10', '0.00', '99.99']);
    expect(out.countries).toEqual(['Belgium', 'France', 'USA']);
    expect(out.beta).toBe(1);
    expect(out.big_ids).toBe(2);
    expect(out.beta_files).toBe(1);
    expect(out.id_files).toBe(0);
    expect(out.first).toBe(3);
    expect(out.snapshots).toEqual([m1.currentSnapshotId, m2.currentSnapshotId]);
    expect(out.current).toBe(m2.currentSnapshotId);
    expect(out.summary).toMatchObject({ 'total-records': '3', 'total-data-files': '2', 'deleted-data-files': '1' });
  });

  it('a table PyIceberg wrote (partitioned, appended twice, a row deleted) plans correctly here', async () => {
    const wh = path.join(dir, 'pyiceberg');
    await fs.mkdir(wh);
    const out = JSON.parse(await runPython(WRITE_SCRIPT, [wh])) as { metadata: string; rows: number };
    expect(out.rows).toBe(4);
    const m = parseTableMetadata(new TextDecoder().decode(await store.read(out.metadata)));
    expect(m.formatVersion).toBe(2);
    const plan = await planScan(store, m);
    expect(plan.dataFiles.reduce((a, f) => a + f.recordCount, 0)).toBe(4);
    expect(plan.deleteFiles).toEqual([]);
    expect(new Set(plan.dataFiles.map((f) => f.partition.name))).toEqual(new Set(['a', 'c']));
    for (const f of plan.dataFiles) expect((await store.head(f.filePath))?.size).toBe(f.fileSizeInBytes);
    expect(snapshotSummary(m)).toMatchObject({ totalRecords: 4 });
    const first = m.snapshots.find((s) => s.parentSnapshotId === undefined)!;
    const old = await planScan(store, m, { snapshotId: first.snapshotId });
    expect(old.dataFiles.reduce((a, f) => a + f.recordCount, 0)).toBe(3);
  });
});
