/**
 * Iceberg tables through GraphQL, end to end: create, append (JSON and uploads), read at refs,
 * snapshots and times, SQL, overwrite, schema evolution, rollback, compare, branch isolation,
 * concurrency and bad input. Shared by every version-store backend and storage setup.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { uploadFile } from '../support/upload.js';
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A Parquet file of the rows, written by DuckDB (as a user's own tool would). */
async function parquetOf(rows: Record<string, unknown>[]): Promise<Uint8Array> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-pq-'));
  const json = path.join(dir, 'rows.json');
  await fs.writeFile(json, JSON.stringify(rows));
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(`COPY (SELECT id::BIGINT AS id, sgv::INT AS sgv, direction, ts::TIMESTAMPTZ AS ts FROM read_json('${json}')) TO '${dir}/rows.parquet' (FORMAT parquet)`);
  conn.closeSync();
  const bytes = new Uint8Array(await fs.readFile(`${dir}/rows.parquet`));
  await fs.rm(dir, { recursive: true, force: true });
  return bytes;
}

const RUN = randomBytes(3).toString('hex');
let seq = 0;
const unique = (label: string) => `t${RUN}_${++seq}_${label}`;

const CREATE = `mutation($b: String!, $n: String!, $c: [ColumnInput!]!, $p: [PartitionFieldInput!], $h: String) {
  createTable(branch: $b, name: $n, columns: $c, partitionBy: $p, expectedHash: $h) {
    __typename
    ... on CreateTableSuccess { table { name namespace contentId formatVersion schema { fields { id name type required } } partitionSpec { fields { name transform } } } commit { hash } }
    ... on Error { code message }
  }
}`;
const APPEND = `mutation($b: String!, $t: String!, $rows: JSON, $h: String) {
  appendRows(branch: $b, table: $t, rows: $rows, expectedHash: $h) {
    __typename
    ... on WriteSuccess { addedRows commit { hash } snapshot { snapshotId timestamp totalRows } }
    ... on ReferenceConflict { expectedHash actualHash }
    ... on SchemaMismatch { column }
    ... on Error { code message }
  }
}`;
const ROWS = `query($r: String, $t: String!, $s: BigInt, $at: DateTime, $w: JSON, $o: [OrderByInput!], $f: Int, $a: String) {
  table(name: $t, ref: $r) { rows(snapshotId: $s, asOf: $at, where: $w, orderBy: $o, first: $f, after: $a) { columns rows totalCount pageInfo { hasNextPage endCursor } } }
}`;
const COLUMNS = [
  { name: 'id', type: 'long', required: true },
  { name: 'sgv', type: 'int' },
  { name: 'direction', type: 'string' },
  { name: 'ts', type: 'timestamptz' },
];

