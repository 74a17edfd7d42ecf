/**
 * The MartStore contract: one suite every mart store runs. Backend test files are one call:
 *
 *   describeMartStore('pglite', async () => ({ store, sql, cleanup }));
 *
 * `sql` runs SQL directly on the same database (pg directly on PostgreSQL, as psql would), so
 * every read through the store is compared with the equivalent hand-written SQL. The CSV each
 * publish loads is written by DuckDB, as the engine writes it when publishing from Iceberg.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { MartColumn, MartPublishInput, MartStore } from '../../src/ports/mart-store.js';

export interface MartStoreFixture {
  store: MartStore;
  /** Rows of a statement run directly on the database (not through the store). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  /** More direct connections for reader loops (PostgreSQL: each its own client). */
  reader(): Promise<{ sql: MartStoreFixture['sql']; close(): Promise<void> }>;
  /** Rows in the atomicity test's marts (PGlite is slower). */
  atomicRows: number;
  cleanup(): Promise<void>;
}

export type MakeMartStore = () => Promise<MartStoreFixture>;

async function codeOf(p: Promise<unknown>): Promise<{ code: ErrorCode; field?: string | null } | null> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (e === null) return null;
  if (!(e instanceof DomainError)) throw e;
  return { code: e.code, field: (e as { field?: string | null }).field };
}

let duck: DuckDBInstance;
let conn: DuckDBConnection;

const col = (name: string, type: string, nullable = true): MartColumn => ({ name, type, nullable });

/** A publish input whose rows are the result of a DuckDB SELECT (columns in order, CSV-ready values). */
function input(name: string, columns: MartColumn[], select: string, snapshotId = '1', fail?: Error): MartPublishInput {
  return {
    name,
    columns,
    source: { ref: 'main', commitHash: `c${snapshotId}`.padEnd(64, '0'), table: `marts.${name}`, snapshotId },
    async writeCsv(sink) {
      if (fail) throw fail;
      const opts = sink.splitBytes ? `FILE_SIZE_BYTES ${sink.splitBytes}` : 'USE_TMP_FILE false';
      const path = sink.path.replaceAll("'", "''");
      const r = await conn.runAndReadAll(`COPY (${select}) TO '${path}' (FORMAT csv, HEADER false, ${opts})`);
      return Number(r.getRows()[0]![0]);
    },
  };
}

// ── the filter dataset ──

const READINGS_COLUMNS = [
  col('id', 'long', false), col('grp', 'string'), col('v', 'int'), col('x', 'double'), col('amount', 'decimal(10,2)'),
  col('day', 'date'), col('at', 'timestamp'), col('tz', 'timestamptz'), col('flag', 'boolean'), col('tag', 'uuid'),
];
const READINGS = `
  SELECT i AS id,
         CASE WHEN i % 7 = 0 THEN NULL ELSE ['alpha', 'beta', 'Gamma', 'a_b', 'o''brien'][i % 5 + 1] END AS grp,
         CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 37) % 50 END AS v,
         CASE WHEN i % 13 = 0 THEN NULL ELSE ((i * 7) % 20) / 4.0 END AS x,
         CAST(((i * 53) % 10000) / 100.0 AS DECIMAL(10,2)) AS amount,
         DATE '2024-01-01' + CAST(i % 60 AS INTEGER) AS day,
         TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * 3600 * 1000003) AS at,
         CAST(TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i * 7200 * 999999) AS TIMESTAMPTZ) AS tz,
         CASE WHEN i % 17 = 0 THEN NULL ELSE i % 3 = 0 END AS flag,
         CAST(printf('%08x-0000-4000-8000-%012x', i % 9, i) AS UUID) AS tag
  FROM range(1, 1001) t(i)`;

