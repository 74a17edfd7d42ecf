/**
 * The QueryEngine contract: one suite every query engine runs (DuckDB now, Trino next), so the same
 * queries on the same small Iceberg tables give the same rows. Backend test files are one call:
 *
 *   describeQueryEngine('duckdb', async () => ({ engine, objects, cleanup }));
 *
 * The tables are built as any Iceberg writer builds them, not through the engine under test: Parquet
 * files (with field ids) made by a plain DuckDB connection, put into the fixture's ObjectStore, and
 * metadata and manifests written by src/iceberg/table-writer.ts; plans come from the scan planner.
 * The engine only ever sees ScanPlans of locations in that store, and write targets in it.
 * Assertions are on values and error codes, never on message text or an engine's own type names.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import { parseWhere, type ColumnKind } from '../../src/domain/filters.js';
import type { DataFile, NestedField, PartitionSpec, ScanPlan, Schema } from '../../src/domain/iceberg/types.js';
import { planScan } from '../../src/iceberg/scan-planner.js';
import { commitSnapshot, dataFileFromWritten, newTableMetadata } from '../../src/iceberg/table-writer.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { JsonValue, QueryEngine, RowQuery, WrittenFile } from '../../src/ports/query-engine.js';

export interface QueryEngineFixture {
  engine: QueryEngine;
  /** The store the engine reads plans' files from and puts written files into; the suite's tables go under its root. */
  objects: ObjectStore;
  cleanup(): Promise<void>;
}

export type MakeQueryEngine = () => Promise<QueryEngineFixture>;

const field = (id: number, name: string, type: NestedField['type'], required = false): NestedField => ({ id, name, type, required });
const schemaOf = (...fields: NestedField[]): Schema => ({ schemaId: 0, fields });
const UNPARTITIONED: PartitionSpec = { specId: 0, fields: [] };

/** Every primitive the API maps specially, with NULLs, empty values and extremes. */
const TYPED = schemaOf(
  field(1, 'id', 'long', true),
  field(2, 'name', 'string'),
  field(3, 'amount', 'decimal(10,2)'),
  field(4, 'ts', 'timestamptz'),
  field(5, 'local_ts', 'timestamp'),
  field(6, 'day', 'date'),
  field(7, 'bin', 'binary'),
  field(8, 'flag', 'boolean'),
  field(9, 'score', 'double'),
  field(10, 'n', 'int'),
);
const TYPED_IDS = '{id: 1, name: 2, amount: 3, ts: 4, local_ts: 5, day: 6, bin: 7, flag: 8, score: 9, n: 10}';
const TYPED_SELECT = `SELECT * FROM (VALUES
  (1::BIGINT, 'a', 10.50::DECIMAL(10,2), TIMESTAMPTZ '2025-01-02 03:00:00+00', TIMESTAMP '2025-01-02 03:00:00', DATE '2025-01-02', '\\x00\\xFF'::BLOB, true, 2.5::DOUBLE, 7::INT),
  (2, NULL, -3.10, TIMESTAMPTZ '2024-12-31 22:00:00.123456+00', TIMESTAMP '1969-12-31 23:59:59.5', DATE '1969-12-31', ''::BLOB, false, NULL, NULL),
  (9007199254740993, '', NULL, NULL, NULL, NULL, NULL, NULL, -0.25, -1)
) t(id, name, amount, ts, local_ts, day, bin, flag, score, n)`;
/** The rows as every engine must give them (64-bit integers and decimals as strings, binary base64). */
const TYPED_ROWS: Record<string, JsonValue>[] = [
  { id: '1', name: 'a', amount: '10.50', ts: '2025-01-02T03:00:00Z', local_ts: '2025-01-02T03:00:00', day: '2025-01-02', bin: 'AP8=', flag: true, score: 2.5, n: 7 },
  { id: '2', name: null, amount: '-3.10', ts: '2024-12-31T22:00:00.123456Z', local_ts: '1969-12-31T23:59:59.500000', day: '1969-12-31', bin: '', flag: false, score: null, n: null },
  { id: '9007199254740993', name: '', amount: null, ts: null, local_ts: null, day: null, bin: null, flag: null, score: -0.25, n: -1 },
];

