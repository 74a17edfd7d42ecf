/**
 * Exports on the demo gateway with authentication on: `export` returns a signed link pinned to the
 * commit (and snapshot) it was asked at; GET /exports/<token> streams CSV, Parquet (read back by
 * DuckDB) and Arrow IPC (read back by pyarrow.ipc.open_stream in the PyIceberg venv), every row (no
 * 10,000-row cap); a tampered or expired link is 401, a role that may not read is refused at
 * `export`, and a role's byte limit breaks the download so the client sees a failure.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { post, SECRET, sign } from '../support/auth.js';
import { startGateway, type Gateway } from '../support/gateway.js';
import { runPython } from '../support/python.js';

const BIG_ROWS = 25_000;
const VIEWER_MAX_BYTES = 64 * 1024;

describe('exports', () => {
  let g: Gateway;
  const tokens: Record<string, string> = {};
  const as = async (role: string, query: string, variables?: Record<string, unknown>) => (await post(g.url, query, { token: tokens[role], variables })).body;
  const ok = async (role: string, query: string, variables?: Record<string, unknown>) => {
    const body = await as(role, query, variables);
    if (body.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const EXPORT = `query($ref: String!, $table: String, $sql: String, $format: ExportFormat!, $columns: [String!], $where: JSON, $orderBy: [OrderByInput!], $expiresInSeconds: Int) {
    export(ref: $ref, table: $table, sql: $sql, format: $format, columns: $columns, where: $where, orderBy: $orderBy, expiresInSeconds: $expiresInSeconds) {
      url expiresAt format commitHash snapshotId table sql contentType fileName } }`;
  const link = async (role: string, vars: Record<string, unknown>) => (await ok(role, EXPORT, vars)).export;
  const download = async (url: string) => {
    const res = await fetch(`${g.url}${url}`);
    return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
  };
  const tmp = () => fs.mkdtemp(path.join(g.home, 'dl-'));

  beforeAll(async () => {
    g = await startGateway({ CASCADE_DEMO: '1', AUTH_JWT_SECRET: SECRET, EXPORT_MAX_BYTES_VIEWER: String(VIEWER_MAX_BYTES), RATE_LIMIT_PER_SECOND: '0' });
    for (const role of ['viewer', 'analyst', 'engineer', 'admin']) tokens[role] = await sign({ sub: `${role}@example.com`, roles: [role] });
    // A table of more rows than any page or `sql` result may have, on a branch of its own.
    await ok('admin', `mutation { createBranch(name: "exports", from: "main") { __typename } }`);
    const created = await ok('admin', `mutation { createTable(branch: "exports", name: "raw.big", columns: [{ name: "id", type: "long", required: true }, { name: "label", type: "string" }, { name: "ratio", type: "double" }, { name: "day", type: "date" }, { name: "at", type: "timestamptz" }]) { __typename ... on Error { code message } } }`);
    expect(created.createTable.__typename).toBe('CreateTableSuccess');
    const rows = Array.from({ length: BIG_ROWS }, (_, i) => ({
      id: i,
      label: i % 7 === 0 ? null : `row ${i}`,
      ratio: i / 4,
      day: `2026-01-${String((i % 28) + 1).padStart(2, '0')}`,
      at: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    }));
    const appended = await ok('admin', `mutation($rows: JSON) { appendRows(branch: "exports", table: "raw.big", rows: $rows) { __typename ... on WriteSuccess { addedRows } ... on Error { code message } } }`, { rows });
    expect(appended.appendRows).toEqual({ __typename: 'WriteSuccess', addedRows: String(BIG_ROWS) });
  }, 300_000);
  afterAll(async () => g?.stop());

  it('CSV of a demo table matches its rows, in the order and columns asked, with a filter', async () => {
    const columns = ['reading_date', 'reading_count', 'avg_glucose', 'pct_low'];
    const orderBy = [{ column: 'reading_date', direction: 'DESC' }];
    const where = { reading_count: { _gt: 0 } };
    const l = await link('viewer', { ref: 'main', table: 'marts.mrt_glucose_overview', format: 'CSV', columns, orderBy, where });
    expect(l).toMatchObject({ format: 'CSV', table: 'marts.mrt_glucose_overview', sql: null, contentType: 'text/csv; charset=utf-8' });
    expect(l.url).toMatch(/^\/exports\/[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(l.fileName).toMatch(/^marts\.mrt_glucose_overview-[0-9a-f]{12}\.csv$/);
    const main = await ok('viewer', `{ reference(ref: "main") { hash } }`);
    expect(l.commitHash).toBe(main.reference.hash);
    expect(Date.parse(l.expiresAt) - Date.now()).toBeGreaterThan(240_000);
    expect(Date.parse(l.expiresAt) - Date.now()).toBeLessThanOrEqual(300_000);

    const d = await download(l.url);
    expect(d.status).toBe(200);
    expect(d.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(d.headers.get('content-disposition')).toBe(`attachment; filename="${l.fileName}"`);
    const lines = d.bytes.toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(columns.join(','));
    const page = await ok('viewer', `query($c: [String!], $o: [OrderByInput!], $w: JSON) { table(name: "marts.mrt_glucose_overview", ref: "main") { rows(columns: $c, orderBy: $o, where: $w, first: 1000) { rows } } }`, { c: columns, o: orderBy, w: where });
    const expected = page.table.rows.rows as Record<string, unknown>[];
    expect(expected.length).toBeGreaterThan(5);
    expect(lines.length - 1).toBe(expected.length);
    lines.slice(1).forEach((line, i) => {
      const cells = line.split(',');
      const row = expected[i]!;
      expect(cells[0]).toBe(row.reading_date);
      expect(cells[1]).toBe(String(row.reading_count));
      expect(Number(cells[2])).toBeCloseTo(Number(row.avg_glucose), 6);
      expect(Number(cells[3])).toBeCloseTo(Number(row.pct_low), 6);
    });
  });

  it('Arrow IPC stream: pyarrow.ipc.open_stream reads every row with the columns and types of the table (no 10,000-row cap)', async () => {
    const l = await link('analyst', { ref: 'exports', table: 'raw.big', format: 'ARROW' });
    expect(l.contentType).toBe('application/vnd.apache.arrow.stream');
    const d = await download(l.url);
    expect(d.status).toBe(200);
    expect(d.headers.get('content-type')).toBe('application/vnd.apache.arrow.stream');
    const file = path.join(await tmp(), 'big.arrows');
    await fs.writeFile(file, d.bytes);
    const out = JSON.parse(
      await runPython(
        `import sys, json, pyarrow.ipc as ipc
t = ipc.open_stream(open(sys.argv[1], 'rb')).read_all()
rows = t.to_pylist()
print(json.dumps({ 'schema': [[f.name, str(f.type)] for f in t.schema], 'rows': t.num_rows, 'ids': sum(r['id'] for r in rows), 'nulls': sum(1 for r in rows if r['label'] is None),
  'first': [str(v) for v in rows[1].values()], 'last': [str(v) for v in rows[-1].values()] }))`,
        [file],
      ),
    );
    expect(out.schema).toEqual([['id', 'int64'], ['label', 'string'], ['ratio', 'double'], ['day', 'date32[day]'], ['at', 'timestamp[us, tz=UTC]']]);
    expect(out.rows).toBe(BIG_ROWS);
    expect(out.ids).toBe((BIG_ROWS * (BIG_ROWS - 1)) / 2);
    expect(out.nulls).toBe(Math.ceil(BIG_ROWS / 7));
    expect(out.first).toEqual(['1', 'row 1', '0.25', '2026-01-02', '2026-01-01 00:00:01+00:00']);
    const n = BIG_ROWS - 1;
    expect(out.last).toEqual([String(n), `row ${n}`, String(n / 4), `2026-01-${String((n % 28) + 1).padStart(2, '0')}`, '2026-01-01 06:56:39+00:00']);
  });

  it('Arrow IPC stream of a sql export over many record batches: long and short strings, binary, booleans, decimals and nulls come through as pyarrow reads them', async () => {
    const N = 600_000; // several 128K-row batches, so the stream's buffers are reused between batches
    const sql = `SELECT i AS id, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 2 = 0 THEN 'short ' || (i % 100) ELSE 'a label longer than twelve bytes, number ' || i END AS label,
      CASE WHEN i % 5 = 0 THEN NULL ELSE i % 3 = 0 END AS flag, CAST(i * 0.25 AS DECIMAL(18,2)) AS amount, CAST(i - 300000 AS DECIMAL(38,0)) * 1000000000000 AS big,
      CASE WHEN i % 11 = 0 THEN NULL ELSE encode('bytes ' || i) END AS raw FROM range(${N}) t(i)`;
    const l = await link('analyst', { ref: 'exports', sql, format: 'ARROW' });
    const d = await download(l.url);
    expect(d.status).toBe(200);
    const file = path.join(await tmp(), 'many.arrows');
    await fs.writeFile(file, d.bytes);
    const out = JSON.parse(
      await runPython(
        `import sys, json, pyarrow.ipc as ipc, pyarrow.compute as pc
r = ipc.open_stream(open(sys.argv[1], 'rb'))
batches = list(r)
import pyarrow as pa
t = pa.Table.from_batches(batches)
label_bytes = pc.sum(pc.binary_length(t['label'])).as_py()
print(json.dumps({ 'schema': [[f.name, str(f.type)] for f in t.schema], 'batches': len(batches), 'rows': t.num_rows, 'ids': pc.sum(t['id']).as_py(),
  'labels': t['label'].null_count, 'labelBytes': label_bytes, 'flags': pc.sum(t['flag'].cast('int64')).as_py(), 'flagNulls': t['flag'].null_count,
  'amount': str(pc.sum(t['amount']).as_py()), 'big': [str(t['big'][0].as_py()), str(t['big'][${N - 1}].as_py())], 'rawNulls': t['raw'].null_count,
  'rawBytes': pc.sum(pc.binary_length(t['raw'])).as_py(), 'row': [str(v) for v in t.slice(${N - 3}, 1).to_pylist()[0].values()] }))`,
        [file],
      ),
    );
    expect(out.schema).toEqual([['id', 'int64'], ['label', 'string'], ['flag', 'bool'], ['amount', 'decimal128(18, 2)'], ['big', 'decimal128(38, 0)'], ['raw', 'binary']]);
    expect(out.batches).toBeGreaterThanOrEqual(5);
    expect(out.rows).toBe(N);
    expect(out.ids).toBe((N * (N - 1)) / 2);
    let labels = 0;
    let labelBytes = 0;
    let flags = 0;
    let flagNulls = 0;
    let rawNulls = 0;
    let rawBytes = 0;
    for (let i = 0; i < N; i++) {
      if (i % 7 === 0) labels++;
      else labelBytes += Buffer.byteLength(i % 2 === 0 ? `short ${i % 100}` : `a label longer than twelve bytes, number ${i}`);
      if (i % 5 === 0) flagNulls++;
      else if (i % 3 === 0) flags++;
      if (i % 11 === 0) rawNulls++;
      else rawBytes += Buffer.byteLength(`bytes ${i}`);
    }
    expect(out).toMatchObject({ labels, labelBytes, flags, flagNulls, rawNulls, rawBytes });
    expect(out.amount).toBe(((N * (N - 1)) / 2 / 4).toFixed(2)); // exact: a multiple of 0.25
    expect(out.big).toEqual(['-300000000000000000', String(BigInt(N - 1 - 300000) * 1000000000000n)]);
    const i = N - 3; // 599997: odd, not a multiple of 5, 7 or 11
    expect(out.row).toEqual([String(i), `a label longer than twelve bytes, number ${i}`, String(i % 3 === 0 ? 'True' : 'False'), (i / 4).toFixed(2), String(BigInt(i - 300000) * 1000000000000n), `b'bytes ${i}'`]);
  });

  it('Parquet: DuckDB reads the same rows as the gateway sql aggregate', async () => {
    const l = await link('analyst', { ref: 'exports', table: 'raw.big', format: 'PARQUET' });
    const d = await download(l.url);
    expect(d.status).toBe(200);
    expect(d.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(d.bytes.subarray(0, 4).toString()).toBe('PAR1');
    const file = path.join(await tmp(), 'big.parquet');
    await fs.writeFile(file, d.bytes);
    const agg = 'count(*) AS n, sum(id) AS ids, count(label) AS labels, sum(ratio) AS ratios, min(day) AS d0, max("at") AS a1';
    const want = await ok('analyst', `query($q: String!) { sql(ref: "exports", query: $q) { rows } }`, { q: `SELECT ${agg} FROM raw.big` });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const got = (await conn.runAndReadAll(`SELECT count(*), sum(id), count(label), sum(ratio), min(day), max("at") FROM '${file}'`)).getRowsJson()[0]!;
      const w = want.sql.rows[0];
      expect(String(got[0])).toBe(String(w[0]));
      expect(String(got[1])).toBe(String(w[1]));
      expect(String(got[2])).toBe(String(w[2]));
      expect(Number(got[3])).toBeCloseTo(Number(w[3]), 6);
      expect(got[4]).toBe(w[4]);
      expect(Date.parse(String(got[5]))).toBe(Date.parse(String(w[5])));
      expect(Number(w[0])).toBe(BIG_ROWS);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  it('a sql export streams the whole result (past sql\'s 10,000 rows) and refuses what sql refuses', async () => {
    const l = await link('analyst', { ref: 'exports', sql: 'SELECT id, label FROM raw.big WHERE id % 2 = 0 ORDER BY id', format: 'CSV' });
    expect(l).toMatchObject({ table: null, sql: 'SELECT id, label FROM raw.big WHERE id % 2 = 0 ORDER BY id', snapshotId: null });
    const d = await download(l.url);
    const lines = d.bytes.toString().trimEnd().split('\n');
    expect(lines[0]).toBe('id,label');
    expect(lines.length - 1).toBe(BIG_ROWS / 2);
    expect(lines[2]).toBe('2,row 2');
    for (const [sql, code] of [
      ['DELETE FROM raw.big', 'INVALID_INPUT'],
      ['SELECT * FROM raw.nope', 'INVALID_INPUT'],
      ["SELECT * FROM read_csv('/etc/passwd')", 'INVALID_INPUT'],
    ]) {
      const body = await as('analyst', EXPORT, { ref: 'exports', sql, format: 'CSV' });
      expect(body.errors?.[0]?.extensions?.code, sql).toBe(code);
    }
  });

  it('the link reads the commit and snapshot it was asked at, after the branch moved', async () => {
    const before = await link('analyst', { ref: 'exports', table: 'raw.big', format: 'CSV', columns: ['id'] });
    const moved = await ok('admin', `mutation { appendRows(branch: "exports", table: "raw.big", rows: [{ id: 1000000 }, { id: 1000001 }]) { __typename } }`);
    expect(moved.appendRows.__typename).toBe('WriteSuccess');
    const after = await link('analyst', { ref: 'exports', table: 'raw.big', format: 'CSV', columns: ['id'] });
    expect(after.commitHash).not.toBe(before.commitHash);
    expect(after.snapshotId).not.toBe(before.snapshotId);
    const old = (await download(before.url)).bytes.toString().trimEnd().split('\n');
    const now = (await download(after.url)).bytes.toString().trimEnd().split('\n');
    expect(old.length - 1).toBe(BIG_ROWS);
    expect(old).not.toContain('1000000');
    expect(now.length - 1).toBe(BIG_ROWS + 2);
    expect(now).toContain('1000001');
  });

  it('a client that goes away stops its export and frees its place (more aborted downloads than exports may run at once)', async () => {
    // 2,000,000,000 rows: it never ends unless the reader's going away stops it.
    const huge = await link('analyst', { ref: 'exports', sql: "SELECT b.id, r.range AS k, repeat('x', 100) AS pad FROM raw.big b, range(80000) r", format: 'ARROW' });
    const csv = await link('analyst', { ref: 'exports', sql: "SELECT b.id, r.range AS k FROM raw.big b, range(80000) r", format: 'CSV' });
    for (let i = 0; i < 12; i++) {
      const ac = new AbortController();
      const res = await fetch(`${g.url}${(i % 2 ? csv : huge).url}`, { signal: ac.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      expect((await reader.read()).done).toBe(false);
      ac.abort();
      await reader.read().catch(() => undefined);
    }
    // Had any of them kept its place, this one would wait its turn (30 s) and be refused.
    const started = Date.now();
    const d = await download((await link('analyst', { ref: 'exports', table: 'raw.big', format: 'CSV', columns: ['id'] })).url);
    expect(d.status).toBe(200);
    expect(d.bytes.toString().trimEnd().split('\n').length - 1).toBeGreaterThanOrEqual(BIG_ROWS);
    expect(Date.now() - started).toBeLessThan(25_000);
  });

  it('refuses a tampered, a foreign and an expired link with 401 and a JSON error, and HEAD answers the headers only', async () => {
    const l = await link('viewer', { ref: 'main', table: 'marts.mrt_glucose_overview', format: 'CSV', expiresInSeconds: 2 });
    const head = await fetch(`${g.url}${l.url}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const [h, payload, sig] = l.url.slice('/exports/'.length).split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin', table: 'raw.entries' })).toString('base64url');
    const apiToken = tokens.admin!; // a valid API token is not an export link
    for (const bad of [`${h}.${forged}.${sig}`, `${h}.${payload}.${sig!.slice(0, -2)}AA`, apiToken, 'not-a-token']) {
      const d = await download(`/exports/${bad}`);
      expect(d.status).toBe(401);
      expect(d.headers.get('content-type')).toBe('application/json');
      const body = JSON.parse(d.bytes.toString());
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.errors[0].message).toBe('the export link is not valid');
    }
    await new Promise((r) => setTimeout(r, 3100));
    const expired = await download(l.url);
    expect(expired.status).toBe(401);
    const body = JSON.parse(expired.bytes.toString());
    expect(body.errors[0]).toMatchObject({ message: 'the export link has expired: ask for a new one', extensions: { code: 'UNAUTHENTICATED' } });
    expect(expired.bytes.toString()).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('a role that may not read is refused at export', async () => {
    const viewerOnBranch = await as('viewer', EXPORT, { ref: 'exports', table: 'raw.big', format: 'ARROW' });
    expect(viewerOnBranch.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const viewerSql = await as('viewer', EXPORT, { ref: 'main', sql: 'SELECT 1', format: 'CSV' });
    expect(viewerSql.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await post(g.url, `{ export(ref: "main", table: "raw.entries", format: CSV) { url } }`);
    expect(anonymous.status).toBe(401);
  });

  it("the viewer's byte limit breaks the download: the client sees a failure, not a short file", async () => {
    const l = await link('viewer', { ref: 'main', table: 'raw.entries', format: 'CSV' });
    const res = await fetch(`${g.url}${l.url}`);
    expect(res.status).toBe(200);
    let received = 0;
    const read = (async () => {
      const reader = res.body!.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) received += r.value.byteLength;
    })();
    await expect(read).rejects.toThrow();
    expect(received).toBeLessThanOrEqual(VIEWER_MAX_BYTES);
    // The same table as an analyst (10 GiB by default) comes through whole.
    const full = await download((await link('analyst', { ref: 'main', table: 'raw.entries', format: 'CSV' })).url);
    expect(full.bytes.byteLength).toBeGreaterThan(VIEWER_MAX_BYTES);
  });

  it('bad input gets typed errors', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ref: 'main', table: 'raw.entries', sql: 'SELECT 1', format: 'CSV' }, 'INVALID_INPUT'],
      [{ ref: 'main', format: 'CSV' }, 'INVALID_INPUT'],
      [{ ref: 'main', table: 'raw.nope', format: 'CSV' }, 'NOT_FOUND'],
      [{ ref: 'no-such-branch', table: 'raw.entries', format: 'CSV' }, 'NOT_FOUND'],
      [{ ref: 'main', table: 'raw.entries', format: 'CSV', columns: ['nope'] }, 'INVALID_INPUT'],
      [{ ref: 'main', table: 'raw.entries', format: 'CSV', orderBy: [{ column: 'nope' }] }, 'INVALID_INPUT'],
      [{ ref: 'main', table: 'raw.entries', format: 'CSV', where: { nope: { _eq: 1 } } }, 'INVALID_INPUT'],
      [{ ref: 'main', table: 'raw.entries', format: 'CSV', expiresInSeconds: 7200 }, 'INVALID_INPUT'],
      [{ ref: 'main', table: 'raw.entries', format: 'CSV', expiresInSeconds: 0 }, 'INVALID_INPUT'],
    ];
    for (const [vars, code] of cases) {
      const body = await as('analyst', EXPORT, vars);
      expect(body.errors?.[0]?.extensions?.code, JSON.stringify(vars)).toBe(code);
      expect(body.data?.export ?? null).toBeNull();
    }
    const badFormat = await as('analyst', `{ export(ref: "main", table: "raw.entries", format: XLSX) { url } }`);
    expect(badFormat.errors?.[0]?.message).toMatch(/ExportFormat/);
    expect(badFormat.data).toBeUndefined();
  });
});
