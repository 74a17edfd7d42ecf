/**
 * Real Iceberg tables written by other software (test/fixtures/iceberg), adopted with
 * registerTable and read through GraphQL over HTTP on the real app: the answers each SOURCE.md
 * states, through `table`, `rows` and `sql`. The gateway maps every fixture's recorded location
 * prefix onto its folder with LOCATION_ALIASES; a metadata file outside the warehouse and every
 * alias target is refused and nothing is committed.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { FIXTURES_DIR } from '../support/iceberg-fixtures.js';

const FIXTURES = FIXTURES_DIR;

/** Each fixture: the location prefix its writer recorded, and its current metadata file. */
const FIXTURE = {
  lineitem: { dir: 'duckdb-lineitem-iceberg', prefix: 'lineitem_iceberg/', metadata: 'metadata/v2.metadata.json' },
  bunnies: { dir: 'icebird-spark-bunnies', prefix: 's3a://hyperparam-iceberg/spark/bunnies/', metadata: 'metadata/v5.metadata.json' },
  legacy: { dir: 'duckdb-legacy-v1', prefix: 'data/persistent/iceberg_v1_deprecated/default/legacy_v1/', metadata: 'metadata/v2.metadata.json' },
  eqdel: { dir: 'duckdb-equality-deletes', prefix: 'data/persistent/equality_deletes/warehouse/mydb/mytable/', metadata: 'metadata/v7.metadata.json' },
} as const;
type FixtureName = keyof typeof FIXTURE;

const RUN = randomBytes(3).toString('hex');
const NS = `fx${RUN}`;
/** Both ways to name the metadata file: through the recorded prefix, and by its real path. */
const FORMS = ['recorded', 'real'] as const;
const tableName = (f: FixtureName, form: (typeof FORMS)[number]) => `${NS}.${f}_${form}`;
const locationOf = (f: FixtureName, form: (typeof FORMS)[number]) =>
  form === 'recorded' ? `${FIXTURE[f].prefix}${FIXTURE[f].metadata}` : pathToFileURL(path.join(FIXTURES, FIXTURE[f].dir, FIXTURE[f].metadata)).href;

const REGISTER = `mutation($b: String!, $n: String!, $l: String!, $h: String) {
  registerTable(branch: $b, name: $n, metadataLocation: $l, expectedHash: $h) {
    __typename
    ... on CreateTableSuccess { table { name metadataLocation formatVersion } commit { hash } }
    ... on Error { code message }
  }
}`;
const ROWS = `query($r: String, $t: String!, $s: BigInt, $w: JSON, $o: [OrderByInput!], $f: Int, $c: [String!]) {
  table(name: $t, ref: $r) { rows(snapshotId: $s, where: $w, orderBy: $o, first: $f, columns: $c) { columns rows totalCount pageInfo { hasNextPage } } }
}`;
const SQL = `query($r: String!, $q: String!) { sql(ref: $r, query: $q) { columns { name } rows rowCount truncated } }`;

