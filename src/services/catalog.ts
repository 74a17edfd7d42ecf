/**
 * Catalog use cases over a VersionStore: ref-expression resolution, defaults, validation of user
 * input and the rules the gateway adds on top of the store (default branch, protected branches).
 */
import { checkMessage } from '../domain/commit-meta.js';
import { contentKey, namespaceContent, type ContentKey } from '../domain/content.js';
import { AlreadyExists, InvalidInput, NotFound } from '../domain/errors.js';
import type { ReferenceUpdateEvent } from '../domain/events.js';
import type { Actor } from '../auth/actor.js';
import { AccessPolicy, type ReadTarget } from '../auth/policy.js';
import {
  commitHash,
  expectedHash,
  newRefName,
  parseRefExpression,
  refName,
  type CommitHash,
  type RefName,
  type ReferenceType,
} from '../domain/refs.js';
import type { EventBus } from '../ports/event-bus.js';
import { paginate, type Connection, type PageArgs } from './pagination.js';
import { filterEvents } from './topics.js';
import type {
  Commit,
  CommitFilter,
  CommitOutcome,
  DiffEntry,
  Entry,
  MergeBehavior,
  MergeOutcome,
  Reference,
  ResolvedRef,
  VersionStore,
} from '../ports/version-store.js';

export type { Actor };

export interface MergeArgs {
  from: string;
  into: string;
  expectedHash?: string | null;
  message?: string | null;
  dryRun?: boolean | null;
  defaultBehavior?: MergeBehavior | null;
  keyBehaviors?: { key: string; behavior: MergeBehavior }[] | null;
}

export class CatalogService {
  readonly policy: AccessPolicy;

  constructor(
    readonly store: VersionStore,
    protectedGlobs: string[],
    /** Carries `referenceUpdated` (published by the store's event decorator) to referenceEvents(). */
    private readonly bus: EventBus,
  ) {
    this.policy = new AccessPolicy(protectedGlobs);
  }

  isProtected(branch: string): boolean {
    return this.policy.isProtected(branch);
  }

  /** Raises Forbidden unless the actor may read through `target` (see src/auth/policy.ts). */
  async assertCanRead(actor: Actor, target: ReadTarget): Promise<void> {
    if (this.policy.has(actor, 'analyst')) return;
    this.policy.assertCanRead(actor, target, await this.store.defaultBranch());
  }

  /** resolve() for a caller: the ref it designates must be readable by the actor. */
  async resolveFor(actor: Actor, expr: string, field = 'ref'): Promise<ResolvedRef> {
    const r = await this.resolve(expr, field);
    await this.assertCanRead(actor, { name: r.reference?.name ?? null, type: r.reference?.type ?? null });
    return r;
  }

  async defaultBranch(): Promise<Reference> {
    return this.store.getReference(await this.store.defaultBranch());
  }

  /** The default branch when a ref cache holds it (no promise), else undefined: use defaultBranch(). */
  cachedDefaultBranch(): Reference | undefined {
    return this.store.cachedDefaultReference?.();
  }

  /** Resolves a ref expression (`main`, `main@hash`, `@hash`, `main*time`, `main~n`). */
  async resolve(expr: string, field = 'ref'): Promise<ResolvedRef> {
    return this.store.resolve(parseRefExpression(expr, field));
  }

  /** The named reference of an expression, viewed at the commit the expression designates. */
  async reference(expr: string, actor: Actor): Promise<Reference | null> {
    const r = await this.resolveOrNull(expr);
    if (r?.reference) await this.assertCanRead(actor, r.reference);
    return r?.reference ? { ...r.reference, hash: r.hash } : null;
  }

  async resolveOrNull(expr: string): Promise<ResolvedRef | null> {
    try {
      return await this.resolve(expr);
    } catch (e) {
      if (e instanceof NotFound) return null;
      throw e;
    }
  }

  async getRef(name: string, type: ReferenceType, actor: Actor): Promise<Reference | null> {
    const n = refName(name);
    await this.assertCanRead(actor, { name: n, type });
    try {
      const ref = await this.store.getReference(n);
      return ref.type === type ? ref : null;
    } catch (e) {
      if (e instanceof NotFound) return null;
      throw e;
    }
  }

  /**
   * The live moves of the named references (every one when names is null) that the actor may read,
   * for the referenceUpdated subscription. The bus subscription is made before this resolves.
   * @throws InvalidInput (over 100 names, a bad name), Forbidden (a named ref the actor may not read)
   */
  async referenceEvents(names: readonly string[] | null | undefined, actor: Actor): Promise<AsyncIterableIterator<ReferenceUpdateEvent>> {
    if (names && names.length > 100) throw new InvalidInput('at most 100 names', 'names');
    const wanted = names ? new Set(names.map((n, i) => refName(n, `names[${i}]`))) : null;
    const readable = await this.watchFilter(actor, wanted ? [...wanted] : null);
    return filterEvents(this.bus, 'referenceUpdated', (e) => (!wanted || wanted.has(e.name as RefName)) && readable(e));
  }

