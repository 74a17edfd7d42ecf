/**
 * Hostile input against the running gateway (embedded store, demo data, production mode) over HTTP
 * and graphql-ws. After every attack: a clean answer (never 5xx, no stack or server path, every
 * error coded and carrying the request id) and every ref head and table snapshot exactly as before.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, subscribe, eventually, type Gateway } from '../support/gateway.js';
import { expectClean, expectCodedErrors, expectNoLeak, op, send, snapshotState, type Reply, type State } from './support.js';

const MiB = 1024 * 1024;
const TRAVERSAL = ['../../etc/passwd', '..', 'a/../../b', '/etc/passwd', 'raw/../../../x', '..\\..\\windows', '%2e%2e%2fetc', 'raw.\u0000entries', 'raw..entries', ' raw.entries', 'a'.repeat(300)];
const ERR = `__typename ... on Error { code message }`;

describe('hostile input over HTTP and graphql-ws', () => {
  let g: Gateway;
  let before: State;
  let serverPaths: string[];
  const probe = path.join(os.tmpdir(), `cascade-hostile-${process.pid}`);

  beforeAll(async () => {
    g = await startGateway({
      CASCADE_DEMO: '1',
      NODE_ENV: 'production',
      MAX_UPLOAD_BYTES: String(2 * MiB),
      // The suite itself sends hundreds of requests a second; the rate limit has its own test.
      RATE_LIMIT_PER_SECOND: '10000',
      RATE_LIMIT_BURST: '10000',
      // 256 MiB for one sql query (its process is stopped at 1,280 MiB), so a runaway query is stopped within seconds.
      SQL_MEMORY_MB: '256',
    });
    before = await snapshotState(g);
    expect(before.tables.main!.length).toBeGreaterThan(0);
    expect(before.tables.dev!.length).toBeGreaterThan(0);
    serverPaths = [g.home, process.cwd(), os.homedir() + '/'].filter((p) => p.length > 1);
  });
  afterAll(async () => {
    await g?.stop();
    fs.rmSync(probe, { recursive: true, force: true });
  });

  /** The attack's answer is clean and nothing changed. */
  async function attack(r: Reply | Promise<Reply>, opts: { rejected?: boolean; echoes?: string } = {}) {
    const reply = await r;
    // a path the attacker sent may come back in a message (in production, scrubbed to <path>)
    expectClean(reply, serverPaths.filter((p) => !opts.echoes?.includes(p)), opts);
    expect(await snapshotState(g)).toEqual(before);
    return reply;
  }
  const gql = (query: string, variables?: Record<string, unknown>) => op(g.url, query, variables);

  it('refuses malformed JSON, wrong shapes and wrong content types', async () => {
    const bodies = ['{', '{"query":', 'null', '[]', '"x"', '42', '{"query": 5}', '{"query": null}', '{"query": "{ __typename }", "variables": "x"}',
      '{"query": "{ __typename }", "variables": [1]}', '{"query": "{ __typename }", "operationName": 7}', '{"query": "{ __typename }", "extensions": "x"}',
      '{"query": "{ __typename }"' + ' '.repeat(10) + ',,}', '\u0000\u0001', ''];
    for (const b of bodies) await attack(send(g.url, b));
    // extra keys are ignored, like any GraphQL server does
    await attack(send(g.url, '{"query": "{ __typename }", "evil": {"__proto__": {"polluted": 1}}}'), { rejected: false });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await attack(send(g.url, '{ __typename }', { headers: { 'content-type': 'text/plain' } }));
    // a form-encoded POST is valid GraphQL over HTTP (yoga accepts it); a mutation that way changes nothing here
    await attack(send(g.url, 'query={ __typename }', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), { rejected: false });
    await attack(send(g.url, `query=${encodeURIComponent('mutation { createBranch(name: "../form") { __typename ... on Error { code } } }')}`, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    await attack(send(g.url, null, { method: 'DELETE' }));
    // mutations over GET are refused
    const get = await send(g.url, null, { method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { createBranch(name: "via-get") { __typename } }')}` });
    expect(get.status).toBe(405);
    await attack(get);
  });

  it('refuses batched (array) requests', async () => {
    const r = await attack(send(g.url, JSON.stringify([{ query: '{ __typename }' }, { query: 'mutation { createBranch(name: "batched") { __typename } }' }])));
    expect(r.status).toBe(400);
  });

  it('refuses invalid GraphQL', async () => {
    for (const q of ['{', '}', 'query {', '{ defaultBranch { } }', 'mutation', 'subscription { referenceUpdated { name } }', '{ nope }',
      '{ defaultBranch { name(x: 1) } }', 'query Q { __typename } query Q { __typename }', '{ ...Missing }', '"string"', '{ __typename @skip }',
      '{ branch(name: main) { name } }', 'fragment F on Nope { x } { ...F }', '{ defaultBranch { ... on Tag { name } } }', '\u0000']) {
      await attack(gql(q));
    }
  });

  it('refuses deep nesting, alias and fragment bombs', async () => {
    // deep selection (also deep inline fragments, which do not add depth but must not crash)
    const deep = (n: number) => '{ defaultBranch { head { ' + 'a { '.repeat(n) + 'x' + ' }'.repeat(n) + ' } } }';
    const r = await attack(gql(deep(40)));
    expect(r.json.errors.some((e: any) => e.extensions.code === 'LIMIT_EXCEEDED')).toBe(true);
    await attack(gql(deep(5000)));
    await attack(gql('{ ' + '... on Query { '.repeat(2000) + '__typename' + ' }'.repeat(2000) + ' }'));
    await attack(gql('{ node(id: "x") { ' + '... on Branch { head { '.repeat(30) + 'hash' + ' } }'.repeat(30) + ' } }'));
    // a deep recursive path through real fields: references → branch tables → table → ... is bounded by the depth limit
    const real = `{ defaultBranch { ${'tables(first: 1) { nodes { snapshots(first: 1) { nodes { dataFiles(first: 1) { nodes { __typename } } } } } }'} } }`;
    await attack(gql(real), { rejected: false });
    // aliases
    const aliases = (n: number) => '{ ' + Array.from({ length: n }, (_, i) => `a${i}: defaultBranch { name }`).join(' ') + ' }';
    expect((await attack(gql(aliases(31)))).json.errors[0].extensions.code).toBe('LIMIT_EXCEEDED');
    await attack(gql(aliases(20_000)));
    // fragment cycles and an exponential fragment fan-out
    await attack(gql('fragment A on Query { ...B } fragment B on Query { ...A } { ...A }'));
    await attack(gql('fragment A on Query { ...A } { ...A }'));
    await attack(gql('fragment A on Branch { head { ...A } } { defaultBranch { ...A } }'));
    const fan = Array.from({ length: 40 }, (_, i) => (i === 0 ? 'fragment F0 on Branch { name hash }' : `fragment F${i} on Branch { ...F${i - 1} ...F${i - 1} }`));
    await attack(gql(`${fan.join(' ')} { defaultBranch { ...F39 } }`), { rejected: false });
    // repeated fields, directives and huge connection pages
    await attack(gql('{ defaultBranch { ' + 'name '.repeat(4000) + '} }'), { rejected: false });
    await attack(gql('{ __typename ' + '@include(if: true) '.repeat(3000) + '}'));
    await attack(gql('{ references(first: 1000) { nodes { ... on Branch { log(first: 1000) { nodes { operations { key } } } } } } }'));
    await attack(gql('{ references(first: 1000000) { nodes { name } } }'));
  });

  it('refuses huge strings and lists, and bodies over the limit', async () => {
    await attack(gql(`mutation($n: String!) { createBranch(name: $n) { ${ERR} } }`, { n: 'b'.repeat(2 * MiB) }));
    await attack(gql(`{ branch(name: "${'x'.repeat(MiB)}") { name } }`), { rejected: false });
    await attack(gql(`query($q: String!) { sql(ref: "main", query: $q) { rows } }`, { q: `SELECT '${'x'.repeat(200_000)}'` }));
    await attack(gql(`mutation($h: [String!]!) { cherryPick(hashes: $h, into: "dev") { ${ERR} } }`, { h: Array.from({ length: 100_000 }, (_, i) => i.toString(16).padStart(16, '0')) }));
    await attack(gql(`mutation($r: JSON) { appendRows(branch: "dev", table: "raw.nope", rows: $r) { ${ERR} } }`, { r: Array.from({ length: 50_000 }, (_, i) => ({ id: i, s: 'x'.repeat(20) })) }));
    const nested = '['.repeat(100_000) + ']'.repeat(100_000);
    await attack(send(g.url, `{"query": "query($w: JSON) { table(name: \\"raw.entries\\") { rows(where: $w) { rows } } }", "variables": {"w": ${nested}}}`));
    await attack(send(g.url, `{"query": "{ __typename }", "variables": {"w": ${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}}`), { rejected: false });
    // over the body limit: declared and chunked
    const big = JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(11 * MiB) } });
    expect((await attack(send(g.url, big))).status).toBe(413);
    const chunked = new ReadableStream<Uint8Array>({
      start(c) {
        const piece = new TextEncoder().encode('x'.repeat(MiB));
        c.enqueue(new TextEncoder().encode('{"query": "{ __typename }", "variables": {"pad": "'));
        for (let i = 0; i < 11; i++) c.enqueue(piece);
        c.enqueue(new TextEncoder().encode('"}}'));
        c.close();
      },
    });
    expect((await attack(send(g.url, chunked))).status).toBe(413);
  });

  it('refuses uploads over the limit', async () => {
    const query = `mutation($f: File) { appendRows(branch: "dev", table: "raw.entries", file: $f, format: NDJSON) { ${ERR} } }`;
    const form = new FormData();
    form.append('operations', JSON.stringify({ query, variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([Buffer.alloc(3 * MiB, '{"sgv": 1}\n')]), 'big.ndjson');
    const r = await attack(send(g.url, form, { headers: {} }));
    expect(r.status).toBe(413);
    // too many files, and a map pointing at nothing
    const many = new FormData();
    many.append('operations', JSON.stringify({ query, variables: { f: null } }));
    many.append('map', JSON.stringify(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [String(i), ['variables.f']]))));
    for (let i = 0; i < 30; i++) many.append(String(i), new Blob(['{}']), `${i}.json`);
    await attack(send(g.url, many, { headers: {} }));
    const bad = new FormData();
    bad.append('operations', '{');
    bad.append('map', '{"0": ["variables.nope.deeper"]}');
    await attack(send(g.url, bad, { headers: {} }));
  });

  it('handles invalid UTF-8 in the body', async () => {
    const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
    await attack(send(g.url, bytes('{"query": "{ branch(name: \\"', [0xff, 0xfe, 0xc3, 0x28], '\\") { name } }"}')), { rejected: false });
    await attack(send(g.url, bytes('{"query": "{ ', [0xc0, 0xaf, 0xed, 0xa0, 0x80], ' }"}')));
    await attack(send(g.url, bytes([0xef, 0xbb, 0xbf, 0xff], '{"query": "{ __typename }"}')));
    await attack(gql(`mutation($n: String!) { createBranch(name: $n) { ${ERR} } }`, { n: 'bad\ud800name' }));
    await attack(gql(`mutation($n: String!) { createNamespace(branch: "dev", name: $n) { ${ERR} } }`, { n: 'ns\u202e\u0000x' }));
  });

  it('refuses variables of the wrong type', async () => {
    const branchQ = 'query($n: String!) { branch(name: $n) { name } }';
    for (const n of [5, {}, [], null, true]) await attack(gql(branchQ, { n }));
    await attack(gql(branchQ));
    const firstQ = 'query($f: Int) { references(first: $f) { nodes { name } } }';
    for (const f of ['abc', 1e100, -1, 2 ** 31, 1.5, [1], { a: 1 }]) await attack(gql(firstQ, { f }));
    const snapQ = 'query($s: BigInt, $at: DateTime) { table(name: "raw.entries") { rows(snapshotId: $s, asOf: $at, first: 1) { rows } } }';
    for (const v of [{ s: 'abc' }, { s: '99999999999999999999999' }, { s: 1.5 }, { at: 'not a date' }, { at: '2026-13-45T99:99:99Z' }, { at: -8.64e15 - 1 }]) {
      await attack(gql(snapQ, v));
    }
    await attack(gql('query($t: ReferenceType) { references(type: $t) { nodes { name } } }', { t: 'BRANCHES' }));
    await attack(gql(`mutation($k: [KeyMergeMode!]) { merge(from: "dev", into: "main", dryRun: true, keyBehaviors: $k) { ${ERR} } }`, { k: [{ key: 'x', behavior: 'EXPLODE' }] }));
    await attack(gql(`mutation($c: [ColumnInput!]!) { createTable(branch: "dev", name: "raw.t1", columns: $c) { ${ERR} } }`, { c: [{ name: 'x' }] }));
  });

  it('refuses invalid names and ref expressions', async () => {
    const names = ['', '/', 'a//b', '/lead', 'trail/', 'a..b', '..', 'a b', 'a\nb', 'a\u0000b', 'main@', 'x~1', 'x*y', '@', '-', 'a'.repeat(256), '🙂', 'a:b', 'refs/heads/../x'];
    for (const n of names) {
      await attack(gql(`mutation($n: String!) { createBranch(name: $n, from: "main") { ${ERR} } }`, { n }));
      await attack(gql(`mutation($n: String!) { createTag(name: $n, from: "main") { ${ERR} } }`, { n }));
    }
    const refs = ['main@', 'main@zz', 'main@' + '0'.repeat(64), '@', '@xyz', 'main*', 'main*not-a-time', 'main*99999999999999999999', 'main~', 'main~-1', 'main~abc',
      'main~99999999999', 'main~1~1', 'main@abc*1', 'nope', '../main', 'main\u0000', '*1', '~1'];
    for (const ref of refs) {
      await attack(gql('query($r: String!) { reference(ref: $r) { name hash } }', { r: ref }), { rejected: false });
      await attack(gql('query($r: String!) { log(ref: $r, first: 1) { nodes { hash } } }', { r: ref }));
      await attack(gql(`mutation($r: String!) { merge(from: $r, into: "dev", dryRun: true) { ${ERR} } }`, { r: ref }));
      await attack(gql(`mutation($r: String!) { assignBranch(name: "dev", to: $r, expectedHash: "${'0'.repeat(64)}") { ${ERR} } }`, { r: ref }));
    }
    for (const h of ['', 'zz', 'x'.repeat(65), '../../etc', "'; DROP TABLE refs; --"]) {
      await attack(gql(`mutation($h: String) { deleteBranch(name: "dev", expectedHash: $h) { ${ERR} } }`, { h }));
      await attack(gql('query($h: String!) { commit(hash: $h) { hash } }', { h }), { rejected: false });
    }
    await attack(gql('query($id: ID!) { node(id: $id) { id } }', { id: Buffer.from('Branch:../../etc').toString('base64') }), { rejected: false });
    await attack(gql('query($id: ID!) { node(id: $id) { id } }', { id: '%%%not-base64' }), { rejected: false });
  });

  it('refuses path traversal in table and namespace names and in metadata locations', async () => {
    for (const n of TRAVERSAL) {
      await attack(gql('query($n: String!) { table(name: $n) { name } }', { n }), { rejected: false });
      await attack(gql('query($n: String!) { table(name: $n, ref: "dev") { rows(first: 1) { rows } } }', { n }), { rejected: false });
      await attack(gql(`mutation($n: String!) { createNamespace(branch: "dev", name: $n) { ${ERR} } }`, { n }));
      await attack(gql(`mutation($n: String!) { createTable(branch: "dev", name: $n, columns: [{ name: "id", type: "long" }]) { ${ERR} } }`, { n }));
      await attack(gql(`mutation($n: String!) { dropTable(branch: "dev", name: $n) { ${ERR} } }`, { n }));
      await attack(gql('query($n: String!) { tables(ref: "dev", namespace: $n) { nodes { name } } }', { n }), { rejected: false });
    }
    const entries = before.tables.dev!.find((t) => t.key === 'raw.entries')!;
    const locations = ['/etc/passwd', 'file:///etc/passwd', '../../../../etc/passwd', 'file:///proc/self/environ', `file://${g.home}/../../etc/passwd`, // path-check: data
      `file://${g.home}/warehouse/../../../etc/passwd`, `${entries.metadataLocation}/../../../../../../etc/passwd`, 'http://169.254.169.254/latest/meta-data/',
      's3://other-bucket/x/metadata/00000.metadata.json', 'file:///dev/zero', 'file:///dev/urandom', '', 'x'.repeat(10_000), `file://${g.home}/catalog`];
    for (const loc of locations) {
      const r = await attack(gql(`mutation($l: String!) { registerTable(branch: "dev", name: "raw.adopted", metadataLocation: $l) { ${ERR} } }`, { l: loc }));
      expect(r.text.includes(g.home), `production messages name no server path: ${r.text}`).toBe(false);
    }
    // the right metadata under a traversal name
    await attack(gql(`mutation($l: String!) { registerTable(branch: "dev", name: "../raw.entries2", metadataLocation: $l) { ${ERR} } }`, { l: entries.metadataLocation }));
  });

  it('refuses hostile pipeline names, params, targets and run ids without starting, cancelling or changing any run', async () => {
    const start = `mutation($p: String!, $params: JSON, $t: String) { startRun(pipeline: $p, params: $params, target: $t) { ${ERR} } }`;
    for (const p of [...TRAVERSAL, '', 'glucose; DROP TABLE runs', "glucose' OR '1'='1", '__proto__', 'constructor', 'glucose.ts', '../pipelines/glucose']) {
      await attack(gql(start, { p }));
    }
    let deep: unknown = 1;
    for (let i = 0; i < 1000; i++) deep = { a: deep };
    const badParams: unknown[] = [
      { days: 'x' }, { days: 1.5 }, { days: -1 }, { days: 1e12 }, { days: [14] }, { days: { $gt: 1 } }, { days: "1; DROP TABLE runs" },
      { badReadings: '5 OR 1=1' }, { unknown: 1 }, JSON.parse('{"__proto__": {"days": 1}}'), { constructor: { prototype: { x: 1 } } }, 'days=14', 42, [1, 2], true, deep,
      Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`p${i}`, i])), { days: 'x'.repeat(1_000_000) },
    ];
    for (const params of badParams) await attack(gql(start, { p: 'glucose', params }));
    for (const t of ['no-such-branch', 'v1.0', '../main', 'main~1', 'main@' + '0'.repeat(64), '', 'a'.repeat(300), 'main; DROP']) {
      await attack(gql(start, { p: 'glucose', t }));
    }
    const ids = ['', 'nope', '../../etc/passwd', "' OR '1'='1", '0'.repeat(10_000), '00000000-0000-0000-0000-000000000000', '%00', '-1'];
    for (const id of ids) {
      await attack(gql(`mutation($id: ID!) { cancelRun(id: $id) { ${ERR} } }`, { id }));
      await attack(gql(`mutation($id: ID!) { retryRun(id: $id) { ${ERR} } }`, { id }));
      await attack(gql(`query($id: ID!) { run(id: $id) { runId } }`, { id }), { rejected: false });
    }
    const ended = before.runs[0]!.runId;
    for (const after of [-2, -1000, 2 ** 31 - 1, 1.5]) {
      await attack(gql(`query($id: ID!, $a: Int) { run(id: $id) { events(after: $a) { seq } } }`, { id: ended, a: after }), { rejected: after < -1 || !Number.isInteger(after) });
    }
    await attack(gql(`{ runs(status: [EXPLODED]) { nodes { runId } } }`));
    await attack(gql(`{ runs(first: -1) { nodes { runId } } }`));
    await attack(gql(`{ runs(after: "%%%") { nodes { runId } } }`));
    await attack(gql(`{ runs(after: "${Buffer.from("x' OR 1=1 --|y").toString('base64url')}") { nodes { runId } } }`));
    await attack(gql(`{ runs(pipeline: "${"' OR 1=1 --"}") { nodes { runId } } }`), { rejected: false });
  });

  it('refuses hostile mart names, filters, orderings and publishes without touching any mart', async () => {
    expect(before.marts.map((m) => m.name)).toContain('mrt_glucose_overview');
    for (const n of [...TRAVERSAL, 'mrt_glucose_overview; DROP TABLE marts.mrt_glucose_overview', '"mrt_glucose_overview"', 'pg_catalog.pg_user', 'marts_meta.publications']) {
      await attack(gql('query($n: String!) { mart(name: $n) { name rows { rows } } }', { n }), { rejected: false });
      await attack(gql(`mutation($n: [String!]) { publishMarts(marts: $n) { ${ERR} } }`, { n: [n] }));
    }
    const wheres: unknown[] = [
      { "reading_date\" = reading_date OR 1=1 --": { _eq: 'x' } }, { reading_date: { '_eq) OR (1=1': 'x' } }, { reading_date: { _eq: "x' OR '1'='1" } },
      { reading_count: { _in: ['1', "2); DROP TABLE marts.mrt_glucose_overview; --"] } }, { _and: 'x' }, { avg_glucose: { _gt: 'NaN' } },
      { reading_date: { _like: 5 } }, { avg_glucose: { _eq: 1e400 } }, { pct_low: { _is_null: 'yes' } }, [], 'x', 1,
    ];
    for (const w of wheres) {
      await attack(gql('query($w: JSON) { mart(name: "mrt_glucose_overview") { rows(where: $w) { rows } aggregate(where: $w) } }', { w }));
    }
    for (const column of ['nope', 'reading_date DESC; DROP TABLE x', '__cascade_row', 'ctid', '1']) {
      await attack(gql('query($c: String!) { mart(name: "mrt_glucose_overview") { rows(orderBy: [{ column: $c }]) { rows } } }', { c: column }));
    }
    for (const from of ['no-such-ref', '../main', 'main; DROP', '@' + '0'.repeat(64)]) {
      await attack(gql(`mutation($f: String) { publishMarts(from: $f) { ${ERR} } }`, { f: from }));
    }
    await attack(gql('{ mrtGlucoseOverview(where: { reading_count: { _eq: "1 OR 1=1" } }) { nodes { reading_date } } }'));
  });

  it('refuses SQL injection through sql', async () => {
    const statements = [
      'DROP TABLE raw.entries', 'DELETE FROM raw.entries', "INSERT INTO raw.entries (sgv) VALUES (1)", 'UPDATE raw.entries SET sgv = 0', 'CREATE TABLE x AS SELECT 1',
      'SELECT 1; DROP TABLE raw.entries', 'SELECT 1; SELECT 2', `COPY (SELECT 1) TO '${probe}.csv'`, `EXPORT DATABASE '${probe}'`, `ATTACH '${probe}.db' AS x`,
      "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/passwd')", "SELECT * FROM read_blob('/etc/hostname')", "SELECT * FROM glob('/*')",
      "SELECT * FROM read_parquet('/etc/passwd')", `SELECT * FROM '${g.home}/catalog/PG_VERSION'`, "SELECT * FROM 'file:///etc/passwd'", 'INSTALL httpfs', 'LOAD httpfs',
      'SET enable_external_access = true', 'PRAGMA database_list', 'CALL pragma_version()', "SELECT * FROM duckdb_settings() WHERE name = 'allowed_paths'",
      "SELECT getenv('HOME')", "SELECT * FROM sniff_csv('/etc/passwd')", "WITH x AS (DELETE FROM raw.entries RETURNING *) SELECT * FROM x", 'VACUUM', 'CHECKPOINT',
      "SELECT * FROM raw.entries WHERE sgv = 1 UNION ALL SELECT * FROM read_csv_auto('/etc/passwd')", '/* */ DROP TABLE raw.entries -- ', 'DETACH memory', 'USE x',
      "SELECT * FROM query('DROP TABLE raw.entries')", "SELECT * FROM query_table('raw.entries')", 'SELECT current_setting(\'allowed_paths\')',
    ];
    for (const q of statements) {
      const r = await attack(gql('query($q: String!, $r: String!) { sql(ref: $r, query: $q) { rows } }', { q, r: 'dev' }), { rejected: false });
      // a harmless read may run; anything that reads the host or writes must be refused
      if (/DROP|DELETE|INSERT|UPDATE|CREATE|COPY|EXPORT|ATTACH|read_|glob|'\/|file:|INSTALL|LOAD|SET |getenv|sniff|query\(|; SELECT/i.test(q)) {
        expect(r.json.errors?.length, `${q} → ${r.text.slice(0, 300)}`).toBeGreaterThan(0);
      }
    }
    expect(fs.existsSync(`${probe}.csv`) || fs.existsSync(probe) || fs.existsSync(`${probe}.db`)).toBe(false);
    await attack(gql('query($q: String!) { sql(ref: "../../etc", query: $q) { rows } }', { q: 'SELECT 1' }));
    await attack(gql('query($q: String!) { sql(ref: "main", query: $q, maxRows: 100000000) { rows } }', { q: 'SELECT 1' }));
  });

  it('refuses sql results too large to hold, with a typed error', async () => {
    // a few huge values, or many rows adding up
    for (const q of [`SELECT repeat('x', 30000000) AS s FROM range(3)`, `SELECT repeat('x', 10000) AS s FROM range(10000)`]) {
      const r = await attack(gql('query($q: String!) { sql(ref: "main", query: $q, maxRows: 10000) { rows } }', { q }));
      expect(r.json.errors?.[0], q).toMatchObject({ message: expect.stringContaining('the result is larger than 64 MiB as JSON'), extensions: { code: 'LIMIT_EXCEEDED' } });
    }
  });

  it('stops sql queries that DuckDB cannot bound or interrupt, and goes on serving', async () => {
    // Lists built outside DuckDB's memory limit, deaf to its interrupt: in the gateway's process
    // each of these grew past 14 GB. Their own processes are stopped instead.
    const runaway = [`SELECT range(200000000) AS r`, `SELECT list_resize([1], 600000000) AS r`];
    const replies = await Promise.all(runaway.map((q) => attack(gql('query($q: String!) { sql(ref: "main", query: $q) { rows } }', { q }))));
    for (const r of replies) {
      expect(r.json.errors?.[0]).toMatchObject({ message: expect.stringContaining('the query needs more memory than allowed'), extensions: { code: 'LIMIT_EXCEEDED' } });
    }
    const ok = await gql('{ sql(ref: "main", query: "SELECT count(*) AS n FROM raw.entries") { rows } }');
    expect(ok.json.errors).toBeUndefined();
    expect(Number(ok.json.data.sql.rows[0][0])).toBeGreaterThan(0);
  }, 60_000);

  it('refuses SQL injection through where and orderBy', async () => {
    const rowsQ = 'query($w: JSON, $o: [OrderByInput!]) { table(name: "raw.entries", ref: "dev") { rows(where: $w, orderBy: $o, first: 5) { rows } } }';
    const values = ["'; DROP TABLE x; --", "1 OR 1=1", "' OR ''='", '"; DELETE FROM raw.entries; --', '\u0000', "') UNION SELECT * FROM read_csv('/etc/passwd') --"];
    for (const v of values) {
      await attack(gql(rowsQ, { w: { direction: { _eq: v } } }), { rejected: false });
      await attack(gql(rowsQ, { w: { sgv: { _eq: v } } }), { rejected: false });
      await attack(gql(rowsQ, { w: { direction: { _in: [v, v] } } }), { rejected: false });
      await attack(gql(rowsQ, { w: { direction: { _like: v } } }), { rejected: false });
    }
    const badWheres = [
      { sgv: { "_eq) OR 1=1; DROP TABLE x; --": 1 } }, { 'sgv" = 1 OR "1': { _eq: 1 } }, { "sgv; DROP TABLE raw.entries": { _eq: 1 } }, { sgv: { _raw: '1=1' } },
      { _and: 'x' }, { _or: [{ _not: 'x' }] }, { sgv: { _in: 'x' } }, { sgv: 5 }, 'DROP TABLE x', [1, 2], { sgv: { _eq: { nested: ['x'] } } },
      { [`${'_not'}`]: { sgv: { _gt: "0) OR (1=1" } } }, { '../../etc/passwd': { _eq: 1 } }, { sgv: { _is_null: 'yes' } },
    ];
    for (const w of badWheres) await attack(gql(rowsQ, { w }));
    const deep = '{"_not":'.repeat(5000) + '{"sgv":{"_gt":1}}' + '}'.repeat(5000);
    await attack(send(g.url, `{"query": ${JSON.stringify(rowsQ)}, "variables": {"w": ${deep}}}`));
    for (const column of ['sgv; DROP TABLE raw.entries', 'sgv DESC, (SELECT 1)', '1', '"sgv"', "read_csv('/etc/passwd')", '', '*', 'sgv)--']) {
      await attack(gql(rowsQ, { o: [{ column }] }));
    }
    await attack(gql(rowsQ, { o: [{ column: 'sgv', direction: 'SIDEWAYS' }] }));
    await attack(gql('query($c: [String!]) { table(name: "raw.entries", ref: "dev") { rows(columns: $c, first: 1) { rows } } }', { c: ['sgv', '* FROM raw.entries; --'] }));
    await attack(gql(`mutation($w: JSON) { overwriteRows(branch: "dev", table: "raw.entries", rows: [], where: $w) { ${ERR} } }`, { w: { "sgv) OR (1=1": { _eq: 1 } } }));
  });

  it('over graphql-ws: errors are coded, carry a request id, and nothing changes', async () => {
    const client = g.ws();
    const cases = [
      '{', '{ nope }', '{ ' + Array.from({ length: 40 }, (_, i) => `a${i}: defaultBranch { name }`).join(' ') + ' }',
      '{ defaultBranch { head { ' + 'a { '.repeat(30) + 'x' + ' }'.repeat(30) + ' } } }',
      'fragment A on Query { ...A } { ...A }',
      `mutation { createBranch(name: "../x") { ${ERR} } }`,
      'subscription { referenceUpdated(names: ["' + 'x'.repeat(10_000) + '"]) { name } }',
      'query { sql(ref: "main", query: "DROP TABLE raw.entries") { rows } }',
    ];
    for (const query of cases) {
      const s = subscribe(client, query);
      await eventually(() => s.errors.length > 0 || s.events.length > 0 || s.isCompleted());
      s.unsubscribe();
      const errors = s.errors.flatMap((e: any) => (Array.isArray(e) ? e : [e])).map((e: any) => (e?.extensions ? e : { ...e, extensions: e?.extensions }));
      const unionErrors = s.events.some((ev: any) => JSON.stringify(ev).includes('"code"'));
      expect(errors.length > 0 || unionErrors, `${query.slice(0, 80)} → ${JSON.stringify(s.events)}`).toBe(true);
      for (const e of errors) {
        expect(e.extensions?.requestId, JSON.stringify(e)).toMatch(/^[0-9a-f-]{36}$/);
        expectCodedErrors([e], e.extensions.requestId);
      }
      expectNoLeak(JSON.stringify(s.errors), serverPaths);
      expect(await snapshotState(g)).toEqual(before);
    }
  });

  it('survives garbage on the WebSocket', async () => {
    const garbage = ['not json', '{}', JSON.stringify({ type: 'subscribe', id: 1, payload: {} }), JSON.stringify({ type: 'connection_init', payload: 'x'.repeat(1000) }),
      Buffer.from([0xff, 0xfe, 0x00]), JSON.stringify({ type: 'subscribe', id: 'a', payload: { query: '{ __typename }' } })];
    for (const msg of garbage) {
      const ws = new WebSocket(`${g.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => ws.send(msg));
        ws.once('close', (code) => {
          expect(code).toBeGreaterThanOrEqual(1000);
          resolve();
        });
        ws.once('error', reject);
        setTimeout(() => ws.terminate(), 3000);
      });
    }
    // a wrong subprotocol and an oversized frame
    const wrong = new WebSocket(`${g.url.replace('http', 'ws')}/graphql`, 'nonsense');
    await new Promise<void>((resolve) => {
      wrong.once('close', () => resolve());
      wrong.once('error', () => resolve());
    });
    const big = new WebSocket(`${g.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise<void>((resolve) => {
      big.once('open', () => big.send('x'.repeat(11 * MiB)));
      big.once('close', () => resolve());
      big.once('error', () => resolve());
    });
    const health = await send(g.url, null, { method: 'GET', path: '/healthz' });
    expect(health.status).toBe(200);
    expect(await snapshotState(g)).toEqual(before);
  });
});
