/**
 * Appends while the warehouse's S3 server is down (a private versitygw, paused and resumed with its
 * data: the test run's shared server serves other files meanwhile): the client gets
 * BACKEND_UNAVAILABLE, the catalog gets no commit and the branch head stays; once the server is
 * back, the same call succeeds. Down before the append, and down between the data file's PUT and
 * the commit (the metadata writes fail). A read needing a file not yet in the engine's object cache
 * fails the same way and leaves no partial copy.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { startGateway, type Gateway } from '../support/gateway.js';
import { createTestBucket, startS3Server, type RunningS3Server } from '../support/s3.js';
import { listBucket, s3GatewayEnv } from '../support/s3-gateway.js';

const APPEND = `mutation($b: String!, $t: String!, $rows: JSON) {
  appendRows(branch: $b, table: $t, rows: $rows) {
    __typename
    ... on WriteSuccess { addedRows commit { hash } }
    ... on Error { code message }
  }
}`;

describe('appends while the S3 server is down', () => {
  let s3: RunningS3Server;
  let g: Gateway;
  let bucket: string;
  const branch = `faults-${randomBytes(3).toString('hex')}`;
  const table = 'faults.readings';

  beforeAll(async () => {
    s3 = await startS3Server();
    bucket = await createTestBucket(s3, 'faults');
    g = await startGateway(s3GatewayEnv(s3, bucket));
    await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch });
    await g.data(`mutation($b: String!) { createNamespace(branch: $b, name: "faults") { __typename } }`, { b: branch });
    const created = await g.data(
      `mutation($b: String!, $n: String!) { createTable(branch: $b, name: $n, columns: [{ name: "id", type: "long", required: true }, { name: "v", type: "string" }]) { __typename } }`,
      { b: branch, n: table },
    );
    expect(created.createTable.__typename).toBe('CreateTableSuccess');
    const first = await g.data(APPEND, { b: branch, t: table, rows: [{ id: 1, v: 'a' }] });
    expect(first.appendRows.__typename).toBe('WriteSuccess');
  }, 300_000);
  afterAll(async () => {
    await g?.stop();
    await s3?.stop();
  });

  const head = async () => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b: branch })).branch.hash as string;
  const ids = async () => {
    const d = await g.data(`query($r: String!, $t: String!) { table(name: $t, ref: $r) { rows(first: 100, orderBy: [{ column: "id" }]) { rows } } }`, { r: branch, t: table });
    return d.table.rows.rows.map((r: { id: string }) => Number(r.id));
  };
  /** The append's failure: BACKEND_UNAVAILABLE as a GraphQL error (it is no member of WriteResult) or as a result. */
  const failureCode = (r: { data?: any; errors?: any[] }) => r.errors?.[0]?.extensions?.code ?? r.data?.appendRows?.code ?? JSON.stringify(r);

  it('stopped before an append: BACKEND_UNAVAILABLE, no commit; the same call succeeds once the server is back', async () => {
    const before = await head();
    const rows = [{ id: 2, v: 'b' }];
    await s3.pause();
    try {
      const failed = await g.gql(APPEND, { b: branch, t: table, rows });
      expect(failureCode(failed)).toBe('BACKEND_UNAVAILABLE');
      expect(await head()).toBe(before);
    } finally {
      await s3.resume();
    }
    const ok = await g.data(APPEND, { b: branch, t: table, rows });
    expect(ok.appendRows).toMatchObject({ __typename: 'WriteSuccess', addedRows: '1' });
    expect(await head()).toBe(ok.appendRows.commit.hash);
    expect(await ids()).toEqual([1, 2]);
  });

  it('stopped after the data file is put, before the commit: BACKEND_UNAVAILABLE, no commit; the same call succeeds once the server is back', async () => {
    const before = await head();
    const rows = [{ id: 3, v: 'c' }, { id: 4, v: 'd' }];
    // The gateway's store (timed by its metrics proxy): stop the server once a data file is in.
    const objects = g.app.ports.objects as ObjectStore & { put: ObjectStore['put'] };
    const put = objects.put;
    const dataPuts: string[] = [];
    objects.put = async (location, source, opts) => {
      await put(location, source, opts);
      if (location.includes('/data/') && dataPuts.push(location) === 1) await s3.pause();
    };
    try {
      const failed = await g.gql(APPEND, { b: branch, t: table, rows });
      expect(dataPuts).toHaveLength(1);
      expect(failureCode(failed)).toBe('BACKEND_UNAVAILABLE');
      expect(await head()).toBe(before);
    } finally {
      objects.put = put;
      await s3.resume();
    }
    // The data file of the failed call is in the bucket, referenced by no snapshot.
    expect(await listBucket(s3, bucket)).toContain(dataPuts[0]!.slice(`s3://${bucket}/`.length));
    expect(await ids()).toEqual([1, 2]);
    const ok = await g.data(APPEND, { b: branch, t: table, rows });
    expect(ok.appendRows).toMatchObject({ __typename: 'WriteSuccess', addedRows: '2' });
    expect(await head()).toBe(ok.appendRows.commit.hash);
    expect(await ids()).toEqual([1, 2, 3, 4]);
  });

  it('a read needing a file the cache lacks answers BACKEND_UNAVAILABLE while the server is down, leaving no partial copy, and succeeds once it is back', async () => {
    const ok = await g.data(APPEND, { b: branch, t: table, rows: [{ id: 5, v: 'e' }] });
    expect(ok.appendRows.__typename).toBe('WriteSuccess');
    // Metadata and manifests are read (and kept in memory) without reading a data file.
    const count = `query($r: String!, $t: String!) { table(name: $t, ref: $r) { rows(first: 0) { totalCount } } }`;
    expect((await g.data(count, { r: branch, t: table })).table.rows.totalCount).toBe('5');
    const query = `query($r: String!) { sql(ref: $r, query: "SELECT count(*), max(id) FROM faults.readings") { rows } }`;
    await s3.pause();
    try {
      expect((await g.data(count, { r: branch, t: table })).table.rows.totalCount).toBe('5');
      // The new data file is not in the engine's cache: fetching it fails.
      const failed = await g.gql(query, { r: branch });
      expect(failed.errors?.[0]?.extensions?.code, JSON.stringify(failed)).toBe('BACKEND_UNAVAILABLE');
      const cached = await fs.readdir(path.join(g.home, 'cache', 'objects'));
      expect(cached.filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      await s3.resume();
    }
    expect((await g.data(query, { r: branch })).sql.rows).toEqual([['5', '5']]);
  });
});