const WHERES: [unknown, string][] = [
  [undefined, 'TRUE'],
  [{ v: { _gt: 10 } }, 'v > 10'],
  [{ v: { _is_null: true } }, 'v IS NULL'],
  [{ v: { _is_null: false, _lte: 3 } }, 'v IS NOT NULL AND v <= 3'],
  [{ grp: { _in: ['alpha', 'beta'] } }, `grp IN ('alpha', 'beta')`],
  [{ grp: { _nin: ['alpha'] } }, `grp NOT IN ('alpha')`],
  [{ grp: { _like: 'a%' } }, `grp LIKE 'a%'`],
  [{ grp: { _ilike: 'G%' } }, `grp ILIKE 'G%'`],
  [{ grp: { _eq: "o'brien" } }, `grp = 'o''brien'`],
  [{ _or: [{ v: { _lt: 5 } }, { flag: { _eq: true } }] }, 'v < 5 OR flag = true'],
  [{ _not: { amount: { _gte: '50.00' } } }, 'NOT (amount >= 50.00)'],
  [{ amount: { _gt: 12.5, _neq: 99.97 } }, 'amount > 12.5 AND amount <> 99.97'],
  [{ day: { _gte: '2024-01-10', _lt: '2024-02-01' } }, `day >= '2024-01-10' AND day < '2024-02-01'`],
  [{ at: { _gt: '2024-01-05T12:00:00' } }, `at > '2024-01-05 12:00:00'`],
  [{ tz: { _lte: '2024-01-20T12:00:00Z' } }, `tz <= '2024-01-20 12:00:00+00'`],
  [{ tz: { _gt: '2024-01-20T14:00:00+02:00' } }, `tz > '2024-01-20 12:00:00+00'`],
  [{ x: { _neq: 0.5 } }, 'x <> 0.5'],
  [{ id: { _in: [1, '2', 999, 5000] } }, 'id IN (1, 2, 999, 5000)'],
  [{ tag: { _eq: '00000001-0000-4000-8000-00000000000a' } }, `tag = '00000001-0000-4000-8000-00000000000a'`],
  [{ tag: { _like: '00000002%' } }, `tag::text LIKE '00000002%'`],
  [{ _and: [{ v: { _gte: 10 } }, { _or: [{ grp: { _is_null: true } }, { _not: { flag: { _eq: false } } }] }] }, 'v >= 10 AND (grp IS NULL OR NOT (flag = false))'],
];
const ORDERS: [{ column: string; direction?: 'ASC' | 'DESC' }[], string][] = [
  [[], ''],
  [[{ column: 'v' }], 'v ASC NULLS LAST'],
  [[{ column: 'grp', direction: 'DESC' }, { column: 'v', direction: 'ASC' }], 'grp DESC NULLS FIRST, v ASC NULLS LAST'],
  [[{ column: 'amount', direction: 'DESC' }], 'amount DESC NULLS FIRST'],
  [[{ column: 'day' }, { column: 'tz', direction: 'DESC' }], 'day ASC NULLS LAST, tz DESC NULLS FIRST'],
  [[{ column: 'x', direction: 'DESC' }, { column: 'flag' }], 'x DESC NULLS FIRST, flag ASC NULLS LAST'],
  [[{ column: 'at', direction: 'DESC' }], 'at DESC NULLS FIRST'],
  [[{ column: 'tag' }], 'tag ASC NULLS LAST'],
];

