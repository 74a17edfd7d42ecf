/**
 * Marts end to end through GraphQL, shared by the PGlite default and a real PostgreSQL: a WAP run
 * publishes marts.mrt_glucose_overview; it equals the Iceberg table at the merge commit row for row;
 * the typed root field and the generic Mart.rows/aggregate give the same answers as SQL run directly
 * on the database; a reader never sees a missing, empty or partial mart during a publish; a new mart
 * gets its typed field without a restart while an open subscription keeps streaming; bad input is a
 * validation error and changes nothing.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { pipelinesDir, startRun, waitForRun } from '../support/pipelines.js';
import type { SqlDatabase } from '../../src/adapters/sql/database.js';
import { parseTimestamp } from '../../src/domain/calendar.js';
import { uploadFile } from '../support/upload.js';

export interface MartsSuiteOptions {
  env: () => Record<string, string>;
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  /** SQL straight on the marts database (pg for PostgreSQL, the gateway's own PGlite otherwise). */
  direct: (g: Gateway) => SqlDatabase;
}

const GLUCOSE = `
import glucose from '${process.cwd()}/pipelines/glucose.ts';
export default glucose;
`;

/** A second mart, published on demand, to make the schema grow. */
const EXTRA = `
name: extra_mart
target: main
ingest:
  - name: load
    table: raw.extra_src
    columns: [{ name: id, type: long, required: true }, { name: label, type: string }, { name: price, type: "decimal(10,2)" }]
    source: { kind: rows, rows: [{ id: 1, label: a, price: "1.25" }, { id: 2, label: b, price: "2.50" }, { id: 3, label: null, price: null }] }
models:
  - name: mrt_extra
    table: marts.mrt_extra
    sql: "SELECT id, label, price FROM {{ source('raw', 'extra_src') }}"
publish: { merge: true, marts: true }
`;

