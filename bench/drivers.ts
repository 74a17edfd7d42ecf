/**
 * The backends the catalog benchmark drives, behind one small interface:
 *  - the VersionStore port (embedded store on PGlite or PostgreSQL, and our Nessie adapter);
 *  - Nessie's REST API v2 called directly with fetch (the peer every ratio is taken against).
 *
 * Every call checks what came back (a real merge commit, a full log page, the content found), so a
 * broken path fails the run instead of being timed.
 */
import type { Content } from '../src/domain/content.js';
import type { CommitHash, RefName } from '../src/domain/refs.js';
import type { Operation, VersionStore } from '../src/ports/version-store.js';

export type BackendName = 'embedded-pglite' | 'embedded-postgres' | 'nessie-gateway' | 'nessie-direct';

export const BACKENDS: { name: BackendName; label: string }[] = [
  { name: 'embedded-pglite', label: 'embedded (PGlite)' },
  { name: 'embedded-postgres', label: 'embedded (PostgreSQL)' },
  { name: 'nessie-gateway', label: 'gateway over Nessie' },
  { name: 'nessie-direct', label: 'Nessie direct (REST v2)' },
];

export const labelOf = (name: BackendName): string => BACKENDS.find((b) => b.name === name)?.label ?? name;

/** One table written by a commit: new when `id` is absent, else an update of that content. */
export interface TablePut {
  key: string;
  id?: string;
  metadataLocation: string;
}

export interface CommitResult {
  hash: string;
  /** Content ids of newly added tables, by key. */
  addedIds: Record<string, string>;
}

