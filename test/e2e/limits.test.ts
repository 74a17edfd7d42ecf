/**
 * The limits and HTTP hardening, each configured small on a running gateway: rate limit (HTTP 429
 * with Retry-After, an error over graphql-ws), query timeout (DuckDB stops too), cost, uploads,
 * persisted-operations allow-list, introspection off, CORS, security headers, request ids.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { SECRET, sign } from '../support/auth.js';
import { op, send } from '../hostile/support.js';

const codes = (r: { json: any }) => (r.json?.errors ?? []).map((e: any) => e.extensions?.code);

describe('limits: rate limit, timeout, cost, uploads', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({ CASCADE_DEMO: '1', RATE_LIMIT_PER_SECOND: '0.05', RATE_LIMIT_BURST: '300', QUERY_TIMEOUT_MS: '700', MAX_UPLOAD_BYTES: '100000', MAX_COST: '20000' });
  });
  afterAll(async () => g?.stop());

  it('weights connections by first: one page of 1000 passes, nested pages of 1000 do not', async () => {
    const one = await op(g.url, '{ references(first: 1000) { nodes { name hash } } }');
    expect(one.json.errors).toBeUndefined();
    const nested = await op(g.url, 'query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }', { n: 1000 });
    expect(nested.status).toBe(200);
    expect(codes(nested)).toEqual(['LIMIT_EXCEEDED']);
    const small = await op(g.url, 'query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }', { n: 10 });
    expect(small.json.errors).toBeUndefined();
  });

  it('stops a long query, DuckDB sql included, with LIMIT_EXCEEDED after the timeout', async () => {
    const q = 'SELECT count(*) FROM raw.entries a, raw.entries b, raw.entries c, raw.entries d, raw.entries e';
    const started = Date.now();
    const r = await op(g.url, 'query($q: String!) { sql(ref: "dev", query: $q) { rows } }', { q });
    const took = Date.now() - started;
    expect(codes(r)).toEqual(['LIMIT_EXCEEDED']);
    expect(took).toBeLessThan(5000);
    // DuckDB was interrupted: the process is idle again (a runaway cross join would keep every core busy)
    await new Promise((res) => setTimeout(res, 300));
    const cpu = process.cpuUsage();
    await new Promise((res) => setTimeout(res, 1000));
    const used = process.cpuUsage(cpu);
    expect((used.user + used.system) / 1000).toBeLessThan(600);
    // and the gateway still answers sql
    const ok = await op(g.url, '{ sql(ref: "dev", query: "SELECT count(*) FROM raw.entries") { rows } }');
    expect(ok.json.data.sql.rows).toEqual([['4032']]);
  });

  it('refuses an upload over the limit with 413 and LIMIT_EXCEEDED', async () => {
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: 'mutation($f: File) { appendRows(branch: "dev", table: "raw.entries", file: $f) { __typename } }', variables: { f: null } }));
    form.append('map', JSON.stringify({ 0: ['variables.f'] }));
    form.append('0', new Blob([Buffer.alloc(200_000, 'x')]), 'big.ndjson');
    const r = await send(g.url, form, { headers: {} });
    expect(r.status).toBe(413);
    expect(codes(r)).toEqual(['LIMIT_EXCEEDED']);
    expect(r.json.errors[0].extensions.requestId).toBe(r.requestId);
  });

  it('streams uploads to scratch files that are removed once the response is sent, refused or not', async () => {
    const scratch = path.join(g.home, 'uploads');
    const left = async () => (await fs.readdir(scratch).catch(() => [] as string[])).length;
    const upload = (size: number) => {
      const form = new FormData();
      form.append('operations', JSON.stringify({ query: 'mutation($f: File) { appendRows(branch: "dev", table: "raw.nope", file: $f) { __typename ... on Error { code } } }', variables: { f: null } }));
      form.append('map', JSON.stringify({ 0: ['variables.f'] }));
      form.append('0', new Blob([Buffer.alloc(size, '{"sgv": 1}\n')]), 'rows.ndjson');
      return new Response(form);
    };
    // chunked (no Content-Length): the limit applies while the body streams in
    const over = upload(150_000);
    const r = await send(g.url, over.body, { headers: { 'content-type': over.headers.get('content-type')! } });
    expect(r.status).toBe(413);
    expect(codes(r)).toEqual(['LIMIT_EXCEEDED']);
    const ok = upload(50_000);
    const done = await send(g.url, ok.body, { headers: { 'content-type': ok.headers.get('content-type')! } });
    expect(done.json.data.appendRows).toEqual({ __typename: 'NotFound', code: 'NOT_FOUND' });
    for (let i = 0; i < 50 && (await left()) > 0; i++) await new Promise((res) => setTimeout(res, 100));
    expect(await left()).toBe(0);
  });

  it('limits requests per subject: HTTP 429 with Retry-After, an error result over graphql-ws', async () => {
    const replies: Awaited<ReturnType<typeof op>>[] = [];
    for (let i = 0; i < 8 && !replies.some((r) => r.status === 429); i++) {
      replies.push(...(await Promise.all(Array.from({ length: 50 }, () => op(g.url, '{ __typename }')))));
    }
    const limited = replies.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(codes(limited[0]!)).toEqual(['LIMIT_EXCEEDED']);
    expect(limited[0]!.json.errors[0].extensions.requestId).toBe(limited[0]!.requestId);
    // Refused before the body is read: a body that would be a 400 is a 429 as well.
    const broken = await send(g.url, '{"query": ');
    expect(broken.status).toBe(429);
    expect(codes(broken)).toEqual(['LIMIT_EXCEEDED']);
    const s = subscribe(g.ws(), '{ __typename }');
    await eventually(() => s.errors.length > 0 || s.events.length > 0);
    expect(s.errors.flat().map((e: any) => e.extensions?.code)).toEqual(['LIMIT_EXCEEDED']);
    expect((s.errors.flat()[0] as any).extensions.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('limits: persisted operations, introspection off, CORS and headers', () => {
  let g: Gateway;
  let dir: string;
  const allowed = '{ defaultBranch { name } }';
  const hash = createHash('sha256').update(allowed).digest('hex');
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-persisted-'));
    await fs.writeFile(path.join(dir, 'ops.json'), JSON.stringify({ [hash]: allowed }));
    g = await startGateway({
      PERSISTED_OPERATIONS_FILE: path.join(dir, 'ops.json'),
      INTROSPECTION: '0',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      HSTS_MAX_AGE: '31536000',
      NODE_ENV: 'production',
    });
  });
  afterAll(async () => {
    await g?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('runs only operations from the allow-list', async () => {
    const byHash = await send(g.url, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }));
    expect(byHash.json).toEqual({ data: { defaultBranch: { name: 'main' } } });
    const arbitrary = await op(g.url, '{ __typename }');
    expect(arbitrary.status).toBe(403);
    expect(codes(arbitrary)).toEqual(['FORBIDDEN']);
    const unknown = await send(g.url, JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } } }));
    expect(codes(unknown)).toEqual(['FORBIDDEN']);
    expect(unknown.json.errors[0].extensions.requestId).toBe(unknown.requestId);
    // graphql-ws: the allowed text runs, anything else is refused
    const client = g.ws();
    const ok = subscribe(client, allowed);
    const no = subscribe(client, '{ __typename }');
    await eventually(() => ok.events.length > 0 && no.errors.length > 0);
    expect(ok.events).toEqual([{ defaultBranch: { name: 'main' } }]);
    expect(no.errors.flat().map((e: any) => e.extensions?.code)).toEqual(['FORBIDDEN']);
  });

  it('sends CORS headers only to the configured origins, and the security headers everywhere', async () => {
    const pre = await fetch(`${g.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await fetch(`${g.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    for (const p of ['/graphql', '/healthz']) {
      const r = await fetch(`${g.url}${p}`, { headers: { 'x-forwarded-proto': 'https' } });
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(r.headers.get('cache-control')).toBe('no-store');
      expect(r.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    }
    const plain = await fetch(`${g.url}/healthz`);
    expect(plain.headers.get('strict-transport-security')).toBeNull();
  });

  it('puts the CORS headers on the gateway\'s own early answers too (401, 413, 429), for allowed origins only', async () => {
    // One request's worth of rate limit: the second authenticated request is refused with a 429.
    const h = await startGateway({ AUTH_JWT_SECRET: SECRET, CORS_ORIGINS: 'https://app.example.com', MAX_BODY_BYTES: '1000', RATE_LIMIT_PER_SECOND: '0.01', RATE_LIMIT_BURST: '1' });
    try {
      const token = await sign({ roles: ['viewer'] });
      const post = (origin: string, body: string, auth?: string) =>
        fetch(`${h.url}/graphql`, { method: 'POST', headers: { origin, 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) }, body });
      const unauthenticated = await post('https://app.example.com', JSON.stringify({ query: '{ __typename }' }));
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(unauthenticated.headers.get('access-control-expose-headers')).toContain('x-request-id');
      const tooLarge = await post('https://app.example.com', JSON.stringify({ query: `{ __typename } # ${'x'.repeat(2000)}` }), token);
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      const limited = await post('https://app.example.com', JSON.stringify({ query: '{ __typename }' }), token);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
      const foreign = await post('https://evil.example.com', JSON.stringify({ query: '{ __typename }' }));
      expect(foreign.status).toBe(401);
      expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await h.stop();
    }
  });

  it('puts the request id and the security headers on every kind of answer, each header once', async () => {
    // A header sent twice would read as "no-store, no-store" here.
    const h = await startGateway({ AUTH_JWT_SECRET: SECRET, MAX_BODY_BYTES: '1000', RATE_LIMIT_PER_SECOND: '0.01', RATE_LIMIT_BURST: '3' });
    try {
      const token = await sign({ roles: ['viewer'] });
      const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
      const answers: [string, number, RequestInit & { path?: string }][] = [
        ['open route', 200, { path: '/healthz' }],
        ['unauthenticated', 401, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }],
        ['answered directly', 200, { method: 'POST', headers: json, body: '{"query":"{ __typename }"}' }],
        ['too large', 413, { method: 'POST', headers: json, body: JSON.stringify({ query: `{ __typename } # ${'x'.repeat(2000)}` }) }],
        ['answered by yoga', 400, { method: 'POST', headers: json, body: '{"query": ' }],
        ['rate limited', 429, { method: 'POST', headers: json, body: '{"query":"{ __typename }"}' }],
      ];
      for (const [i, [name, status, init]] of answers.entries()) {
        const requestId = `headers-${i}`;
        const r = await fetch(`${h.url}${init.path ?? '/graphql'}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': requestId } });
        expect({ name, status: r.status }).toEqual({ name, status });
        expect({ name, headers: Object.fromEntries(['x-request-id', 'x-content-type-options', 'x-frame-options', 'referrer-policy', 'cache-control'].map((k) => [k, r.headers.get(k)])) }).toEqual({
          name,
          headers: { 'x-request-id': requestId, 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
        });
        expect(r.headers.get('content-security-policy'), name).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
        if (r.status !== 200) expect(((await r.json()) as { errors: { extensions: { requestId: string } }[] }).errors[0]!.extensions.requestId, name).toBe(requestId);
      }
    } finally {
      await h.stop();
    }
  });
});

describe('limits: defaults, introspection off, GraphiQL and request ids', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({ INTROSPECTION: '0' });
  });
  afterAll(async () => g?.stop());

  it('refuses introspection but answers __typename, and hides field suggestions', async () => {
    const r = await op(g.url, '{ __schema { types { name } } }');
    expect(codes(r)).toEqual(['FORBIDDEN']);
    expect((await op(g.url, '{ __type(name: "Branch") { name } }')).json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await op(g.url, '{ __typename }')).json.data).toEqual({ __typename: 'Query' });
    const typo = await op(g.url, '{ defaultBranch { nme } }');
    expect(typo.text).not.toContain('Did you mean');
  });

  it('gives GraphiQL a CSP that lets it load, and JSON a strict one', async () => {
    const html = await fetch(`${g.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(html.headers.get('content-type')).toContain('text/html');
    // Its own origin only: the page inlines what it needs (test/e2e/graphiql-browser.test.ts loads it in Chromium).
    const csp = html.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toMatch(/https?:/);
    const json = await send(g.url, JSON.stringify({ query: '{ __typename }' }));
    expect(json.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    expect(json.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts the x-request-id on every error, over HTTP and graphql-ws', async () => {
    const r = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'trace-123' }, body: JSON.stringify({ query: '{ branch(name: "../x") { name } }' }) });
    const body = (await r.json()) as any;
    expect(body.errors.length).toBeGreaterThan(0);
    for (const e of body.errors) expect(e.extensions.requestId).toBe('trace-123');
    const s = subscribe(g.ws(), '{ nope }');
    await eventually(() => s.errors.length > 0);
    expect((s.errors.flat()[0] as any).extensions).toMatchObject({ code: 'INVALID_INPUT', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });
});