export function describeMartStore(name: string, make: MakeMartStore): void {
  describe(`MartStore contract: ${name}`, () => {
    let f: MartStoreFixture;
    let store: MartStore;
    beforeAll(async () => {
      duck = await DuckDBInstance.create(':memory:');
      conn = await duck.connect();
      f = await make();
      store = f.store;
      await store.publish([input('readings', READINGS_COLUMNS, READINGS)]);
    });
    afterAll(async () => {
      await store?.close();
      await f?.cleanup();
      conn?.closeSync();
      duck?.closeSync();
    });

    it('publishes a mart with its columns, row count and source, and lists it', async () => {
      const m = await store.get('readings');
      expect(m).toMatchObject({
        name: 'readings',
        columns: READINGS_COLUMNS,
        rowCount: 1000n,
        publishedFrom: { ref: 'main', commitHash: 'c1'.padEnd(64, '0'), table: 'marts.readings', snapshotId: '1' },
      });
      expect(m!.publishedFrom.publishedAt).toBeInstanceOf(Date);
      expect((await store.list()).map((x) => x.name)).toContain('readings');
      expect(await store.get('nope')).toBeNull();
      expect(await f.sql(`SELECT count(*)::text AS n FROM marts.readings`)).toEqual([{ n: '1000' }]);
      // Staging tables are gone once published.
      expect(await f.sql(`SELECT 1 FROM pg_tables WHERE schemaname = 'marts_staging'`)).toEqual([]);
    });

    it('maps Iceberg types exactly to PostgreSQL types and reads every value back exactly', async () => {
      const columns = [
        col('id', 'long', false), col('b', 'boolean'), col('i', 'int'), col('l', 'long'), col('f', 'float'), col('d', 'double'),
        col('dec', 'decimal(38,10)'), col('dec2', 'decimal(5,2)'), col('dt', 'date'), col('tm', 'time'), col('ts', 'timestamp'),
        col('tstz', 'timestamptz'), col('s', 'string'), col('u', 'uuid'), col('bin', 'binary'), col('fx', 'fixed[4]'),
        col('li', 'list<string>'), col('st', 'struct<a: int, b: string>'), col('mp', 'map<string, long>'), col('Mixed Case', 'string'),
      ];
      const select = `
        SELECT 1::BIGINT, true, 2147483647::INTEGER, 9223372036854775807::BIGINT, 0.1::FLOAT, 0.1::DOUBLE,
               '1234567890123456789012345678.0123456789'::DECIMAL(38,10), -999.99::DECIMAL(5,2), DATE '2024-02-29',
               TIME '23:59:59.999999', TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 05:04:05.000001+02',
               'a"b,c' || chr(10) || 'd ü 😀', UUID 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x' || hex('\\x00\\xFFab'::BLOB), '\\x' || hex('\\xDE\\xAD\\xBE\\xEF'::BLOB),
               CAST(to_json(['x', NULL]) AS VARCHAR), CAST(to_json({'a': 1, 'b': 'y'}) AS VARCHAR), CAST(to_json(MAP {'k': 42}) AS VARCHAR), 'MC'
        UNION ALL
        SELECT 2, NULL, -2147483648, -9223372036854775808, NULL, NULL, NULL, 0.5, DATE '1900-01-01', TIME '00:00:00', TIMESTAMP '1970-01-01 00:00:00',
               TIMESTAMPTZ '1970-01-01 00:00:00+00', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL
        UNION ALL
        SELECT 3, false, 0, 0, 'inf'::FLOAT, 'nan'::DOUBLE, -0.0000000001, 0, NULL, TIME '12:00:00.5', TIMESTAMP '2024-01-02 03:04:05.1',
               NULL, NULL, NULL, '\\x', NULL, '[]', NULL, '{}', NULL`;
      await store.publish([input('types', columns, select)]);
      const types = await f.sql<{ attname: string; t: string; notnull: boolean }>(
        `SELECT attname, format_type(atttypid, atttypmod) AS t, attnotnull AS notnull FROM pg_attribute
         WHERE attrelid = 'marts.types'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      );
      expect(types.map((t) => [t.attname, t.t])).toEqual([
        ['id', 'bigint'], ['b', 'boolean'], ['i', 'integer'], ['l', 'bigint'], ['f', 'real'], ['d', 'double precision'],
        ['dec', 'numeric(38,10)'], ['dec2', 'numeric(5,2)'], ['dt', 'date'], ['tm', 'time without time zone'],
        ['ts', 'timestamp without time zone'], ['tstz', 'timestamp with time zone'], ['s', 'text'], ['u', 'uuid'],
        ['bin', 'bytea'], ['fx', 'bytea'], ['li', 'jsonb'], ['st', 'jsonb'], ['mp', 'jsonb'], ['Mixed Case', 'text'], ['__cascade_row', 'bigint'],
      ]);
      expect(types.find((t) => t.attname === 'id')!.notnull).toBe(true);
      expect(types.find((t) => t.attname === 'l')!.notnull).toBe(false);

      // Exact values as PostgreSQL holds them.
      const direct = await f.sql<Record<string, string | null>>(
        `SELECT l::text, f::text, d::text, dec::text, dec2::text, dt::text, tm::text, ts::text, (tstz AT TIME ZONE 'UTC')::text AS tstz,
                s, encode(bin, 'hex') AS bin, encode(fx, 'hex') AS fx, li::text, st::text, mp::text FROM marts.types ORDER BY id`,
      );
      expect(direct[0]).toEqual({
        l: '9223372036854775807', f: '0.1', d: '0.1', dec: '1234567890123456789012345678.0123456789', dec2: '-999.99', dt: '2024-02-29',
        tm: '23:59:59.999999', ts: '2024-01-02 03:04:05.123456', tstz: '2024-01-02 03:04:05.000001', s: 'a"b,c\nd ü 😀', bin: '00ff6162',
        fx: 'deadbeef', li: '["x", null]', st: '{"a": 1, "b": "y"}', mp: '{"k": 42}',
      });
      expect(direct[1]).toMatchObject({ l: '-9223372036854775808', f: null, dec2: '0.50', s: '', bin: null, li: null });
      expect(direct[2]).toMatchObject({ f: 'Infinity', d: 'NaN', dec: '-0.0000000001', dec2: '0.00', tm: '12:00:00.5', ts: '2024-01-02 03:04:05.1', bin: '', li: '[]', mp: '{}' });

      // And as the store returns them (API.md's JSON forms).
      const page = await store.rows('types', { orderBy: [{ column: 'id' }] });
      expect(page.columns).toEqual(columns.map((c) => c.name));
      expect(page.rows[0]).toEqual({
        id: '1', b: true, i: 2147483647, l: '9223372036854775807', f: 0.1, d: 0.1, dec: '1234567890123456789012345678.0123456789',
        dec2: '-999.99', dt: '2024-02-29', tm: '23:59:59.999999', ts: '2024-01-02T03:04:05.123456', tstz: '2024-01-02T03:04:05.000001Z',
        s: 'a"b,c\nd ü 😀', u: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', bin: Buffer.from([0, 255, 0x61, 0x62]).toString('base64'),
        fx: Buffer.from([0xde, 0xad, 0xbe, 0xef]).toString('base64'), li: ['x', null], st: { a: 1, b: 'y' }, mp: { k: 42 }, 'Mixed Case': 'MC',
      });
      expect(page.rows[1]).toEqual({
        id: '2', b: null, i: -2147483648, l: '-9223372036854775808', f: null, d: null, dec: null, dec2: '0.50', dt: '1900-01-01', tm: '00:00:00',
        ts: '1970-01-01T00:00:00', tstz: '1970-01-01T00:00:00Z', s: '', u: null, bin: null, fx: null, li: null, st: null, mp: null, 'Mixed Case': null,
      });
      expect(page.rows[2]).toMatchObject({ b: false, f: 'Infinity', d: 'NaN', dec: '-0.0000000001', tm: '12:00:00.500000', ts: '2024-01-02T03:04:05.100000', bin: '', li: [], mp: {} });

      // Filters and paging over every sortable type use the exact values.
      const eq = async (where: unknown) => (await store.rows('types', { where, columns: ['id'] })).rows.map((r) => r.id);
      expect(await eq({ dec: { _eq: '1234567890123456789012345678.0123456789' } })).toEqual(['1']);
      expect(await eq({ f: { _eq: 0.1 } })).toEqual(['1']);
      expect(await eq({ l: { _eq: '9223372036854775807' } })).toEqual(['1']);
      expect(await eq({ ts: { _eq: '2024-01-02T03:04:05.123456' } })).toEqual(['1']);
      expect(await eq({ tstz: { _eq: '2024-01-02T05:04:05.000001+02:00' } })).toEqual(['1']);
      expect(await eq({ tm: { _eq: '12:00:00.5' } })).toEqual(['3']);
      expect(await eq({ s: { _eq: '' } })).toEqual(['2']);
      for (const c of ['b', 'i', 'l', 'f', 'd', 'dec', 'dec2', 'dt', 'tm', 'ts', 'tstz', 's', 'u']) {
        for (const direction of ['ASC', 'DESC'] as const) {
          const ids: unknown[] = [];
          let after: string | null = null;
          do {
            const p = await store.rows('types', { orderBy: [{ column: c, direction }], first: 1, after, columns: ['id'] });
            ids.push(...p.rows.map((r) => r.id));
            after = p.nextCursor;
          } while (after);
          const want = await f.sql<{ id: string }>(`SELECT id::text AS id FROM marts.types ORDER BY ${JSON.stringify(c)} ${direction === 'ASC' ? 'ASC NULLS LAST' : 'DESC NULLS FIRST'}, __cascade_row`);
          expect(ids, `paging by ${c} ${direction}`).toEqual(want.map((w) => w.id));
        }
      }
    });

    it('writes the rarer date, time and timestamp shapes (years past 9999 and BC included) in the same JSON forms, filters and pages over them', async () => {
      // Values a publish from Iceberg seldom brings, written straight into the published table.
      await f.sql(`UPDATE marts.types SET tm = '24:00:00', ts = 'infinity', tstz = '-infinity' WHERE id = 2`);
      await f.sql(`UPDATE marts.types SET tm = '00:00:00.000001', ts = '10000-01-01 00:00:00.5', tstz = '12345-06-07 08:09:10+00', dt = '12020-01-02' WHERE id = 3`);
      // Years before 1 AD: PostgreSQL writes `… BC`, the gateway ISO's astronomical year (0000 is 1 BC).
      await f.sql(`INSERT INTO marts.types (id, dt, tm, ts, tstz) VALUES (4, '0044-03-15 BC', '01:00:00', '0001-12-31 23:59:59.25 BC', '4713-01-01 10:00:00+00 BC')`);
      const page = await store.rows('types', { orderBy: [{ column: 'id' }], columns: ['id', 'dt', 'tm', 'ts', 'tstz'] });
      expect(page.rows).toEqual([
        { id: '1', dt: '2024-02-29', tm: '23:59:59.999999', ts: '2024-01-02T03:04:05.123456', tstz: '2024-01-02T03:04:05.000001Z' },
        { id: '2', dt: '1900-01-01', tm: '24:00:00', ts: 'infinity', tstz: '-infinity' },
        { id: '3', dt: '12020-01-02', tm: '00:00:00.000001', ts: '10000-01-01T00:00:00.500000', tstz: '12345-06-07T08:09:10Z' },
        { id: '4', dt: '-0043-03-15', tm: '01:00:00', ts: '0000-12-31T23:59:59.250000', tstz: '-4712-01-01T10:00:00Z' },
      ]);
      // Filters take the same values; a clock past the end of day is still refused.
      const ids = async (where: unknown) => (await store.rows('types', { where, columns: ['id'] })).rows.map((r) => r.id);
      expect(await ids({ tm: { _eq: '24:00' } })).toEqual(['2']);
      expect(await ids({ ts: { _gte: '10000-01-01T00:00:00' } })).toEqual(['2', '3']);
      expect(await ids({ dt: { _gt: '+010000-01-01' } })).toEqual(['3']);
      expect(await ids({ dt: { _eq: '-0043-03-15' } })).toEqual(['4']);
      expect(await ids({ dt: { _lt: '0001-01-01' } })).toEqual(['4']);
      expect(await ids({ ts: { _lt: '0001-01-01T00:00:00', _gte: '0000-12-31T23:59:59.25' } })).toEqual(['4']);
      expect(await ids({ tstz: { _eq: '-4712-01-01T12:00:00+02:00' } })).toEqual(['4']);
      for (const dt of ['0044-03-15 BC', '-0043-02-30', '2021-02-29']) {
        expect(await codeOf(store.rows('types', { where: { dt: { _eq: dt } } })), dt).toEqual({ code: 'INVALID_INPUT', field: 'where' });
      }
      for (const tm of ['24:00:01', '24:30', '24:00:00.5']) {
        expect(await codeOf(store.rows('types', { where: { tm: { _eq: tm } } })), tm).toEqual({ code: 'INVALID_INPUT', field: 'where' });
      }
      for (const c of ['dt', 'tm', 'ts', 'tstz']) {
        const ids: unknown[] = [];
        let after: string | null = null;
        do {
          const p = await store.rows('types', { orderBy: [{ column: c, direction: 'DESC' }], first: 1, after, columns: ['id'] });
          ids.push(...p.rows.map((r) => r.id));
          after = p.nextCursor;
        } while (after);
        const want = await f.sql<{ id: string }>(`SELECT id::text AS id FROM marts.types ORDER BY ${c} DESC NULLS FIRST, __cascade_row`);
        expect(ids, `paging by ${c}`).toEqual(want.map((w) => w.id));
      }
    });

    it('gives the same rows, order, pages and counts as the equivalent SQL', async () => {
      const cases: [number, number][] = [];
      WHERES.forEach((_, w) => cases.push([w, w % ORDERS.length]));
      ORDERS.forEach((_, o) => cases.push([0, o], [1, o], [9, o]));
      for (const [w, o] of cases) {
        const [where, whereSql] = WHERES[w]!;
        const [orderBy, orderSql] = ORDERS[o]!;
        const want = (await f.sql<{ id: string }>(
          `SELECT id::text AS id FROM marts.readings WHERE ${whereSql} ORDER BY ${orderSql ? `${orderSql}, ` : ''}__cascade_row`,
        )).map((r) => r.id);
        const got: unknown[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const p = await store.rows('readings', { where, orderBy, first: 97, after, withTotal: pages === 0 });
          if (pages === 0) expect(p.totalCount, `count for ${whereSql}`).toBe(BigInt(want.length));
          expect(p.rows.length).toBeLessThanOrEqual(97);
          got.push(...p.rows.map((r) => r.id));
          after = p.nextCursor;
          pages++;
        } while (after);
        expect(got, `where ${whereSql} order by ${orderSql}`).toEqual(want);
      }
    });

    it('returns full rows equal to the SQL values, and a subset of columns in the order asked', async () => {
      const p = await store.rows('readings', { where: { id: { _lte: 3 } }, orderBy: [{ column: 'id' }] });
      const direct = await f.sql<Record<string, unknown>>(
        `SELECT id::text AS id, grp, v, x, amount::text AS amount, day::text AS day, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS at,
                to_char(tz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS tz, flag, tag::text AS tag FROM marts.readings WHERE id <= 3 ORDER BY id`,
      );
      expect(p.rows).toEqual(direct.map((r) => ({ ...r, at: String(r.at).replace(/\.000000$/, ''), tz: String(r.tz).replace(/\.000000Z$/, 'Z') })));
      const sub = await store.rows('readings', { columns: ['v', 'id'], orderBy: [{ column: 'grp' }], first: 2 });
      expect(sub.columns).toEqual(['v', 'id']);
      expect(Object.keys(sub.rows[0]!)).toEqual(['v', 'id']);
      expect(sub.nextCursor).not.toBeNull();
      const next = await store.rows('readings', { columns: ['v', 'id'], orderBy: [{ column: 'grp' }], first: 2, after: sub.nextCursor });
      const want = await f.sql<{ id: string }>(`SELECT id::text AS id FROM marts.readings ORDER BY grp, __cascade_row LIMIT 4`);
      expect([...sub.rows, ...next.rows].map((r) => r.id)).toEqual(want.map((r) => r.id));
      // first: 0 returns no rows but still says whether there are any
      expect(await store.rows('readings', { first: 0 })).toMatchObject({ rows: [], nextCursor: null, hasMore: true });
      expect(await store.rows('readings', { first: 0, where: { id: { _lt: 0 } } })).toMatchObject({ rows: [], hasMore: false });
    });

    it('aggregates like SQL does', async () => {
      for (const [where, whereSql] of WHERES.slice(0, 14)) {
        const got = await store.aggregate('readings', where);
        const [want] = await f.sql<Record<string, unknown>>(
          `SELECT count(*)::text AS count,
                  sum(id)::text AS id_sum, avg(id)::text AS id_avg, min(id)::text AS id_min, max(id)::text AS id_max,
                  sum(v)::text AS v_sum, avg(v)::text AS v_avg, min(v)::text AS v_min, max(v)::text AS v_max,
                  sum(x) AS x_sum, avg(x) AS x_avg, min(x) AS x_min, max(x) AS x_max,
                  sum(amount)::text AS amount_sum, avg(amount)::text AS amount_avg, min(amount)::text AS amount_min, max(amount)::text AS amount_max
           FROM marts.readings WHERE ${whereSql}`,
        );
        const w = want!;
        const pick = (c: string) => ({ sum: w[`${c}_sum`], avg: w[`${c}_avg`], min: w[`${c}_min`], max: w[`${c}_max`] });
        expect(got, `aggregate where ${whereSql}`).toEqual({ count: w.count, id: pick('id'), v: pick('v'), x: pick('x'), amount: pick('amount') });
      }
      const none = await store.aggregate('readings', { id: { _lt: 0 } });
      expect(none).toEqual({ count: '0', id: { sum: null, avg: null, min: null, max: null }, v: { sum: null, avg: null, min: null, max: null }, x: { sum: null, avg: null, min: null, max: null }, amount: { sum: null, avg: null, min: null, max: null } });
    });

    it('refuses bad where, orderBy, columns, first and cursors with INVALID_INPUT naming the argument, and touches nothing', async () => {
      const before = await f.sql(`SELECT count(*)::text AS n, sum(id)::text AS s FROM marts.readings`);
      const { nextCursor } = await store.rows('readings', { orderBy: [{ column: 'v' }], first: 3 });
      const forge = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const bad: [Record<string, unknown>, string][] = [
        [{ where: { nope: { _eq: 1 } } }, 'where'],
        [{ where: { __cascade_row: { _gt: 0 } } }, 'where'],
        [{ where: { 'grp" = \'\' OR 1=1 --': { _eq: 'a' } } }, 'where'],
        [{ where: { grp: { '_eq) OR (1=1': 'a' } } }, 'where'],
        [{ where: { grp: { _eq: 'a', _regex: '.*' } } }, 'where'],
        [{ where: { _or: { grp: { _eq: 'a' } } } }, 'where'],
        [{ where: { grp: 'alpha' } }, 'where'],
        [{ where: [{ grp: { _eq: 'a' } }] }, 'where'],
        [{ where: { v: { _eq: 'abc' } } }, 'where'],
        [{ where: { v: { _eq: 1.5 } } }, 'where'],
        [{ where: { v: { _eq: 99999999999 } } }, 'where'],
        [{ where: { id: { _gt: '99999999999999999999' } } }, 'where'],
        [{ where: { x: { _eq: 'NaN' } } }, 'where'],
        [{ where: { amount: { _eq: '1; DROP TABLE marts.readings' } } }, 'where'],
        [{ where: { day: { _eq: '2024-02-30' } } }, 'where'],
        [{ where: { day: { _eq: "2024-01-01'; DROP TABLE marts.readings; --" } } }, 'where'],
        [{ where: { at: { _gt: 'yesterday' } } }, 'where'],
        [{ where: { at: { _gt: '2024-01-01T10:00:00+02:00' } } }, 'where'],
        [{ where: { tz: { _gt: '2024-13-01T00:00:00Z' } } }, 'where'],
        [{ where: { flag: { _eq: 'true' } } }, 'where'],
        [{ where: { grp: { _eq: 5 } } }, 'where'],
        [{ where: { grp: { _eq: 'a\u0000b' } } }, 'where'],
        [{ where: { grp: { _in: 'alpha' } } }, 'where'],
        [{ where: { grp: { _eq: null } } }, 'where'],
        [{ where: { v: { _like: '1%' } } }, 'where'],
        [{ where: { tag: { _eq: "x' OR '1'='1" } } }, 'where'],
        [{ where: { v: { _is_null: 'yes' } } }, 'where'],
        [{ orderBy: [{ column: 'nope' }] }, 'orderBy'],
        [{ orderBy: [{ column: 'v; DROP TABLE marts.readings' }] }, 'orderBy'],
        [{ orderBy: [{ column: 'v', direction: 'ASC; DROP TABLE marts.readings' }] }, 'orderBy'],
        [{ orderBy: [{ column: '__cascade_row' }] }, 'orderBy'],
        [{ columns: ['id', 'nope'] }, 'columns'],
        [{ columns: [] }, 'columns'],
        [{ first: 1001 }, 'first'],
        [{ first: -1 }, 'first'],
        [{ after: 'not a cursor!' }, 'after'],
        [{ after: nextCursor }, 'after'], // belongs to orderBy v
        [{ orderBy: [{ column: 'v' }], after: forge({ o: 'v:A', k: ['1; DROP TABLE marts.readings'], r: '3' }) }, 'after'],
        [{ orderBy: [{ column: 'v' }], after: forge({ o: 'v:A', k: ['1'], r: '3 OR 1=1' }) }, 'after'],
        [{ orderBy: [{ column: 'day' }], after: forge({ o: 'day:A', k: ['2024-02-30'], r: '3' }) }, 'after'],
      ];
      for (const [q, field] of bad) {
        expect(await codeOf(store.rows('readings', q)), JSON.stringify(q)).toEqual({ code: 'INVALID_INPUT', field });
      }
      for (const [q] of bad.filter(([, field]) => field === 'where')) {
        expect(await codeOf(store.aggregate('readings', q.where)), JSON.stringify(q)).toEqual({ code: 'INVALID_INPUT', field: 'where' });
      }
      expect((await codeOf(store.rows('nope', {})))?.code).toBe('NOT_FOUND');
      expect((await codeOf(store.aggregate('nope', {})))?.code).toBe('NOT_FOUND');
      expect((await codeOf(store.rows('readings"; DROP TABLE marts.readings; --', {})))?.code).toBe('NOT_FOUND');

      // Injection attempts in values are just values: they match nothing and change nothing.
      for (const where of [
        { grp: { _eq: "'; DROP TABLE marts.readings; --" } },
        { grp: { _in: ["alpha') OR ('1'='1", "x'); DELETE FROM marts.readings; --"] } },
        { grp: { _like: "%' OR '1'='1" } },
      ]) {
        expect((await store.rows('readings', { where })).rows, JSON.stringify(where)).toEqual([]);
      }
      expect(await f.sql(`SELECT count(*)::text AS n, sum(id)::text AS s FROM marts.readings`)).toEqual(before);
    });

    it('publishing the same snapshot again is a no-op; a new snapshot or new columns replace the mart', async () => {
      const cols = [col('k', 'int', false), col('name', 'string')];
      const first = await store.publish([input('noop', cols, `SELECT 1, 'a' UNION ALL SELECT 2, 'b'`, '10')]);
      expect(first[0]!.changed).toBe(true);
      const again = await store.publish([input('noop', cols, `SELECT 99, 'changed'`, '10', new Error('must not be read'))]);
      expect(again[0]!.changed).toBe(false);
      expect(again[0]!.mart).toEqual(first[0]!.mart);
      expect(await f.sql(`SELECT k, name FROM marts.noop ORDER BY k`)).toEqual([{ k: 1, name: 'a' }, { k: 2, name: 'b' }]);

      const next = await store.publish([input('noop', cols, `SELECT 3, 'c'`, '11')]);
      expect(next[0]).toMatchObject({ changed: true, mart: { rowCount: 1n, publishedFrom: { snapshotId: '11' } } });
      expect(next[0]!.mart.publishedFrom.publishedAt.getTime()).toBeGreaterThanOrEqual(first[0]!.mart.publishedFrom.publishedAt.getTime());
      const renamed = await store.publish([input('noop', [col('k', 'long', false), col('label', 'string')], `SELECT 3, 'c'`, '11')]);
      expect(renamed[0]!.changed).toBe(true);
      expect((await store.get('noop'))!.columns).toEqual([col('k', 'long', false), col('label', 'string')]);
      expect(await f.sql(`SELECT k::text AS k, label FROM marts.noop`)).toEqual([{ k: '3', label: 'c' }]);
      // Reads pick up the new columns at once.
      expect((await store.rows('noop', { where: { label: { _eq: 'c' } } })).rows).toEqual([{ k: '3', label: 'c' }]);
      expect(await codeOf(store.rows('noop', { where: { name: { _eq: 'c' } } }))).toEqual({ code: 'INVALID_INPUT', field: 'where' });
    });

    it('publishes all marts of a batch or none: a failure leaves every old mart and no staging table', async () => {
      const cols = [col('k', 'int', false)];
      await store.publish([input('all_a', cols, 'SELECT 1', '1'), input('all_b', cols, 'SELECT 1', '1')]);
      const snapshot = async () => ({
        a: await f.sql(`SELECT k FROM marts.all_a`),
        b: await f.sql(`SELECT k FROM marts.all_b`),
        meta: (await store.list()).filter((m) => m.name.startsWith('all_')),
      });
      const before = await snapshot();
      const failing = [
        // the second mart's rows cannot be written
        [input('all_a', cols, 'SELECT 2', '2'), input('all_b', cols, 'SELECT 2', '2', new Error('engine failed'))],
        // a NULL in a required column
        [input('all_a', cols, 'SELECT 2', '2'), input('all_b', cols, 'SELECT NULL::INTEGER', '2')],
        // a value that does not fit the column
        [input('all_a', cols, 'SELECT 2', '2'), input('all_b', cols, `SELECT 'x'`, '2')],
      ];
      for (const batch of failing) {
        await expect(store.publish(batch)).rejects.toThrow();
        expect(await snapshot()).toEqual(before);
        expect(await f.sql(`SELECT tablename FROM pg_tables WHERE schemaname = 'marts_staging'`)).toEqual([]);
      }
      expect((await codeOf(store.publish(failing[1]!)))?.code).toBe('INVALID_INPUT');
      // The error names the mart whose rows failed; PostgreSQL text cannot hold a NUL character.
      await expect(store.publish(failing[2]!)).rejects.toThrow(/^mart 'all_b': the rows do not fit the mart's columns/);
      const withNul = [input('all_a', cols, 'SELECT 2', '2'), input('all_s', [col('s', 'string')], `SELECT 'a' || chr(0) || 'b'`, '2')];
      await expect(store.publish(withNul)).rejects.toThrow(/^mart 'all_s': text values must not contain NUL characters/);
      expect(await snapshot()).toEqual(before);
      expect(await store.get('all_s')).toBeNull();
      const badNames: MartPublishInput[][] = [
        [input('bad-name', cols, 'SELECT 1')],
        [input('x'.repeat(64), cols, 'SELECT 1')],
        [input('ok', [col('__cascade_row', 'long')], 'SELECT 1')],
        [input('ok', [col('k', 'int'), col('k', 'int')], 'SELECT 1, 2')],
        [input('ok', [col('k', 'varchar')], 'SELECT 1')],
        [input('dup', cols, 'SELECT 1'), input('dup', cols, 'SELECT 1')],
      ];
      for (const batch of badNames) expect((await codeOf(store.publish(batch)))?.code, batch[0]!.name).toBe('INVALID_INPUT');
      expect(await store.get('ok')).toBeNull();
      expect(await snapshot()).toEqual(before);
    });

    it('never shows a reader a missing, empty, partial or mixed mart while publishing', async () => {
      const n = f.atomicRows;
      const cols = [col('id', 'long', false), col('version', 'int', false)];
      const batch = (v: number) => [
        input('atom_a', cols, `SELECT i, ${v} FROM range(${n + v}) t(i)`, String(v)),
        input('atom_b', cols, `SELECT i, ${v} FROM range(${n + v}) t(i)`, String(v)),
      ];
      await store.publish(batch(1));
      const readers = await Promise.all([f.reader(), f.reader()]);
      let done = false;
      const errors: unknown[] = [];
      const seen = new Set<number>();
      let reads = 0;
      const check = (ok: boolean, what: unknown) => {
        if (!ok) errors.push(what);
      };
      const both = (first: string, second: string) =>
        `SELECT (SELECT count(*)::int FROM marts.${first}) AS c1, (SELECT min(version) FROM marts.${first}) AS lo1, (SELECT max(version) FROM marts.${first}) AS hi1,
                (SELECT count(*)::int FROM marts.${second}) AS c2, (SELECT min(version) FROM marts.${second}) AS lo2, (SELECT max(version) FROM marts.${second}) AS hi2`;
      const loops = [
        ...readers.map((r, i) => async () => {
          const [x] = await r.sql<{ c1: number; lo1: number; hi1: number; c2: number; lo2: number; hi2: number }>(i === 0 ? both('atom_a', 'atom_b') : both('atom_b', 'atom_a'));
          check(x!.lo1 === x!.hi1 && x!.lo2 === x!.hi2 && x!.lo1 === x!.lo2 && x!.c1 === n + x!.lo1 && x!.c2 === n + x!.lo2, x);
          seen.add(x!.lo1);
        }),
        async () => {
          const a = await store.aggregate('atom_a');
          const v = a.version as { min: string; max: string };
          check(v.min === v.max && a.count === String(n + Number(v.min)), a);
        },
        async () => {
          const p = await store.rows('atom_b', { first: 5, withTotal: true });
          const versions = new Set(p.rows.map((r) => r.version));
          check(p.rows.length === 5 && versions.size === 1 && p.totalCount === BigInt(n + Number([...versions][0])), p);
        },
      ];
      const running = loops.map(async (loop) => {
        while (!done) {
          // PGlite answers without a macrotask turn: let the publisher's I/O run between reads.
          await new Promise((r) => setImmediate(r));
          try {
            await loop();
            reads++;
          } catch (e) {
            errors.push(e);
          }
        }
      });
      try {
        for (let v = 2; v <= 6; v++) {
          const out = await store.publish(batch(v));
          expect(out.map((o) => o.changed)).toEqual([true, true]);
        }
      } finally {
        done = true;
        await Promise.all(running);
        await Promise.all(readers.map((r) => r.close()));
      }
      expect(errors.slice(0, 3)).toEqual([]);
      expect(reads).toBeGreaterThan(10);
      expect(seen.size).toBeGreaterThan(1);
      expect((await store.get('atom_a'))!.publishedFrom.snapshotId).toBe('6');
    });
  });
}
