/**
 * Persisted-operations allow-list: a JSON file mapping operation ids (e.g. sha256 hashes) to query
 * text. Over HTTP clients send `extensions.persistedQuery.sha256Hash` (or `documentId`); anything
 * else is refused with FORBIDDEN. Over graphql-ws the same ids are accepted, and so is the exact text
 * of an allowed operation.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../../domain/errors.js';
import { limitError } from './errors.js';

export interface AllowList {
  byId: Map<string, string>;
  texts: Set<string>;
}

export function loadAllowList(file: string): AllowList {
  const raw: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object of id → query`);
  const byId = new Map<string, string>();
  for (const [id, query] of Object.entries(raw)) {
    if (typeof query !== 'string') throw new Error(`${file}: the operation '${id}' is not a string`);
    byId.set(id, query);
  }
  return { byId, texts: new Set(byId.values()) };
}

export function persistedOperations(list: AllowList): Plugin {
  const refused = { message: 'only persisted operations are allowed on this gateway', extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } } };
  return usePersistedOperations({
    getPersistedOperation: (key) => list.byId.get(key) ?? null,
    allowArbitraryOperations: false,
    extractPersistedOperationId: (params) => {
      const ext = params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
      const hash = ext?.persistedQuery?.sha256Hash;
      if (typeof hash === 'string') return hash;
      const doc = (params as { documentId?: unknown }).documentId;
      return typeof doc === 'string' ? doc : null;
    },
    customErrors: {
      notFound: { message: 'unknown persisted operation', extensions: { code: ErrorCode.FORBIDDEN, http: { status: 403 } } },
      persistedQueryOnly: refused,
      keyNotFound: refused,
    },
  }) as Plugin;
}

/** The query a graphql-ws subscribe message may run, or an error when the allow-list refuses it. */
export function resolveWsOperation(list: AllowList, params: { query?: unknown; extensions?: unknown }) {
  const ext = params.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined;
  const hash = ext?.persistedQuery?.sha256Hash;
  if (typeof hash === 'string') {
    const q = list.byId.get(hash);
    return q ? { query: q } : { error: limitError('unknown persisted operation', { code: ErrorCode.FORBIDDEN }) };
  }
  if (typeof params.query === 'string' && (list.texts.has(params.query) || list.byId.has(sha256(params.query)))) return { query: params.query };
  return { error: limitError('only persisted operations are allowed on this gateway', { code: ErrorCode.FORBIDDEN }) };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
