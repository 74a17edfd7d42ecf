/**
 * withRefCache(store): answers getReference, and resolve of a plain ref name, from memory.
 *
 * The default branch's name is remembered too (the embedded store fixes it when it opens).
 *
 * Only exact when this wrapper sees every ref move on the store's database. That holds for the
 * embedded store on PGlite: PGlite is one database in one process, and every ref move is one of
 * the VersionStore methods wrapped here (createReference, deleteReference, assignReference, commit,
 * merge, cherryPick), so each of them drops the moved name before and after it runs. On PostgreSQL
 * or Nessie other gateway instances (or other software) move refs behind this process's back, so
 * `createBackends` does not use the cache there and every read goes to the backend.
 *
 * Races inside the process: a read is remembered only when no move (of any name) started, ended
 * or was under way while it was in flight, so a read that raced a move is answered but never
 * remembered; a move drops its name when it starts and again when it ends. Writes are unaffected: they compare-and-swap against the database's head, never this
 * cache. NotFound is never cached.
 */
import type { RefName } from '../../domain/refs.js';
import type { Reference, ResolvedRef, VersionStore } from '../../ports/version-store.js';
import { bindAll } from './with-events.js';

export interface RefCacheStats {
  hits: number;
  misses: number;
}

export interface RefCachedStore extends VersionStore {
  /** Counters for tests and metrics. */
  readonly refCacheStats: RefCacheStats;
}

/** Names kept at most; beyond it the oldest entry goes (a Map keeps insertion order). */
const MAX_ENTRIES = 10_000;

export function withRefCache(store: VersionStore): RefCachedStore {
  const heads = new Map<string, Reference>();
  /** Bumped whenever any move starts or ends. */
  let epoch = 0;
  /** Moves under way (of any name). */
  let moving = 0;
  const stats: RefCacheStats = { hits: 0, misses: 0 };

  /** Runs a move of `name`: it is dropped at the start and at the end, and no read is cached meanwhile. */
  const move = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    moving++;
    epoch++;
    heads.delete(name);
    try {
      return await fn();
    } finally {
      moving--;
      epoch++;
      heads.delete(name);
    }
  };

  const read = async (name: RefName): Promise<Reference> => {
    const hit = heads.get(name);
    if (hit) {
      stats.hits++;
      return { ...hit };
    }
    stats.misses++;
    const before = epoch;
    const ref = await store.getReference(name);
    // Remember it only when no move started, ended or was under way while the read was in flight.
    if (moving === 0 && epoch === before) {
      if (heads.size >= MAX_ENTRIES) heads.delete(heads.keys().next().value!);
      heads.set(name, { ...ref });
    }
    return ref;
  };

  let defaultBranch: Promise<RefName> | undefined;
  /** The default branch's name once the lookup above has answered. */
  let defaultName: RefName | undefined;
  const wrapped: RefCachedStore = {
    ...bindAll(store),
    refCacheStats: stats,
    // The default branch's name is fixed when the store is opened; a failed lookup is not kept.
    defaultBranch: () => (defaultBranch ??= store.defaultBranch().then(
      (name) => (defaultName = name),
      (e: unknown) => {
        defaultBranch = undefined;
        throw e;
      },
    )),
    cachedDefaultReference() {
      const hit = defaultName === undefined ? undefined : heads.get(defaultName);
      if (!hit) return undefined;
      stats.hits++;
      return { ...hit };
    },
    getReference: (name) => read(name),
    async resolve(expr): Promise<ResolvedRef> {
      // Only a plain name is a ref read; anything with @hash, *time or ~n goes to the store.
      if (!expr.name || expr.hash !== undefined || expr.asOf !== undefined || (expr.ancestor !== undefined && expr.ancestor !== 0)) {
        return store.resolve(expr);
      }
      const ref = await read(expr.name);
      return { reference: { name: expr.name, type: ref.type, hash: ref.hash }, hash: ref.hash };
    },
    createReference: (name, type, hash) => move(name, () => store.createReference(name, type, hash)),
    deleteReference: (name, type, expected) => move(name, () => store.deleteReference(name, type, expected)),
    assignReference: (name, type, hash, expected) => move(name, () => store.assignReference(name, type, hash, expected)),
    commit: (branch, expected, meta, ops) => move(branch, () => store.commit(branch, expected, meta, ops)),
    merge: (req) => move(req.into, () => store.merge(req)),
    cherryPick: (req) => move(req.into, () => store.cherryPick(req)),
  };
  return wrapped;
}