  /**
   * For a subscription when it starts: Forbidden unless every named ref is readable by the actor;
   * returns the filter its events must pass (a viewer sees only the default branch and tags).
   */
  private async watchFilter(actor: Actor, names: readonly RefName[] | null): Promise<(r: { name: string; type: ReferenceType }) => boolean> {
    this.policy.require(actor, 'viewer', 'watching references');
    if (this.policy.has(actor, 'analyst')) return () => true;
    const defaultName = await this.store.defaultBranch();
    for (const n of names ?? []) {
      if (n === defaultName) continue;
      const ref = await this.store.getReference(n).catch((e) => {
        if (e instanceof NotFound) return null;
        throw e;
      });
      this.policy.assertCanRead(actor, { name: n, type: ref?.type ?? 'BRANCH' }, defaultName);
    }
    return (r) => this.policy.canRead(actor, r, defaultName);
  }

  /** References, paged; a viewer sees only the default branch and tags. */
  async listReferences(args: PageArgs & { type?: ReferenceType | null; nameStartsWith?: string | null }, actor: Actor) {
    if (args.nameStartsWith != null && args.nameStartsWith.length > 255) {
      throw new InvalidInput('nameStartsWith is longer than 255 characters', 'nameStartsWith');
    }
    this.policy.require(actor, 'viewer', 'listing references');
    const all = this.policy.has(actor, 'analyst');
    const defaultName = all ? '' : await this.store.defaultBranch();
    return paginate(args, async (q) => {
      const page = await this.store.listReferences({ ...q, type: args.type ?? undefined, nameStartsWith: args.nameStartsWith ?? undefined });
      return all ? page : { ...page, items: page.items.filter((r) => this.policy.canRead(actor, r, defaultName)) };
    });
  }

  /**
   * The commits of one DataLoader batch (loaders/index.ts), in order: null where a hash names no
   * commit, and an empty root commit for the store's no-ancestor hash (the head of a branch without
   * commits). Hashes are passed to the store as they are: they come from refs, parents and node ids.
   */
  async commitsByHash(hashes: readonly string[]): Promise<(Commit | null)[]> {
    const store = this.store;
    return Promise.all(
      hashes.map(async (h) => {
        if (h === store.noAncestorHash) return rootCommit(h as CommitHash);
        try {
          return await store.getCommit(h as CommitHash);
        } catch (e) {
          if (e instanceof NotFound) return null;
          throw e;
        }
      }),
    );
  }

  async commit(hash: string): Promise<Commit | null> {
    try {
      return await this.store.getCommit(commitHash(hash));
    } catch (e) {
      if (e instanceof NotFound) return null;
      throw e;
    }
  }

  async log(hash: CommitHash, args: PageArgs & { filter?: CommitFilter | null }): Promise<Connection<Commit>> {
    const filter = args.filter ?? undefined;
    if (filter?.touchesKey !== undefined) contentKey(filter.touchesKey, 'filter.touchesKey');
    if (filter?.author !== undefined && filter.author.length > 512) throw new InvalidInput('filter.author is too long', 'filter.author');
    if (filter?.messageContains !== undefined && filter.messageContains.length > 1024) {
      throw new InvalidInput('filter.messageContains is too long', 'filter.messageContains');
    }
    return paginate(args, (q) => this.store.log(hash, { ...q, filter }));
  }

  async logOf(expr: string, args: PageArgs & { filter?: CommitFilter | null }, actor: Actor) {
    return this.log((await this.resolveFor(actor, expr)).hash, args);
  }

  async entries(hash: CommitHash, args: PageArgs & { namespace?: string | null }): Promise<Connection<Entry>> {
    const namespace = args.namespace == null ? undefined : contentKey(args.namespace, 'namespace');
    return paginate(args, (q) => this.store.entries(hash, { ...q, namespace }));
  }

  async diff(from: string, to: string, actor: Actor): Promise<{ fromHash: CommitHash; toHash: CommitHash; entries: DiffEntry[] }> {
    const [a, b] = await Promise.all([this.resolveFor(actor, from, 'from'), this.resolveFor(actor, to, 'to')]);
    return { fromHash: a.hash, toHash: b.hash, entries: await this.store.diff(a.hash, b.hash) };
  }

  /**
   * How many first-parent commits `head` has that `base` lacks, and the reverse. A walk stops at
   * the first commit the other side already contains (its common ancestor with the other side is
   * itself), so merge commits that brought the other side's work in count once.
   */
  async aheadBehind(head: CommitHash, base: string, actor: Actor) {
    const baseHash = (await this.resolveFor(actor, base, 'base')).hash;
    const ancestor = await this.store.commonAncestor(head, baseHash);
    const [ahead, behind] = await Promise.all([this.countUntilContained(head, baseHash, ancestor), this.countUntilContained(baseHash, head, ancestor)]);
    return { ahead, behind, commonAncestor: ancestor };
  }

