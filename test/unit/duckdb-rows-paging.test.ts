/**
 * rows() without orderBy reads files in (recorded path, position) order a batch at a time; these
 * check it against the whole-table order, across many files, with a filter, deletes and cursors,
 * and the plain scan that sql() uses (no file names, no row numbers) against the positional one.
 */
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckTestKit, type DuckTestKit } from '../support/duckdb-kit.js';
import { parseWhere, type ColumnKind } from '../../src/domain/filters.js';
import type { DataFile, NestedField, ScanPlan } from '../../src/domain/iceberg/types.js';
import type { QueryEngine, RowQuery } from '../../src/ports/query-engine.js';

let dir: string;
let engine: QueryEngine;
let duck: DuckDBConnection;
let kit: DuckTestKit;

beforeAll(async () => {
  kit = await openDuckTestKit('cg-paging-');
  ({ dir, engine, duck } = kit);
});
afterAll(() => kit.close());

const field = (id: number, name: string, type: NestedField['type']): NestedField => ({ id, name, type, required: false });
const fields = [field(1, 'id', 'int'), field(2, 'grp', 'string')];

async function dataFile(name: string, select: string, seq: number, recorded: string, extra: Partial<DataFile> = {}): Promise<DataFile> {
  const path = join(dir, name);
  await duck.run(`COPY (${select}) TO '${path}' (FORMAT parquet, FIELD_IDS {id: 1, grp: 2})`);
  const n = Number((await duck.runAndReadAll(`SELECT count(*) FROM '${path}'`)).getRowsJS()[0]![0]);
  return { content: 'DATA', filePath: path, recordedPath: recorded, fileFormat: 'PARQUET', specId: 0, partition: {}, recordCount: n, fileSizeInBytes: 1, sequenceNumber: seq, fileSequenceNumber: seq, snapshotId: '1', ...extra };
}

const plan = (dataFiles: DataFile[], deleteFiles: DataFile[] = []): ScanPlan => ({
  schema: { schemaId: 0, fields }, snapshotId: '1', dataFiles, deleteFiles, partitionSpecs: [{ specId: 0, fields: [] }],
});

async function pages(p: ScanPlan, q: Partial<RowQuery>, first: number) {
  const seen: unknown[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const page = await engine.rows(p, { first, ...q, after });
    for (const r of page.rows) seen.push(r.id);
    if (!page.nextCursor) break;
    after = page.nextCursor;
  }
  return seen;
}

