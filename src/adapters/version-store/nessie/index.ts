/**
 * VersionStore over a Nessie server's REST API v2 (`NESSIE_URI`, e.g. http://host:19120/api/v2).
 * One concern per file: http.ts (client, error translation), json.ts (64-bit snapshot ids),
 * mapping.ts (wire shapes), refs.ts, history.ts, contents.ts, commits.ts, merge.ts.
 */
import { BackendUnavailable } from '../../../domain/errors.js';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import type { VersionStore } from '../../../ports/version-store.js';
import * as commits from './commits.js';
import * as contents from './contents.js';
import * as history from './history.js';
import { type FetchFn, NessieHttp, translate, type NessieContext } from './http.js';
import * as merges from './merge.js';
import * as refs from './refs.js';

export interface NessieVersionStoreOptions {
  /** API v2 base URI, e.g. http://127.0.0.1:19120/api/v2 */
  uri: string;
  /** Replaces global fetch (tests, custom agents). */
  fetch?: FetchFn;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
}

interface NessieConfig {
  defaultBranch?: string;
  noAncestorHash?: string;
  actualApiVersion?: number;
  maxSupportedApiVersion?: number;
}

/** Connects (reads /config) and returns the store. @throws BackendUnavailable when Nessie cannot be reached. */
export async function createNessieVersionStore(opts: NessieVersionStoreOptions): Promise<VersionStore> {
  const http = new NessieHttp(opts.uri, opts.fetch, opts.timeoutMs);
  let config: NessieConfig;
  try {
    config = await http.get<NessieConfig>('/config');
  } catch (e) {
    const err = translate(e);
    throw err instanceof BackendUnavailable ? err : new BackendUnavailable(`Nessie at ${opts.uri}: ${err.message}`, 'nessie');
  }
  if (!config?.defaultBranch || !config.noAncestorHash || (config.actualApiVersion ?? config.maxSupportedApiVersion ?? 0) < 2) {
    throw new BackendUnavailable(`${opts.uri} does not look like a Nessie REST API v2 endpoint (GET /config answered ${JSON.stringify(config)})`, 'nessie');
  }
  const ctx: NessieContext = {
    http,
    defaultBranch: config.defaultBranch as RefName,
    noAncestorHash: config.noAncestorHash as CommitHash,
  };
  return {
    kind: 'nessie',
    noAncestorHash: ctx.noAncestorHash,
    defaultBranch: async () => ctx.defaultBranch,
    getReference: (name) => refs.getReference(ctx, name),
    listReferences: (q) => refs.listReferences(ctx, q),
    createReference: (name, type, hash) => refs.createReference(ctx, name, type, hash),
    deleteReference: (name, type, expected) => refs.deleteReference(ctx, name, type, expected),
    assignReference: (name, type, hash, expected) => refs.assignReference(ctx, name, type, hash, expected),
    resolve: (expr) => refs.resolve(ctx, expr),
    getCommit: (hash) => history.getCommit(ctx, hash),
    log: (hash, q) => history.log(ctx, hash, q),
    contentLog: (hash, key, q) => contents.contentLog(ctx, hash, key, q),
    commit: (branch, expected, meta, ops) => commits.commit(ctx, branch, expected, meta, ops),
    entries: (hash, q) => contents.entries(ctx, hash, q),
    getContent: (hash, key) => contents.getContent(ctx, hash, key),
    getContents: (hash, keys) => contents.getContents(ctx, hash, keys),
    diff: (from, to) => contents.diff(ctx, from, to),
    commonAncestor: (a, b) => merges.commonAncestor(ctx, a, b),
    merge: (req) => merges.merge(ctx, req),
    cherryPick: (req) => merges.cherryPick(ctx, req),
    close: async () => undefined,
  };
}
