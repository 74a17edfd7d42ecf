/**
 * Authentication end to end: HS256 tokens (issuer, audience, clock skew) over HTTP, graphql-ws
 * and SSE; every rejection case; Hasura-style claims and the role header; a JWKS URL (ES256)
 * served by a local HTTP server with custom subject and roles claim paths.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, post, sign, sse, unsigned, wsClient, wsOnce, type TokenOptions } from '../support/auth.js';
import { startGateway, type Gateway } from '../support/gateway.js';

const ISS = 'https://issuer.test/';
const AUD = 'cascade';

const unauthenticated = (r: { status: number; headers: Headers; body: { errors?: any[]; data?: unknown } }) => {
  expect(r.status).toBe(401);
  expect(r.headers.get('www-authenticate')).toMatch(/^Bearer realm="cascade-gateway"/);
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
};

describe('authentication with a shared secret (HS256)', () => {
  let g: Gateway;
  const tok = (o: TokenOptions = {}) => sign({ issuer: ISS, audience: AUD, roles: ['viewer'], ...o });

  beforeAll(async () => {
    g = await startGateway({ AUTH_JWT_SECRET: SECRET, AUTH_ISSUER: ISS, AUTH_AUDIENCE: AUD });
  });
  afterAll(async () => g?.stop());

  it('answers a valid token', async () => {
    const r = await post(g.url, '{ defaultBranch { name } }', { token: await tok() });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ data: { defaultBranch: { name: 'main' } } });
  });

  it('refuses a missing, malformed, unsigned, wrongly signed, expired, early, foreign or unexpected-algorithm token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-jwt',
      'alg none': unsigned({ sub: 'mallory', roles: ['admin'], iss: ISS, aud: AUD, exp: now + 600 }),
      'HS512 (unexpected algorithm)': await tok({ alg: 'HS512' }),
      'bad signature': await tok({ secret: 'another-secret-that-is-also-32-characters-long' }),
      'tampered payload': (await tok()).replace(/^([^.]+)\.([^.]+)\./, (_m, h) => `${h}.${Buffer.from(JSON.stringify({ sub: 'alice', roles: ['admin'], iss: ISS, aud: AUD, exp: now + 600 })).toString('base64url')}.`),
      expired: await tok({ expiresIn: -3600 }),
      'not yet valid': await tok({ notBefore: 3600 }),
      'no exp': await tok({ expiresIn: null }),
      'wrong issuer': await tok({ issuer: 'https://evil.test/' }),
      'wrong audience': await tok({ audience: 'someone-else' }),
      'no subject': await sign({ issuer: ISS, audience: AUD, roles: ['viewer'], sub: '' }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await post(g.url, '{ defaultBranch { name } }', { token });
      expect(r.status, name).toBe(401);
      unauthenticated(r);
      expect(JSON.stringify(r.body), name).not.toMatch(/node_modules|\.ts:\d+|stack/);
    }
    const basic = await post(g.url, '{ __typename }', { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
    unauthenticated(basic);
  });

  it('allows a small clock skew', async () => {
    const r = await post(g.url, '{ __typename }', { token: await tok({ expiresIn: -5 }) });
    expect(r.status).toBe(200);
  });

  it('keeps /healthz and /readyz open, the GraphiQL page too; /metrics needs a token', async () => {
    expect((await fetch(`${g.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${g.url}/readyz`)).status).toBe(200);
    const page = await fetch(`${g.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/graphiql/i);
    const metrics = await fetch(`${g.url}/metrics`);
    expect(metrics.status).toBe(401);
    expect(metrics.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const withToken = await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${await tok()}` } });
    expect(withToken.status).toBe(200);
    // A GET query is executed only with a token.
    const get = await fetch(`${g.url}/graphql?query=${encodeURIComponent('{ defaultBranch { hash } }')}`, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(401);
  });

  it('refuses a token that grants none of the roles (403 FORBIDDEN)', async () => {
    const r = await post(g.url, '{ __typename }', { token: await tok({ roles: ['user', 'superuser'] }) });
    expect(r.status).toBe(403);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('picks the active role with x-cascade-role among the allowed ones', async () => {
    const token = await tok({ sub: 'erin', roles: ['viewer', 'analyst'] });
    const sql = '{ sql(ref: "main", query: "SELECT 1 AS one") { rows } }';
    // Without a header the highest allowed role is in effect.
    expect((await post(g.url, sql, { token })).body).toEqual({ data: { sql: { rows: [[1]] } } });
    const asViewer = await post(g.url, sql, { token, headers: { 'x-cascade-role': 'viewer' } });
    expect(asViewer.status).toBe(200);
    expect(asViewer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const notAllowed = await post(g.url, sql, { token, headers: { 'x-cascade-role': 'admin' } });
    expect(notAllowed.status).toBe(403);
    expect(notAllowed.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await post(g.url, sql, { token, headers: { 'x-cascade-role': 'root' } });
    expect(unknown.status).toBe(403);
    // Roles include the lower ones: an engineer may act as a viewer.
    const engineer = await tok({ roles: ['engineer'] });
    const down = await post(g.url, '{ branch(name: "main") { name } }', { token: engineer, headers: { 'x-cascade-role': 'viewer' } });
    expect(down.body).toEqual({ data: { branch: { name: 'main' } } });
    const downSql = await post(g.url, sql, { token: engineer, headers: { 'x-cascade-role': 'viewer' } });
    expect(downSql.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('reads Hasura-style claims: allowed roles, default role, x-hasura-role', async () => {
    const token = await sign({
      issuer: ISS,
      audience: AUD,
      sub: 'hank',
      claims: { 'https://hasura.io/jwt/claims': { 'x-hasura-allowed-roles': ['viewer', 'engineer', 'user'], 'x-hasura-default-role': 'viewer' } },
    });
    const create = (name: string) =>
      `mutation { createBranch(name: "${name}") { __typename ... on CreateBranchSuccess { branch { name } } ... on Error { code } } }`;
    expect((await post(g.url, create('hasura/a'), { token })).body.data.createBranch).toEqual({ __typename: 'Forbidden', code: 'FORBIDDEN' });
    expect((await post(g.url, create('hasura/b'), { token, headers: { 'x-hasura-role': 'engineer' } })).body.data.createBranch).toEqual({
      __typename: 'CreateBranchSuccess',
      branch: { name: 'hasura/b' },
    });
    expect((await post(g.url, create('hasura/c'), { token, headers: { 'x-hasura-role': 'admin' } })).status).toBe(403);
  });

  it('records the authenticated subject as commit author', async () => {
    const token = await tok({ sub: 'alice@example.com', roles: ['engineer'] });
    await post(g.url, 'mutation { createBranch(name: "authors") { __typename } }', { token });
    const r = await post(g.url, 'mutation { createNamespace(branch: "authors", name: "by_alice") { ... on CreateNamespaceSuccess { commit { author } } ... on Error { code } } }', { token });
    expect(r.body.data.createNamespace).toEqual({ commit: { author: 'alice@example.com' } });
  });

  it('over graphql-ws: closes with 4401 without a valid token, 4403 for a role not allowed; accepts all three payload shapes', async () => {
    const bad: (Record<string, unknown> | undefined)[] = [
      undefined,
      { Authorization: 'Bearer nope' },
      { authorization: `Bearer ${await tok({ expiresIn: -3600 })}` },
      { headers: { Authorization: `Bearer ${unsigned({ sub: 'm', roles: ['admin'], exp: 9e9, iss: ISS, aud: AUD })}` } },
    ];
    for (const params of bad) {
      const { client, closes } = wsClient(g.url, params);
      await expect(wsOnce(client, '{ __typename }')).rejects.toMatchObject({ code: 4401 });
      expect(closes).toContain(4401);
      await client.dispose();
    }
    const forbidden = wsClient(g.url, { Authorization: `Bearer ${await tok()}`, 'x-cascade-role': 'admin' });
    await expect(wsOnce(forbidden.client, '{ __typename }')).rejects.toMatchObject({ code: 4403 });
    await forbidden.client.dispose();

    const token = await tok();
    for (const params of [{ Authorization: `Bearer ${token}` }, { authorization: `Bearer ${token}` }, { headers: { Authorization: `Bearer ${token}` } }]) {
      const { client } = wsClient(g.url, params);
      expect(await wsOnce(client, '{ defaultBranch { name } }')).toEqual([{ data: { defaultBranch: { name: 'main' } } }]);
      await client.dispose();
    }
    // The role choice travels in the payload too.
    const analyst = await tok({ roles: ['viewer', 'analyst'] });
    const asViewer = wsClient(g.url, { Authorization: `Bearer ${analyst}`, 'x-cascade-role': 'viewer' });
    const [res] = await wsOnce(asViewer.client, '{ sql(ref: "main", query: "SELECT 1") { rows } }');
    expect(res?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await asViewer.client.dispose();
  });

  it('over SSE: 401 without a valid token, a stream with one', async () => {
    const sub = 'subscription { referenceUpdated(names: ["main"]) { name kind } }';
    const none = sse(g.url, sub, {});
    await none.done;
    expect(none.status()).toBe(401);
    expect(none.events[0]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const expired = sse(g.url, sub, { authorization: `Bearer ${await tok({ expiresIn: -3600 })}` });
    await expired.done;
    expect(expired.status()).toBe(401);

    const stream = sse(g.url, sub, { authorization: `Bearer ${await tok()}` });
    await new Promise((r) => setTimeout(r, 300));
    const admin = await tok({ roles: ['admin'] });
    await post(g.url, 'mutation { createNamespace(branch: "main", name: "sse_ns") { __typename } }', { token: admin });
    const until = Date.now() + 5000;
    while (stream.events.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    stream.close();
    expect(stream.status()).toBe(200);
    expect(stream.events[0]).toEqual({ data: { referenceUpdated: { name: 'main', kind: 'COMMITTED' } } });
  });
});

describe('authentication with a JWKS URL (ES256), custom claim paths', () => {
  let g: Gateway;
  let jwksServer: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((req, res) => {
      res.writeHead(req.url === '/.well-known/jwks.json' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', () => r()));
    const port = (jwksServer.address() as AddressInfo).port;
    g = await startGateway({
      AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      AUTH_SUBJECT_CLAIM: 'email',
      AUTH_ROLES_CLAIM: 'realm_access.roles',
      AUTH_CLOCK_SKEW_SECONDS: '0',
    });
  });
  afterAll(async () => {
    await g?.stop();
    await new Promise((r) => jwksServer?.close(r));
  });

  const es256 = (key: CryptoKey, claims: Record<string, unknown>, expiresIn = 600, kid = 'k1') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn)
      .sign(key);

  it('accepts a token signed by a key of the set, reading subject and roles from the configured paths', async () => {
    const token = await es256(privateKey, { email: 'dana@example.com', realm_access: { roles: ['engineer'] } });
    await post(g.url, 'mutation { createBranch(name: "jwks") { __typename } }', { token });
    const r = await post(g.url, 'mutation { createNamespace(branch: "jwks", name: "ns1") { ... on CreateNamespaceSuccess { commit { author } } ... on Error { code } } }', { token });
    expect(r.status).toBe(200);
    expect(r.body.data.createNamespace).toEqual({ commit: { author: 'dana@example.com' } });
  });

  it('refuses another key, an unknown kid, HS256 (no secret configured), no skew after exp, and a missing subject claim', async () => {
    const claims = { email: 'x@example.com', realm_access: { roles: ['admin'] } };
    const cases = {
      'other key': await es256(otherKey, claims),
      'unknown kid': await es256(privateKey, claims, 600, 'k2'),
      HS256: await sign({ roles: ['admin'], claims }),
      expired: await es256(privateKey, claims, -2),
      'no email': await es256(privateKey, { sub: 'x', realm_access: { roles: ['admin'] } }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const r = await post(g.url, '{ __typename }', { token });
      expect(r.status, name).toBe(401);
      unauthenticated(r);
    }
  });
});
