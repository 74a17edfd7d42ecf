/** Tokens, and HTTP / graphql-ws / SSE clients that carry them, for the authentication tests. */
import { createClient, type Client } from 'graphql-ws';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { forEachSseMessage } from './sse.js';

export const SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface TokenOptions {
  sub?: string;
  roles?: string[];
  /** Seconds from now; negative for an expired token. Null: no exp claim. */
  expiresIn?: number | null;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  alg?: 'HS256' | 'HS384' | 'HS512';
  secret?: string;
  claims?: Record<string, unknown>;
}

export async function sign(o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(o.roles ? { roles: o.roles } : {}), ...o.claims })
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setSubject(o.sub ?? 'alice');
  if (o.expiresIn !== null) jwt.setExpirationTime(now + (o.expiresIn ?? 600));
  if (o.notBefore !== undefined) jwt.setNotBefore(now + o.notBefore);
  if (o.issuer) jwt.setIssuer(o.issuer);
  if (o.audience) jwt.setAudience(o.audience);
  return jwt.sign(new TextEncoder().encode(o.secret ?? SECRET));
}

/** An unsigned token (`alg: none`), which must never be accepted. */
export function unsigned(payload: Record<string, unknown>): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
}

export async function post(url: string, query: string, opts: { token?: string; headers?: Record<string, string>; variables?: Record<string, unknown> } = {}) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({ query, variables: opts.variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { data?: any; errors?: any[] } };
}

/** A graphql-ws client with connection parameters; `closed` records the close code. */
export function wsClient(url: string, connectionParams: Record<string, unknown> | undefined) {
  const closes: number[] = [];
  const client: Client = createClient({
    url: `${url.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams,
    on: { closed: (e) => closes.push((e as { code: number }).code) },
  });
  return { client, closes };
}

/** One operation over graphql-ws: resolves with the results, or rejects with the close event / errors. */
export function wsOnce(client: Client, query: string): Promise<{ data?: any; errors?: any[] }[]> {
  return new Promise((resolve, reject) => {
    const results: { data?: any; errors?: any[] }[] = [];
    client.subscribe({ query }, { next: (v) => results.push(v as never), error: reject, complete: () => resolve(results) });
  });
}

/** GraphQL over SSE with headers: the status, and the events until the stream ends or close(). */
export function sse(url: string, query: string, headers: Record<string, string>) {
  const events: any[] = [];
  const abort = new AbortController();
  let status = 0;
  let ended = false;
  const done = (async () => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify({ query }),
      signal: abort.signal,
    });
    status = res.status;
    if (!res.ok) {
      events.push(await res.json());
      return;
    }
    await forEachSseMessage(res.body!, (msg) => events.push(msg));
  })()
    .catch(() => undefined)
    .finally(() => (ended = true));
  return { events, done, status: () => status, ended: () => ended, close: () => abort.abort() };
}