  private async countUntilContained(from: CommitHash, other: CommitHash, ancestor: CommitHash | null): Promise<number> {
    let count = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.store.log(from, { first: 100, after });
      for (const c of page.items) {
        if (c.hash === ancestor || c.hash === other) return count;
        if ((await this.store.commonAncestor(c.hash, other)) === c.hash) return count;
        count++;
      }
      if (page.nextCursor === null) return count;
      after = page.nextCursor;
    }
  }

  async createBranch(name: string, from: string | null | undefined, actor: Actor): Promise<Reference> {
    const n = newRefName(name);
    this.policy.assertCanChangeBranch(actor, n, 'create');
    const source = from == null ? await this.defaultBranch() : await this.resolveFor(actor, from, 'from');
    return this.store.createReference(n, 'BRANCH', source.hash);
  }

  async createTag(name: string, from: string, actor: Actor): Promise<Reference> {
    const n = newRefName(name);
    this.policy.assertCanManageTags(actor);
    const source = await this.resolveFor(actor, from, 'from');
    return this.store.createReference(n, 'TAG', source.hash);
  }

  async deleteReference(name: string, type: ReferenceType, expected: string | null | undefined, actor: Actor): Promise<Reference> {
    const n = refName(name);
    const hash = expectedHash(expected);
    if (type === 'TAG') this.policy.assertCanManageTags(actor);
    else this.policy.assertCanChangeBranch(actor, n, 'delete');
    if (type === 'BRANCH' && n === (await this.store.defaultBranch())) {
      throw new InvalidInput(`the default branch '${n}' cannot be deleted`, 'name');
    }
    return this.store.deleteReference(n, type, hash);
  }

  async assignBranch(name: string, to: string, expected: string | null | undefined, actor: Actor): Promise<Reference> {
    const n = refName(name);
    const hash = expectedHash(expected);
    this.policy.assertCanChangeBranch(actor, n, 'assign');
    const target = await this.resolveFor(actor, to, 'to');
    return this.store.assignReference(n, 'BRANCH', target.hash, hash);
  }

  async createNamespace(branch: string, name: string, expected: string | null | undefined, actor: Actor): Promise<CommitOutcome> {
    const b = refName(branch, 'branch');
    const key: ContentKey = contentKey(name, 'name');
    const hash = expectedHash(expected);
    this.policy.assertCanChangeBranch(actor, b, 'commit');
    try {
      return await this.store.commit(b, hash, { message: `Create namespace ${key}`, author: actor.subject }, [
        { type: 'PUT', key, content: namespaceContent(key) },
      ]);
    } catch (e) {
      // The store's words are about content ids (Nessie's "pass its content id to update it"), not namespaces.
      if (e instanceof AlreadyExists) throw new AlreadyExists(`'${key}' already exists on branch '${b}' (a namespace or a table)`, e.conflicts);
      throw e;
    }
  }

  async merge(args: MergeArgs, actor: Actor): Promise<MergeOutcome> {
    const into = refName(args.into, 'into');
    const hash = expectedHash(args.expectedHash);
    this.policy.assertCanChangeBranch(actor, into, 'merge');
    const source = await this.resolveFor(actor, args.from, 'from');
    if (source.reference?.name === into) throw new InvalidInput(`cannot merge '${into}' into itself`, 'from');
    const keyBehaviors = (args.keyBehaviors ?? []).map((k, i) => ({ key: contentKey(k.key, `keyBehaviors[${i}].key`), behavior: k.behavior }));
    const fromLabel = source.reference?.name ?? source.hash;
    return this.store.merge({
      fromHash: source.hash,
      fromRefName: source.reference?.name,
      into,
      expectedHash: hash,
      meta: { message: checkMessage(args.message ?? `Merge ${fromLabel} into ${into}`), author: actor.subject },
      dryRun: args.dryRun ?? false,
      defaultBehavior: args.defaultBehavior ?? undefined,
      keyBehaviors,
    });
  }

  async cherryPick(hashes: string[], into: string, expected: string | null | undefined, actor: Actor): Promise<MergeOutcome> {
    const target = refName(into, 'into');
    if (hashes.length === 0) throw new InvalidInput('hashes must not be empty', 'hashes');
    if (hashes.length > 1000) throw new InvalidInput('at most 1000 hashes can be cherry-picked at once', 'hashes');
    const list = hashes.map((h, i) => commitHash(h, `hashes[${i}]`));
    this.policy.assertCanChangeBranch(actor, target, 'commit');
    return this.store.cherryPick({
      hashes: list,
      into: target,
      expectedHash: expectedHash(expected),
      meta: { author: actor.subject },
    });
  }

}

/** The commit a branch without commits points at (the store's no-ancestor hash): empty, at the epoch. */
function rootCommit(hash: CommitHash): Commit {
  return {
    hash,
    parentHashes: [],
    message: '',
    author: '',
    authorTime: null,
    committer: null,
    commitTime: new Date(0),
    properties: {},
    operations: [],
  };
}
