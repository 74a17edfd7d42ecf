/**
 * The embedded VersionStore: Nessie semantics over SQL (PGlite under CASCADE_HOME, or PostgreSQL).
 * Reads take immutable hashes and are served from content-addressed rows cached in process; writes
 * move a branch by compare-and-swap (writes.ts). See schema.ts for the tables, tree.ts/hamt.ts for
 * the per-commit key tree, log.ts for history reads, commits.ts for ancestry.
 *
 * getCommit(noAncestorHash) returns the synthetic empty root commit (no parents, empty message and
 * author, commit time 1970-01-01); the root never appears in a log.
 */
import type { StoredContent } from '../../../domain/content.js';
import { InvalidInput } from '../../../domain/errors.js';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import type { DiffEntry, Entry, Page, VersionStore } from '../../../ports/version-store.js';
import type { SqlDatabase } from '../../sql/database.js';
import { commonAncestor, toCommit } from './commits.js';
import { NO_ANCESTOR_HASH } from './hashing.js';
import { commitOrNotFound, contentLog, log, pageSize, resolve } from './log.js';
import * as refs from './refs.js';
import { Repo } from './repo.js';
import { migrateVersionStore } from './schema.js';
import { diffTrees, listEntries, lookupKey, lookupKeys, type KeyValue } from './tree.js';
import { cherryPick, commit, merge, type WriteContext } from './writes.js';

export interface EmbeddedVersionStoreOptions {
  /** Name of the branch created on first open (default "main"). */
  defaultBranch?: string;
  /** Decoded tree nodes kept in memory (default 100,000). */
  cacheSize?: number;
  /** Retries of a write without expectedHash that lost a race (default 5). */
  maxRetries?: number;
  /** Whether close() also closes `db` (default true; pass false when other stores share it). */
  closeDatabase?: boolean;
  /** Clock for commit times (tests). */
  now?: () => Date;
}

export async function createEmbeddedVersionStore(db: SqlDatabase, opts: EmbeddedVersionStoreOptions = {}): Promise<VersionStore> {
  const defaultBranch = opts.defaultBranch ?? 'main';
  await migrateVersionStore(db, defaultBranch);
  const repo = new Repo(db, opts.cacheSize ?? 100_000);
  const ctx: WriteContext = { repo, now: opts.now ?? (() => new Date()), maxRetries: opts.maxRetries ?? 5 };

  const treeOf = async (hash: string) => (await commitOrNotFound(repo, hash)).tree;
  const load = async (values: (KeyValue | null)[]): Promise<Map<string, StoredContent>> =>
    repo.contents(values.flatMap((v) => (v ? [v.content] : [])));

  const store: VersionStore = {
    kind: `embedded-${db.kind}`,
    noAncestorHash: NO_ANCESTOR_HASH as CommitHash,
    defaultBranch: async () => defaultBranch as RefName,

    getReference: (name) => refs.getReference(repo, name),
    listReferences: (q) => refs.listReferences(repo, q),
    createReference: (name, type, hash) => refs.createReference(repo, name, type, hash),
    deleteReference: (name, type, expectedHash) => refs.deleteReference(repo, defaultBranch, name, type, expectedHash),
    assignReference: (name, type, hash, expectedHash) => refs.assignReference(repo, name, type, hash, expectedHash),

    resolve: (expr) => resolve(repo, expr),
    getCommit: async (hash) => toCommit(await commitOrNotFound(repo, hash)),
    log: (hash, q) => log(repo, hash, q),
    contentLog: (hash, key, q) => contentLog(repo, hash, key, q),

    commit: (branch, expectedHash, meta, operations) => commit(ctx, branch, expectedHash, meta, operations),

    async entries(hash, q): Promise<Page<Entry>> {
      const first = pageSize(q);
      const tree = await treeOf(hash);
      const ns = q.namespace ?? null;
      // A namespace that does not exist lists nothing (as Nessie's key filter does), not NotFound.
      if (ns !== null && (await lookupKey(repo.nodes, tree, ns))?.type !== 'NAMESPACE') return { items: [], nextCursor: null };
      const listed = await listEntries(repo.nodes, tree, ns, q.after ?? null, first);
      const items = listed.slice(0, first).map((e) => ({ key: e.key, type: e.value.type, contentId: e.value.id }));
      return { items, nextCursor: listed.length > first ? items[items.length - 1]!.key : null };
    },

    async getContent(hash, key) {
      const v = await lookupKey(repo.nodes, await treeOf(hash), key);
      return v ? ((await load([v])).get(v.content) ?? null) : null;
    },

    async getContents(hash, keys) {
      if (!Array.isArray(keys)) throw new InvalidInput('keys must be a list', 'keys');
      const tree = await treeOf(hash);
      const values = new Map<string, KeyValue>();
      for (const [key, v] of await lookupKeys(repo.nodes, tree, keys)) if (v) values.set(key, v);
      const contents = await load([...values.values()]);
      const out = new Map<string, StoredContent>();
      for (const [key, v] of values) {
        const c = contents.get(v.content);
        if (c) out.set(key, c);
      }
      return out;
    },

    async diff(fromHash, toHash): Promise<DiffEntry[]> {
      const [a, b] = [await treeOf(fromHash), await treeOf(toHash)];
      const changes = await diffTrees(repo.nodes, a, b);
      const contents = await load(changes.flatMap((c) => [c.from, c.to]));
      return changes.map((c) => {
        const from = c.from ? (contents.get(c.from.content) ?? null) : null;
        const to = c.to ? (contents.get(c.to.content) ?? null) : null;
        return {
          key: c.key,
          change: c.from && c.to ? 'MODIFIED' : c.to ? 'ADDED' : 'REMOVED',
          contentType: (c.to ?? c.from)!.type,
          from,
          to,
        };
      });
    },

    async commonAncestor(a, b) {
      await commitOrNotFound(repo, a);
      await commitOrNotFound(repo, b);
      return (await commonAncestor(repo, a, b)) as CommitHash | null;
    },

    merge: (req) => merge(ctx, req),
    cherryPick: (req) => cherryPick(ctx, req),
    close: async () => {
      if (opts.closeDatabase !== false) await db.close();
    },
  };
  return store;
}
