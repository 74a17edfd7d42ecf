import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDuckDbEngine } from '../../src/adapters/duckdb/index.js';
import { parseWhere, type ColumnKind } from '../../src/domain/filters.js';
import type { DataFile, NestedField, ScanPlan, Schema } from '../../src/domain/iceberg/types.js';
import type { QueryEngine, RowQuery } from '../../src/ports/query-engine.js';

let dir: string;
let engine: QueryEngine;
let duck: DuckDBConnection;
let duckInstance: DuckDBInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cg-duckdb-'));
  engine = await createDuckDbEngine({ threads: 2 });
  duckInstance = await DuckDBInstance.create(':memory:');
  duck = await duckInstance.connect();
});
afterAll(async () => {
  await engine.close();
  duck.closeSync();
  duckInstance.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes a Parquet file with DuckDB; `ids` is the FIELD_IDS struct literal or null for none. */
async function parquet(name: string, select: string, ids: string | null): Promise<string> {
  const path = join(dir, name);
  await duck.run(`COPY (${select}) TO '${path}' (FORMAT parquet${ids ? `, FIELD_IDS ${ids}` : ''})`);
  return path;
}

function file(path: string, seq: number, extra: Partial<DataFile> = {}): DataFile {
  return {
    content: 'DATA', filePath: path, recordedPath: `s3a://bucket/${path.split('/').pop()}`, fileFormat: 'PARQUET', specId: 0, partition: {},
    recordCount: 1, fileSizeInBytes: 1, sequenceNumber: seq, fileSequenceNumber: seq, snapshotId: '1', ...extra,
  };
}

const field = (id: number, name: string, type: NestedField['type'], required = false): NestedField => ({ id, name, type, required });
const schema = (...fields: NestedField[]): Schema => ({ schemaId: 0, fields });
const plan = (s: Schema, dataFiles: DataFile[], deleteFiles: DataFile[] = []): ScanPlan => ({
  schema: s, snapshotId: '1', dataFiles, deleteFiles, partitionSpecs: [{ specId: 0, fields: [] }],
});

async function all(p: ScanPlan, q: Partial<RowQuery> = {}) {
  return (await engine.rows(p, { first: 1000, ...q })).rows;
}

describe('scans match columns by field id', () => {
  it('reads renamed columns under the new name, added ones as NULL, dropped ones not at all', async () => {
    const old = await parquet('evo-1.parquet', `SELECT i::INT AS id, 'n' || i AS name, i * 10 AS gone FROM range(2) t(i)`, `{id: 1, name: 2, gone: 3}`);
    const neu = await parquet('evo-2.parquet', `SELECT 5::INT AS id, 'x' AS label, 2.5::DOUBLE AS score`, `{id: 1, label: 2, score: 4}`);
    const s = schema(field(1, 'id', 'long'), field(2, 'label', 'string'), field(4, 'score', 'double'));
    const rows = await all(plan(s, [file(old, 1), file(neu, 2)]), { orderBy: [{ column: 'id', direction: 'ASC' }] });
    expect(rows).toEqual([
      { id: '0', label: 'n0', score: null },
      { id: '1', label: 'n1', score: null },
      { id: '5', label: 'x', score: 2.5 },
    ]);
  });

  it('falls back to names for files without field ids, and rebuilds nested structs by id', async () => {
    const noIds = await parquet('noids.parquet', `SELECT 7::INT AS id, 'seven' AS label`, null);
    const nested = await parquet('nested.parquet', `SELECT 8::INT AS id, {'a': 1, 'b': 'q'} AS st`, `{id: 1, st: {__duckdb_field_id: 10, a: 11, b: 12}}`);
    const s = schema(field(1, 'id', 'int'), field(2, 'label', 'string'), field(10, 'st', { type: 'struct', fields: [field(12, 'bee', 'string'), field(13, 'c', 'int')] }));
    const rows = await all(plan(s, [file(noIds, 1), file(nested, 1)]), { orderBy: [{ column: 'id', direction: 'ASC' }] });
    expect(rows).toEqual([
      { id: 7, label: 'seven', st: null },
      { id: 8, label: null, st: { bee: 'q', c: null } },
    ]);
  });

  it('reads many files that share a layout', async () => {
    const files: DataFile[] = [];
    for (let i = 0; i < 30; i++) files.push(file(await parquet(`many-${i}.parquet`, `SELECT ${i}::INT AS id`, `{id: 1}`), 1));
    const page = await engine.rows(plan(schema(field(1, 'id', 'int')), files), { first: 5, withTotal: true, orderBy: [{ column: 'id', direction: 'DESC' }] });
    expect(page.totalCount).toBe(30n);
    expect(page.rows.map((r) => r.id)).toEqual([29, 28, 27, 26, 25]);
  });
});

describe('delete files', () => {
  const s = schema(field(1, 'id', 'int'), field(2, 'name', 'string'));
  let d1: DataFile;
  let d2: DataFile;
  beforeAll(async () => {
    d1 = file(await parquet('del-d1.parquet', `SELECT i::INT AS id, 'n' || i AS name FROM range(5) t(i)`, `{id: 1, name: 2}`), 1);
    d2 = file(await parquet('del-d2.parquet', `SELECT (i + 5)::INT AS id, 'n' || (i + 5) AS name FROM range(5) t(i)`, `{id: 1, name: 2}`), 3);
  });

  it('applies position deletes by recorded path to data files with sequence number <= the delete', async () => {
    const pd = await parquet('pos-del.parquet', `SELECT * FROM (VALUES ('${d1.recordedPath}', 1::BIGINT), ('${d1.recordedPath}', 3::BIGINT), ('${d2.recordedPath}', 0::BIGINT)) t(file_path, pos)`, `{file_path: 2147483546, pos: 2147483545}`);
    const del = file(pd, 2, { content: 'POSITION_DELETES' });
    const ids = (await all(plan(s, [d1, d2], [del]), { orderBy: [{ column: 'id', direction: 'ASC' }] })).map((r) => r.id);
    // d2 (seq 3) is newer than the delete (seq 2): its row 0 stays.
    expect(ids).toEqual([0, 2, 4, 5, 6, 7, 8, 9]);
  });

  it('applies equality deletes to data files with sequence number < the delete, NULL matching NULL', async () => {
    const ed = await parquet('eq-del.parquet', `SELECT * FROM (VALUES (1::INT, 'n1'), (6::INT, 'n6'), (2::INT, 'nope')) t(id, name)`, `{id: 1, name: 2}`);
    const byName = await parquet('eq-del-name.parquet', `SELECT 'n3' AS name`, `{name: 2}`);
    const dels = [file(ed, 3, { content: 'EQUALITY_DELETES', equalityIds: [1, 2] }), file(byName, 4, { content: 'EQUALITY_DELETES', equalityIds: [2] })];
    const ids = (await all(plan(s, [d1, d2], dels), { orderBy: [{ column: 'id', direction: 'ASC' }] })).map((r) => r.id);
    // (6,'n6') is in d2 whose sequence number equals the delete's: not deleted.
    expect(ids).toEqual([0, 2, 4, 5, 6, 7, 8, 9]);
  });
});