export interface Driver {
  readonly name: BackendName;
  /** Head of the default branch. */
  defaultHead(): Promise<{ branch: string; hash: string }>;
  /** Creates branch `name` at `from.hash` (`from.branch` is the ref the hash was read from). */
  createBranch(name: string, from: { branch: string; hash: string }): Promise<string>;
  /** One commit creating a namespace. */
  createNamespace(branch: string, expectedHash: string, namespace: string): Promise<CommitResult>;
  /** One commit of table PUTs, with expectedHash. */
  putTables(branch: string, expectedHash: string, puts: TablePut[], message: string): Promise<CommitResult>;
  /** Three-way merge of `from` into `into` (at `expectedHash`); fails unless a merge commit was made. */
  merge(from: { branch: string; hash: string }, into: string, expectedHash: string): Promise<string>;
  /**
   * One log page of `n` commits starting at `hash` (read via `branch`); fails unless `n` came back.
   * The port always returns each commit's operations; `withOperations` asks Nessie direct for them too.
   */
  logPage(branch: string, hash: string, n: number, withOperations: boolean): Promise<void>;
  /** The content of `key` at `hash`; fails when absent. */
  getContent(branch: string, hash: string, key: string): Promise<void>;
  /** Drops in-process caches by reopening the connection (embedded stores); a no-op elsewhere. */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

const AUTHOR = 'bench <bench@cascade.invalid>';

/** Iceberg-table-shaped content as the port takes it. */
export function tableContent(put: TablePut): Content {
  return {
    type: 'ICEBERG_TABLE',
    ...(put.id ? { id: put.id } : {}),
    metadataLocation: put.metadataLocation,
    snapshotId: '123',
    schemaId: 0,
    specId: 0,
    sortOrderId: 0,
  };
}

// ───────────────────────────── VersionStore port ─────────────────────────────

export interface OpenedStore {
  store: VersionStore;
  /** Closes the store and whatever it was opened on. */
  close(): Promise<void>;
}

/** A driver over the VersionStore port; `open` is called again by reopen(). */
export async function portDriver(name: BackendName, open: () => Promise<OpenedStore>): Promise<Driver> {
  let opened = await open();
  const s = () => opened.store;
  const commit = async (branch: string, expectedHash: string, message: string, ops: Operation[]): Promise<CommitResult> => {
    const out = await s().commit(branch as RefName, expectedHash as CommitHash, { message, author: AUTHOR }, ops);
    return { hash: out.commit.hash, addedIds: out.addedContentIds };
  };
  return {
    name,
    async defaultHead() {
      const branch = await s().defaultBranch();
      return { branch, hash: (await s().getReference(branch)).hash };
    },
    async createBranch(branchName, from) {
      const ref = await s().createReference(branchName as RefName, 'BRANCH', from.hash as CommitHash);
      if (ref.hash !== from.hash) throw new Error(`${name}: branch ${branchName} created at ${ref.hash}, expected ${from.hash}`);
      return ref.hash;
    },
    createNamespace: (branch, expectedHash, namespace) =>
      commit(branch, expectedHash, `create namespace ${namespace}`, [
        { type: 'PUT', key: namespace, content: { type: 'NAMESPACE', elements: namespace.split('.'), properties: {} } },
      ]),
    putTables: (branch, expectedHash, puts, message) =>
      commit(
        branch,
        expectedHash,
        message,
        puts.map((p) => ({ type: 'PUT', key: p.key, content: tableContent(p) })),
      ),
    async merge(from, into, expectedHash) {
      const out = await s().merge({
        fromHash: from.hash as CommitHash,
        fromRefName: from.branch as RefName,
        into: into as RefName,
        expectedHash: expectedHash as CommitHash,
        meta: { message: `merge ${from.branch} into ${into}`, author: AUTHOR },
      });
      if (!out.applied || out.fastForward) {
        throw new Error(`${name}: merge of ${from.branch} was not a three-way merge (applied=${out.applied}, fastForward=${out.fastForward})`);
      }
      return out.hash;
    },
    async logPage(_branch, hash, n) {
      const page = await s().log(hash as CommitHash, { first: n });
      if (page.items.length !== n) throw new Error(`${name}: log page of ${n} returned ${page.items.length} commits`);
      if (!page.items.every((c) => c.operations.length > 0)) throw new Error(`${name}: log page came back without operations`);
    },
    async getContent(_branch, hash, key) {
      const c = await s().getContent(hash as CommitHash, key);
      if (!c) throw new Error(`${name}: no content at ${key} @ ${hash}`);
    },
    async reopen() {
      await opened.close();
      opened = await open();
    },
    close: () => opened.close(),
  };
}

// ───────────────────────────── Nessie REST API v2 ─────────────────────────────

interface NessieReference {
  type: 'BRANCH' | 'TAG';
  name: string;
  hash: string;
}

export class NessieHttpError extends Error {}

/**
 * Nessie's REST API v2 called with fetch, the way a client without our gateway would:
 *   POST /trees?name=&type=BRANCH                       create branch (body: the source reference)
 *   POST /trees/{branch}@{hash}/history/commit          commit (body: commitMeta + operations)
 *   POST /trees/{branch}@{hash}/history/merge           merge (body: fromRefName + fromHash)
 *   GET  /trees/{ref}@{hash}/history?max-records=100    log page (v2 spells the paging parameter max-records;
 *                                                       &fetch=ALL adds each commit's operations)
 *   GET  /trees/{ref}@{hash}/contents/{key}             content lookup
 */
export function nessieDirectDriver(baseUri: string): Driver {
  const base = baseUri.replace(/\/+$/, '');
  const ref = (branch: string, hash?: string) => `${encodeURIComponent(branch)}${hash ? `@${hash}` : ''}`;
  const call = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new NessieHttpError(`nessie-direct: ${method} ${path} → HTTP ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  };
  const commit = async (branch: string, expectedHash: string, message: string, operations: unknown[]): Promise<CommitResult> => {
    const out = await call<{ targetBranch: NessieReference; addedContents?: { key: { elements: string[] }; contentId: string }[] }>(
      'POST',
      `/trees/${ref(branch, expectedHash)}/history/commit`,
      { commitMeta: { message, author: AUTHOR }, operations },
    );
    const addedIds: Record<string, string> = {};
    for (const a of out.addedContents ?? []) addedIds[a.key.elements.join('.')] = a.contentId;
    return { hash: out.targetBranch.hash, addedIds };
  };
  return {
    name: 'nessie-direct',
    async defaultHead() {
      const cfg = await call<{ defaultBranch: string }>('GET', '/config');
      const r = await call<{ reference: NessieReference }>('GET', `/trees/${ref(cfg.defaultBranch)}`);
      return { branch: r.reference.name, hash: r.reference.hash };
    },
    async createBranch(name, from) {
      const r = await call<{ reference: NessieReference }>(
        'POST',
        `/trees?name=${encodeURIComponent(name)}&type=BRANCH`,
        { type: 'BRANCH', name: from.branch, hash: from.hash },
      );
      if (r.reference.hash !== from.hash) throw new Error(`nessie-direct: branch ${name} created at ${r.reference.hash}, expected ${from.hash}`);
      return r.reference.hash;
    },
    createNamespace: (branch, expectedHash, namespace) =>
      commit(branch, expectedHash, `create namespace ${namespace}`, [
        { type: 'PUT', key: { elements: namespace.split('.') }, content: { type: 'NAMESPACE', elements: namespace.split('.'), properties: {} } },
      ]),
    putTables: (branch, expectedHash, puts, message) =>
      commit(
        branch,
        expectedHash,
        message,
        puts.map((p) => ({
          type: 'PUT',
          key: { elements: p.key.split('.') },
          content: {
            type: 'ICEBERG_TABLE',
            ...(p.id ? { id: p.id } : {}),
            metadataLocation: p.metadataLocation,
            snapshotId: 123,
            schemaId: 0,
            specId: 0,
            sortOrderId: 0,
          },
        })),
      ),
    async merge(from, into, expectedHash) {
      const out = await call<{ wasApplied?: boolean; wasSuccessful?: boolean; resultantTargetHash?: string }>(
        'POST',
        `/trees/${ref(into, expectedHash)}/history/merge`,
        { fromRefName: from.branch, fromHash: from.hash, commitMeta: { message: `merge ${from.branch} into ${into}`, author: AUTHOR } },
      );
      if (!out.wasApplied || !out.wasSuccessful || !out.resultantTargetHash) {
        throw new Error(`nessie-direct: merge of ${from.branch} not applied: ${JSON.stringify(out).slice(0, 300)}`);
      }
      return out.resultantTargetHash;
    },
    async logPage(branch, hash, n, withOperations) {
      const out = await call<{ logEntries: { operations?: unknown[] }[] }>(
        'GET',
        `/trees/${ref(branch, hash)}/history?max-records=${n}${withOperations ? '&fetch=ALL' : ''}`,
      );
      if (out.logEntries.length !== n) throw new Error(`nessie-direct: log page of ${n} returned ${out.logEntries.length} entries`);
      if (withOperations && !out.logEntries.every((e) => Array.isArray(e.operations) && e.operations.length > 0)) {
        throw new Error('nessie-direct: log page with fetch=ALL came back without operations');
      }
    },
    async getContent(branch, hash, key) {
      const out = await call<{ content?: { type?: string } }>('GET', `/trees/${ref(branch, hash)}/contents/${encodeURIComponent(key)}`);
      if (out.content?.type !== 'ICEBERG_TABLE') throw new Error(`nessie-direct: no table at ${key} @ ${hash}`);
    },
    reopen: async () => undefined,
    close: async () => undefined,
  };
}
