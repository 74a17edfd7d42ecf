/**
 * VersionStore: a Git-like catalog with Project Nessie's semantics.
 *
 * Reads take an immutable commit hash (resolve a ref expression first with `resolve`), so anything
 * read for a hash can be cached forever. Writes name a branch and optionally the head the caller saw
 * (`expectedHash`); a ref moves only by compare-and-swap.
 *
 * Errors (src/domain/errors.ts): NotFound, AlreadyExists, ReferenceConflict, MergeConflict,
 * InvalidInput, BackendUnavailable. Nothing changes when a method throws.
 */
import type { Conflict } from '../domain/errors.js';
import type { Content, ContentKey, ContentType, StoredContent } from '../domain/content.js';
import type { CommitHash, RefExpression, RefName, ReferenceType } from '../domain/refs.js';

export interface Reference {
  name: RefName;
  type: ReferenceType;
  hash: CommitHash;
}

export interface CommitMeta {
  message: string;
  author: string;
  /** Defaults to the commit time. */
  authorTime?: Date;
  committer?: string;
  properties?: Record<string, string>;
}

export type Operation =
  | { type: 'PUT'; key: ContentKey; content: Content }
  | { type: 'DELETE'; key: ContentKey };

/** An operation as recorded in a commit's history. */
export interface CommitOperation {
  type: 'PUT' | 'DELETE';
  key: ContentKey;
  contentType: ContentType | null;
}

export interface Commit {
  hash: CommitHash;
  /** First parent first; a merge commit's second parent is the merged source hash. */
  parentHashes: CommitHash[];
  message: string;
  author: string;
  authorTime: Date | null;
  committer: string | null;
  commitTime: Date;
  properties: Record<string, string>;
  operations: CommitOperation[];
}

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, or null when this is the last one. */
  nextCursor: string | null;
}

export interface PageRequest {
  /** 1..1000 */
  first: number;
  after?: string | null;
}

/** A commit of a key's history and the key's content in it (null: absent). */
export interface ContentAtCommit {
  commit: Commit;
  content: StoredContent | null;
}

export interface CommitFilter {
  author?: string;
  messageContains?: string;
  since?: Date;
  until?: Date;
  /** Only commits whose operations touch this key. */
  touchesKey?: ContentKey;
}

export interface Entry {
  key: ContentKey;
  type: ContentType;
  contentId: string;
}

export type ChangeType = 'ADDED' | 'REMOVED' | 'MODIFIED';

export interface DiffEntry {
  key: ContentKey;
  change: ChangeType;
  contentType: ContentType;
  from: StoredContent | null;
  to: StoredContent | null;
}

export type MergeBehavior = 'NORMAL' | 'FORCE' | 'DROP';

export interface MergeRequest {
  /** Source: a resolved hash, and the ref name it came from when known. */
  fromHash: CommitHash;
  fromRefName?: RefName;
  into: RefName;
  expectedHash?: CommitHash;
  meta?: Partial<CommitMeta>;
  dryRun?: boolean;
  defaultBehavior?: MergeBehavior;
  keyBehaviors?: { key: ContentKey; behavior: MergeBehavior }[];
  /** Always write a merge commit, even when the target head is the common ancestor (WAP publishes). */
  noFastForward?: boolean;
}

export interface CherryPickRequest {
  hashes: CommitHash[];
  /** Ref holding the commits, when known (Nessie's transplant wants one). */
  fromRefName?: RefName;
  into: RefName;
  expectedHash?: CommitHash;
  meta?: Partial<CommitMeta>;
  dryRun?: boolean;
}

export interface MergeOutcome {
  /** New head of the target (or the unchanged head on a dry run / no-op). */
  hash: CommitHash;
  /** Target head before the merge. */
  previousHash: CommitHash;
  commonAncestor: CommitHash | null;
  fastForward: boolean;
  /** False on a dry run or when there was nothing to merge. */
  applied: boolean;
  changedKeys: ContentKey[];
}

export interface CommitOutcome {
  commit: Commit;
  previousHash: CommitHash;
  /** Content ids assigned to newly added content, by key. */
  addedContentIds: Record<ContentKey, string>;
}

export interface ResolvedRef {
  /** The named reference, absent for a detached `@hash` expression. */
  reference?: Reference;
  /** The commit the expression designates. */
  hash: CommitHash;
}

export interface VersionStore {
  /** Short backend name for logs and readiness ("embedded-pglite", "embedded-postgres", "nessie"). */
  readonly kind: string;

