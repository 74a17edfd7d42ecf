import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckTestKit, type DuckTestKit } from '../support/duckdb-kit.js';
import { parseWhere, type ColumnKind } from '../../src/domain/filters.js';
import type { DataFile, IcebergType, NestedField, ScanPlan, Schema } from '../../src/domain/iceberg/types.js';
import { parseTableMetadata } from '../../src/iceberg/metadata-json.js';
import { planScan } from '../../src/iceberg/scan-planner.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { QueryEngine, RowQuery, WrittenFile } from '../../src/ports/query-engine.js';
import { fixtureDir, fixtureStore } from '../support/iceberg-fixtures.js';

let dir: string;
let engine: QueryEngine;
let duck: DuckDBConnection;
let kit: DuckTestKit;

beforeAll(async () => {
  kit = await openDuckTestKit('cg-duckdb-');
  ({ dir, engine, duck } = kit);
});
afterAll(() => kit.close());

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

describe('rows: where, orderBy and keyset paging', () => {
  const s = schema(field(1, 'id', 'int'), field(2, 'grp', 'string'), field(3, 'v', 'double'));
  let p: ScanPlan;
  beforeAll(async () => {
    // Heavy ties and NULLs across two files, so only the (file, position) tie-breaker orders them.
    const a = await parquet('page-a.parquet', `SELECT i::INT AS id, CASE WHEN i % 7 = 0 THEN NULL ELSE 'g' || (i % 3) END AS grp, (i % 4)::DOUBLE AS v FROM range(60) t(i)`, `{id: 1, grp: 2, v: 3}`);
    const b = await parquet('page-b.parquet', `SELECT (i + 60)::INT AS id, CASE WHEN i % 5 = 0 THEN NULL ELSE 'g' || (i % 3) END AS grp, (i % 4)::DOUBLE AS v FROM range(45) t(i)`, `{id: 1, grp: 2, v: 3}`);
    p = plan(s, [file(a, 1), file(b, 1)]);
  });
  const kinds = new Map<string, ColumnKind>([['id', 'integer'], ['grp', 'string'], ['v', 'float']]);

  for (const orderBy of [
    [{ column: 'grp', direction: 'ASC' as const }],
    [{ column: 'grp', direction: 'DESC' as const }, { column: 'v', direction: 'ASC' as const }],
    [{ column: 'v', direction: 'DESC' as const }],
    [],
  ]) {
    it(`pages through every row exactly once (orderBy ${JSON.stringify(orderBy)})`, async () => {
      const where = parseWhere({ _or: [{ id: { _lt: 50 } }, { grp: { _is_null: true } }, { v: { _gte: 2 } }] }, kinds);
      const everything = await all(p, { where, orderBy });
      const seen: unknown[] = [];
      let after: string | undefined;
      for (let i = 0; i < 100; i++) {
        const page = await engine.rows(p, { first: 7, where, orderBy, after, withTotal: i === 0 });
        if (i === 0) expect(page.totalCount).toBe(BigInt(everything.length));
        seen.push(...page.rows.map((r) => r.id));
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      expect(seen).toEqual(everything.map((r) => r.id));
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThan(50);
    });
  }

  it('sorts NULLs last ascending and first descending', async () => {
    const asc = await all(p, { orderBy: [{ column: 'grp', direction: 'ASC' }] });
    expect(asc.at(-1)?.grp).toBeNull();
    const desc = await all(p, { orderBy: [{ column: 'grp', direction: 'DESC' }] });
    expect(desc[0]?.grp).toBeNull();
  });

  it('projects columns and filters with bound parameters', async () => {
    const where = parseWhere({ grp: { _eq: "g1' OR 1=1 --" } }, kinds);
    expect(await all(p, { where })).toEqual([]);
    const rows = await all(p, { columns: ['id'], where: parseWhere({ id: { _in: [3, 61] } }, kinds), orderBy: [{ column: 'id', direction: 'ASC' }] });
    expect(rows).toEqual([{ id: 3 }, { id: 61 }]);
  });

  it('refuses a page larger than 64 MiB as JSON, and serves it in smaller pages', async () => {
    const big = await parquet('page-big.parquet', `SELECT i::INT AS id, repeat('x', 30000000) AS grp, i::DOUBLE AS v FROM range(3) t(i)`, `{id: 1, grp: 2, v: 3}`);
    const bp = plan(s, [file(big, 1)]);
    for (const orderBy of [[], [{ column: 'id', direction: 'DESC' as const }]]) {
      await expect(engine.rows(bp, { first: 3, orderBy })).rejects.toSatisfy(
        (e) => (e as { code?: string }).code === 'LIMIT_EXCEEDED' && /the result is larger than 64 MiB as JSON/.test((e as Error).message),
      );
      const page = await engine.rows(bp, { first: 2, orderBy });
      expect(page.rows.map((r) => [r.id, (r.grp as string).length])).toEqual(orderBy.length ? [[2, 30_000_000], [1, 30_000_000]] : [[0, 30_000_000], [1, 30_000_000]]);
      expect(page.nextCursor).not.toBeNull();
    }
  });

  it('refuses bad cursors, unknown columns and cursors of another ordering', async () => {
    const code = (e: unknown) => (e as { code?: string }).code;
    await expect(engine.rows(p, { first: 5, after: 'not*base64' })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    await expect(engine.rows(p, { first: 5, after: Buffer.from('{"x":1}').toString('base64url') })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    const page = await engine.rows(p, { first: 5, orderBy: [{ column: 'id', direction: 'ASC' }] });
    await expect(engine.rows(p, { first: 5, after: page.nextCursor!, orderBy: [{ column: 'v', direction: 'ASC' }] })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    const forged = Buffer.from(JSON.stringify({ o: 'id:ASC', k: ['abc'], f: 'x', p: '1' })).toString('base64url');
    await expect(engine.rows(p, { first: 5, after: forged, orderBy: [{ column: 'id', direction: 'ASC' }] })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    await expect(engine.rows(p, { first: 5, columns: ['nope'] })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    await expect(engine.rows(p, { first: 5, orderBy: [{ column: 'nope', direction: 'ASC' }] })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
  });
});

describe('values as JSON', () => {
  it('converts every Iceberg type', async () => {
    const path = await parquet(
      'types.parquet',
      `SELECT true AS b, 7::INT AS i, 9007199254740993::BIGINT AS l, 1.5::FLOAT AS f, 'NaN'::DOUBLE AS d, 12.30::DECIMAL(10,2) AS dec,
        DATE '2025-01-02' AS dt, TIME '12:34:56.5' AS t, TIMESTAMP '2025-01-02 03:04:05.123456' AS ts, TIMESTAMPTZ '2025-01-02 03:04:05+02' AS tz,
        'héllo' AS s, '0b1c7f52-4f3c-4d32-a1d9-0c8b9ad9e3a1'::UUID AS u, '\\xDE\\xAD'::BLOB AS bin, '\\x01\\x02\\x03'::BLOB AS fx,
        [1, NULL, 3] AS li, {'x': 1, 'y': 'z'} AS st, MAP {'k': 2} AS m, MAP {1: 'one'} AS mi`,
      `{b: 1, i: 2, l: 3, f: 4, d: 5, dec: 6, dt: 7, t: 8, ts: 9, tz: 10, s: 11, u: 12, bin: 13, fx: 14, li: {__duckdb_field_id: 15, element: 16}, st: {__duckdb_field_id: 17, x: 18, y: 19}, m: {__duckdb_field_id: 20, key: 21, value: 22}, mi: {__duckdb_field_id: 23, key: 24, value: 25}}`,
    );
    const s = schema(
      field(1, 'b', 'boolean'), field(2, 'i', 'int'), field(3, 'l', 'long'), field(4, 'f', 'float'), field(5, 'd', 'double'), field(6, 'dec', 'decimal(10,2)'),
      field(7, 'dt', 'date'), field(8, 't', 'time'), field(9, 'ts', 'timestamp'), field(10, 'tz', 'timestamptz'), field(11, 's', 'string'), field(12, 'u', 'uuid'),
      field(13, 'bin', 'binary'), field(14, 'fx', 'fixed[3]'),
      field(15, 'li', { type: 'list', elementId: 16, element: 'long', elementRequired: false }),
      field(17, 'st', { type: 'struct', fields: [field(18, 'x', 'int'), field(19, 'y', 'string')] }),
      field(20, 'm', { type: 'map', keyId: 21, key: 'string', valueId: 22, value: 'int', valueRequired: false }),
      field(23, 'mi', { type: 'map', keyId: 24, key: 'int', valueId: 25, value: 'string', valueRequired: false }),
    );
    const [row] = await all(plan(s, [file(path, 1)]));
    expect(row).toEqual({
      b: true, i: 7, l: '9007199254740993', f: 1.5, d: 'NaN', dec: '12.30', dt: '2025-01-02', t: '12:34:56.500000',
      ts: '2025-01-02T03:04:05.123456', tz: '2025-01-02T01:04:05Z', s: 'héllo', u: '0b1c7f52-4f3c-4d32-a1d9-0c8b9ad9e3a1',
      bin: Buffer.from([0xde, 0xad]).toString('base64'), fx: 'AQID', li: ['1', null, '3'], st: { x: 1, y: 'z' }, m: { k: 2 }, mi: [{ key: 1, value: 'one' }],
    });
    expect(JSON.parse(JSON.stringify(row))).toEqual(row);
  });
});

describe('sql: read-only queries over the plans', () => {
  let tables: Map<string, ScanPlan>;
  const code = (e: unknown) => (e as { code?: string }).code;
  beforeAll(async () => {
    const e = await parquet('sql-entries.parquet', `SELECT i::INT AS id, (i % 3)::INT AS kind FROM range(10) t(i)`, `{id: 1, kind: 2}`);
    const k = await parquet('sql-kinds.parquet', `SELECT i::INT AS kind, 'k' || i AS label FROM range(3) t(i)`, `{kind: 1, label: 2}`);
    tables = new Map([
      ['raw.entries', plan(schema(field(1, 'id', 'int'), field(2, 'kind', 'int')), [file(e, 1)])],
      ['silver.fct_glucose_readings', plan(schema(field(1, 'kind', 'int'), field(2, 'label', 'string')), [file(k, 1)])],
    ]);
  });
  const run = (q: string, maxRows = 100, timeoutMs = 10_000, maxBytes = 64 << 20) => engine.sql(q, tables, { maxRows, timeoutMs, maxBytes });

  it('joins and aggregates the tables', async () => {
    const r = await run(`WITH c AS (SELECT kind, count(*) AS n FROM raw.entries GROUP BY kind)
      SELECT k.label, c.n FROM c JOIN silver.fct_glucose_readings k USING (kind) ORDER BY k.label`);
    expect(r.columns).toEqual([{ name: 'label', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]);
    expect(r.rows).toEqual([['k0', '4'], ['k1', '3'], ['k2', '3']]);
    expect(r.truncated).toBe(false);
  });

  it('lists referenced tables, not CTEs', async () => {
    expect(await engine.referencedTables(`WITH x AS (SELECT * FROM raw.entries) SELECT * FROM x, silver.fct_glucose_readings`)).toEqual(['raw.entries', 'silver.fct_glucose_readings']);
  });

  it('caps rows', async () => {
    const r = await run(`SELECT * FROM raw.entries ORDER BY id`, 4);
    expect(r.rows.length).toBe(4);
    expect(r.truncated).toBe(true);
  });

  it('caps the size of the result as JSON', async () => {
    const tooLarge = (e: unknown) => code(e) === 'LIMIT_EXCEEDED' && /the result is larger than 65536 bytes as JSON/.test((e as Error).message);
    for (const q of [
      `SELECT range(100000) AS a`, // one list with too many elements
      `SELECT map(range(100000), range(100000)) AS m`, // a map's entries
      `SELECT {'a': 1, 'b': [range(10), range(100000)]} AS s`, // a list in a list in a struct
      `SELECT repeat('x', 100000) AS s`, // one long string
      `SELECT repeat('x', 100) AS s FROM range(1000)`, // many rows adding up
    ]) {
      await expect(run(q, 10_000, 10_000, 1 << 16), q).rejects.toSatisfy(tooLarge);
    }
    // under the cap; rows past maxRows are not converted, so they do not count
    expect((await run(`SELECT range(5000) AS a`, 10, 10_000, 1 << 16)).rows[0]![0]).toHaveLength(5000);
    const r = await run(`SELECT repeat('x', 100) AS s FROM range(100000)`, 100, 10_000, 1 << 16);
    expect(r.rows.length).toBe(100);
    expect(r.truncated).toBe(true);
  });

  it('refuses an oversized nested value from its element count, before converting it', async () => {
    const { ResultBudget } = await import('../../src/adapters/query-engine/duckdb/result-budget.js');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const result = await conn.run(`SELECT range(40000) AS l, map(range(40000), range(40000)) AS m, {'s': [range(3), range(40000)]} AS s, range(10) AS small`);
      const chunk = (await result.fetchChunk())!;
      for (let c = 0; c < 3; c++) expect(() => new ResultBudget(1 << 16, 'ask for less').checkNested(chunk.getColumnVector(c), 0), `column ${c}`).toThrow(/larger than 65536 bytes/);
      expect(() => new ResultBudget(1 << 16, 'ask for less').checkNested(chunk.getColumnVector(3), 0)).not.toThrow();
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it("holds the engine's memory for one query to the limit", async () => {
    await expect(engine.sql(`SELECT list(i) FROM range(100000000) t(i)`, tables, { maxRows: 10, timeoutMs: 30_000, maxBytes: 64 << 20, maxMemoryBytes: 64 << 20 })).rejects.toSatisfy(
      (e) => code(e) === 'LIMIT_EXCEEDED' && /^the query needs more memory than allowed: Out of Memory Error: [^\n]*$/.test((e as Error).message),
    );
  });

  it('runs at most sqlConcurrency queries at once; the others wait their turn within their own time limit', async () => {
    const { createDuckDbEngine } = await import('../../src/adapters/query-engine/duckdb/index.js');
    const one = await createDuckDbEngine(kit.objects, { sqlConcurrency: 1 });
    const limits = (timeoutMs: number) => ({ maxRows: 10, timeoutMs, maxBytes: 1 << 20 });
    try {
      const slow = one.sql(`SELECT count(*) FROM range(10000000000) a, raw.entries`, tables, limits(4000));
      slow.catch(() => undefined);
      // Until the slow query holds the slot (it runs for 4 s), a short query still finds it free.
      for (let i = 0; i < 200; i++) {
        const held = await one.sql(`SELECT 0 AS x`, tables, limits(50)).then(() => false, (e) => /waited 50 ms/.test((e as Error).message));
        if (held) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const waits = one.sql(`SELECT 1 AS x`, tables, limits(300));
      const queued = one.sql(`SELECT 2 AS x`, tables, limits(60_000));
      await expect(waits).rejects.toSatisfy((e) => code(e) === 'LIMIT_EXCEEDED' && /waited 300 ms for one of the 1 query slots/.test((e as Error).message));
      await expect(slow).rejects.toSatisfy((e) => code(e) === 'LIMIT_EXCEEDED');
      // the next in line runs once the slot is free, and the slot is free again after it
      expect((await queued).rows).toEqual([[2]]);
      expect((await one.sql(`SELECT 3 AS x`, tables, limits(5000))).rows).toEqual([[3]]);
    } finally {
      await one.close();
    }
  }, 30_000);

  it('interrupts a query that runs too long', async () => {
    await expect(run(`SELECT count(*) FROM range(10000000000) a, raw.entries`, 10, 200)).rejects.toSatisfy((e) => code(e) === 'LIMIT_EXCEEDED');
  });

  // DuckDB builds these lists outside its memory limit and never looks at its interrupt (bare, the
  // first took 14 GB and 138 s): only ending the query's process stops them, and not this one's.
  it('stops a query that grows past its memory outside DuckDB, without the gateway growing', async () => {
    const before = process.memoryUsage().rss;
    await expect(engine.sql(`SELECT range(200000000) AS r`, tables, { maxRows: 10, timeoutMs: 30_000, maxBytes: 64 << 20, maxMemoryBytes: 64 << 20 })).rejects.toSatisfy(
      (e) => code(e) === 'LIMIT_EXCEEDED' && /^the query needs more memory than allowed \(over 1088 MiB\) and was stopped$/.test((e as Error).message),
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
    expect((await run(`SELECT count(*) AS n FROM raw.entries`)).rows).toEqual([['10']]); // the next query runs
  }, 40_000);

  it('stops a query that ignores its interrupt a second past its time limit', async () => {
    await expect(run(`SELECT list_resize([1], 30000000) AS r`, 10, 500)).rejects.toSatisfy(
      (e) => code(e) === 'LIMIT_EXCEEDED' && /^the query took longer than \d+ ms and did not stop when interrupted, so it was ended$/.test((e as Error).message),
    );
    expect((await run(`SELECT 7 AS x`)).rows).toEqual([[7]]);
  }, 20_000);

  for (const q of [
    `COPY (SELECT 1) TO '/tmp/x.csv'`, `ATTACH '/tmp/x.db'`, `INSTALL httpfs`, `LOAD httpfs`, `SELECT * FROM read_csv('/etc/passwd')`,
    `SELECT * FROM read_parquet('/etc/passwd')`, `SELECT * FROM '/etc/passwd'`, `SELECT 1; SELECT 2`, `INSERT INTO raw.entries VALUES (1, 2)`,
    `CREATE TABLE t AS SELECT 1`, `DROP TABLE raw.entries`, `PRAGMA database_list`, `SET threads = 1`, `CALL pragma_version()`,
    `EXPORT DATABASE '/tmp/x'`, `SELECT * FROM glob('/etc/*')`, `SELECT * FROM sniff_csv('/etc/passwd')`, `SELECT * FROM duckdb_settings()`,
    `SELECT current_setting('allowed_paths')`, `SELECT * FROM parquet_metadata('/etc/passwd')`, `DESCRIBE raw.entries`,
    `SELECT * FROM information_schema.tables`, `SELECT * FROM other.table`, `SELECT * FROM raw.entries e, read_text('/etc/passwd')`,
    `SELECT (SELECT content FROM read_text('/etc/passwd'))`, `selec 1`, `SELECT nope FROM raw.entries`,
  ]) {
    it(`refuses ${q}`, async () => {
      await expect(run(q)).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    });
  }

  it('cannot read other files even past the checks (sandbox)', async () => {
    const { runSandboxed } = await import('../../src/adapters/query-engine/duckdb/sandbox.js');
    const p = tables.get('raw.entries')!;
    const view = { key: 'raw.entries', sql: `SELECT * FROM read_parquet('${p.dataFiles[0]!.filePath}')` };
    const files = [p.dataFiles[0]!.filePath];
    const limits = { maxRows: 10, timeoutMs: 5000, maxBytes: 64 << 20 };
    expect((await runSandboxed({}, [view], files, `SELECT count(*) AS n FROM raw.entries`, limits)).rows).toEqual([['10']]);
    for (const q of [`SELECT * FROM read_csv('/etc/passwd')`, `SELECT * FROM read_text('/etc/passwd')`, `SET enable_external_access = true`, `ATTACH '/tmp/cg-x.db'`, `COPY (SELECT 1) TO '/tmp/cg-x.csv'`]) {
      await expect(runSandboxed({}, [view], files, q, limits)).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    }
  });
});

describe('writeDataFiles', () => {
  const s = schema(
    field(1, 'id', 'long', true), field(2, 'name', 'string'), field(3, 'ts', 'timestamptz'), field(4, 'amount', 'decimal(10,2)'),
    field(5, 'tags', { type: 'list', elementId: 6, element: 'string', elementRequired: false }),
    field(7, 'pt', { type: 'struct', fields: [field(8, 'x', 'int'), field(9, 'y', 'double')] }),
  );
  const unpartitioned = { specId: 0, fields: [] };
  const code = (e: unknown) => (e as { code?: string }).code;
  const column = (e: unknown) => (e as { column?: string }).column;
  let n = 0;
  const out = () => kit.at(`out-${n++}`);
  /** The written file, opened where the local store keeps it. */
  const local = (f: WrittenFile) => fileURLToPath(f.location);

  it('writes JSON rows with field ids and the metrics a manifest needs', async () => {
    const target = { schema: s, spec: unpartitioned, location: out() };
    const rows = [
      { id: 1, name: 'b', ts: '2025-01-02T03:00:00Z', amount: '10.50', tags: ['x', 'y'], pt: { x: 1, y: 2.5 } },
      { id: '9007199254740993', name: null, ts: '2025-01-01T00:00:00+02:00', amount: 3, tags: [], pt: null },
      { id: 3, name: 'a' },
    ];
    const [f, ...rest] = await engine.writeDataFiles({ kind: 'rows', rows }, target);
    expect(rest).toEqual([]);
    expect(f!.recordCount).toBe(3);
    expect(f!.fileSizeInBytes).toBeGreaterThan(0);
    expect(f!.location.startsWith(`${target.location}/`)).toBe(true);
    expect((await kit.objects.head(f!.location))?.size).toBe(f!.fileSizeInBytes);
    expect(f!.valueCounts.get(1)).toBe(3);
    expect(f!.nullValueCounts.get(2)).toBe(1);
    expect(f!.nullValueCounts.get(8)).toBe(2);
    expect(f!.lowerBounds.get(1)).toBe(1n);
    expect(f!.upperBounds.get(1)).toBe(9007199254740993n);
    expect(f!.lowerBounds.get(2)).toBe('a');
    expect(f!.upperBounds.get(2)).toBe('b');
    expect(f!.lowerBounds.get(3)).toBe(BigInt(Date.parse('2024-12-31T22:00:00Z')) * 1000n);
    expect(f!.lowerBounds.get(4)).toBe('3.00');
    expect(f!.upperBounds.get(4)).toBe('10.50');
    expect(f!.lowerBounds.has(6)).toBe(false); // inside a list
    expect(f!.valueCounts.get(6)).toBeGreaterThan(0);
    expect(f!.columnSizes.get(1)).toBeGreaterThan(0);
    const ids = await duck.runAndReadAll(`SELECT name, field_id FROM parquet_schema('${local(f!)}') WHERE field_id IS NOT NULL ORDER BY field_id`);
    expect(ids.getRowsJS().map(([, id]) => Number(id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // And it reads back by id.
    const back = await all(plan(s, [file(f!.location, 1)]), { orderBy: [{ column: 'id', direction: 'ASC' }] });
    expect(back[0]).toEqual({ id: '1', name: 'b', ts: '2025-01-02T03:00:00Z', amount: '10.50', tags: ['x', 'y'], pt: { x: 1, y: 2.5 } });
    expect(back[2]).toMatchObject({ id: '9007199254740993', ts: '2024-12-31T22:00:00Z', amount: '3.00' });
  });

  it('records binary bounds as their bytes, and refuses to write fixed columns', async () => {
    const bs = schema(field(1, 'id', 'long', true), field(2, 'b', 'binary'));
    const t = { schema: bs, spec: unpartitioned, location: out() };
    const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    // bytes DuckDB prints as \xHH (0x00, 0x5C '\\', 0x22 '"', 0xFF) next to printable ones
    const rows = [{ id: 1, b: b64('5c41ff22') }, { id: 2, b: b64('4142') }, { id: 3, b: b64('00') }];
    const [f] = await engine.writeDataFiles({ kind: 'rows', rows }, t);
    const hex = (v: unknown) => Buffer.from(v as Uint8Array).toString('hex');
    expect([hex(f!.lowerBounds.get(2)), hex(f!.upperBounds.get(2))]).toEqual(['00', '5c41ff22']);
    const back = await all(plan(bs, [file(f!.location, 1)]), { orderBy: [{ column: 'id', direction: 'ASC' }] });
    expect(back.map((r) => r.b)).toEqual(rows.map((r) => r.b));
    // DuckDB has no fixed-length binary: it would write variable-length binary, which readers refuse for fixed
    for (const type of ['fixed[4]', { type: 'list', elementId: 3, element: 'fixed[4]', elementRequired: false }] as IcebergType[]) {
      const fs = { schema: schema(field(1, 'id', 'long', true), field(2, 'f', type)), spec: unpartitioned, location: out() };
      await expect(engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, f: typeof type === 'string' ? b64('00010203') : [b64('00010203')] }] }, fs)).rejects.toSatisfy(
        (e) => code(e) === 'INVALID_INPUT' && /column 'f' is or holds a fixed\[L\]: the gateway cannot write fixed columns/.test((e as Error).message),
      );
    }
  });

  it('reads NDJSON, JSON arrays, CSV and Parquet files', async () => {
    const { writeFileSync } = await import('node:fs');
    const nd = join(dir, 'in.ndjson');
    writeFileSync(nd, '{"id": 1, "name": "a"}\n{"id": 2}\n');
    const arr = join(dir, 'in.json');
    writeFileSync(arr, '[{"id": 3, "name": "c"}]');
    const csv = join(dir, 'in.csv');
    writeFileSync(csv, 'id,name,amount\n4,d,1.25\n5,,\n');
    const pq = await parquet('in.parquet', `SELECT 6::BIGINT AS id, 'f' AS name`, null);
    const target = () => ({ schema: s, spec: unpartitioned, location: out() });
    const counts = [];
    for (const input of [
      { kind: 'file' as const, localPath: nd, format: 'NDJSON' as const },
      { kind: 'file' as const, localPath: arr, format: 'JSON' as const },
      { kind: 'file' as const, localPath: csv, format: 'CSV' as const },
      { kind: 'file' as const, localPath: pq, format: 'PARQUET' as const },
    ]) counts.push((await engine.writeDataFiles(input, target())).reduce((a, f) => a + f.recordCount, 0));
    expect(counts).toEqual([2, 1, 2, 1]);
  });

  it('refuses input that does not fit the schema, naming the column', async () => {
    const t = { schema: s, spec: unpartitioned, location: out() };
    const fails = (rows: Record<string, unknown>[]) => engine.writeDataFiles({ kind: 'rows', rows }, t);
    await expect(fails([{ id: 1, nope: 2 }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'nope');
    await expect(fails([{ name: 'x' }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'id');
    await expect(fails([{ id: 1 }, { id: null }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'id');
    await expect(fails([{ id: 'abc' }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'id');
    await expect(fails([{ id: 2.5 }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'id');
    await expect(fails([{ id: 1, ts: 'yesterday' }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'ts');
    await expect(fails([{ id: 1, pt: { x: 'no' } }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'pt');
    await expect(fails([{ id: 1, pt: { x: 1, zz: 2 } }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'pt');
    await expect(fails([{ id: 1, tags: ['a', { b: 1 }] }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'tags');
    // the other nested shape for the column: an object for a list, an array for a struct or a map
    await expect(fails([{ id: 1, tags: { a: 'b' } }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'tags');
    await expect(fails([{ id: 1, pt: [1, 2] }])).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'pt');
    const withMap = { schema: schema(field(1, 'id', 'long', true), field(2, 'm', { type: 'map', keyId: 3, key: 'string', valueId: 4, value: 'int', valueRequired: false })), spec: unpartitioned, location: out() };
    for (const m of [[1, 2], [{ key: 'a', value: 1 }], { a: 'x' }]) {
      await expect(engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, m }] }, withMap), JSON.stringify(m)).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'm');
    }
    // keys that are one key of the key type
    const intKeys = { ...withMap, schema: schema(field(1, 'id', 'long', true), field(2, 'm', { type: 'map', keyId: 3, key: 'int', valueId: 4, value: 'string', valueRequired: false })) };
    for (const m of [{ '01': 'a', '1': 'b' }, { x: 'a' }]) {
      await expect(engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, m }] }, intKeys), JSON.stringify(m)).rejects.toSatisfy((e) => code(e) === 'SCHEMA_MISMATCH' && column(e) === 'm');
    }
    expect((await engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, m: { '1': 'a', '2': null } }] }, intKeys))[0]!.recordCount).toBe(1);
    expect((await engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, m: { a: 1, b: null } }] }, withMap))[0]!.recordCount).toBe(1);
    expect((await fails([{ id: 1, pt: { x: 5 } }]))[0]!.recordCount).toBe(1);
    const { writeFileSync } = await import('node:fs');
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '[{"id": 1}, {"id": ');
    await expect(engine.writeDataFiles({ kind: 'file', localPath: broken, format: 'JSON' }, t)).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
    const notCsv = await parquet('not-csv.parquet', `SELECT 1 AS id`, null);
    await expect(engine.writeDataFiles({ kind: 'file', localPath: notCsv, format: 'CSV' }, t)).rejects.toSatisfy((e) => ['INVALID_INPUT', 'SCHEMA_MISMATCH'].includes(code(e)!));
    expect(await engine.writeDataFiles({ kind: 'rows', rows: [] }, t)).toEqual([]);
  });

  it('leaves no temporary file behind when a row is not an object', async () => {
    const t = { schema: s, spec: unpartitioned, location: out() };
    // Rows go through a temporary NDJSON file under TMPDIR: a private one here (this file runs in its own process).
    const { mkdtemp, readdir } = await import('node:fs/promises');
    const tmp = await mkdtemp(join(dir, 'tmp-'));
    const before = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const rows = [{ id: 1 }, 7, { id: 2 }] as unknown as Record<string, unknown>[];
      await expect(engine.writeDataFiles({ kind: 'rows', rows }, t)).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
      await expect(engine.describe({ kind: 'rows', rows })).rejects.toSatisfy((e) => code(e) === 'INVALID_INPUT');
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = before;
    }
  });

  it('validates Parquet and CSV files while writing them, naming the column', async () => {
    const t = () => ({ schema: s, spec: unpartitioned, location: out() });
    const pq = (name: string, select: string) => parquet(name, select, null);
    const write = async (path: string, format: 'PARQUET' | 'CSV' = 'PARQUET') => engine.writeDataFiles({ kind: 'file', localPath: path, format }, t());
    const mismatch = (col: string, text?: RegExp) => (e: unknown) => code(e) === 'SCHEMA_MISMATCH' && column(e) === col && (!text || text.test((e as Error).message));
    // Columns of the table's types pass through; others convert; the file's own row count is used.
    const ok = await write(await pq('v-ok.parquet', `SELECT i::BIGINT AS id, i::INT::VARCHAR AS amount, [i::VARCHAR] AS tags, {'x': i::INT, 'y': i / 2} AS pt FROM range(1000) t(i)`));
    expect(ok.reduce((a, f) => a + f.recordCount, 0)).toBe(1000);
    expect(ok[0]!.upperBounds.get(4)).toBe('999.00');
    // A value that does not convert, late in the file: counted and shown, with the column.
    await expect(write(await pq('v-bad.parquet', `SELECT i::BIGINT AS id, CASE WHEN i = 900 THEN 'lots' ELSE i::VARCHAR END AS amount FROM range(1000) t(i)`))).rejects.toSatisfy(mismatch('amount', /1 value\(s\).*lots/));
    await expect(write(await pq('v-frac.parquet', `SELECT CASE WHEN i = 7 THEN 2.5 ELSE i END::DOUBLE AS id FROM range(10) t(i)`))).rejects.toSatisfy(mismatch('id', /2\.5/));
    // NULL in a required column of the right type (footer statistics say so; checked while writing).
    await expect(write(await pq('v-null.parquet', `SELECT CASE WHEN i = 500 THEN NULL ELSE i END::BIGINT AS id FROM range(1000) t(i)`))).rejects.toSatisfy(mismatch('id', /required/));
    await expect(write(await pq('v-null-cast.parquet', `SELECT CASE WHEN i = 5 THEN NULL ELSE i END::INT AS id FROM range(10) t(i)`))).rejects.toSatisfy(mismatch('id', /required/));
    // A missing required column is refused when there are rows, not for an empty file.
    await expect(write(await pq('v-missing.parquet', `SELECT 'a' AS name FROM range(3)`))).rejects.toSatisfy(mismatch('id', /missing/));
    expect(await write(await pq('v-empty.parquet', `SELECT 'a' AS name FROM range(0)`))).toEqual([]);
    await expect(write(await pq('v-unknown.parquet', `SELECT 1::BIGINT AS id, 2 AS nope`))).rejects.toSatisfy(mismatch('nope'));
    // Nested values of another shape.
    await expect(write(await pq('v-nested.parquet', `SELECT 1::BIGINT AS id, {'x': 'no', 'y': 1.0} AS pt`))).rejects.toSatisfy(mismatch('pt'));
    // CSV: the same checks inside the write.
    const { writeFileSync } = await import('node:fs');
    const csv = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
    await expect(write(csv('v-bad.csv', 'id,ts\n1,2025-01-01T00:00:00Z\n2,yesterday\n'), 'CSV')).rejects.toSatisfy(mismatch('ts', /yesterday/));
    await expect(write(csv('v-null.csv', 'id,name\n1,a\n,b\n'), 'CSV')).rejects.toSatisfy(mismatch('id', /required/));
    await expect(write(csv('v-missing.csv', 'name\na\n'), 'CSV')).rejects.toSatisfy(mismatch('id', /missing/));
    expect(await write(csv('v-empty.csv', 'name\n'), 'CSV')).toEqual([]);
    // fixed[L] is a BLOB in DuckDB: a BLOB column still gets its length checked.
    const fx = schema(field(1, 'k', 'fixed[2]', true));
    const blob = await pq('v-fixed.parquet', `SELECT CASE WHEN i = 3 THEN '\\x01\\x02\\x03'::BLOB ELSE '\\x01\\x02'::BLOB END AS k FROM range(5) t(i)`);
    await expect(engine.writeDataFiles({ kind: 'file', localPath: blob, format: 'PARQUET' }, { schema: fx, spec: unpartitioned, location: out() })).rejects.toSatisfy(mismatch('k'));
  });

  it('writes zstd Parquet', async () => {
    const [f] = await engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1 }] }, { schema: s, spec: unpartitioned, location: out() });
    const codecs = await duck.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${local(f!)}')`);
    expect(codecs.getRowsJS().map(([c]) => String(c))).toEqual(['ZSTD']);
  });

  it('partitions by binary values whatever their bytes (identity and truncate)', async () => {
    const bs = schema(field(1, 'id', 'long', true), field(2, 'b', 'binary'));
    const spec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'b', transform: 'identity' }, { sourceId: 2, fieldId: 1001, name: 'b_trunc', transform: 'truncate[1]' }] };
    const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
    const files = await engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1, b: b64('ff5c41') }, { id: 2, b: b64('00') }, { id: 3, b: null }] }, { schema: bs, spec, location: out() });
    const hex = (v: unknown) => (v == null ? null : Buffer.from(v as Uint8Array).toString('hex'));
    expect(files.map((f) => [f.recordCount, hex(f.partition.b), hex(f.partition.b_trunc)]).sort()).toEqual([[1, '00', '00'], [1, 'ff5c41', 'ff'], [1, null, null]].sort());
  });

  it('writes one file per partition with transform values', async () => {
    const ps = schema(field(1, 'id', 'long', true), field(2, 'cat', 'string'), field(3, 'day', 'date'), field(4, 'ts', 'timestamp'));
    const spec = {
      specId: 1,
      fields: [
        { sourceId: 2, fieldId: 1000, name: 'cat', transform: 'identity' },
        { sourceId: 3, fieldId: 1001, name: 'day_month', transform: 'month' },
        { sourceId: 4, fieldId: 1002, name: 'ts_day', transform: 'day' },
        { sourceId: 1, fieldId: 1003, name: 'id_bucket', transform: 'bucket[4]' },
        { sourceId: 1, fieldId: 1004, name: 'id_trunc', transform: 'truncate[10]' },
      ],
    };
    const rows = [
      { id: 1, cat: 'a', day: '2025-01-05', ts: '2025-01-05T10:00:00' },
      { id: 1, cat: 'a', day: '2025-01-20', ts: '2025-01-05T23:00:00' },
      { id: 34, cat: null, day: '1969-12-31', ts: '1969-12-31T23:30:00' },
    ];
    const files = await engine.writeDataFiles({ kind: 'rows', rows }, { schema: ps, spec, location: out() });
    const parts = files.map((f) => ({ ...f.partition, n: f.recordCount })).sort((a, b) => b.n - a.n);
    // bucket values from Iceberg's spec test vectors: bucket(1) = hash 1392991556 -> %4 = 0; bucket(34) = 2017239379 -> %4 = 3.
    expect(parts).toEqual([
      { cat: 'a', day_month: 660, ts_day: 20093, id_bucket: 0, id_trunc: 0n, n: 2 },
      { cat: null, day_month: -1, ts_day: -1, id_bucket: 3, id_trunc: 30n, n: 1 },
    ]);
    expect(files[0]!.location).toMatch(/cat=/);
  });
});