describe('Iceberg fixtures from other writers, registered and read through GraphQL', () => {
  let g: Gateway;
  let branch: string;
  let outside: string;

  const head = async () => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b: branch })).branch.hash as string;
  const rows = async (vars: Record<string, unknown>) => (await g.data(ROWS, { r: branch, f: 1000, ...vars })).table.rows;
  const sql = async (q: string) => (await g.data(SQL, { r: branch, q })).sql;

  beforeAll(async () => {
    const aliases = Object.values(FIXTURE).map((f) => `${f.prefix}=${pathToFileURL(path.join(FIXTURES, f.dir)).href}/`);
    g = await startGateway({ LOCATION_ALIASES: aliases.join(',') });
    branch = `fixtures-${RUN}`;
    expect((await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: branch })).createBranch.__typename).toBe('CreateBranchSuccess');
    expect((await g.data(`mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`, { b: branch, n: NS })).createNamespace.__typename).toBe('CreateNamespaceSuccess');
    for (const f of Object.keys(FIXTURE) as FixtureName[]) {
      for (const form of FORMS) {
        const r = await g.data(REGISTER, { b: branch, n: tableName(f, form), l: locationOf(f, form) });
        expect(r.registerTable.__typename, `${f} ${form}: ${JSON.stringify(r.registerTable)}`).toBe('CreateTableSuccess');
        expect(r.registerTable.table.metadataLocation).toMatch(new RegExp(`${FIXTURE[f].metadata.replaceAll('.', '\\.')}$`));
      }
    }
    // A real metadata file, copied where no alias and not the warehouse reaches.
    outside = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-outside-'));
    await fs.copyFile(path.join(FIXTURES, FIXTURE.legacy.dir, FIXTURE.legacy.metadata), path.join(outside, 'v2.metadata.json'));
  });
  afterAll(async () => {
    await g?.stop();
    if (outside) await fs.rm(outside, { recursive: true, force: true });
  });

  it('lineitem (Spark, v2): 51,793 rows now, 60,175 at snapshot 7817332053627255703, TPC-H Q6 revenue 1077536.9101', async () => {
    for (const form of FORMS) {
      const t = tableName('lineitem', form);
      const info = await g.data(
        `query($r: String, $t: String!) { table(name: $t, ref: $r) { formatVersion currentSnapshot { snapshotId totalRows operation } snapshots { nodes { snapshotId } } stats { rowCount fileCount } schema { fields { name type } } } }`,
        { r: branch, t },
      );
      expect(info.table).toMatchObject({ formatVersion: 2, currentSnapshot: { snapshotId: '2354745328521181395', totalRows: '51793', operation: 'overwrite' }, stats: { rowCount: '51793', fileCount: 1 } });
      expect(info.table.snapshots.nodes.map((n: any) => n.snapshotId)).toEqual(['2354745328521181395', '7817332053627255703']);
      expect(info.table.schema.fields).toHaveLength(16);
      expect(info.table.schema.fields).toContainEqual({ name: 'l_extendedprice', type: 'decimal(15,2)' });
      expect((await rows({ t, f: 1 })).totalCount).toBe('51793');
      expect((await rows({ t, f: 1, s: '7817332053627255703' })).totalCount).toBe('60175');
      const q6 = await sql(
        `SELECT sum(l_extendedprice * l_discount) AS revenue FROM ${t}
         WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01' AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`,
      );
      expect(q6.columns).toEqual([{ name: 'revenue' }]);
      expect(q6.rows).toEqual([['1077536.9101']]);
      expect((await sql(`SELECT count(*) FROM ${t}`)).rows).toEqual([['51793']]);
    }
  });

  it('bunnies (Spark, position delete, added column, names with spaces): 20 rows now, 21 at snapshot 7505300640432048841', async () => {
    for (const form of FORMS) {
      const t = tableName('bunnies', form);
      const current = await rows({ t });
      expect(current.totalCount).toBe('20');
      expect(current.rows).toHaveLength(20);
      expect(current.columns).toEqual(['Breed Name', 'Average Weight', 'Fur Length', 'Lifespan', 'Origin Country', 'Ear Type', 'Temperament', 'Popularity Rank', 'breed_name_length']);
      expect(current.rows[0]).toEqual({
        'Breed Name': 'Netherland Dwarf',
        'Average Weight': 0.9,
        'Fur Length': 2.5,
        Lifespan: '10',
        'Origin Country': 'Netherlands',
        'Ear Type': 'Erect',
        Temperament: 'Shy',
        'Popularity Rank': '2',
        breed_name_length: 16,
      });
      const old = await rows({ t, s: '7505300640432048841' });
      expect(old.totalCount).toBe('21');
      expect(old.columns).not.toContain('breed_name_length');
      expect(old.rows[0]).toEqual({
        'Breed Name': 'Holland Lop',
        'Average Weight': 1.8,
        'Fur Length': 3,
        Lifespan: '7',
        'Origin Country': 'The Netherlands',
        'Ear Type': 'Lop',
        Temperament: 'Friendly',
        'Popularity Rank': '1',
      });
      // Column names with spaces work in rows(columns, where, orderBy) and in SQL.
      const lops = await rows({ t, c: ['Breed Name', 'Ear Type'], w: { 'Ear Type': { _eq: 'Lop' } }, o: [{ column: 'Popularity Rank' }] });
      expect(lops.columns).toEqual(['Breed Name', 'Ear Type']);
      expect(lops.rows.length).toBeGreaterThan(0);
      for (const r of lops.rows) expect(r['Ear Type']).toBe('Lop');
      const bySql = await sql(`SELECT "Breed Name" FROM ${t} WHERE "Ear Type" = 'Lop' ORDER BY "Popularity Rank"`);
      expect(bySql.rows.map((r: any[]) => r[0])).toEqual(lops.rows.map((r: any) => r['Breed Name']));
      const agg = await sql(`SELECT count(*), count(*) FILTER (WHERE breed_name_length = length("Breed Name")) FROM ${t}`);
      expect(agg.rows).toEqual([['20', '20']]);
      expect((await sql(`SELECT count(*) FROM ${t} WHERE "Breed Name" = 'Holland Lop'`)).rows).toEqual([['0']]);
    }
  });

  it('legacy v1 (manifests listed in the snapshot, partitioned by category): three rows and the category filter', async () => {
    for (const form of FORMS) {
      const t = tableName('legacy', form);
      const info = await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { formatVersion partitionSpec { fields { name transform } } } }`, { r: branch, t });
      expect(info.table).toEqual({ formatVersion: 1, partitionSpec: { fields: [{ name: 'category', transform: 'identity' }] } });
      const all = await rows({ t, o: [{ column: 'id' }] });
      expect(all.rows).toEqual([
        { id: 1, category: 'alpha', amount: 10 },
        { id: 2, category: 'beta', amount: 20 },
        { id: 3, category: 'alpha', amount: null },
      ]);
      const beta = await rows({ t, c: ['id', 'amount'], w: { category: { _eq: 'beta' } } });
      expect(beta.rows).toEqual([{ id: 2, amount: 20 }]);
      expect((await sql(`SELECT id, amount FROM ${t} WHERE category = 'beta'`)).rows).toEqual([[2, 20]]);
    }
  });

  it('equality deletes (Iceberg Java API): (4,d,2025-01-04) and (5,e,2025-01-05), count 2', async () => {
    for (const form of FORMS) {
      const t = tableName('eqdel', form);
      const all = await rows({ t, o: [{ column: 'id' }] });
      expect(all.totalCount).toBe('2');
      expect(all.rows).toEqual([
        { id: 4, name: 'd', bir: '2025-01-04' },
        { id: 5, name: 'e', bir: '2025-01-05' },
      ]);
      expect((await sql(`SELECT count(*) FROM ${t}`)).rows).toEqual([['2']]);
      expect((await sql(`SELECT count(*) FROM ${t} WHERE bir >= DATE '2025-01-01'`)).rows).toEqual([['2']]);
      expect((await sql(`SELECT bir FROM ${t} WHERE id = 4`)).rows).toEqual([['2025-01-04']]);
      expect((await rows({ t, w: { name: { _in: ['a', 'b', 'c', 'f'] } } })).totalCount).toBe('0');
    }
  });

  it('refuses a metadataLocation outside the warehouse and every alias target with INVALID_INPUT, committing nothing', async () => {
    const before = await head();
    const copy = path.join(outside, 'v2.metadata.json');
    const legacyDir = path.join(FIXTURES, FIXTURE.legacy.dir);
    const escapes = [
      pathToFileURL(copy).href,
      copy,
      // through a recorded prefix, climbing out of its alias target
      `${FIXTURE.legacy.prefix}${path.relative(legacyDir, copy)}`,
      'file:///etc/passwd',
    ];
    for (const [i, l] of escapes.entries()) {
      const n = `${NS}.outside_${i}`;
      const r = await g.gql(REGISTER, { b: branch, n, l });
      expect(r.errors, l).toBeUndefined();
      expect(r.data.registerTable.__typename, l).not.toBe('CreateTableSuccess');
      expect(r.data.registerTable.code, l).toBe('INVALID_INPUT');
      expect((await g.data(`query($r: String, $t: String!) { table(name: $t, ref: $r) { name } }`, { r: branch, t: n })).table).toBeNull();
    }
    expect(await head()).toBe(before);
  });
});