/** People: 30 rows over two data files, for paging, filters and rewrites. */
const PEOPLE = schemaOf(field(1, 'id', 'int', true), field(2, 'name', 'string'), field(3, 'age', 'int'), field(4, 'city', 'string'));
const PEOPLE_IDS = '{id: 1, name: 2, age: 3, city: 4}';
const CITIES = ['Oslo', 'Lima', 'Pune'];
const person = (i: number) => ({ id: i, name: `p${i}`, age: i % 7 === 0 ? null : 20 + ((i * 13) % 40), city: CITIES[i % 3]! });
const PEOPLE_ROWS = Array.from({ length: 30 }, (_, i) => person(i));
const peopleSelect = (from: number, to: number) =>
  `SELECT i::INT AS id, 'p' || i AS name, CASE WHEN i % 7 = 0 THEN NULL ELSE (20 + (i * 13) % 40)::INT END AS age, (['Oslo', 'Lima', 'Pune'])[1 + (i % 3)::INT] AS city FROM range(${from}, ${to}) r(i)`;
const PEOPLE_KINDS = new Map<string, ColumnKind>([['id', 'integer'], ['name', 'string'], ['age', 'integer'], ['city', 'string']]);

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | null> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (e === null) return null;
  if (!(e instanceof DomainError)) throw e;
  return e.code;
}

