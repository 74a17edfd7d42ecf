/**
 * The direct answer to plain JSON POSTs (src/server/graphql-post.ts) says exactly what yoga says: every
 * request below is sent twice, once to /graphql (answered directly when eligible) and once to
 * /graphql?via=yoga (always yoga), and the two answers must have the same status, headers and body
 * (request ids aside). The posts counter shows which path answered. Every request is sent in two
 * rounds: the first parses and validates a query text new to the direct path, the second runs the
 * document it kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, sign, wsClient, wsOnce } from '../support/auth.js';
import { startGateway, type Gateway } from '../support/gateway.js';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'content-length', 'connection', 'keep-alive']);

async function send(url: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  const requestId = res.headers.get('x-request-id') ?? '';
  const kept: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!VOLATILE_HEADERS.has(k)) kept[k] = v;
  });
  return { status: res.status, headers: kept, body: requestId ? text.replaceAll(requestId, '<request-id>') : text };
}

async function postsCounted(g: Gateway): Promise<{ direct: number; yoga: number }> {
  const text = await (await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${await sign({ roles: ['admin'] })}` } })).text();
  const count = (path: string) => Number(new RegExp(`cascade_graphql_posts_total\\{path="${path}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { direct: count('direct'), yoga: count('yoga') };
}

describe('GraphQL POSTs answered directly say what yoga says', () => {
  let g: Gateway;
  let viewer: string;
  let analyst: string;
  let engineer: string;

  beforeAll(async () => {
    g = await startGateway({ AUTH_JWT_SECRET: SECRET, NODE_ENV: 'production', MAX_DEPTH: '6', MAX_COST: '5000', QUERY_TIMEOUT_MS: '1000' });
    viewer = await sign({ roles: ['viewer'] });
    analyst = await sign({ roles: ['analyst'] });
    engineer = await sign({ roles: ['engineer'] });
  });
  afterAll(async () => g?.stop());

  const json = (token: string, extra: Record<string, string> = {}) => ({ 'content-type': 'application/json', authorization: `Bearer ${token}`, ...extra });
  const body = (query: string, variables?: unknown, operationName?: string) => JSON.stringify({ query, variables, operationName });

  /** [name, body, headers, expected path for /graphql]. */
  const cases = (): [string, string | Buffer, Record<string, string>, 'direct' | 'yoga'][] => [
    ['a query', body('{ defaultBranch { name hash } }'), json(viewer, { accept: 'application/json' }), 'direct'],
    ['no Accept header', body('{ defaultBranch { name } }'), json(viewer), 'direct'],
    ['Accept */*', body('{ __typename }'), json(viewer, { accept: '*/*' }), 'direct'],
    ['charset in Content-Type', body('{ __typename }'), json(viewer, { 'content-type': 'application/json; charset=utf-8' }), 'direct'],
    ['an invalid ref (an error beside data)', body('{ reference(ref: "../x") { name } }'), json(viewer), 'direct'],
    ['a ref the role may not read (FORBIDDEN)', body('{ branch(name: "dev") { name } }'), json(viewer), 'direct'],
    ['variables and operationName', body('query A { __typename } query B($n: Int!) { defaultBranch { log(first: $n) { nodes { hash } } } }', { n: 1 }, 'B'), json(viewer), 'direct'],
    ['a variable of the wrong type', body('query($n: Int!) { defaultBranch { log(first: $n) { nodes { hash } } } }', { n: 'x' }), json(viewer), 'direct'],
    ['a missing variable', body('query($n: Int!) { defaultBranch { log(first: $n) { nodes { hash } } } }'), json(viewer), 'direct'],
    ['a mutation with a typed error', body('mutation { createBranch(name: "main") { __typename } }'), json(engineer), 'direct'],
    ['a mutation the role may not run', body('mutation { createBranch(name: "x") { __typename } }'), json(viewer), 'direct'],
    ['over the cost limit', body('query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }', { n: 1000 }), json(engineer), 'direct'],
    ['within the cost limit, by a variable', body('query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }', { n: 3 }), json(engineer), 'direct'],
    ['over the time limit', body('{ sql(ref: "main", query: "SELECT count(*) FROM range(100000000000)") { rowCount } }'), json(analyst), 'direct'],
    ['an error in a resolver (a bad SQL text)', body('{ sql(ref: "main", query: "SELEC 1") { rowCount } }'), json(analyst), 'direct'],
    ['an unknown field (validation)', body('{ nope }'), json(viewer), 'yoga'],
    ['too deep (validation rule)', body('{ defaultBranch { log { nodes { parents { log { nodes { parents { hash } } } } } } } }'), json(viewer), 'yoga'],
    ['a syntax error', body('{ defaultBranch { '), json(viewer), 'yoga'],
    ['an unknown operation name', body('query A { __typename }', undefined, 'B'), json(viewer), 'yoga'],
    ['two operations, no name', body('query A { __typename } query B { __typename }'), json(viewer), 'yoga'],
    ['a subscription over POST', body('subscription { branchMoved(name: "main") { name } }'), json(viewer), 'yoga'],
    ['malformed JSON', '{"query": ', json(viewer), 'yoga'],
    ['a JSON array (batch)', '[{"query":"{ __typename }"}]', json(viewer), 'yoga'],
    ['JSON null', 'null', json(viewer), 'yoga'],
    ['a non-string query', '{"query": 1}', json(viewer), 'yoga'],
    ['an extra parameter', '{"query": "{ __typename }", "x": 1}', json(viewer), 'yoga'],
    ['extensions', '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "00"}}}', json(viewer), 'yoga'],
    ['variables as a string', '{"query": "{ __typename }", "variables": "{}"}', json(viewer), 'yoga'],
    ['invalid UTF-8', Buffer.concat([Buffer.from('{"query": "{ __typename }", "operationName": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), json(viewer), 'yoga'],
    ['Accept graphql-response+json', body('{ nope }'), json(viewer, { accept: 'application/graphql-response+json' }), 'yoga'],
    ['an Origin header (CORS)', body('{ __typename }'), json(viewer, { origin: 'http://example.test' }), 'yoga'],
  ];

  it('answers every request like yoga, directly when it can', async () => {
    for (const [name, b, headers, path] of [...cases(), ...cases()]) {
      const before = await postsCounted(g);
      const direct = await send(`${g.url}/graphql`, b, headers);
      const between = await postsCounted(g);
      const viaYoga = await send(`${g.url}/graphql?via=yoga`, b, headers);
      const after = await postsCounted(g);
      expect({ name, ...direct }).toEqual({ name, ...viaYoga });
      expect({ name, direct: between.direct - before.direct, yoga: between.yoga - before.yoga }).toEqual({ name, direct: path === 'direct' ? 1 : 0, yoga: path === 'yoga' ? 1 : 0 });
      expect({ name, yoga: after.yoga - between.yoga, direct: after.direct - between.direct }).toEqual({ name, yoga: 1, direct: 0 });
    }
  });

  it('lists fields in the order the query asked for them, whichever resolvers answer first (spec 7.2.2)', async () => {
    // references and log are read from the store (a promise), defaultBranch, name and __typename at once.
    const query = '{ references(first: 5) { nodes { name } } defaultBranch { log(first: 1) { nodes { hash } } name hash } __typename }';
    const keys = (text: string) => {
      const data = (JSON.parse(text) as { data: { defaultBranch: object } }).data;
      return [Object.keys(data), Object.keys(data.defaultBranch)];
    };
    const expected = [['references', 'defaultBranch', '__typename'], ['log', 'name', 'hash']];
    await send(`${g.url}/graphql`, body(query), json(viewer)); // the default branch is now in the ref cache
    for (const url of [`${g.url}/graphql`, `${g.url}/graphql?via=yoga`]) {
      const answer = await send(url, body(query), json(viewer));
      expect({ url, status: answer.status, keys: keys(answer.body) }).toEqual({ url, status: 200, keys: expected });
    }
    const { client } = wsClient(g.url, { Authorization: `Bearer ${viewer}` });
    try {
      const [result] = await wsOnce(client, query);
      expect(keys(JSON.stringify(result))).toEqual(expected);
    } finally {
      await client.dispose();
    }
  });

  it('answers a direct request with the security headers, a request id and a clean error when unauthenticated', async () => {
    const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: json(viewer, { 'x-request-id': 'req-direct-1' }), body: body('{ reference(ref: "../x") { name } }') });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-direct-1');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const answer = (await res.json()) as { errors: { extensions: Record<string, unknown> }[] };
    expect(answer.errors[0]!.extensions).toMatchObject({ code: 'INVALID_INPUT', requestId: 'req-direct-1' });
    const anonymous = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body('{ __typename }') });
    expect(anonymous.status).toBe(401);
  });
});
