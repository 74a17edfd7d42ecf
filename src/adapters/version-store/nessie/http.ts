/**
 * A small HTTP client for Nessie's REST API v2 over Node's fetch, and the one place where Nessie's
 * errors become domain errors.
 *
 * `Nessie-Client-Spec: 2` is sent on every request: without it Nessie 0.99 omits `errorDetails`
 * (the per-key conflicts of a 409) from its error bodies.
 */
import {
  AlreadyExists,
  BackendUnavailable,
  type Conflict,
  DomainError,
  Forbidden,
  InvalidInput,
  NotFound,
  ReferenceConflict,
  Unauthenticated,
} from '../../../domain/errors.js';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import { fromNessieConflict, type NConflict, type NKey } from './mapping.js';
import { parseNessieJson, stringifyNessieJson } from './json.js';

const BACKEND = 'nessie';

export type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

export interface NessieErrorBody {
  status?: number;
  reason?: string;
  message?: string;
  errorCode?: string;
  errorDetails?: { type?: string; conflicts?: NConflict[]; contentKey?: NKey } | null;
}

/** A non-2xx answer from Nessie, before translation. */
export class NessieHttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly body: NessieErrorBody,
    readonly request: string,
  ) {
    super(`${request}: HTTP ${status} ${errorCode}: ${body.message ?? body.reason ?? ''}`);
    this.name = 'NessieHttpError';
  }

  get conflicts(): Conflict[] {
    return (this.body.errorDetails?.conflicts ?? []).map(fromNessieConflict);
  }
}

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

export class NessieHttp {
  private readonly base: string;
  private readonly fetchFn: FetchFn;

  constructor(uri: string, fetchFn?: FetchFn, private readonly timeoutMs = 30_000) {
    this.base = uri.replace(/\/+$/, '');
    this.fetchFn = fetchFn ?? ((input, init) => fetch(input, init));
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  post<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, query, body);
  }

  put<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>('PUT', path, query, body);
  }

  delete<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('DELETE', path, query);
  }

  async request<T>(method: string, path: string, query?: Query, body?: unknown): Promise<T> {
    const url = this.base + path + queryString(query);
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          accept: 'application/json',
          'Nessie-Client-Spec': '2',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? stringifyNessieJson(body) : undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      throw new BackendUnavailable(`Nessie at ${this.base} is unreachable (${what}): ${String(cause)}`, BACKEND);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new BackendUnavailable(`Nessie response to ${what} was cut off: ${String(e)}`, BACKEND);
    }
    if (!res.ok) {
      let parsed: NessieErrorBody = {};
      try {
        parsed = (text ? parseNessieJson(text) : {}) as NessieErrorBody;
      } catch {
        parsed = { message: text.slice(0, 300) };
      }
      throw new NessieHttpError(res.status, parsed.errorCode ?? `HTTP_${res.status}`, parsed, what);
    }
    if (!text) return null as T;
    try {
      return parseNessieJson(text) as T;
    } catch (e) {
      throw new BackendUnavailable(`Nessie answered ${what} with invalid JSON: ${String(e)}`, BACKEND);
    }
  }
}

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) p.append(k, item);
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface TranslateContext {
  /** The hash the caller expected the ref to be at (for ReferenceConflict). */
  expectedHash?: string | null;
  /** The ref's actual head, when known. */
  actualHash?: string | null;
}

const NO_CONTENT_ID = /New value to update existing key '([^']*)' has no content ID/;
const UNEXPECTED_AT = /but at '([0-9a-f]{8,64})'/;

/**
 * Translates anything a Nessie call threw into a domain error:
 * connection failures and 5xx → BackendUnavailable; 404 → NotFound; REFERENCE_ALREADY_EXISTS →
 * AlreadyExists; 409 REFERENCE_CONFLICT by its conflicts (NAMESPACE_ABSENT, KEY_DOES_NOT_EXIST →
 * NotFound; NAMESPACE_NOT_EMPTY → InvalidInput; KEY_EXISTS → AlreadyExists; UNEXPECTED_HASH,
 * VALUE_DIFFERS, … → ReferenceConflict); 400 → InvalidInput, except Nessie's "new value to update
 * existing key has no content ID", which is our AlreadyExists (a PUT of new content over a key).
 */
export function translate(e: unknown, ctx: TranslateContext = {}): DomainError {
  if (e instanceof DomainError) return e;
  if (!(e instanceof NessieHttpError)) {
    return new BackendUnavailable(`Nessie call failed: ${e instanceof Error ? e.message : String(e)}`, BACKEND);
  }
  const msg = e.body.message ?? e.message;
  const conflicts = e.conflicts;
  if (e.status >= 500 || e.status === 429) return new BackendUnavailable(`Nessie: ${msg}`, BACKEND);
  if (e.status === 401) return new Unauthenticated(`Nessie: ${msg}`);
  if (e.status === 403) return new Forbidden(`Nessie: ${msg}`);
  if (e.status === 404) return new NotFound(msg, conflicts);
  if (e.errorCode === 'REFERENCE_ALREADY_EXISTS') return new AlreadyExists(msg);
  if (e.status === 409) {
    const types = new Set(conflicts.map((c) => c.type));
    if (types.has('NAMESPACE_ABSENT') || types.has('KEY_DOES_NOT_EXIST')) {
      return new NotFound(msg, conflicts.filter((c) => c.type === 'NAMESPACE_ABSENT' || c.type === 'KEY_DOES_NOT_EXIST'));
    }
    if (types.has('NAMESPACE_NOT_EMPTY')) return new InvalidInput(msg, 'operations', conflicts.filter((c) => c.type === 'NAMESPACE_NOT_EMPTY'));
    if (types.has('KEY_EXISTS')) return new AlreadyExists(msg, conflicts.filter((c) => c.type === 'KEY_EXISTS'));
    const actual = ctx.actualHash ?? UNEXPECTED_AT.exec(msg)?.[1] ?? null;
    return new ReferenceConflict(msg, ctx.expectedHash ?? null, actual, conflicts);
  }
  if (e.status === 400) {
    const exists = NO_CONTENT_ID.exec(msg);
    if (exists) return new AlreadyExists(msg, [{ key: exists[1]!, type: 'KEY_EXISTS', message: msg }]);
    return new InvalidInput(`Nessie rejected the request: ${msg}`);
  }
  return new BackendUnavailable(`Nessie answered HTTP ${e.status} ${e.errorCode}: ${msg}`, BACKEND);
}

/** True for a 409 that means "something changed under you" rather than a validation failure. */
export function isConcurrentChange(e: unknown): boolean {
  return e instanceof NessieHttpError && e.status === 409 && translate(e) instanceof ReferenceConflict;
}

/** What every call of the adapter needs: the client and the server's constants. */
export interface NessieContext {
  http: NessieHttp;
  noAncestorHash: CommitHash;
  defaultBranch: RefName;
}