export function describeQueryEngine(name: string, make: MakeQueryEngine): void {
  describe(`QueryEngine contract: ${name}`, () => {
    let fx: QueryEngineFixture;
    let engine: QueryEngine;
    let objects: ObjectStore;
    let scratch: string;
    let duckDb: DuckDBInstance;
    let duck: DuckDBConnection;
    /** The suite's folder in the warehouse. */
    let base: string;
    let typed: ScanPlan;
    let people: ScanPlan;
    /** People after a second snapshot: position deletes (ids 1, 2), equality deletes (city Lima), one more file (ids 100, 101). */
    let peopleDeleted: ScanPlan;

    /** A Parquet file made by DuckDB from `select`, put at `location`, as a manifest entry. */
    const parquetObject = async (location: string, select: string, ids: string, extra: Partial<DataFile> = {}): Promise<DataFile> => {
      const local = join(scratch, `${randomUUID()}.parquet`);
      await duck.run(`COPY (${select}) TO '${local}' (FORMAT parquet, FIELD_IDS ${ids})`);
      const count = Number((await duck.runAndReadAll(`SELECT count(*) FROM read_parquet('${local}')`)).getRowsJS()[0]![0]);
      await objects.put(location, createReadStream(local));
      return {
        content: 'DATA', filePath: location, fileFormat: 'PARQUET', specId: 0, partition: {},
        recordCount: count, fileSizeInBytes: (await stat(local)).size, sequenceNumber: 0, fileSequenceNumber: 0, snapshotId: '0', ...extra,
      };
    };

    /** A table whose snapshots add the given files; the plans of each snapshot. */
    const table = async (tableName: string, schema: Schema, snapshots: ((location: string) => Promise<DataFile[]>)[]) => {
      const location = `${base}/${tableName}`;
      let m = newTableMetadata({ location, schema, spec: UNPARTITIONED });
      const plans: ScanPlan[] = [];
      for (const files of snapshots) {
        m = await commitSnapshot(objects, m, { operation: 'append', added: await files(location) });
        plans.push(await planScan(objects, m));
      }
      return plans;
    };

    const all = async (plan: ScanPlan, q: Partial<RowQuery> = {}) => (await engine.rows(plan, { first: 1000, ...q })).rows;
    const sqlRows = async (query: string, tables: Map<string, ScanPlan>, maxRows = 100) =>
      (await engine.sql(query, tables, { maxRows, timeoutMs: 30_000, maxBytes: 64 << 20 })).rows;
    const planOf = (schema: Schema, files: WrittenFile[], spec = UNPARTITIONED): ScanPlan => ({
      schema,
      snapshotId: '1',
      dataFiles: files.map((f) => ({ ...dataFileFromWritten(f, f.location, schema, spec.specId), sequenceNumber: 1, fileSequenceNumber: 1 })),
      deleteFiles: [],
      partitionSpecs: [spec],
    });

    beforeAll(async () => {
      fx = await make();
      ({ engine, objects } = fx);
      scratch = await mkdtemp(join(tmpdir(), 'cg-qe-contract-'));
      duckDb = await DuckDBInstance.create(':memory:');
      duck = await duckDb.connect();
      base = `${objects.root}/qe-${randomUUID()}`;
      typed = (await table('typed', TYPED, [async (loc) => [await parquetObject(`${loc}/data/typed.parquet`, TYPED_SELECT, TYPED_IDS)]]))[0]!;
      const peoplePlans = await table('people', PEOPLE, [
        async (loc) => [
          await parquetObject(`${loc}/data/a.parquet`, peopleSelect(0, 15), PEOPLE_IDS),
          await parquetObject(`${loc}/data/b.parquet`, peopleSelect(15, 30), PEOPLE_IDS),
        ],
        async (loc) => [
          await parquetObject(`${loc}/data/c.parquet`, `SELECT * FROM (VALUES (100, 'late', 50, 'Oslo'), (101, 'later', 51, 'Lima')) t(id, name, age, city)`, PEOPLE_IDS),
          // Position deletes name the data file by its recorded location.
          await parquetObject(`${loc}/data/pos-deletes.parquet`, `SELECT * FROM (VALUES ('${loc}/data/a.parquet', 1::BIGINT), ('${loc}/data/a.parquet', 2::BIGINT)) t(file_path, pos)`, '{file_path: 2147483546, pos: 2147483545}', { content: 'POSITION_DELETES' }),
          // Equality deletes apply to older data files only: 'late'/'later' (same snapshot) stay.
          await parquetObject(`${loc}/data/eq-deletes.parquet`, `SELECT 'Lima' AS city`, '{city: 4}', { content: 'EQUALITY_DELETES', equalityIds: [4] }),
        ],
      ]);
      people = peoplePlans[0]!;
      peopleDeleted = peoplePlans[1]!;
    }, 120_000);
    afterAll(async () => {
      duck?.closeSync();
      duckDb?.closeSync();
      if (scratch) await rm(scratch, { recursive: true, force: true });
      await fx?.engine.close();
      await fx?.cleanup();
    });

    it('maps every type to its JSON form: long and decimal as strings, timestamps ISO (tz with Z), dates, binary base64', async () => {
      expect(await all(typed, { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual(TYPED_ROWS);
      // The same values from sql, in column order.
      const rows = await sqlRows('SELECT * FROM t ORDER BY id', new Map([['t', typed]]));
      expect(rows).toEqual(TYPED_ROWS.map((r) => TYPED.fields.map((f) => r[f.name] ?? null)));
    });

    it('pages rows with where and orderBy by cursor, each row once, with the total', async () => {
      const where = parseWhere({ age: { _gte: 30 }, city: { _in: ['Oslo', 'Lima'] } }, PEOPLE_KINDS)!;
      const orderBy = [{ column: 'age', direction: 'DESC' as const }, { column: 'name', direction: 'ASC' as const }];
      const want = PEOPLE_ROWS.filter((p) => p.age !== null && p.age >= 30 && (p.city === 'Oslo' || p.city === 'Lima'))
        .sort((a, b) => b.age! - a.age! || (a.name < b.name ? -1 : 1))
        .map((p) => ({ name: p.name, age: p.age }));
      expect(want.length).toBeGreaterThan(8);
      const got: Record<string, JsonValue>[] = [];
      let after: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await engine.rows(people, { columns: ['name', 'age'], where, orderBy, first: 4, after, withTotal: true });
        expect(page.columns).toEqual(['name', 'age']);
        expect(page.totalCount).toBe(BigInt(want.length));
        got.push(...page.rows);
        pages++;
        expect(page.hasMore).toBe(page.nextCursor !== null);
        if (!page.nextCursor) break;
        after = page.nextCursor;
      }
      expect(got).toEqual(want);
      expect(pages).toBe(Math.ceil(want.length / 4));
      // NULLs sort last ascending; `first: 0` returns no rows but says whether there are any.
      const byAge = await all(people, { orderBy: [{ column: 'age', direction: 'ASC' }, { column: 'id', direction: 'ASC' }] });
      expect(byAge.map((r) => r.id)).toEqual([...PEOPLE_ROWS].sort((a, b) => (a.age ?? 1e9) - (b.age ?? 1e9) || a.id - b.id).map((p) => p.id));
      const none = await engine.rows(people, { first: 0, where });
      expect(none.rows).toEqual([]);
      expect(none.hasMore).toBe(true);
      // Paging without orderBy also returns every row once.
      const ids: JsonValue[] = [];
      after = undefined;
      do {
        const page = await engine.rows(people, { first: 7, after });
        ids.push(...page.rows.map((r) => r.id ?? null));
        after = page.nextCursor ?? undefined;
      } while (after);
      expect(ids.sort((a, b) => Number(a) - Number(b))).toEqual(PEOPLE_ROWS.map((p) => p.id));
      // Unknown columns and bad cursors are the caller's mistake.
      expect(await codeOf(engine.rows(people, { first: 1, columns: ['nope'] }))).toBe('INVALID_INPUT');
      expect(await codeOf(engine.rows(people, { first: 1, after: 'not-a-cursor' }))).toBe('INVALID_INPUT');
    });

    it('applies position and equality deletes by sequence number', async () => {
      const rows = await all(peopleDeleted, { orderBy: [{ column: 'id', direction: 'ASC' }] });
      const want = [...PEOPLE_ROWS.filter((p) => p.id !== 1 && p.id !== 2 && p.city !== 'Lima'), { id: 100, name: 'late', age: 50, city: 'Oslo' }, { id: 101, name: 'later', age: 51, city: 'Lima' }];
      expect(rows).toEqual(want);
      expect((await engine.rows(peopleDeleted, { first: 1, withTotal: true })).totalCount).toBe(BigInt(want.length));
      expect(await sqlRows('SELECT count(*) AS n FROM ns.people', new Map([['ns.people', peopleDeleted]]))).toEqual([[String(want.length)]]);
    });

    it('runs read-only SQL over named plans, and nothing else', async () => {
      const tables = new Map([['ns.people', people], ['ns.typed', typed]]);
      const q = `SELECT p.city, count(*) AS n, min(p.id) AS first_id FROM ns.people p WHERE p.age IS NOT NULL GROUP BY p.city ORDER BY p.city`;
      expect((await engine.referencedTables(q)).map((t) => t.toLowerCase())).toEqual(['ns.people']);
      const want = CITIES.slice().sort().map((c) => {
        const of = PEOPLE_ROWS.filter((p) => p.city === c && p.age !== null);
        return [c, String(of.length), Math.min(...of.map((p) => p.id))];
      });
      expect(await sqlRows(q, tables)).toEqual(want);
      const result = await engine.sql('SELECT id FROM ns.people ORDER BY id', tables, { maxRows: 5, timeoutMs: 30_000, maxBytes: 1 << 20 });
      expect(result.rows).toEqual([[0], [1], [2], [3], [4]]);
      expect(result.truncated).toBe(true);
      expect(result.columns.map((c) => c.name)).toEqual(['id']);
      // Not a read-only query over the named tables: refused, whatever it would have touched.
      const local = join(scratch, 'x.parquet');
      await duck.run(`COPY (SELECT 1 AS x) TO '${local}' (FORMAT parquet)`);
      for (const bad of [
        'DROP TABLE ns.people',
        `INSERT INTO ns.people VALUES (1, 'x', 1, 'y')`,
        `SELECT * FROM read_parquet('${local}')`,
        `SELECT * FROM '${local}'`,
        `COPY (SELECT 1) TO '${join(scratch, 'out.csv')}'`,
        'SELECT * FROM ns.nope',
        'SELEC 1',
      ]) {
        expect(await codeOf(engine.sql(bad, tables, { maxRows: 10, timeoutMs: 10_000, maxBytes: 1 << 20 })), bad).toBe('INVALID_INPUT');
      }
    });

    it('writes rows as data files under the target location, complete in the store, and reads them back', async () => {
      const location = `${base}/written/data`;
      const rows = TYPED_ROWS.map((r) => ({ ...r }));
      const files = await engine.writeDataFiles({ kind: 'rows', rows }, { schema: TYPED, spec: UNPARTITIONED, location });
      expect(files.reduce((n, f) => n + f.recordCount, 0)).toBe(3);
      for (const f of files) {
        expect(f.location.startsWith(`${location}/`)).toBe(true);
        expect((await objects.head(f.location))?.size).toBe(f.fileSizeInBytes);
      }
      const [f] = files;
      expect(f!.valueCounts.get(1)).toBe(3);
      expect(f!.nullValueCounts.get(2)).toBe(1);
      expect(f!.lowerBounds.get(1)).toBe(1n);
      expect(f!.upperBounds.get(1)).toBe(9007199254740993n);
      expect(f!.upperBounds.get(3)).toBe('10.50');
      expect(await all(planOf(TYPED, files), { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual(TYPED_ROWS);

      // A local input file, partitioned by identity: one file per value, in its partition folder.
      const nd = join(scratch, 'people.ndjson');
      await writeFile(nd, PEOPLE_ROWS.map((p) => JSON.stringify(p)).join('\n'));
      const byCity: PartitionSpec = { specId: 1, fields: [{ sourceId: 4, fieldId: 1000, name: 'city', transform: 'identity' }] };
      const parts = await engine.writeDataFiles({ kind: 'file', localPath: nd, format: 'NDJSON' }, { schema: PEOPLE, spec: byCity, location: `${base}/partitioned/data` });
      expect(parts.map((p) => [p.partition.city, p.recordCount]).sort()).toEqual(CITIES.map((c) => [c, PEOPLE_ROWS.filter((p) => p.city === c).length]).sort());
      for (const p of parts) expect(p.location.startsWith(`${base}/partitioned/data/city=${p.partition.city as string}/`)).toBe(true);
      expect(await all(planOf(PEOPLE, parts, byCity), { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual(PEOPLE_ROWS);

      // A query's result, written without passing through JS; its columns described as Iceberg types.
      const input = { kind: 'query' as const, sql: 'SELECT id, name FROM ns.people WHERE age > 40 ORDER BY id', tables: new Map([['ns.people', people]]) };
      expect(await engine.describe(input)).toEqual([{ name: 'id', type: 'int' }, { name: 'name', type: 'string' }]);
      const narrow = schemaOf(field(1, 'id', 'int', true), field(2, 'name', 'string'));
      const fromQuery = await engine.writeDataFiles(input, { schema: narrow, spec: UNPARTITIONED, location: `${base}/from-query/data` });
      expect(await all(planOf(narrow, fromQuery), { orderBy: [{ column: 'id', direction: 'ASC' }] })).toEqual(
        PEOPLE_ROWS.filter((p) => p.age !== null && p.age > 40).map((p) => ({ id: p.id, name: p.name })),
      );

      // Input that does not fit is refused, naming the column; no rows, no files.
      expect(await codeOf(engine.writeDataFiles({ kind: 'rows', rows: [{ id: 'x' }] }, { schema: TYPED, spec: UNPARTITIONED, location }))).toBe('SCHEMA_MISMATCH');
      expect(await engine.writeDataFiles({ kind: 'rows', rows: [] }, { schema: TYPED, spec: UNPARTITIONED, location: `${base}/empty/data` })).toEqual([]);
    });

    it('writes only where the store may write', async () => {
      for (const location of [`${objects.root}/../outside`, 'relative/data', 'http://x/y']) {
        expect(await codeOf(engine.writeDataFiles({ kind: 'rows', rows: [{ id: 1 }] }, { schema: TYPED, spec: UNPARTITIONED, location })), location).toBe('INVALID_INPUT');
      }
    });

    it('rewrites only the files holding matching rows (copy-on-write), and compares plans by rows', async () => {
      const where = parseWhere({ id: { _in: [3, 4, 5] } }, PEOPLE_KINDS)!;
      const res = await engine.rewriteWithout(people, where, { schema: PEOPLE, spec: UNPARTITIONED, location: `${base}/people/data` });
      expect(res.deletedRows).toBe(3);
      expect(res.replaced.map((f) => f.filePath)).toEqual([people.dataFiles.find((f) => f.filePath.endsWith('/a.parquet'))!.filePath]);
      expect(res.written.reduce((n, f) => n + f.recordCount, 0)).toBe(12);
      for (const f of res.written) expect((await objects.head(f.location))?.size).toBe(f.fileSizeInBytes);
      const replaced = new Set(res.replaced.map((f) => f.filePath));
      const kept = people.dataFiles.filter((f) => !replaced.has(f.filePath));
      const after: ScanPlan = { ...people, dataFiles: [...kept, ...planOf(PEOPLE, res.written).dataFiles.map((f) => ({ ...f, sequenceNumber: 2, fileSequenceNumber: 2 }))] };
      expect((await all(after, { orderBy: [{ column: 'id', direction: 'ASC' }] })).map((r) => r.id)).toEqual(PEOPLE_ROWS.map((p) => p.id).filter((id) => id < 3 || id > 5));
      const none = await engine.rewriteWithout(people, parseWhere({ id: { _eq: 999 } }, PEOPLE_KINDS)!, { schema: PEOPLE, spec: UNPARTITIONED, location: `${base}/people/data` });
      expect(none).toEqual({ replaced: [], written: [], deletedRows: 0 });

      const cmp = await engine.compare(people, after, 10);
      expect(cmp).toMatchObject({ fromRows: 30n, toRows: 27n, rowsAdded: 0n, rowsRemoved: 3n, sampleAdded: [] });
      expect(cmp.sampleRemoved.map((r) => r.id).sort()).toEqual([3, 4, 5]);
      // Across snapshots with deletes and added rows, over all columns.
      const afterRows = PEOPLE_ROWS.filter((p) => p.id < 3 || p.id > 5);
      const deletedRows = [...PEOPLE_ROWS.filter((p) => p.id !== 1 && p.id !== 2 && p.city !== 'Lima'), { id: 100, name: 'late', age: 50, city: 'Oslo' }, { id: 101, name: 'later', age: 51, city: 'Lima' }];
      const key = (p: { id: number }) => p.id;
      const added = deletedRows.filter((p) => !afterRows.some((q) => key(q) === key(p)));
      const removed = afterRows.filter((p) => !deletedRows.some((q) => key(q) === key(p)));
      const back = await engine.compare(after, peopleDeleted, 2);
      expect(back).toMatchObject({ fromRows: BigInt(afterRows.length), toRows: BigInt(deletedRows.length), rowsAdded: BigInt(added.length), rowsRemoved: BigInt(removed.length) });
      expect(back.sampleAdded).toHaveLength(2);
      expect(back.sampleRemoved).toHaveLength(2);
      for (const r of back.sampleAdded) expect(added).toContainEqual(r);
      for (const r of back.sampleRemoved) expect(removed).toContainEqual(r);
    });

    it('exports rows as CSV that PostgreSQL COPY reads back as the same values', async () => {
      const path = join(scratch, `typed-${randomUUID()}.csv`);
      const n = await engine.exportCsv(typed, { path, rowNumber: true });
      expect(n).toBe(3);
      const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
      expect(lines).toHaveLength(3);
      const byId = new Map(lines.map((l) => [l.split(',')[0], l.split(',')]));
      const one = byId.get('1')!;
      expect(one[1]).toBe('a');
      expect(Number(one[2]).toFixed(2)).toBe('10.50');
      expect(Date.parse(one[3]!.replace(' ', 'T').replace(/\+00$/, 'Z'))).toBe(Date.parse('2025-01-02T03:00:00Z'));
      expect(one[5]).toBe('2025-01-02');
      expect(one[6]!.toLowerCase()).toBe('\\x00ff');
      expect(['t', 'true']).toContain(one[7]);
      expect(Number(one[8])).toBe(2.5);
      expect(one[9]).toBe('7');
      const two = byId.get('2')!;
      expect(two[1]).toBe(''); // NULL: an unquoted empty field
      expect(two[8]).toBe('');
      const big = byId.get('9007199254740993')!;
      expect(big[1]).toBe('""'); // the empty string, quoted
      expect(lines.map((l) => l.split(',').at(-1)).sort()).toEqual(['1', '2', '3']);
    });
  });
}