export function describeMartsE2E(name: string, opts: MartsSuiteOptions): void {
  describe(`marts through GraphQL (${name})`, () => {
    let g: Gateway;
    let dir: string;
    beforeAll(async () => {
      await opts.before?.();
      dir = await pipelinesDir({ 'glucose.ts': GLUCOSE, 'extra.yaml': EXTRA });
      g = await startGateway({ ...opts.env(), PIPELINES_DIR: dir, RUN_POLL_MS: '200' });
      // The demo's namespaces come with CASCADE_DEMO; here the run creates what it needs.
      const run = await waitForRun(g, await startRun(g, 'glucose', { days: 5 }));
      expect(run.status, run.error).toBe('SUCCEEDED');
    }, 300_000);
    afterAll(async () => {
      await g?.stop();
      await fs.rm(dir, { recursive: true, force: true });
      await opts.after?.();
    });

    it('publishes the mart after the run merged: it equals the Iceberg table at the merge commit, row for row', async () => {
      const d = await g.data(`{
        defaultBranch { hash }
        mart(name: "mrt_glucose_overview") { name rowCount columns { name type nullable }
          publishedFrom { ref commitHash table snapshotId publishedAt } rows(first: 1000, orderBy: [{ column: "reading_date" }]) { rows } }
        table(name: "marts.mrt_glucose_overview") { currentSnapshot { snapshotId } rows(first: 1000, orderBy: [{ column: "reading_date" }]) { rows } }
      }`);
      expect(d.mart.publishedFrom).toMatchObject({ ref: 'main', commitHash: d.defaultBranch.hash, table: 'marts.mrt_glucose_overview', snapshotId: d.table.currentSnapshot.snapshotId });
      expect(d.mart.rowCount).toBe('5');
      expect(d.mart.columns.map((c: any) => `${c.name}:${c.type}`)).toEqual([
        'reading_date:date', 'reading_count:long', 'avg_glucose:double', 'min_glucose:int', 'max_glucose:int', 'pct_low:double', 'pct_in_range:double', 'pct_high:double',
      ]);
      expect(d.mart.rows.rows).toEqual(d.table.rows.rows);
      const events = (await g.data(`{ runs(pipeline: "glucose", first: 1) { nodes { events { type message } } } }`)).runs.nodes[0].events;
      expect(events.map((e: any) => e.type)).toContain('MARTS_PUBLISHED');
    });

    it('answers typed filters, ordering, paging and aggregates exactly as SQL on the database does', async () => {
      const db = opts.direct(g);
      const typed = await g.data(`{
        mrtGlucoseOverview(where: { _and: [{ reading_count: { _gte: "1" } }, { avg_glucose: { _gt: 50 } }], reading_date: { _neq: "2026-11-03" } },
          orderBy: [{ avg_glucose: DESC }], first: 2) { nodes { reading_date reading_count avg_glucose min_glucose } pageInfo { hasNextPage endCursor } totalCount }
        mrtGlucoseOverviewAggregate(where: { reading_date: { _in: ["2026-11-01", "2026-11-02"] } }) { count avg_glucose { sum avg min max } min_glucose { min max } }
      }`);
      const sql = await db.query<any>(
        `SELECT reading_date::text AS reading_date, reading_count::text AS reading_count, avg_glucose, min_glucose FROM marts.mrt_glucose_overview
         WHERE reading_count >= 1 AND avg_glucose > 50 AND reading_date <> '2026-11-03' ORDER BY avg_glucose DESC, __cascade_row`,
      );
      const expected = sql.rows.map((r) => ({ ...r, avg_glucose: Number(r.avg_glucose), min_glucose: Number(r.min_glucose) }));
      expect(typed.mrtGlucoseOverview.totalCount).toBe(String(expected.length));
      expect(typed.mrtGlucoseOverview.nodes).toEqual(expected.slice(0, 2));
      const next = await g.data(`query($a: String) { mrtGlucoseOverview(where: { _and: [{ reading_count: { _gte: "1" } }, { avg_glucose: { _gt: 50 } }], reading_date: { _neq: "2026-11-03" } },
          orderBy: [{ avg_glucose: DESC }], first: 10, after: $a) { nodes { reading_date reading_count avg_glucose min_glucose } } }`, { a: typed.mrtGlucoseOverview.pageInfo.endCursor });
      expect(next.mrtGlucoseOverview.nodes).toEqual(expected.slice(2));
      // first: 0 returns no rows but still says whether there are any
      const none = await g.data(`{ some: mrtGlucoseOverview(first: 0) { nodes { reading_date } pageInfo { hasNextPage } } no: mrtGlucoseOverview(first: 0, where: { reading_count: { _lt: "0" } }) { pageInfo { hasNextPage } }
        mart(name: "mrt_glucose_overview") { rows(first: 0) { rows pageInfo { hasNextPage } } } }`);
      expect(none).toEqual({ some: { nodes: [], pageInfo: { hasNextPage: true } }, no: { pageInfo: { hasNextPage: false } }, mart: { rows: { rows: [], pageInfo: { hasNextPage: true } } } });

      const agg = (await db.query<any>(
        `SELECT count(*)::text AS n, sum(avg_glucose) AS s, avg(avg_glucose) AS a, min(avg_glucose) AS mi, max(avg_glucose) AS ma, min(min_glucose) AS mn, max(min_glucose) AS mx
         FROM marts.mrt_glucose_overview WHERE reading_date IN ('2026-11-01', '2026-11-02')`,
      )).rows[0];
      const a = typed.mrtGlucoseOverviewAggregate;
      expect(a.count).toBe(agg.n);
      expect(a.avg_glucose.sum).toBeCloseTo(Number(agg.s), 9);
      expect(a.avg_glucose.avg).toBeCloseTo(Number(agg.a), 9);
      expect([a.avg_glucose.min, a.avg_glucose.max]).toEqual([Number(agg.mi), Number(agg.ma)]);
      expect([Number(a.min_glucose.min), Number(a.min_glucose.max)]).toEqual([Number(agg.mn), Number(agg.mx)]);

      // The generic field takes the same operator objects.
      const generic = await g.data(`{ mart(name: "mrt_glucose_overview") {
        rows(where: { reading_date: { _neq: "2026-11-03" }, avg_glucose: { _gt: 50 } }, orderBy: [{ column: "avg_glucose", direction: DESC }], first: 2) { rows }
        aggregate(where: { reading_date: { _in: ["2026-11-01", "2026-11-02"] } }) } }`);
      expect(generic.mart.rows.rows.map((r: any) => r.reading_date)).toEqual(expected.slice(0, 2).map((r) => r.reading_date));
      expect(generic.mart.aggregate.count).toBe(agg.n);
    });

    it('answers the same rows over every transport: a plain POST, yoga (a browser request with an Origin), GET and graphql-ws', async () => {
      const query = `{ mart(name: "mrt_glucose_overview") { rows(orderBy: [{ column: "reading_date" }], first: 100) { rows } } }`;
      // The plain POST is answered directly, with the rows' JSON as PostgreSQL wrote it.
      const direct = (await g.data(query)).mart.rows.rows;
      expect(direct).toHaveLength(5);
      const browser = await fetch(`${g.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', origin: 'http://localhost:3000' },
        body: JSON.stringify({ query }),
      });
      expect(((await browser.json()) as any).data.mart.rows.rows).toEqual(direct);
      const get = await fetch(`${g.url}/graphql?query=${encodeURIComponent(query)}`, { headers: { accept: 'application/json' } });
      expect(((await get.json()) as any).data.mart.rows.rows).toEqual(direct);
      const overWs = await new Promise<any>((resolve, reject) => {
        let last: unknown;
        g.ws().subscribe({ query }, { next: (v) => (last = v), error: reject, complete: () => resolve(last) });
      });
      expect(overWs.data.mart.rows.rows).toEqual(direct);
    });

    it('refuses unknown columns, wrong types and injection attempts with validation errors, and changes nothing', async () => {
      const before = await g.data(`{ mart(name: "mrt_glucose_overview") { rowCount publishedFrom { publishedAt } } }`);
      const bad = [
        `{ mart(name: "mrt_glucose_overview") { rows(where: { nope: { _eq: 1 } }) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(orderBy: [{ column: "nope" }]) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(where: { reading_count: { _eq: "1; DROP TABLE marts.mrt_glucose_overview" } }) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(where: { reading_date: { _eq: "2026-11-01' OR '1'='1" } }) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(where: { reading_date: { "_eq) OR 1=1 --": "x" } }) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(where: { "reading_date\\" OR 1=1 --": { _eq: "x" } }) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(orderBy: [{ column: "reading_date; DROP TABLE x" }]) { rows } } }`,
        `{ mart(name: "mrt_glucose_overview") { aggregate(where: { avg_glucose: { _gt: "lots" } }) } }`,
        `{ mart(name: "mrt_glucose_overview") { rows(after: "not-a-cursor") { rows } } }`,
        `{ mrtGlucoseOverview(where: { reading_count: { _eq: "x" } }) { nodes { reading_date } } }`,
        `{ mrtGlucoseOverview(orderBy: [{ reading_date: DESC, avg_glucose: ASC }]) { nodes { reading_date } } }`,
        `{ mrtGlucoseOverview(first: -1) { nodes { reading_date } } }`,
      ];
      for (const q of bad) {
        const r = await g.gql(q);
        expect(r.errors?.length, q).toBeGreaterThan(0);
        expect(['INVALID_INPUT', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(r.errors![0].extensions?.code);
      }
      const unknown = await g.gql(`{ mart(name: "no_such_mart") { name } }`);
      expect(unknown.data?.mart).toBeNull();
      const after = await g.data(`{ mart(name: "mrt_glucose_overview") { rowCount publishedFrom { publishedAt } } }`);
      expect(after).toEqual(before);
      expect((await opts.direct(g).query<any>(`SELECT count(*)::int AS n FROM marts.mrt_glucose_overview`)).rows[0].n).toBe(5);
    });

    it('publishes a new mart without a restart: its typed field appears, open subscriptions keep streaming, readers never see a partial mart', async () => {
      const ws = g.ws();
      const refs = subscribe(ws, `subscription { referenceUpdated(names: ["main"]) { name kind } }`);
      const marts = subscribe(ws, `subscription { martUpdated { name rowCount } }`);
      await new Promise((r) => setTimeout(r, 300));
      const before = await g.gql(`{ mrtExtra { nodes { id } } }`);
      expect(before.errors?.[0]?.message).toMatch(/mrtExtra/);

      // A reader in a loop during the publish: the glucose mart is always complete.
      let stop = false;
      const seen = new Set<string>();
      const problems: unknown[] = [];
      const reader = (async () => {
        while (!stop) {
          const r = await g.gql(`{ mart(name: "mrt_glucose_overview") { rowCount rows(first: 1000, orderBy: [{ column: "reading_date" }]) { rows } } }`);
          if (r.errors) problems.push(r.errors);
          // Each read of the rows is one statement: all old (5 days) or all new (6 days).
          else seen.add(`${r.data.mart.rowCount}:${r.data.mart.rows.rows.map((x: any) => x.reading_date.slice(8)).join(',')}`);
        }
      })();
      const run = await waitForRun(g, await startRun(g, 'extra_mart'));
      expect(run.status, run.error).toBe('SUCCEEDED');
      const again = await waitForRun(g, await startRun(g, 'glucose', { days: 6 }));
      expect(again.status, again.error).toBe('SUCCEEDED');
      stop = true;
      await reader;
      expect(problems).toEqual([]);
      const complete = (s: string) => /^[56]:01,02,03,04,05(,06)?$/.test(s);
      expect([...seen].filter((s) => !complete(s))).toEqual([]);
      expect(seen.size).toBeGreaterThan(0);

      await eventually(() => marts.events.length >= 2, 10_000);
      expect(marts.events.map((e) => e.martUpdated.name)).toEqual(expect.arrayContaining(['mrt_extra', 'mrt_glucose_overview']));
      const typed = await g.data(`{ mrtExtra(orderBy: [{ id: ASC }]) { nodes { id label price } } mrtExtraAggregate { count price { sum min max } } }`);
      expect(typed.mrtExtra.nodes).toEqual([{ id: '1', label: 'a', price: '1.25' }, { id: '2', label: 'b', price: '2.50' }, { id: '3', label: null, price: null }]);
      expect(typed.mrtExtraAggregate.count).toBe('3');
      expect(Number(typed.mrtExtraAggregate.price.sum)).toBe(3.75);
      // The subscription opened before the rebuild saw both merges into main.
      await eventually(() => refs.events.length >= 2, 10_000);
      expect(refs.errors).toEqual([]);
      expect(refs.events.filter((e) => e.referenceUpdated.kind === 'MERGED').length).toBeGreaterThanOrEqual(2);
    });

    it('republishing the same snapshot is a no-op', async () => {
      const before = await g.data(`{ mart(name: "mrt_glucose_overview") { publishedFrom { publishedAt snapshotId } } }`);
      const r = await g.data(`mutation { publishMarts { __typename ... on PublishMartsSuccess { marts { name publishedFrom { publishedAt snapshotId } } } } }`);
      expect(r.publishMarts.__typename).toBe('PublishMartsSuccess');
      const same = r.publishMarts.marts.find((m: any) => m.name === 'mrt_glucose_overview');
      expect(same.publishedFrom).toEqual(before.mart.publishedFrom);
      const missing = await g.data(`mutation { publishMarts(marts: ["nope"]) { __typename ... on Error { code } } }`);
      expect(missing.publishMarts).toEqual({ __typename: 'NotFound', code: 'NOT_FOUND' });
    });

    it('carries dates and timestamps before 1 AD and past 9999 exactly from a Parquet file through the table, its filters and pages, into the mart', async () => {
      // Another writer's file (DuckDB here): Spark and Java write such values too.
      const file = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-dates-')), 'dates.parquet');
      const duck = await (await DuckDBInstance.create(':memory:')).connect();
      await duck.run(`COPY (SELECT * FROM (VALUES
          (1::BIGINT, DATE '2020-01-02', TIMESTAMP '2020-01-02 03:04:05.5', TIMESTAMPTZ '2020-01-02 03:04:05+00'),
          (2, DATE '10000-01-02', TIMESTAMP '12020-01-02 03:04:05.5', TIMESTAMPTZ '12020-01-02 03:04:05+00'),
          (3, DATE '0044-03-15 (BC)', TIMESTAMP '0044-03-15 (BC) 10:00:00.25', TIMESTAMPTZ '0044-03-15 (BC) 10:00:00+00'),
          (4, DATE '0001-01-01', TIMESTAMP '0001-12-31 (BC) 23:59:59', TIMESTAMPTZ '0001-01-01 00:00:00+00')) t(id, d, ts, tz))
        TO '${file}' (FORMAT parquet)`);
      duck.closeSync();
      const columns = [{ name: 'id', type: 'long', required: true }, { name: 'd', type: 'date' }, { name: 'ts', type: 'timestamp' }, { name: 'tz', type: 'timestamptz' }];
      const created = await g.data(`mutation($c: [ColumnInput!]!) { createTable(branch: "main", name: "marts.dates_edge", columns: $c) { __typename } }`, { c: columns });
      expect(created.createTable.__typename).toBe('CreateTableSuccess');
      const append = `mutation($f: File) { appendRows(branch: "main", table: "marts.dates_edge", file: $f, format: PARQUET) { __typename ... on WriteSuccess { addedRows } ... on Error { message } } }`;
      const written = await uploadFile(g.url, append, {}, { name: 'dates.parquet', content: new Uint8Array(await fs.readFile(file)), variable: 'f' });
      expect(written.data?.appendRows).toEqual({ __typename: 'WriteSuccess', addedRows: '4' });

      const want = [
        { id: '1', d: '2020-01-02', ts: '2020-01-02T03:04:05.500000', tz: '2020-01-02T03:04:05Z' },
        { id: '2', d: '10000-01-02', ts: '12020-01-02T03:04:05.500000', tz: '12020-01-02T03:04:05Z' },
        { id: '3', d: '-0043-03-15', ts: '-0043-03-15T10:00:00.250000', tz: '-0043-03-15T10:00:00Z' },
        { id: '4', d: '0001-01-01', ts: '0000-12-31T23:59:59', tz: '0001-01-01T00:00:00Z' },
      ];
      const tableRows = (args: string) => g.data(`{ table(name: "marts.dates_edge", ref: "main") { rows(${args}) { rows } } }`).then((r) => r.table.rows);
      const martRows = (args: string) => g.data(`{ mart(name: "dates_edge") { rows(${args}) { rows } } }`).then((r) => r.mart.rows);
      expect((await tableRows('orderBy: [{ column: "id" }]')).rows).toEqual(want);
      const published = await g.data(`mutation { publishMarts(marts: ["dates_edge"]) { __typename } }`);
      expect(published.publishMarts.__typename).toBe('PublishMartsSuccess');
      expect((await martRows('orderBy: [{ column: "id" }]')).rows).toEqual(want);

      // The values read back filter both sides alike, in ISO, signed or engine-style years.
      const filters: [string, string[]][] = [
        ['{ d: { _lt: "0001-01-01" } }', ['3']],
        ['{ d: { _eq: "-0043-03-15" } }', ['3']],
        ['{ d: { _gte: "+010000-01-01" } }', ['2']],
        ['{ d: { _gte: "10000-01-01" } }', ['2']],
        ['{ ts: { _lt: "0001-01-01T00:00:00" } }', ['3', '4']],
        ['{ tz: { _eq: "-0043-03-15T12:00:00+02:00" } }', ['3']],
        ['{ tz: { _gt: "9999-12-31T23:59:59.999999Z" } }', ['2']],
      ];
      for (const [where, ids] of filters) {
        const args = `where: ${where}, orderBy: [{ column: "id" }]`;
        expect((await tableRows(args)).rows.map((r: any) => r.id), `table ${where}`).toEqual(ids);
        expect((await martRows(args)).rows.map((r: any) => r.id), `mart ${where}`).toEqual(ids);
      }
      const refused = await g.gql(`{ mart(name: "dates_edge") { rows(where: { d: { _eq: "0044-03-15 BC" } }) { rows } } }`);
      expect(refused.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');

      // Paging one row at a time by each date column: the cursors hold these values too.
      const field = { table: 'table(name: "marts.dates_edge", ref: "main")', mart: 'mart(name: "dates_edge")' };
      for (const column of ['d', 'ts', 'tz'] as const) {
        const order = [...want].sort((a, b) => (parseTimestamp(a[column])!.micros < parseTimestamp(b[column])!.micros ? -1 : 1)).map((r) => r.id);
        for (const side of ['table', 'mart'] as const) {
          const ids: string[] = [];
          let after: string | null = null;
          for (let i = 0; i < 5; i++) {
            const q = `query($a: String) { ${field[side]} { rows(first: 1, after: $a, orderBy: [{ column: "${column}" }]) { rows pageInfo { endCursor hasNextPage } } } }`;
            const page: { rows: { id: string }[]; pageInfo: { endCursor: string; hasNextPage: boolean } } = (await g.data(q, { a: after }))[side].rows;
            ids.push(...page.rows.map((r: any) => r.id));
            if (!page.pageInfo.hasNextPage) break;
            after = page.pageInfo.endCursor;
          }
          expect(ids, `${side} by ${column}`).toEqual(order);
        }
      }
      await fs.rm(path.dirname(file), { recursive: true, force: true });
    });
  });
}