describe('rewriteWithout and compare', () => {
  const s = schema(field(1, 'id', 'int', true), field(2, 'v', 'string'));
  const unpartitioned = { specId: 0, fields: [] };
  const kinds = new Map<string, ColumnKind>([['id', 'integer'], ['v', 'string']]);

  it('rewrites only the files with matching rows', async () => {
    const a = file(await parquet('cow-a.parquet', `SELECT i::INT AS id, 'a' || i AS v FROM range(5) t(i)`, `{id: 1, v: 2}`), 1);
    const b = file(await parquet('cow-b.parquet', `SELECT (i + 10)::INT AS id, 'b' AS v FROM range(3) t(i)`, `{id: 1, v: 2}`), 1);
    const p = plan(s, [a, b]);
    const res = await engine.rewriteWithout(p, parseWhere({ id: { _in: [1, 3] } }, kinds)!, { schema: s, spec: unpartitioned, location: kit.at('cow') });
    expect(res.deletedRows).toBe(2);
    expect(res.replaced).toEqual([a]);
    expect(res.written.map((f) => f.recordCount)).toEqual([3]);
    const after = plan(s, [b, file(res.written[0]!.location, 2)]);
    expect((await all(after, { orderBy: [{ column: 'id', direction: 'ASC' }] })).map((r) => r.id)).toEqual([0, 2, 4, 10, 11, 12]);

    const cmp = await engine.compare(p, after, 10);
    expect(cmp).toMatchObject({ fromRows: 8n, toRows: 6n, rowsAdded: 0n, rowsRemoved: 2n, sampleAdded: [] });
    expect(cmp.sampleRemoved.map((r) => r.id).sort()).toEqual([1, 3]);
  });

  it('compares over shared field ids, named by the newer schema', async () => {
    const f1 = file(await parquet('cmp-1.parquet', `SELECT * FROM (VALUES (1, 'x', 1.0), (2, 'y', 2.0), (2, 'y', 2.0)) t(id, name, gone)`, `{id: 1, name: 2, gone: 3}`), 1);
    const f2 = file(await parquet('cmp-2.parquet', `SELECT * FROM (VALUES (1, 'x', true), (2, 'y', false), (4, 'z', true)) t(id, label, added)`, `{id: 1, label: 2, added: 4}`), 2);
    const from = plan(schema(field(1, 'id', 'int'), field(2, 'name', 'string'), field(3, 'gone', 'double')), [f1]);
    const to = plan(schema(field(1, 'id', 'long'), field(2, 'label', 'string'), field(4, 'added', 'boolean')), [f2]);
    const cmp = await engine.compare(from, to, 5);
    expect(cmp).toEqual({ fromRows: 3n, toRows: 3n, rowsAdded: 1n, rowsRemoved: 1n, sampleAdded: [{ id: '4', label: 'z' }], sampleRemoved: [{ id: '2', label: 'y' }] });
  });
});