/** `env`: the gateway's environment for the setup under test (a storage setup may need to make its bucket first). */
export function describeTablesE2E(name: string, env: () => Record<string, string> | Promise<Record<string, string>>) {
  describe(`Iceberg tables through GraphQL on ${name}`, () => {
    let g: Gateway;
    let branch: string;
    const ns = `ns${RUN}`;
    beforeAll(async () => {
      g = await startGateway(await env());
      branch = unique('br');
      await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch });
      const r = await g.data(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: branch, n: ns });
      expect(r.createNamespace.__typename).toBe('CreateNamespaceSuccess');
    });
    afterAll(async () => g?.stop());

    const head = async (b: string) => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b })).branch.hash as string;
    const rowsOf = async (vars: Record<string, unknown>) => (await g.data(ROWS, { f: 1000, ...vars })).table.rows;
    const ids = (rows: any[]) => rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    const batch = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ id: from + i, sgv: 80 + ((from + i) % 150), direction: i % 2 ? 'Flat' : 'FortyFiveUp', ts: new Date(Date.UTC(2026, 0, 1) + (from + i) * 300_000).toISOString() }));

    async function createTable(label: string, columns = COLUMNS, partitionBy?: unknown) {
      const t = `${ns}.${unique(label)}`;
      const r = await g.data(CREATE, { b: branch, n: t, c: columns, p: partitionBy ?? null });
      expect(r.createTable.__typename, JSON.stringify(r.createTable)).toBe('CreateTableSuccess');
      return t;
    }

    it('creates a table with a schema and a partition spec', async () => {
      const t = `${ns}.${unique('created')}`;
      const r = await g.data(CREATE, { b: branch, n: t, c: COLUMNS, p: [{ column: 'ts', transform: 'day' }] });
      expect(r.createTable.table).toMatchObject({
        formatVersion: 2,
        namespace: ns,
        schema: { fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'sgv', type: 'int', required: false }, { name: 'direction' }, { name: 'ts', type: 'timestamptz' }] },
        partitionSpec: { fields: [{ name: 'ts_day', transform: 'day' }] },
      });
      expect(r.createTable.table.contentId).toMatch(/^[0-9a-f-]{36}$/);
      const again = await g.data(CREATE, { b: branch, n: t, c: COLUMNS });
      expect(again.createTable.code).toBe('ALREADY_EXISTS');
    });

    it('takes only partition specs every engine reads: transforms as Iceberg writes them, unique field names, nothing redundant', async () => {
      const spaced = await g.data(CREATE, { b: branch, n: `${ns}.${unique('spec')}`, c: COLUMNS, p: [{ column: 'id', transform: ' Bucket[ 16 ] ' }, { column: 'ts', transform: 'DAY' }, { column: 'id', transform: 'truncate[10]' }] });
      expect(spaced.createTable.table.partitionSpec.fields).toEqual([
        { name: 'id_bucket', transform: 'bucket[16]' },
        { name: 'ts_day', transform: 'day' },
        { name: 'id_trunc', transform: 'truncate[10]' },
      ]);
      const before = await head(branch);
      const withColumn = [...COLUMNS, { name: 'sgv_bucket', type: 'int' }];
      const bad: [unknown[], typeof COLUMNS, string][] = [
        [[{ column: 'id', transform: 'identity' }, { column: 'id', transform: 'identity' }], COLUMNS, "partitionBy[1]: identity of 'id' is redundant with partitionBy[0] (the same transform of the same column twice)"],
        [[{ column: 'ts', transform: 'day' }, { column: 'ts', transform: 'hour' }], COLUMNS, "partitionBy[1]: hour of 'ts' is redundant with partitionBy[0] (a column takes at most one of year, month, day and hour)"],
        [[{ column: 'id', transform: 'bucket[4]' }, { column: 'id', transform: 'bucket[8]' }], COLUMNS, "partitionBy[1]: its field name 'id_bucket' is already that of partitionBy[0]"],
        [[{ column: 'sgv', transform: 'bucket[4]' }], withColumn, "partitionBy[0]: its field name 'sgv_bucket' is the name of a column; rename that column"],
        [[{ column: 'id', transform: 'year' }], COLUMNS, 'partitionBy[0]: transform year cannot be applied to long'],
      ];
      for (const [p, c, message] of bad) {
        const r = await g.data(CREATE, { b: branch, n: `${ns}.${unique('spec')}`, c, p });
        expect(r.createTable, JSON.stringify(p)).toEqual({ __typename: 'InvalidInput', code: 'INVALID_INPUT', message });
      }
      expect(await head(branch)).toBe(before);
    });

    it('time-travels: appends A, B, C read back exactly at each snapshot and time; rollback to A then D gives A+D', async () => {
      const t = await createTable('tt');
      const snaps: { id: string; at: string }[] = [];
      for (const [i, rows] of [batch(0, 5), batch(5, 7), batch(12, 3)].entries()) {
        const r = await g.data(APPEND, { b: branch, t, rows });
        expect(r.appendRows.__typename, JSON.stringify(r.appendRows)).toBe('WriteSuccess');
        expect(r.appendRows.addedRows).toBe(String(rows.length));
        snaps.push({ id: r.appendRows.snapshot.snapshotId, at: r.appendRows.snapshot.timestamp });
        if (i < 2) await new Promise((res) => setTimeout(res, 20));
      }
      const expected = [ids(batch(0, 5)), ids(batch(0, 12)), ids(batch(0, 15))];
      for (const [i, s] of snaps.entries()) {
        expect(ids((await rowsOf({ r: branch, t, s: s.id })).rows)).toEqual(expected[i]);
        const between = new Date(Date.parse(s.at) + 5).toISOString();
        expect(ids((await rowsOf({ r: branch, t, at: between })).rows)).toEqual(expected[i]);
      }
      const sql = await g.data(`query($r: String!, $q: String!) { sql(ref: $r, query: $q) { columns { name } rows rowCount } }`, {
        r: branch,
        q: `SELECT count(*) AS n, sum(sgv) AS s FROM ${t}`,
      });
      expect(sql.sql.rows[0][0]).toBe('15');
      const rb = await g.data(`mutation($b: String!, $t: String!, $s: BigInt) { rollbackTable(branch: $b, table: $t, toSnapshotId: $s) { __typename ... on Error { code message } } }`, { b: branch, t, s: snaps[0]!.id });
      expect(rb.rollbackTable.__typename).toBe('RollbackTableSuccess');
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual(expected[0]);
      await g.data(APPEND, { b: branch, t, rows: batch(100, 2) });
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([...expected[0]!, 100, 101]);
      const list = await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { snapshots(first: 100) { nodes { snapshotId operation } } } }`, { r: branch, t });
      expect(list.table.snapshots.nodes).toHaveLength(4);
      for (const s of snaps) expect(list.table.snapshots.nodes.map((n: any) => n.snapshotId)).toContain(s.id);
    });

    it("tags snapshots in the table's own metadata, reads and rolls back by tag, removes tags, and sets retention properties; bad input changes nothing", async () => {
      const t = await createTable('refs');
      const snaps: string[] = [];
      for (const rows of [batch(0, 2), batch(2, 3), batch(5, 1)]) snaps.push((await g.data(APPEND, { b: branch, t, rows })).appendRows.snapshot.snapshotId);
      const TAG = `mutation($b: String!, $t: String!, $n: String!, $s: BigInt!, $age: BigInt) {
        tagSnapshot(branch: $b, table: $t, name: $n, snapshotId: $s, maxRefAgeMs: $age) { __typename ... on TagSnapshotSuccess { commit { hash } } ... on Error { code message } } }`;
      const REFS = `query($r: String, $t: String!) { table(name: $t, ref: $r) { snapshotRefs { name type snapshotId maxRefAgeMs maxSnapshotAgeMs minSnapshotsToKeep } properties currentSnapshot { snapshotId } } }`;
      const tagged = await g.data(TAG, { b: branch, t, n: 'first', s: snaps[0], age: '86400000' });
      expect(tagged.tagSnapshot.__typename, JSON.stringify(tagged)).toBe('TagSnapshotSuccess');
      expect((await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b: branch })).branch.hash).toBe(tagged.tagSnapshot.commit.hash);
      expect((await g.data(REFS, { r: branch, t })).table.snapshotRefs).toEqual([
        { name: 'main', type: 'BRANCH', snapshotId: snaps[2], maxRefAgeMs: null, maxSnapshotAgeMs: null, minSnapshotsToKeep: null },
        { name: 'first', type: 'TAG', snapshotId: snaps[0], maxRefAgeMs: '86400000', maxSnapshotAgeMs: null, minSnapshotsToKeep: null },
      ]);
      const byRef = await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { rows(snapshotRef: "first") { rows } } }`, { r: branch, t });
      expect(ids(byRef.table.rows.rows)).toEqual(ids(batch(0, 2)));

      // Bad input: typed errors, and the branch does not move.
      const head = async () => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b: branch })).branch.hash;
      const before = await head();
      expect((await g.data(TAG, { b: branch, t, n: 'first', s: snaps[1] })).tagSnapshot.code).toBe('ALREADY_EXISTS');
      expect((await g.data(TAG, { b: branch, t, n: 'nope', s: '12345' })).tagSnapshot.code).toBe('NOT_FOUND');
      expect((await g.data(TAG, { b: branch, t, n: 'bad name!', s: snaps[1] })).tagSnapshot.code).toBe('INVALID_INPUT');
      expect((await g.data(TAG, { b: branch, t, n: 'young', s: snaps[1], age: '0' })).tagSnapshot.code).toBe('INVALID_INPUT');
      const SET = `mutation($b: String!, $t: String!, $set: JSON) { setTableProperties(branch: $b, table: $t, set: $set) { __typename ... on Error { code message } } }`;
      const badProps = await g.data(SET, { b: branch, t, set: { 'history.expire.min-snapshots-to-keep': 'many' } });
      expect(badProps.setTableProperties.code).toBe('INVALID_INPUT');
      const noRef = await g.gql(`query($r: String, $t: String!) { table(name: $t, ref: $r) { rows(snapshotRef: "missing") { rows } } }`, { r: branch, t });
      expect(noRef.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const removeMain = await g.data(`mutation($b: String!, $t: String!) { removeSnapshotRef(branch: $b, table: $t, name: "main") { __typename ... on Error { code } } }`, { b: branch, t });
      expect(removeMain.removeSnapshotRef.code).toBe('INVALID_INPUT');
      expect(await head()).toBe(before);

      const props = await g.data(SET, { b: branch, t, set: { 'history.expire.min-snapshots-to-keep': 2, 'history.expire.max-snapshot-age-ms': '3600000', owner: 'team-a' } });
      expect(props.setTableProperties.__typename, JSON.stringify(props)).toBe('SetTablePropertiesSuccess');
      const unset = await g.data(`mutation($b: String!, $t: String!) { setTableProperties(branch: $b, table: $t, remove: ["owner"]) { __typename } }`, { b: branch, t });
      expect(unset.setTableProperties.__typename).toBe('SetTablePropertiesSuccess');
      expect((await g.data(REFS, { r: branch, t })).table.properties).toMatchObject({ 'history.expire.min-snapshots-to-keep': '2', 'history.expire.max-snapshot-age-ms': '3600000' });
      expect((await g.data(REFS, { r: branch, t })).table.properties.owner).toBeUndefined();

      const rb = await g.data(`mutation($b: String!, $t: String!) { rollbackTable(branch: $b, table: $t, toSnapshotRef: "first") { __typename ... on Error { message } } }`, { b: branch, t });
      expect(rb.rollbackTable.__typename).toBe('RollbackTableSuccess');
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual(ids(batch(0, 2)));
      const removed = await g.data(`mutation($b: String!, $t: String!) { removeSnapshotRef(branch: $b, table: $t, name: "first") { __typename } }`, { b: branch, t });
      expect(removed.removeSnapshotRef.__typename).toBe('RemoveSnapshotRefSuccess');
      const after = (await g.data(REFS, { r: branch, t })).table;
      expect(after.snapshotRefs.map((r: any) => r.name)).toEqual(['main']);
      expect(after.currentSnapshot.snapshotId).toBe(snaps[0]);
    });

    it('filters, orders and pages rows with keyset cursors', async () => {
      const t = await createTable('page');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 30) });
      await g.data(APPEND, { b: branch, t, rows: batch(30, 30) });
      const seen: number[] = [];
      let after: string | null = null;
      for (let i = 0; i < 20; i++) {
        const page: any = await rowsOf({ r: branch, t, f: 7, a: after, o: [{ column: 'direction', direction: 'DESC' }, { column: 'id' }], w: { sgv: { _gte: 100 } } });
        seen.push(...page.rows.map((r: any) => Number(r.id)));
        expect(page.totalCount).toBe(String(batch(0, 60).filter((r) => r.sgv >= 100).length));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      const want = batch(0, 60).filter((r) => r.sgv >= 100).sort((a, b) => (a.direction === b.direction ? a.id - b.id : a.direction < b.direction ? 1 : -1)).map((r) => r.id);
      expect(seen).toEqual(want);
      // first: 0 returns no rows but still says whether there are any
      for (const [w, more] of [[{ sgv: { _gte: 100 } }, true], [{ sgv: { _lt: -1 } }, false]] as const) {
        for (const o of [undefined, [{ column: 'id' }]]) {
          const empty: any = await rowsOf({ r: branch, t, f: 0, w, o });
          expect(empty.rows).toEqual([]);
          expect(empty.pageInfo, JSON.stringify({ w, o })).toEqual({ hasNextPage: more, endCursor: null });
        }
      }
    });

    it('keeps branches isolated until a merge', async () => {
      const t = await createTable('iso');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 3) });
      const dev = unique('dev');
      await g.data(`mutation($n: String!, $f: String) { createBranch(name: $n, from: $f) { __typename } }`, { n: dev, f: branch });
      await g.data(APPEND, { b: dev, t, rows: batch(3, 4) });
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([0, 1, 2]);
      expect(ids((await rowsOf({ r: dev, t })).rows)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const m = await g.data(`mutation($f: String!, $i: String!) { merge(from: $f, into: $i) { __typename } }`, { f: dev, i: branch });
      expect(m.merge.__typename).toBe('MergeSuccess');
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    });

    it('never loses rows under concurrent appends: each call commits or returns ReferenceConflict', async () => {
      const t = await createTable('conc');
      const h = await head(branch);
      const guarded = await Promise.all(Array.from({ length: 8 }, (_, i) => g.data(APPEND, { b: branch, t, rows: batch(1000 + i * 10, 2), h })));
      const kinds = guarded.map((r) => r.appendRows.__typename);
      expect(kinds.filter((k) => k === 'WriteSuccess')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'ReferenceConflict')).toHaveLength(7);
      const free = await Promise.all(Array.from({ length: 8 }, (_, i) => g.data(APPEND, { b: branch, t, rows: batch(2000 + i * 10, 3) })));
      const ok = free.filter((r) => r.appendRows.__typename === 'WriteSuccess').length;
      for (const r of free) expect(['WriteSuccess', 'ReferenceConflict']).toContain(r.appendRows.__typename);
      const total = (await rowsOf({ r: branch, t })).rows.length;
      expect(total).toBe(2 + ok * 3);
    });

    it('takes NDJSON, CSV and Parquet uploads', async () => {
      const t = await createTable('upload');
      const q = `mutation($b: String!, $t: String!, $file: File, $fmt: DataFormat) { appendRows(branch: $b, table: $t, file: $file, format: $fmt) { __typename ... on WriteSuccess { addedRows } ... on Error { code message } } }`;
      const nd = batch(0, 3).map((r) => JSON.stringify(r)).join('\n');
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'a.ndjson', content: nd })).data?.appendRows).toMatchObject({ addedRows: '3' });
      const csv = `id,sgv,direction,ts\n${batch(3, 2).map((r) => `${r.id},${r.sgv},${r.direction},${r.ts}`).join('\n')}\n`;
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'b.csv', content: csv })).data?.appendRows).toMatchObject({ addedRows: '2' });
      const pq = await parquetOf(batch(5, 4));
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'c.parquet', content: pq })).data?.appendRows).toMatchObject({ addedRows: '4' });
      const notCsv = await uploadFile(g.url, q, { b: branch, t, fmt: 'CSV' }, { name: 'c.bin', content: new Uint8Array([0, 159, 146, 150, 0, 1, 2]) });
      expect(['INVALID_INPUT', 'SCHEMA_MISMATCH']).toContain(notCsv.data?.appendRows?.code);
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('writes dates and times exactly: years before 1 AD and past 9999 from JSON and CSV, and refuses text with anything after the value', async () => {
      const t = await createTable('dates', [
        { name: 'id', type: 'long', required: true }, { name: 'd', type: 'date' }, { name: 'tm', type: 'time' }, { name: 'ts', type: 'timestamp' },
      ]);
      const rows = [
        { id: 1, d: '-0043-03-15', tm: '10:00:00', ts: '-0043-03-15T10:00:00.25' },
        { id: 2, d: '0044-03-15 (BC)', tm: '23:59:59.999999', ts: '0044-03-15 (BC) 10:00:00.25' },
        { id: 3, d: '12020-01-02', tm: null, ts: '12020-01-02T03:04:05' },
      ];
      expect((await g.data(APPEND, { b: branch, t, rows })).appendRows.__typename).toBe('WriteSuccess');
      const csv = `id,d,tm,ts\n4,0000-12-31,00:00:01,0000-12-31 23:59:59\n`;
      const q = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { __typename ... on Error { code message } } }`;
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'd.csv', content: csv })).data?.appendRows.__typename).toBe('WriteSuccess');
      expect((await rowsOf({ r: branch, t, o: [{ column: 'id' }] })).rows).toEqual([
        { id: '1', d: '-0043-03-15', tm: '10:00:00', ts: '-0043-03-15T10:00:00.250000' },
        { id: '2', d: '-0043-03-15', tm: '23:59:59.999999', ts: '-0043-03-15T10:00:00.250000' },
        { id: '3', d: '12020-01-02', tm: null, ts: '12020-01-02T03:04:05' },
        { id: '4', d: '0000-12-31', tm: '00:00:01', ts: '0000-12-31T23:59:59' },
      ]);
      const before = await head(branch);
      // DuckDB alone would read '0044-03-15 BC' as AD 44 and drop the time from a timestamp given for a date.
      for (const bad of [{ d: '0044-03-15 BC' }, { d: '2020-01-01T10:00:00Z' }, { d: '2020-01-01 garbage' }, { tm: '10:00:00 PM' }, { tm: '24:00:00' }, { d: '2021-02-29' }]) {
        const r = await g.data(APPEND, { b: branch, t, rows: [{ id: 9, ...bad }] });
        expect(r.appendRows.code, JSON.stringify(bad)).toBe('SCHEMA_MISMATCH');
        expect(r.appendRows.message).toContain(`do not convert to ${'d' in bad ? 'date' : 'time'}`);
      }
      // the same from a Parquet file whose date column holds strings
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-pq-'));
      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      await conn.run(`COPY (SELECT 9::BIGINT AS id, '0044-03-15 BC' AS d) TO '${dir}/s.parquet' (FORMAT parquet)`);
      conn.closeSync();
      const q2 = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { __typename ... on Error { code message } } }`;
      const pq = new Uint8Array(await fs.readFile(`${dir}/s.parquet`));
      expect((await uploadFile(g.url, q2, { b: branch, t }, { name: 's.parquet', content: pq })).data?.appendRows.code).toBe('SCHEMA_MISMATCH');
      await fs.rm(dir, { recursive: true, force: true });
      expect(await head(branch)).toBe(before);
    });

    it('refuses decimals with more fraction digits than the column keeps instead of rounding them', async () => {
      const t = await createTable('decimals', [{ name: 'id', type: 'long', required: true }, { name: 'amount', type: 'decimal(10,2)' }]);
      const fit = [{ id: 1, amount: '1.50' }, { id: 2, amount: '-0.10000' }, { id: 3, amount: 12345678.9 }, { id: 4, amount: 2.5e-1 }];
      expect((await g.data(APPEND, { b: branch, t, rows: fit })).appendRows.__typename).toBe('WriteSuccess');
      const before = await head(branch);
      for (const amount of ['0.005', '-0.00000000001', 1.001, 1e-3, '123456789.00']) {
        const r = await g.data(APPEND, { b: branch, t, rows: [{ id: 9, amount }] });
        expect(r.appendRows.code, String(amount)).toBe('SCHEMA_MISMATCH');
        // the example is the value as sent: a JSON string in quotes, a JSON number without
        expect(r.appendRows.message).toBe(`column 'amount': 1 value(s) do not convert to decimal(10,2) (e.g. ${JSON.stringify(amount)})`);
      }
      const csv = `id,amount\n9,0.125\n`;
      const q = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { __typename ... on Error { code message } } }`;
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'a.csv', content: csv })).data?.appendRows).toEqual({
        __typename: 'SchemaMismatch',
        code: 'SCHEMA_MISMATCH',
        message: `column 'amount': 1 value(s) do not convert to decimal(10,2) (e.g. "0.125")`,
      });
      expect(await head(branch)).toBe(before);
      expect((await rowsOf({ r: branch, t, o: [{ column: 'id' }] })).rows.map((r: any) => r.amount)).toEqual(['1.50', '-0.10', '12345678.90', '0.25']);
    });

    it('refuses a JSON number past 2^53 for a long column in writes and filters (it lost digits on the way); as a string it is exact', async () => {
      const t = await createTable('bigints', [{ name: 'id', type: 'long', required: true }, { name: 'x', type: 'double' }]);
      const before = await head(branch);
      // JSON.stringify sends 9007199254740993 as 9007199254740992: the digit is gone before the gateway sees it
      const r = await g.data(APPEND, { b: branch, t, rows: [{ id: 1, x: 1 }, { id: 9007199254740993, x: 2 }] });
      expect(r.appendRows).toMatchObject({ code: 'SCHEMA_MISMATCH' });
      expect(r.appendRows.message).toContain('rows[1].id');
      expect(await head(branch)).toBe(before);
      const ok = await g.data(APPEND, { b: branch, t, rows: [{ id: '9007199254740993', x: 1e20 }, { id: '-9223372036854775808', x: 2 }] });
      expect(ok.appendRows.__typename).toBe('WriteSuccess');
      expect((await rowsOf({ r: branch, t, o: [{ column: 'x' }] })).rows).toEqual([{ id: '-9223372036854775808', x: 2 }, { id: '9007199254740993', x: 1e20 }]);
      // filters alike: as a number it would match 9007199254740992, so it is refused; as a string it matches exactly
      expect((await rowsOf({ r: branch, t, w: { id: { _eq: '9007199254740993' } } })).rows).toEqual([{ id: '9007199254740993', x: 1e20 }]);
      const refused = await g.gql(ROWS, { r: branch, t, w: { id: { _eq: 9007199254740993 } } });
      expect(refused.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      expect(refused.errors?.[0]?.message).toContain('past 2^53');
    });

    it('reads a CSV upload as PostgreSQL\'s COPY does: an empty field is NULL, a quoted empty one an empty string', async () => {
      const t = await createTable('csvnull', [{ name: 'id', type: 'long', required: true }, { name: 'note', type: 'string' }, { name: 'n', type: 'int' }]);
      const csv = 'id,note,n\n1,,\n2,"",""\n3,"a,b",7\n';
      const q = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) { __typename ... on Error { code message } } }`;
      expect((await uploadFile(g.url, q, { b: branch, t }, { name: 'n.csv', content: csv })).data?.appendRows.__typename).toBe('WriteSuccess');
      expect((await rowsOf({ r: branch, t, o: [{ column: 'id' }] })).rows).toEqual([
        { id: '1', note: null, n: null },
        { id: '2', note: '', n: null }, // an int cannot be empty: NULL
        { id: '3', note: 'a,b', n: 7 },
      ]);
      // a header naming a column twice is refused in its own words (DuckDB would call the second 'n_1')
      const twice = await uploadFile(g.url, q, { b: branch, t }, { name: 't.csv', content: 'id,n,n\n4,1,2\n' });
      expect(twice.data?.appendRows).toEqual({ __typename: 'SchemaMismatch', code: 'SCHEMA_MISMATCH', message: "column 'n' appears more than once in the CSV header" });
      // a file without rows appends nothing, as `rows: []` does not: no empty snapshot
      const snapshots = async () => (await g.data(`query($t: String!, $r: String) { table(name: $t, ref: $r) { snapshots { nodes { snapshotId } } } }`, { t, r: branch })).table.snapshots.nodes;
      const before = await snapshots();
      for (const [name, content] of [['h.csv', 'id,note,n\n'], ['e.ndjson', '\n'], ['e.json', '[]']] as const) {
        const empty = await uploadFile(g.url, q, { b: branch, t }, { name, content });
        expect(empty.data?.appendRows, name).toEqual({ __typename: 'InvalidInput', code: 'INVALID_INPUT', message: 'the file has no rows: nothing to append' });
      }
      expect(await snapshots()).toEqual(before);
    });

    it('evolves the schema by field id and compares versions', async () => {
      const t = await createTable('evo');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 4) });
      const before = await head(branch);
      const evo = await g.data(
        `mutation($b: String!, $t: String!, $c: [SchemaChangeInput!]!) { evolveSchema(branch: $b, table: $t, changes: $c) { __typename ... on EvolveSchemaSuccess { table { schema { fields { id name type required } } } } ... on Error { code message } } }`,
        { b: branch, t, c: [{ renameColumn: { from: 'sgv', to: 'glucose' } }, { widenColumn: { name: 'glucose', type: 'long' } }, { addColumn: { name: 'device', type: 'string' } }, { dropColumn: 'direction' }, { makeOptional: 'id' }] },
      );
      expect(evo.evolveSchema.__typename, JSON.stringify(evo.evolveSchema)).toBe('EvolveSchemaSuccess');
      expect(evo.evolveSchema.table.schema.fields).toEqual([
        { id: 1, name: 'id', type: 'long', required: false },
        { id: 2, name: 'glucose', type: 'long', required: false },
        { id: 4, name: 'ts', type: 'timestamptz', required: false },
        { id: 5, name: 'device', type: 'string', required: false },
      ]);
      const rows = (await rowsOf({ r: branch, t, o: [{ column: 'id' }] })).rows;
      expect(rows[1]).toEqual({ id: '1', glucose: String(batch(0, 4)[1]!.sgv), ts: expect.any(String), device: null });
      await g.data(APPEND, { b: branch, t, rows: [{ id: 50, glucose: 123, device: 'xDrip' }] });
      const cmp = await g.data(
        `query($t: String!, $f: String!, $to: String!) { compareTable(name: $t, from: $f, to: $to) { schema { addedColumns { name } removedColumns { name } renamedColumns { from to } typeChanges { name from to } } data { fromRows toRows rowsAdded rowsRemoved sampleAdded } } }`,
        { t, f: `@${before}`, to: branch },
      );
      expect(cmp.compareTable.schema).toEqual({
        addedColumns: [{ name: 'device' }],
        removedColumns: [{ name: 'direction' }],
        renamedColumns: [{ from: 'sgv', to: 'glucose' }],
        typeChanges: [{ name: 'glucose', from: 'int', to: 'long' }],
      });
      expect(cmp.compareTable.data).toMatchObject({ fromRows: '4', toRows: '5', rowsAdded: '1', rowsRemoved: '0' });
    });

    it('overwrites the rows matching a filter', async () => {
      const t = await createTable('ow');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 10) });
      const r = await g.data(
        `mutation($b: String!, $t: String!, $rows: JSON, $w: JSON) { overwriteRows(branch: $b, table: $t, rows: $rows, where: $w) { __typename ... on WriteSuccess { addedRows snapshot { operation } } ... on Error { code message } } }`,
        { b: branch, t, rows: [{ id: 500, sgv: 1 }], w: { id: { _lt: 5 } } },
      );
      expect(r.overwriteRows).toMatchObject({ __typename: 'WriteSuccess', addedRows: '1', snapshot: { operation: 'overwrite' } });
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([5, 6, 7, 8, 9, 500]);
    });

    it('deletes with no rows: overwriteRows(rows: []) drops the rows matching where, or every row without it', async () => {
      const t = await createTable('del');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 10) });
      const OVERWRITE = `mutation($b: String!, $t: String!, $rows: JSON, $w: JSON) { overwriteRows(branch: $b, table: $t, rows: $rows, where: $w) {
        __typename ... on WriteSuccess { addedRows snapshot { operation summary } } ... on Error { code message } } }`;
      const some = await g.data(OVERWRITE, { b: branch, t, rows: [], w: { id: { _gte: 7 } } });
      expect(some.overwriteRows).toMatchObject({ __typename: 'WriteSuccess', addedRows: '0', snapshot: { operation: 'overwrite' } });
      expect(some.overwriteRows.snapshot.summary['total-records']).toBe('7');
      expect(ids((await rowsOf({ r: branch, t })).rows)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      const all = await g.data(OVERWRITE, { b: branch, t, rows: [] });
      expect(all.overwriteRows.snapshot.summary).toMatchObject({ 'total-records': '0', 'total-data-files': '0' });
      expect((await rowsOf({ r: branch, t })).rows).toEqual([]);
      const stats = await g.data(`query($b: String!, $t: String!) { table(name: $t, ref: $b) { stats { rowCount fileCount } } }`, { b: branch, t });
      expect(stats.table.stats).toEqual({ rowCount: '0', fileCount: 0 });
    });

    it('rejects bad input with typed errors and commits nothing', async () => {
      const t = await createTable('bad');
      await g.data(APPEND, { b: branch, t, rows: batch(0, 2) });
      const before = await head(branch);
      const bad: [Record<string, unknown>, string][] = [
        [{ b: branch, t, rows: [{ id: 'abc' }] }, 'SCHEMA_MISMATCH'],
        [{ b: branch, t, rows: [{ sgv: 1 }] }, 'SCHEMA_MISMATCH'],
        [{ b: branch, t, rows: [{ id: 1, nope: 2 }] }, 'SCHEMA_MISMATCH'],
        [{ b: branch, t, rows: [] }, 'INVALID_INPUT'],
        [{ b: branch, t, rows: 'x' }, 'INVALID_INPUT'],
        [{ b: branch, t: `${ns}.missing`, rows: [{ id: 1 }] }, 'NOT_FOUND'],
        [{ b: branch, t: '../etc/passwd', rows: [{ id: 1 }] }, 'INVALID_INPUT'],
        [{ b: `no-such-${RUN}`, t, rows: [{ id: 1 }] }, 'NOT_FOUND'],
      ];
      for (const [vars, code] of bad) {
        const r = await g.gql(APPEND, vars);
        expect(r.errors, JSON.stringify(vars)).toBeUndefined();
        expect(r.data.appendRows.code, JSON.stringify(vars)).toBe(code);
      }
      const missingNs = await g.data(CREATE, { b: branch, n: `nons${RUN}.t`, c: COLUMNS });
      expect(missingNs.createTable.code).toBe('NOT_FOUND');
      const badType = await g.data(CREATE, { b: branch, n: `${ns}.${unique('x')}`, c: [{ name: 'a', type: 'varchar(3)' }] });
      expect(badType.createTable.code).toBe('INVALID_INPUT');
      // fixed[L] is read, not written: the gateway's Parquet writer has no fixed-length binary
      for (const type of ['fixed[16]', 'struct<x: fixed[2]>']) {
        const fixed = await g.data(CREATE, { b: branch, n: `${ns}.${unique('fx')}`, c: [{ name: 'a', type }] });
        expect(fixed.createTable.code, type).toBe('INVALID_INPUT');
      }
      for (const [columns, message] of [[[], 'columns must name at least one column (leave it out for all)'], [['id', 'sgv', 'id'], "column 'id' is listed twice"]] as const) {
        const r = await g.gql(`query($r: String, $t: String!, $c: [String!]) { table(name: $t, ref: $r) { rows(columns: $c) { columns } } }`, { r: branch, t, c: columns });
        expect(r.errors?.[0], JSON.stringify(columns)).toMatchObject({ message, extensions: { code: 'INVALID_INPUT', field: 'columns' } });
      }
      const addFixed = await g.data(`mutation($b: String!, $t: String!) { evolveSchema(branch: $b, table: $t, changes: [{ addColumn: { name: "fx", type: "fixed[4]" } }]) { __typename ... on Error { code message } } }`, { b: branch, t });
      expect(addFixed.evolveSchema).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('the gateway cannot write fixed columns') });
      const reg = await g.data(`mutation($b: String!, $n: String!, $l: String!) { registerTable(branch: $b, name: $n, metadataLocation: $l) { __typename ... on Error { code } } }`, { b: branch, n: `${ns}.${unique('r')}`, l: 'file:///etc/passwd' });
      expect(reg.registerTable.code).toBe('INVALID_INPUT');
      for (const q of [`INSERT INTO ${t} VALUES (1)`, `SELECT * FROM read_csv('/etc/passwd')`, `COPY (SELECT 1) TO '/tmp/x.csv'`, 'SELECT 1; SELECT 2', `SELECT * FROM ${ns}.nope`]) {
        const r = await g.gql(`query($r: String!, $q: String!) { sql(ref: $r, query: $q) { rowCount } }`, { r: branch, q });
        expect(r.errors?.[0]?.extensions?.code, q).toBe('INVALID_INPUT');
      }
      expect(await head(branch)).toBe(before);
    });
  });
}