describe('rows without orderBy over many files', () => {
  let files: DataFile[];
  const kinds = new Map<string, ColumnKind>([['id', 'integer'], ['grp', 'string']]);
  beforeAll(async () => {
    files = [];
    // 40 files of 0..9 rows; recorded paths in an order unlike the plan's, two sharing a path.
    for (let i = 0; i < 40; i++) {
      const rows = i % 10;
      const rec = i === 5 ? 's3://b/data/00-0.parquet' : `s3://b/data/${String((i * 17) % 40).padStart(2, '0')}-${i}.parquet`;
      files.push(await dataFile(`p-${i}.parquet`, `SELECT (${i * 100} + r)::INT AS id, CASE WHEN r % 3 = 0 THEN NULL ELSE 'g' || (r % 2) END AS grp FROM range(${rows}) t(r)`, 1, rec));
    }
    files.push({ ...files[3]!, recordCount: 0 });
  });

  it('returns the (recorded file, position) order page by page, as one big read does', async () => {
    const p = plan(files);
    const whole = (await engine.rows(p, { first: 10_000 })).rows.map((r) => r.id);
    expect(whole.length).toBe(files.slice(0, 40).reduce((n, f) => n + f.recordCount, 0));
    for (const first of [1, 7, 50]) expect(await pages(p, {}, first)).toEqual(whole);
    const page = await engine.rows(p, { first: 3, withTotal: true });
    expect(page.totalCount).toBe(BigInt(whole.length));
  });

  it('pages a filter across batches, with totalCount counted', async () => {
    const p = plan(files);
    const where = parseWhere({ _or: [{ grp: { _is_null: true } }, { id: { _gt: 3500 } }] }, kinds);
    const whole = (await engine.rows(p, { first: 10_000, where })).rows.map((r) => r.id);
    expect(await pages(p, { where }, 4)).toEqual(whole);
    expect((await engine.rows(p, { first: 1, where, withTotal: true })).totalCount).toBe(BigInt(whole.length));
    const none = parseWhere({ id: { _lt: -1 } }, kinds);
    expect(await engine.rows(p, { first: 5, where: none, withTotal: true })).toMatchObject({ rows: [], totalCount: 0n, nextCursor: null });
  });

  it('applies deletes in batches, and sql() reads the same rows as rows()', async () => {
    const target = files[12]!;
    const pd = join(dir, 'pos-del.parquet');
    await duck.run(`COPY (SELECT '${target.recordedPath}' AS file_path, 0::BIGINT AS pos) TO '${pd}' (FORMAT parquet, FIELD_IDS {file_path: 2147483546, pos: 2147483545})`);
    const ed = join(dir, 'eq-del.parquet');
    await duck.run(`COPY (SELECT 1301::INT AS id) TO '${ed}' (FORMAT parquet, FIELD_IDS {id: 1})`);
    const del = (path: string, content: DataFile['content'], extra: Partial<DataFile> = {}): DataFile => ({
      content, filePath: path, fileFormat: 'PARQUET', specId: 0, partition: {}, recordCount: 1, fileSizeInBytes: 1, sequenceNumber: 2, fileSequenceNumber: 2, snapshotId: '2', ...extra,
    });
    for (const deletes of [[del(pd, 'POSITION_DELETES')], [del(ed, 'EQUALITY_DELETES', { equalityIds: [1] })], [del(pd, 'POSITION_DELETES'), del(ed, 'EQUALITY_DELETES', { equalityIds: [1] })]]) {
      const p = plan(files, deletes);
      const whole = (await engine.rows(p, { first: 10_000, withTotal: true }));
      expect(whole.totalCount).toBe(BigInt(whole.rows.length));
      const ids = whole.rows.map((r) => r.id);
      expect(await pages(p, {}, 6)).toEqual(ids);
      const sql = await engine.sql('SELECT id FROM t ORDER BY id', new Map([['t', p]]), { maxRows: 10_000, timeoutMs: 30_000, maxBytes: 64 << 20 });
      expect(sql.rows.map((r) => r[0])).toEqual([...ids].sort((a, b) => Number(a) - Number(b)));
    }
  });

  it('refuses a cursor of another ordering', async () => {
    const p = plan(files);
    const page = await engine.rows(p, { first: 2 });
    await expect(engine.rows(p, { first: 2, after: page.nextCursor!, orderBy: [{ column: 'id', direction: 'ASC' }] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('rows without orderBy over big files (read a window of positions at a time)', () => {
  // Recorded order: c (150,000 rows), then a (120,000 rows), then b (5 rows); ids say where a row is.
  let files: DataFile[];
  const kinds = new Map<string, ColumnKind>([['id', 'integer'], ['grp', 'string']]);
  const rowsOf = (base: number, n: number) => `SELECT (${base} + r)::INT AS id, CASE WHEN r % 25000 = 7 THEN 'hit' ELSE 'x' END AS grp FROM range(${n}) t(r)`;
  const ids = (base: number, n: number) => Array.from({ length: n }, (_, r) => base + r);
  beforeAll(async () => {
    files = [
      await dataFile('big-a.parquet', rowsOf(0, 120_000), 1, 's3://b/data/2-a.parquet'),
      await dataFile('big-b.parquet', rowsOf(2_000_000, 5), 1, 's3://b/data/3-b.parquet'),
      await dataFile('big-c.parquet', rowsOf(1_000_000, 150_000), 1, 's3://b/data/1-c.parquet'),
    ];
  });
  const expected = [...ids(1_000_000, 150_000), ...ids(0, 120_000), ...ids(2_000_000, 5)];

  it('pages in (recorded file, position) order across window and file boundaries', async () => {
    const p = plan(files);
    const first = await pages(p, {}, 40_000);
    expect(first.length).toBe(expected.length);
    expect(first.every((id, i) => Number(id) === expected[i])).toBe(true);
    // Small pages from a cursor deep in the first file, across into the next.
    let page = await engine.rows(p, { first: 149_998 });
    const seen: unknown[] = [];
    for (let k = 0; k < 4; k++) {
      page = await engine.rows(p, { first: 3, after: page.nextCursor! });
      seen.push(...page.rows.map((r) => r.id));
    }
    expect(seen.map(Number)).toEqual([...ids(1_149_998, 2), ...ids(0, 10)]);
  });

  it('pages a sparse filter and deletes the same way', async () => {
    const pd = join(dir, 'big-pos-del.parquet');
    await duck.run(`COPY (SELECT '${'s3://b/data/2-a.parquet'}' AS file_path, pos::BIGINT AS pos FROM (VALUES (25007), (3)) t(pos)) TO '${pd}' (FORMAT parquet, FIELD_IDS {file_path: 2147483546, pos: 2147483545})`);
    const ed = join(dir, 'big-eq-del.parquet');
    await duck.run(`COPY (SELECT 1125007::INT AS id) TO '${ed}' (FORMAT parquet, FIELD_IDS {id: 1})`);
    const del = (path: string, content: DataFile['content'], extra: Partial<DataFile> = {}): DataFile => ({
      content, filePath: path, fileFormat: 'PARQUET', specId: 0, partition: {}, recordCount: 2, fileSizeInBytes: 1, sequenceNumber: 2, fileSequenceNumber: 2, snapshotId: '2', ...extra,
    });
    const p = plan(files, [del(pd, 'POSITION_DELETES'), del(ed, 'EQUALITY_DELETES', { equalityIds: [1] })]);
    const where = parseWhere({ grp: { _eq: 'hit' } }, kinds);
    const hits = expected.filter((id) => id % 1_000_000 % 25_000 === 7 && id !== 25_007 && id !== 1_125_007);
    expect((await pages(p, { where }, 2)).map(Number)).toEqual(hits);
    expect((await engine.rows(p, { first: 0, where, after: (await engine.rows(p, { first: hits.length - 1, where })).nextCursor! })).hasMore).toBe(true);
    // Every row but the three deleted, in pages that end inside windows.
    const all = await pages(p, {}, 60_001);
    expect(all.length).toBe(expected.length - 3);
    expect(all.map(Number)).toEqual(expected.filter((id) => id !== 25_007 && id !== 3 && id !== 1_125_007));
  });
});
