/**
 * MartService over real Iceberg tables written through TableService (embedded PGlite catalog, local
 * warehouse, DuckDB), publishing into each mart store: PGlite (sharing the catalog's database, as
 * the embedded gateway does) and a real PostgreSQL. The published marts equal the Iceberg tables at
 * the commit row for row; publishing is a no-op for unchanged snapshots; roles apply.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { createPgliteMartStore } from '../../src/adapters/mart-store/pglite/index.js';
import { createPostgresMartStore } from '../../src/adapters/mart-store/postgres/index.js';
import { createMemoryEventBus } from '../../src/adapters/event-bus/memory/index.js';
import { openPglite, type SqlDatabase } from '../../src/adapters/sql/database.js';
import type { Actor } from '../../src/auth/actor.js';
import { DomainError } from '../../src/domain/errors.js';
import type { EventBus } from '../../src/ports/event-bus.js';
import type { MartStore } from '../../src/ports/mart-store.js';
import type { QueryEngine } from '../../src/ports/query-engine.js';
import type { VersionStore } from '../../src/ports/version-store.js';
import { CatalogService } from '../../src/services/catalog.js';
import { MartService } from '../../src/services/marts.js';
import { TableService } from '../../src/services/table-writes.js';
import { createTestDatabase } from '../support/services.js';

const admin: Actor = { subject: 'admin', roles: ['admin'], kind: 'user', expiresAt: null };
const engineer: Actor = { subject: 'eng', roles: ['engineer'], kind: 'user', expiresAt: null };
const viewer: Actor = { subject: 'viewer', roles: ['viewer'], kind: 'user', expiresAt: null };
const nobody: Actor = { subject: 'nobody', roles: [], kind: 'user', expiresAt: null };

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  const e = await p.then(() => null, (err: unknown) => err);
  if (e === null) return null;
  if (!(e instanceof DomainError)) throw e;
  return e.code;
}

const COLUMNS = [
  { name: 'id', type: 'long', required: true },
  { name: 'reading_date', type: 'date' },
  { name: 'mean_mgdl', type: 'double' },
  { name: 'ratio', type: 'float' },
  { name: 'amount', type: 'decimal(12,3)' },
  { name: 'n', type: 'int' },
  { name: 'label', type: 'string' },
  { name: 'taken_at', type: 'timestamp' },
  { name: 'taken_tz', type: 'timestamptz' },
  { name: 'ok', type: 'boolean' },
  { name: 'tags', type: 'list<string>' },
];

const ROWS = `
  SELECT i::BIGINT AS id, DATE '2024-03-01' + CAST(i % 40 AS INTEGER) AS reading_date,
         CASE WHEN i % 9 = 0 THEN NULL ELSE 80 + (i * 7919 % 1000) / 7.0 END AS mean_mgdl,
         CAST((i % 100) / 3.0 AS FLOAT) AS ratio, CAST((i * 31 % 100000) / 1000.0 AS DECIMAL(12,3)) AS amount,
         CAST(i % 17 AS INTEGER) AS n, CASE WHEN i % 5 = 0 THEN '' WHEN i % 7 = 0 THEN NULL ELSE 'row "' || i || '", ok' END AS label,
         TIMESTAMP '2024-03-01 00:00:00' + to_microseconds(i * 1234567) AS taken_at,
         TIMESTAMPTZ '2024-03-01 00:00:00+00' + to_microseconds(i * 7654321) AS taken_tz,
         CASE WHEN i % 4 = 0 THEN NULL ELSE i % 2 = 0 END AS ok,
         CASE WHEN i % 3 = 0 THEN NULL ELSE ['a', CAST(i AS VARCHAR)] END AS tags
  FROM range(1, 30001) t(i)`;

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`MartService publishing Iceberg tables (${backend})`, () => {
    let dir: string;
    let db: SqlDatabase;
    let store: VersionStore;
    let engine: QueryEngine;
    let bus: EventBus;
    let marts: MartStore;
    let tables: TableService;
    let catalog: CatalogService;
    let service: MartService;
    let direct: (q: string) => Promise<Record<string, unknown>[]>;
    let closeDirect = async () => undefined as void;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cg-marts-'));
      db = await openPglite(join(dir, 'catalog'));
      store = await createEmbeddedVersionStore(db, { closeDatabase: false });
      const objects = createLocalObjectStore(join(dir, 'warehouse'));
      engine = await createDuckDbEngine(objects, { threads: 2 });
      bus = createMemoryEventBus();
      if (backend === 'pglite') {
        marts = await createPgliteMartStore(db);
        direct = async (q) => (await db.query<Record<string, unknown>>(q)).rows;
      } else {
        const url = await createTestDatabase(inject('databaseUrl'), 'marts_service');
        marts = await createPostgresMartStore(url);
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        direct = async (q) => (await client.query(q)).rows;
        closeDirect = () => client.end();
      }
      catalog = new CatalogService(store, ['main'], bus);
      tables = new TableService(catalog, store, objects, engine);
      service = new MartService(catalog, tables, engine, marts, bus);
      await tables.createTable({ branch: 'main', name: 'marts.mrt_glucose_overview', columns: COLUMNS, createNamespaces: true }, admin);
      await tables.write('append', { branch: 'main', table: 'marts.mrt_glucose_overview', input: { kind: 'query', sql: ROWS, tables: new Map() } }, admin);
      await tables.createTable({ branch: 'main', name: 'marts.mrt_empty', columns: [{ name: 'k', type: 'int' }] }, admin);
      await tables.createTable({ branch: 'main', name: 'marts.nested.not_a_mart', columns: [{ name: 'k', type: 'int' }], createNamespaces: true }, admin);
      await tables.createTable({ branch: 'main', name: 'silver.not_a_mart', columns: [{ name: 'k', type: 'int' }], createNamespaces: true }, admin);
    });
    afterAll(async () => {
      await marts?.close();
      await closeDirect();
      await engine?.close();
      await store?.close();
      await db?.close();
      await rm(dir, { recursive: true, force: true });
    });

    const icebergRows = async (ref = 'main') => {
      const view = (await tables.table(ref, 'marts.mrt_glucose_overview', admin))!;
      const out: Record<string, unknown>[] = [];
      let after: string | null = null;
      do {
        const p = await tables.rows(view, { orderBy: [{ column: 'id' }], first: 1000, after }, false);
        out.push(...p.rows);
        after = p.nextCursor;
      } while (after);
      return out;
    };
    const martRows = async () => {
      const out: Record<string, unknown>[] = [];
      let after: string | null = null;
      do {
        const p = await service.rows('mrt_glucose_overview', { orderBy: [{ column: 'id' }], first: 1000, after }, viewer);
        out.push(...p.rows);
        after = p.nextCursor;
      } while (after);
      return out;
    };
    // float (real) values: DuckDB hands back the float widened to double, PostgreSQL its shortest text.
    const sameFloat = (rows: Record<string, unknown>[]) => rows.map((r) => ({ ...r, ratio: typeof r.ratio === 'number' ? Math.fround(r.ratio) : r.ratio }));

    it('publishes every table directly in namespace marts at the default branch, row for row equal to Iceberg at that commit', async () => {
      const head = await catalog.defaultBranch();
      const seen: string[] = [];
      const sub = bus.subscribe('martUpdated');
      await sub.ready;
      const published = await service.publish({}, engineer);
      expect(published.map((m) => m.name).sort()).toEqual(['mrt_empty', 'mrt_glucose_overview']);
      for (let i = 0; i < 2; i++) seen.push((await sub.events.next()).value.name);
      await sub.events.return?.();
      expect(seen.sort()).toEqual(['mrt_empty', 'mrt_glucose_overview']);

      const view = (await tables.table('main', 'marts.mrt_glucose_overview', admin))!;
      const m = await tables.metadata(view.content.metadataLocation);
      const mart = published.find((p) => p.name === 'mrt_glucose_overview')!;
      expect(mart).toMatchObject({
        rowCount: 30000n,
        publishedFrom: { ref: 'main', commitHash: head.hash, table: 'marts.mrt_glucose_overview', snapshotId: m.currentSnapshotId },
      });
      expect(mart.columns).toEqual(COLUMNS.map((c) => ({ name: c.name, type: c.type, nullable: !c.required })));
      expect(published.find((p) => p.name === 'mrt_empty')).toMatchObject({ rowCount: 0n, publishedFrom: { snapshotId: '-1' } });

      const [want, got] = await Promise.all([icebergRows(), martRows()]);
      expect(got).toHaveLength(30000);
      expect(sameFloat(got)).toEqual(sameFloat(want));
      // The same through SQL on both sides: DuckDB over the Iceberg snapshot, psql-style on the mart.
      const duck = await tables.sql('main', `SELECT count(*), sum(amount), sum(n), count(label), count(DISTINCT label), min(taken_tz), max(taken_at) FROM marts.mrt_glucose_overview`, 10, admin);
      const [pgAgg] = await direct(`SELECT count(*)::text AS c, sum(amount)::text AS a, sum(n)::text AS n, count(label)::text AS l, count(DISTINCT label)::text AS dl,
        to_char(min(taken_tz) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS tz, to_char(max(taken_at), 'YYYY-MM-DD"T"HH24:MI:SS.US') AS ts FROM marts.mrt_glucose_overview`);
      const [c, a, n, l, dl, tz, ts] = duck.rows[0]!;
      expect(pgAgg).toEqual({ c: String(c), a: String(a), n: String(n), l: String(l), dl: String(dl), tz: String(tz).replace(/Z$/, '').padEnd(26, '0') + 'Z', ts: String(ts).padEnd(26, '0') });
      expect(await direct(`SELECT count(*)::text AS n FROM marts.mrt_empty`)).toEqual([{ n: '0' }]);
      expect(await direct(`SELECT to_regclass('marts.not_a_mart') IS NULL AS absent`)).toEqual([{ absent: true }]);
    });

    it('is a no-op for unchanged snapshots, and republishes a mart whose table moved on', async () => {
      const before = (await service.get('mrt_glucose_overview', viewer))!;
      const again = await service.publish({}, engineer);
      expect(again.find((m) => m.name === 'mrt_glucose_overview')).toEqual(before);

      await tables.write('append', { branch: 'main', table: 'marts.mrt_glucose_overview', rows: [{ id: 30001, label: 'late', reading_date: '2024-05-01' }] }, admin);
      const sub = bus.subscribe('martUpdated');
      await sub.ready;
      const out = await service.publish({ marts: ['mrt_glucose_overview'] }, engineer);
      expect((await sub.events.next()).value).toEqual({ name: 'mrt_glucose_overview' });
      await sub.events.return?.();
      expect(out).toHaveLength(1);
      expect(out[0]!.rowCount).toBe(30001n);
      expect(out[0]!.publishedFrom.snapshotId).not.toBe(before.publishedFrom.snapshotId);
      expect(out[0]!.publishedFrom.commitHash).toBe((await catalog.defaultBranch()).hash);
      expect((await service.rows('mrt_glucose_overview', { where: { label: { _eq: 'late' } } }, viewer)).rows).toMatchObject([{ id: '30001', reading_date: '2024-05-01', n: null }]);
      expect(sameFloat(await martRows())).toEqual(sameFloat(await icebergRows()));
    });

    it('publishes from another ref, and streams updates to subscribers', async () => {
      await catalog.createBranch('dev', 'main', admin);
      await tables.write('overwrite', { branch: 'dev', table: 'marts.mrt_glucose_overview', rows: [{ id: 1, label: 'only' }] }, admin);
      const updates = await service.updates('mrt_glucose_overview', viewer);
      const next = updates.next();
      const out = await service.publish({ from: 'dev', marts: ['mrt_glucose_overview'] }, engineer);
      expect(out[0]).toMatchObject({ rowCount: 1n, publishedFrom: { ref: 'dev', commitHash: (await catalog.resolve('dev')).hash } });
      expect((await next).value).toMatchObject({ name: 'mrt_glucose_overview', rowCount: 1n });
      await updates.return!();
      expect(await direct(`SELECT id::text AS id, label FROM marts.mrt_glucose_overview`)).toEqual([{ id: '1', label: 'only' }]);
      // Back to main's state.
      await service.publish({ marts: ['mrt_glucose_overview'] }, engineer);
      expect((await service.get('mrt_glucose_overview', viewer))!.rowCount).toBe(30001n);
    });

    it('refuses unknown marts and bad refs, and applies roles', async () => {
      expect(await codeOf(service.publish({ marts: ['nope'] }, engineer))).toBe('NOT_FOUND');
      expect(await codeOf(service.publish({ marts: ['not_a_mart'] }, engineer))).toBe('NOT_FOUND');
      expect(await codeOf(service.publish({ from: 'no-such-branch' }, engineer))).toBe('NOT_FOUND');
      expect(await codeOf(service.publish({ from: 'bad..ref' }, engineer))).toBe('INVALID_INPUT');
      expect(await codeOf(service.publish({}, viewer))).toBe('FORBIDDEN');
      expect(await codeOf(service.list(nobody))).toBe('FORBIDDEN');
      expect(await codeOf(service.rows('mrt_glucose_overview', {}, nobody))).toBe('FORBIDDEN');
      expect(await codeOf(service.aggregate('mrt_glucose_overview', {}, nobody))).toBe('FORBIDDEN');
      expect((await service.list(viewer)).map((m) => m.name)).toEqual(['mrt_empty', 'mrt_glucose_overview']);
      expect((await service.aggregate('mrt_glucose_overview', { n: { _eq: 3 } }, viewer)).count).toBe(
        (await direct(`SELECT count(*)::text AS c FROM marts.mrt_glucose_overview WHERE n = 3`))[0]!.c,
      );
      expect(await codeOf(service.rows('mrt_glucose_overview', { where: { n: { _eq: 'x' } } }, viewer))).toBe('INVALID_INPUT');
    });
  });
}