  /** Name of the default branch (usually "main"). */
  defaultBranch(): Promise<RefName>;

  /**
   * The default branch as getReference(defaultBranch()) would give it, when a cache in front of
   * the store holds it (src/adapters/version-store/ref-cache.ts); undefined otherwise (then ask the store).
   * Lets a read answered from memory finish without a promise.
   */
  cachedDefaultReference?(): Reference | undefined;

  /** Hash of the empty commit every history starts from ("no ancestor"). */
  readonly noAncestorHash: CommitHash;

  /** @throws NotFound */
  getReference(name: RefName): Promise<Reference>;

  /** Sorted by name. */
  listReferences(q: PageRequest & { type?: ReferenceType; nameStartsWith?: string }): Promise<Page<Reference>>;

  /** @throws AlreadyExists when the name is taken (by a branch or a tag); NotFound when `hash` is unknown. */
  createReference(name: RefName, type: ReferenceType, hash: CommitHash): Promise<Reference>;

  /** Returns the reference as it was. @throws NotFound; ReferenceConflict when expectedHash is stale. */
  deleteReference(name: RefName, type: ReferenceType, expectedHash?: CommitHash): Promise<Reference>;

  /** Points `name` at `hash`. @throws NotFound; ReferenceConflict when expectedHash is stale. */
  assignReference(name: RefName, type: ReferenceType, hash: CommitHash, expectedHash?: CommitHash): Promise<Reference>;

  /**
   * Resolves a ref expression to a commit. `name@hash` checks that hash is reachable from name.
   * @throws NotFound for an unknown ref or hash, or a time before the first commit / `~n` past the root.
   */
  resolve(expr: RefExpression): Promise<ResolvedRef>;

  /** @throws NotFound */
  getCommit(hash: CommitHash): Promise<Commit>;

  /** Commits reachable from `hash` by first parents, newest first. */
  log(hash: CommitHash, q: PageRequest & { filter?: CommitFilter }): Promise<Page<Commit>>;

  /**
   * The history of one key: exactly the commits (and pages, and cursors) `log(hash, q)` without a
   * filter yields, each with the content at `key` in that commit (what `getContent(commit.hash,
   * key)` returns), in one read per page instead of one per commit.
   * @throws NotFound (unknown hash), InvalidInput (page size, cursor)
   */
  contentLog(hash: CommitHash, key: ContentKey, q: PageRequest): Promise<Page<ContentAtCommit>>;

  /**
   * One atomic commit of all operations on a branch. With expectedHash, the branch must still be there
   * (else ReferenceConflict and nothing changes). Without it, the current head is used.
   * A PUT of new content omits `id`; updating content must pass its current id.
   * @throws NotFound (branch, namespace absent, delete of a missing key), AlreadyExists (PUT of new
   *   content over an existing key), ReferenceConflict, InvalidInput (duplicate keys, non-empty namespace).
   */
  commit(branch: RefName, expectedHash: CommitHash | undefined, meta: CommitMeta, operations: Operation[]): Promise<CommitOutcome>;

  /** Entries under a namespace (all when absent), recursively, sorted by key. */
  entries(hash: CommitHash, q: PageRequest & { namespace?: ContentKey }): Promise<Page<Entry>>;

  /** @returns the content at key, or null. */
  getContent(hash: CommitHash, key: ContentKey): Promise<StoredContent | null>;

  /** Contents for many keys at once; missing keys are absent from the map. */
  getContents(hash: CommitHash, keys: ContentKey[]): Promise<Map<ContentKey, StoredContent>>;

  /** Keys that differ between two commits, sorted by key. */
  diff(fromHash: CommitHash, toHash: CommitHash): Promise<DiffEntry[]>;

  /** Closest common ancestor of two commits, or null when their histories are unrelated. */
  commonAncestor(a: CommitHash, b: CommitHash): Promise<CommitHash | null>;

  /**
   * Three-way merge of `fromHash` into branch `into`. Fast-forwards when the target head is the common
   * ancestor; otherwise one merge commit whose parents are [target head, fromHash].
   * @throws MergeConflict (with every conflicting key), ReferenceConflict, NotFound, InvalidInput
   *   (merging a commit that is already contained in the target is not an error: applied=false).
   */
  merge(req: MergeRequest): Promise<MergeOutcome>;

  /** Re-applies the given commits' operations, in order, onto `into` as new commits. */
  cherryPick(req: CherryPickRequest): Promise<MergeOutcome>;

  /** Releases connections. */
  close(): Promise<void>;
}

export type { Conflict };
