/** The plain HTTP routes beside GraphQL, the request id, and GraphiQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';

describe('HTTP operations endpoints', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway();
  });
  afterAll(async () => g?.stop());

  it('answers /healthz, /readyz and /metrics', async () => {
    const health = await fetch(`${g.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${g.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', backends: { 'embedded-pglite': null } });
    await g.data(`{ defaultBranch { name } }`);
    const metrics = await (await fetch(`${g.url}/metrics`)).text();
    expect(metrics).toMatch(/cascade_backend_call_seconds_count\{port="VersionStore",method="getReference",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/cascade_graphql_operation_seconds_count/);
  });

  it('echoes a well-formed x-request-id and makes one otherwise', async () => {
    const given = await fetch(`${g.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(given.headers.get('x-request-id')).toBe('abc-123');
    const bad = await fetch(`${g.url}/healthz`, { headers: { 'x-request-id': '<script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves GraphiQL to a browser at /graphql', async () => {
    const res = await fetch(`${g.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/GraphiQL|graphiql/);
  });

  it('answers malformed requests with a clean 4xx and no stack trace', async () => {
    const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(await res.text()).not.toMatch(/node_modules|\.ts:\d+/);
  });
});
