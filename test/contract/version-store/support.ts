/**
 * Shared helpers for the VersionStore contract suite: the per-suite store fixture, unique names,
 * content builders and typed-error assertions. Every test works on its own uniquely named branches,
 * so the suite can run against a shared server whose default branch holds other tests' commits.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { DomainError, type ErrorCode } from '../../../src/domain/errors.js';
import type { Content, ContentKey, IcebergTableContent, NamespaceContent, StoredContent } from '../../../src/domain/content.js';
import type { CommitHash, RefName } from '../../../src/domain/refs.js';
import type { Commit, CommitMeta, CommitOutcome, Operation, Page, Reference, VersionStore } from '../../../src/ports/version-store.js';

export type MakeStore = () => Promise<{ store: VersionStore; cleanup?: () => Promise<void> }>;

export interface StoreContext {
  readonly store: VersionStore;
}

/** Registers beforeAll/afterAll that open one store for the enclosing describe block. */
export function useStore(makeStore: MakeStore): StoreContext {
  let store: VersionStore | undefined;
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const made = await makeStore();
    store = made.store;
    cleanup = made.cleanup;
  });
  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      await cleanup?.();
    }
  });
  return {
    get store(): VersionStore {
      if (!store) throw new Error('store not opened (beforeAll failed?)');
      return store;
    },
  };
}

const RUN = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
let seq = 0;

/** A reference name unique to this run and call, e.g. `ct-lq3k9a1f2-7-merge`. */
export function uniqueName(label = 'b'): RefName {
  seq += 1;
  return `ct-${RUN}-${seq}-${label}` as RefName;
}

/** A 64-hex hash that no store holds. */
export function unknownHash(): CommitHash {
  return randomBytes(32).toString('hex') as CommitHash;
}

export function ns(key: ContentKey, properties: Record<string, string> = {}): NamespaceContent {
  return { type: 'NAMESPACE', elements: key.split('.'), properties };
}

let tableSeq = 0;
/** A new Iceberg table (no id). `snapshotId` defaults to a value above 2^53 to prove 64-bit round trips. */
export function table(over: Partial<IcebergTableContent> = {}): IcebergTableContent {
  tableSeq += 1;
  return {
    type: 'ICEBERG_TABLE',
    metadataLocation: `file:///warehouse/t${tableSeq}/metadata/00000-${randomBytes(4).toString('hex')}.metadata.json`,
    snapshotId: '7436498174692749281',
    schemaId: 0,
    specId: 0,
    sortOrderId: 0,
    ...over,
  };
}

/** The same table with a new metadata location (and snapshot), keeping its id: an update. */
export function updated(current: StoredContent, label = randomBytes(4).toString('hex')): Content {
  if (current.type !== 'ICEBERG_TABLE') {
    return { ...current, properties: { ...current.properties, v: label } };
  }
  return {
    ...current,
    metadataLocation: current.metadataLocation.replace(/metadata\/.*$/, `metadata/00001-${label}.metadata.json`),
    snapshotId: String(BigInt(current.snapshotId) + 1n),
  };
}

export function put(key: ContentKey, content: Content): Operation {
  return { type: 'PUT', key, content };
}

export function del(key: ContentKey): Operation {
  return { type: 'DELETE', key };
}

export function meta(message: string, over: Partial<CommitMeta> = {}): CommitMeta {
  return { message, author: 'contract-suite', ...over };
}

/** Creates a branch at the empty commit (or `from`), unique to the caller. */
export async function freshBranch(store: VersionStore, label = 'b', from?: CommitHash): Promise<Reference> {
  return store.createReference(uniqueName(label), 'BRANCH', from ?? store.noAncestorHash);
}

/** Commits and returns the outcome; `expected` defaults to none (current head). */
export async function commitOps(
  store: VersionStore,
  branch: RefName,
  ops: Operation[],
  message = 'change',
  expected?: CommitHash,
  over: Partial<CommitMeta> = {},
): Promise<CommitOutcome> {
  return store.commit(branch, expected, meta(message, over), ops);
}

export async function head(store: VersionStore, branch: RefName): Promise<CommitHash> {
  return (await store.getReference(branch)).hash;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

type ErrorClass<E extends DomainError> = abstract new (...args: never[]) => E;

/** Awaits a rejection and checks it is the given domain error class with the given code. */
export async function rejects<E extends DomainError>(p: Promise<unknown>, cls: ErrorClass<E>, code: ErrorCode): Promise<E> {
  let err: unknown;
  try {
    const value = await p;
    expect.fail(`expected ${code}, but the call succeeded with ${JSON.stringify(value)?.slice(0, 300)}`);
  } catch (e) {
    err = e;
  }
  if (!(err instanceof DomainError)) {
    expect.fail(`expected ${code}, got a non-domain error: ${String(err)}`);
  }
  expect((err as DomainError).code).toBe(code);
  expect(err).toBeInstanceOf(cls as unknown as new (...a: never[]) => E);
  return err as E;
}

/** Reads every page of a paged call with the given page size; checks the last page has no cursor. */
export async function allPages<T>(fetch: (after: string | null) => Promise<Page<T>>, maxPages = 100): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: Page<T> = await fetch(after);
    pages.push(page.items);
    if (page.nextCursor === null) return pages;
    after = page.nextCursor;
  }
  throw new Error(`more than ${maxPages} pages`);
}

export function sortedKeys(keys: Iterable<string>): string[] {
  return [...keys].sort();
}

/** Compares commits by hash order, newest first. */
export function hashes(commits: Commit[]): CommitHash[] {
  return commits.map((c) => c.hash);
}

/** A commit time strictly between two commits' times (they must be at least 2 ms apart). */
export function between(a: Date, b: Date): Date {
  const lo = a.getTime();
  const hi = b.getTime();
  expect(hi - lo).toBeGreaterThanOrEqual(2);
  return new Date(lo + Math.floor((hi - lo) / 2));
}

/** Builds a linear history of `n` commits on `branch`, sleeping between them so commit times differ. */
export async function linearHistory(
  store: VersionStore,
  branch: RefName,
  n: number,
  opts: { gapMs?: number; authors?: string[]; messages?: string[] } = {},
): Promise<Commit[]> {
  const out: Commit[] = [];
  for (let i = 0; i < n; i++) {
    if (opts.gapMs) await sleep(opts.gapMs);
    const author = opts.authors?.[i % opts.authors.length] ?? 'contract-suite';
    const message = opts.messages?.[i] ?? `history ${i}`;
    const res = await commitOps(store, branch, [put(`h${i}`, table())], message, undefined, { author });
    out.push(res.commit);
  }
  return out;
}

export function stripId(c: StoredContent | null | undefined): Content | null {
  if (!c) return null;
  const { id: _id, ...rest } = c;
  return rest as Content;
}
