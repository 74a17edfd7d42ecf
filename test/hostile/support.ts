/**
 * Shared by the hostile-input suites: raw HTTP requests that keep status and headers, the checks of
 * a "clean" rejection, and a snapshot of everything an attack must not change.
 */
import { expect } from 'vitest';
import type { Gateway } from '../support/gateway.js';

/** Codes a client may see: API.md's ErrorCode enum. Anything else (INTERNAL_SERVER_ERROR) is a bug. */
export const KNOWN_CODES = new Set([
  'NOT_FOUND', 'ALREADY_EXISTS', 'REFERENCE_CONFLICT', 'MERGE_CONFLICT', 'INVALID_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED',
  'PROTECTED_BRANCH', 'AUDIT_FAILED', 'SCHEMA_MISMATCH', 'LIMIT_EXCEEDED', 'BACKEND_UNAVAILABLE',
]);

export interface Reply {
  status: number;
  text: string;
  json: any;
  requestId: string | null;
  headers: Headers;
}

export async function send(url: string, body: BodyInit | null, init: { headers?: Record<string, string>; method?: string; path?: string } = {}): Promise<Reply> {
  const res = await fetch(`${url}${init.path ?? '/graphql'}`, {
    method: init.method ?? 'POST',
    headers: init.headers ?? { 'content-type': 'application/json', accept: 'application/json' },
    body,
    ...(body && typeof (body as ReadableStream).getReader === 'function' ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await res.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, text, json, requestId: res.headers.get('x-request-id'), headers: res.headers };
}

export const op = (url: string, query: string, variables?: Record<string, unknown>) => send(url, JSON.stringify({ query, variables }));

/** No stack trace, source location or server-side path anywhere in a body. */
export function expectNoLeak(text: string, serverPaths: string[]) {
  expect(text).not.toMatch(/\n\s+at |\bat [\w.<>]+ \(|node_modules|\.[cm]?[jt]s:\d+/);
  for (const p of serverPaths) expect(text.includes(p), `body names the server path ${p}: ${text.slice(0, 300)}`).toBe(false);
}

/** Every GraphQL error has a known code and the response's request id. */
export function expectCodedErrors(errors: any[], requestId: string | null) {
  for (const e of errors) {
    expect(KNOWN_CODES.has(e?.extensions?.code), `unknown or missing code: ${JSON.stringify(e)}`).toBe(true);
    expect(e.extensions.requestId, `error without the request id: ${JSON.stringify(e)}`).toBe(requestId);
  }
}

/** A union member that is an error (`... on Error { code }`) somewhere in the data. */
function hasErrorMember(data: unknown): boolean {
  if (!data || typeof data !== 'object') return false;
  if (typeof (data as { code?: unknown }).code === 'string' && KNOWN_CODES.has((data as { code: string }).code)) return true;
  return Object.values(data).some(hasErrorMember);
}

/**
 * A clean answer to an attack: never 5xx, nothing leaked, every error coded; and when `rejected`
 * (the default) a 4xx, a GraphQL error or an error member of a result union.
 */
export function expectClean(r: Reply, serverPaths: string[], opts: { rejected?: boolean } = {}) {
  expect(r.status, r.text.slice(0, 500)).toBeLessThan(500);
  expectNoLeak(r.text, serverPaths);
  const errors: any[] = r.json?.errors ?? [];
  expectCodedErrors(errors, r.requestId);
  if (opts.rejected ?? true) {
    expect(r.status >= 400 || errors.length > 0 || hasErrorMember(r.json?.data), `not rejected: ${r.status} ${r.text.slice(0, 500)}`).toBe(true);
  }
}

export interface State {
  refs: { name: string; hash: string }[];
  tables: Record<string, { key: string; snapshot: string | null; metadataLocation: string }[]>;
  runs: { runId: string; status: string; mergedHash: string | null }[];
  marts: { name: string; rowCount: string; publishedFrom: { commitHash: string; snapshotId: string; publishedAt: string } }[];
}

/** Every ref head, on main and dev every table's current snapshot and metadata file, every run and every mart. */
export async function snapshotState(g: Gateway): Promise<State> {
  const refs = (await g.data(`{ references(first: 1000) { nodes { name hash } } }`)).references.nodes as State['refs'];
  const tables: State['tables'] = {};
  for (const ref of ['main', 'dev']) {
    const d = await g.data(`query($r: String) { tables(ref: $r, first: 1000) { nodes { namespace name metadataLocation currentSnapshot { snapshotId } } } }`, { r: ref });
    tables[ref] = d.tables.nodes
      .map((t: any) => ({ key: `${t.namespace}.${t.name}`, snapshot: t.currentSnapshot?.snapshotId ?? null, metadataLocation: t.metadataLocation }))
      .sort((a: any, b: any) => a.key.localeCompare(b.key));
  }
  const runs = (await g.data(`{ runs(first: 1000) { nodes { runId status mergedHash } } }`)).runs.nodes as State['runs'];
  const marts = (await g.data(`{ marts { name rowCount publishedFrom { commitHash snapshotId publishedAt } } }`)).marts as State['marts'];
  return { refs: [...refs].sort((a, b) => a.name.localeCompare(b.name)), tables, runs, marts };
}