describe('real Iceberg tables (test/fixtures/iceberg), planned by the Iceberg reader', () => {
  let store: ObjectStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ store, cleanup } = await fixtureStore()));
  afterAll(() => cleanup());
  const planOf = async (name: string, metadata: string, snapshotId?: string) =>
    planScan(store, parseTableMetadata(await readFile(join(fixtureDir(name), 'metadata', metadata), 'utf8')), snapshotId ? { snapshotId } : {});

  it('equality deletes (Iceberg-Java): the current snapshot reads (4,d) and (5,e)', async () => {
    const p = await planOf('duckdb-equality-deletes', 'v7.metadata.json');
    expect(p.deleteFiles.filter((f) => f.content === 'EQUALITY_DELETES')).toHaveLength(4);
    expect(await all(p, { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual([
      { id: 4, name: 'd', bir: '2025-01-04' },
      { id: 5, name: 'e', bir: '2025-01-05' },
    ]);
    const kinds = new Map<string, ColumnKind>([['bir', 'date'], ['id', 'integer']]);
    expect((await engine.rows(p, { first: 0, withTotal: true, where: parseWhere({ bir: { _gte: '2025-01-01' } }, kinds) })).totalCount).toBe(2n);
    const r = await engine.sql('SELECT bir FROM mydb.mytable WHERE id = 4', new Map([['mydb.mytable', p]]), { maxRows: 10, timeoutMs: 10_000, maxBytes: 64 << 20 });
    expect(r.rows).toEqual([['2025-01-04']]);
  });

  it('bunnies (Spark): position delete by s3a:// path, added column, names with spaces, time travel', async () => {
    const withDelete = await planOf('icebird-spark-bunnies', 'v3.metadata.json');
    const rows = await all(withDelete);
    expect(rows).toHaveLength(20);
    expect(rows[0]).toMatchObject({ 'Breed Name': 'Netherland Dwarf', 'Average Weight': 0.9, 'Fur Length': 2.5, Lifespan: '10', 'Popularity Rank': '2' });
    const current = await all(await planOf('icebird-spark-bunnies', 'v5.metadata.json'));
    expect(current).toHaveLength(20);
    expect(current[0]).toMatchObject({ 'Breed Name': 'Netherland Dwarf', breed_name_length: 16 });
    const old = await all(await planOf('icebird-spark-bunnies', 'v5.metadata.json', '7505300640432048841'));
    expect(old).toHaveLength(21);
    expect(old[0]).toEqual({ 'Breed Name': 'Holland Lop', 'Average Weight': 1.8, 'Fur Length': 3, Lifespan: '7', 'Origin Country': 'The Netherlands', 'Ear Type': 'Lop', Temperament: 'Friendly', 'Popularity Rank': '1' });
  });

  it('legacy v1 (identity-partitioned): rows by id and a filter on the partition column', async () => {
    const p = await planOf('duckdb-legacy-v1', 'v2.metadata.json');
    expect(await all(p, { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual([
      { id: 1, category: 'alpha', amount: 10 },
      { id: 2, category: 'beta', amount: 20 },
      { id: 3, category: 'alpha', amount: null },
    ]);
    const beta = await all(p, { columns: ['id', 'amount'], where: parseWhere({ category: { _eq: 'beta' } }, new Map([['category', 'string' as ColumnKind]])) });
    expect(beta).toEqual([{ id: 2, amount: 20 }]);
  });

  it('lineitem (Spark, zstd): counts of both snapshots and TPC-H Q6 in SQL', async () => {
    const current = await planOf('duckdb-lineitem-iceberg', 'v2.metadata.json');
    const old = await planOf('duckdb-lineitem-iceberg', 'v2.metadata.json', '7817332053627255703');
    const tables = new Map([['tpch.lineitem', current], ['tpch.lineitem_v1', old]]);
    const r = await engine.sql('SELECT (SELECT count(*) FROM tpch.lineitem), (SELECT count(*) FROM tpch.lineitem_v1)', tables, { maxRows: 10, timeoutMs: 30_000, maxBytes: 64 << 20 });
    expect(r.rows).toEqual([['51793', '60175']]);
    const q6 = await engine.sql(
      `SELECT sum(l_extendedprice * l_discount) AS revenue FROM tpch.lineitem
       WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`,
      tables, { maxRows: 10, timeoutMs: 30_000, maxBytes: 64 << 20 });
    expect(q6.rows[0]?.[0]).toBe('1077536.9101'); // as SOURCE.md states (pyspark)
    const cmp = await engine.compare(old, current, 2);
    expect(cmp).toMatchObject({ fromRows: 60175n, toRows: 51793n, rowsAdded: 0n, rowsRemoved: 8382n });
  });
});
