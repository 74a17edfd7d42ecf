/**
 * Writes that move a branch: commit, merge, cherry-pick. Each one takes the head (the expected
 * commit, or the ref's current head), builds the new immutable rows in memory, then in ONE
 * statement moves the ref by compare-and-swap on that head and inserts the rows (ON CONFLICT DO
 * NOTHING, only when the ref moved). With an expected hash the CAS is strict (a stale expected hash
 * is a ReferenceConflict even for disjoint keys); without one, a lost race is retried against the
 * new head, re-validating everything.
 */
import { InvalidInput, MergeConflict, ReferenceConflict } from '../../../domain/errors.js';
import type { CommitHash } from '../../../domain/refs.js';
import type {
  CherryPickRequest,
  CommitMeta,
  CommitOutcome,
  MergeBehavior,
  MergeOutcome,
  MergeRequest,
  Operation,
} from '../../../ports/version-store.js';
import { commonAncestor, makeCommitRow, toCommit } from './commits.js';
import { FULL_HASH } from './hashing.js';
import { commitOrNotFound } from './log.js';
import { namespaceConflicts, threeWay } from './merge.js';
import { EMPTY_TREE, PendingNodes, type DirEntry } from './nodes.js';
import { prepareOperations } from './ops.js';
import { typedRef } from './refs.js';
import type { CommitRow, NewObjects, Repo, StoredMeta } from './repo.js';
import { applyKeyEdits } from './tree.js';
import { checkOperationList, storedMeta } from './validate.js';

export interface WriteContext {
  repo: Repo;
  now: () => Date;
  maxRetries: number;
}

interface Attempt<T> {
  /** New head, or null when nothing is written (dry run, no-op). */
  next: string | null;
  objects?: NewObjects;
  result: T;
}

/** NotFound unless `branch` is a branch; ReferenceConflict unless it is at `expected`. */
async function checkHead(ctx: WriteContext, branch: string, expected: string): Promise<void> {
  const ref = await typedRef(ctx.repo, branch, 'BRANCH');
  if (ref.hash !== expected) throw new ReferenceConflict(`branch '${branch}' is at ${ref.hash}, expected ${expected}`, expected, ref.hash);
}

/**
 * Runs `attempt` on the branch head and moves the branch to its result in one statement
 * (Repo.writeAndMove: compare-and-swap plus the new rows).
 *
 * With an expected hash that names a known commit, the attempt is built on that commit without
 * reading the ref first: the compare-and-swap checks it, and only when something fails (or nothing
 * is written) is the ref read, so that the caller sees the same error as if it had been checked
 * first (NotFound for a missing branch, ReferenceConflict for a stale expected hash, else the
 * attempt's own error). A single-key commit is then one round trip.
 */
async function withHead<T>(ctx: WriteContext, branch: string, expectedHash: string | undefined, attempt: (head: CommitRow) => Promise<Attempt<T>>): Promise<T> {
  const strict = expectedHash !== undefined && expectedHash !== null;
  for (let tries = 0; ; tries++) {
    let head: CommitRow | null = strict && FULL_HASH.test(expectedHash) ? await ctx.repo.commit(expectedHash) : null;
    const optimistic = head !== null;
    if (!head) {
      const ref = await typedRef(ctx.repo, branch, 'BRANCH');
      if (strict && ref.hash !== expectedHash) {
        throw new ReferenceConflict(`branch '${branch}' is at ${ref.hash}, expected ${expectedHash}`, expectedHash, ref.hash);
      }
      head = await commitOrNotFound(ctx.repo, ref.hash);
    }
    let a: Attempt<T>;
    try {
      a = await attempt(head);
    } catch (e) {
      if (optimistic) await checkHead(ctx, branch, head.hash);
      throw e;
    }
    if (a.next === null) {
      if (optimistic) await checkHead(ctx, branch, head.hash);
      return a.result;
    }
    const objects = a.objects ?? { nodes: [], contents: new Map(), commits: [] };
    if (await ctx.repo.writeAndMove(branch, head.hash, a.next, objects)) {
      ctx.repo.rememberObjects(objects);
      return a.result;
    }
    const now = await ctx.repo.ref(branch);
    // The ref was never read: answer as if it had been (a missing branch is NotFound).
    if (optimistic) await checkHead(ctx, branch, head.hash);
    if (!strict && now && tries < ctx.maxRetries) continue;
    throw new ReferenceConflict(`reference '${branch}' is at ${now?.hash ?? '(deleted)'}, expected ${head.hash}`, head.hash, now?.hash ?? null);
  }
}

export async function commit(ctx: WriteContext, branch: string, expectedHash: string | undefined, meta: CommitMeta, operations: Operation[]): Promise<CommitOutcome> {
  const sm = storedMeta(meta);
  checkOperationList(operations);
  return withHead(ctx, branch, expectedHash, async (head) => {
    const prep = await prepareOperations(ctx.repo.nodes, head.tree, operations, { expected: expectedHash ?? head.hash, actual: head.hash });
    const pending = new PendingNodes(ctx.repo.nodes);
    const tree = await applyKeyEdits(pending, head.tree, prep.edits);
    const row = makeCommitRow([head], tree, sm, prep.recorded, ctx.now());
    return {
      next: row.hash,
      objects: { nodes: [pending], contents: prep.contents, commits: [row] },
      result: { commit: toCommit(row), previousHash: head.hash as CommitHash, addedContentIds: prep.addedContentIds },
    };
  });
}

function mergeMeta(req: MergeRequest, fallback: string): StoredMeta {
  return storedMeta({
    message: req.meta?.message ?? fallback,
    author: req.meta?.author ?? '',
    authorTime: req.meta?.authorTime,
    committer: req.meta?.committer,
    properties: req.meta?.properties,
  });
}

export async function merge(ctx: WriteContext, req: MergeRequest): Promise<MergeOutcome> {
  const from = await commitOrNotFound(ctx.repo, req.fromHash);
  const behaviors = new Map<string, MergeBehavior>((req.keyBehaviors ?? []).map((k) => [k.key, k.behavior]));
  const behaviorOf = (key: string) => behaviors.get(key) ?? req.defaultBehavior ?? 'NORMAL';
  const meta = mergeMeta(req, `Merge ${req.fromRefName ?? req.fromHash} into ${req.into}`);
  return withHead(ctx, req.into, req.expectedHash, async (head) => {
    const ca = await commonAncestor(ctx.repo, head.hash, from.hash);
    const unchanged = (commonAncestor: string | null): Attempt<MergeOutcome> => ({
      next: null,
      result: { hash: head.hash as CommitHash, previousHash: head.hash as CommitHash, commonAncestor: commonAncestor as CommitHash | null, fastForward: false, applied: false, changedKeys: [] },
    });
    if (ca === from.hash) return unchanged(ca);
    const baseTree = ca ? (await commitOrNotFound(ctx.repo, ca)).tree : EMPTY_TREE;
    const tw = await threeWay(ctx.repo.nodes, baseTree, from.tree, head.tree, behaviorOf, { sourceEdits: true });
    if (tw.conflicts.length > 0) throw new MergeConflict(`merge has ${tw.conflicts.length} conflicting key(s)`, ca, tw.conflicts);
    const changedKeys = tw.edits.map((e) => e.key);
    const outcome = (hash: string, fastForward: boolean, applied: boolean): MergeOutcome => ({
      hash: hash as CommitHash, previousHash: head.hash as CommitHash, commonAncestor: ca as CommitHash | null, fastForward, applied, changedKeys,
    });
    if (ca === head.hash && tw.dropped.length === 0 && !req.noFastForward) {
      if (req.dryRun) return { next: null, result: outcome(head.hash, true, false) };
      return { next: from.hash, result: outcome(from.hash, true, true) };
    }
    const pending = new PendingNodes(ctx.repo.nodes);
    const results = new Map<string, DirEntry | null>();
    // The same tree either way; from the source it is usually far fewer nodes (see ThreeWay).
    const tree = tw.sourceEdits
      ? await applyKeyEdits(pending, from.tree, tw.sourceEdits, results)
      : await applyKeyEdits(pending, head.tree, tw.edits, results);
    const nsConflicts = await namespaceConflicts(pending, tree, tw.edits, results);
    if (nsConflicts.length > 0) throw new MergeConflict(`merge result breaks namespace rules`, ca, nsConflicts);
    if (req.dryRun) return { next: null, result: outcome(head.hash, false, false) };
    const row = makeCommitRow([head, from], tree, meta, tw.recorded, ctx.now());
    return { next: row.hash, objects: { nodes: [pending], contents: new Map(), commits: [row] }, result: outcome(row.hash, false, true) };
  });
}

export async function cherryPick(ctx: WriteContext, req: CherryPickRequest): Promise<MergeOutcome> {
  if (!Array.isArray(req.hashes) || req.hashes.length === 0) throw new InvalidInput('at least one commit hash is required', 'hashes');
  const picked: CommitRow[] = [];
  for (const h of req.hashes) picked.push(await commitOrNotFound(ctx.repo, h));
  return withHead(ctx, req.into, req.expectedHash, async (head) => {
    const pending = new PendingNodes(ctx.repo.nodes);
    const created: CommitRow[] = [];
    const changed = new Set<string>();
    let cur = head;
    for (const c of picked) {
      const parentTree = c.parents[0] ? (await commitOrNotFound(ctx.repo, c.parents[0])).tree : EMPTY_TREE;
      const tw = await threeWay(pending, parentTree, c.tree, cur.tree, () => 'NORMAL');
      if (tw.conflicts.length > 0) throw new MergeConflict(`commit ${c.hash} conflicts with '${req.into}'`, null, tw.conflicts);
      if (tw.edits.length === 0) continue;
      const results = new Map<string, DirEntry | null>();
      const tree = await applyKeyEdits(pending, cur.tree, tw.edits, results);
      const ns = await namespaceConflicts(pending, tree, tw.edits, results);
      if (ns.length > 0) throw new MergeConflict(`commit ${c.hash} breaks namespace rules on '${req.into}'`, null, ns);
      cur = makeCommitRow([cur], tree, c.meta, tw.recorded, ctx.now());
      created.push(cur);
      for (const e of tw.edits) changed.add(e.key);
    }
    const applied = created.length > 0 && !req.dryRun;
    const result: MergeOutcome = {
      hash: (applied ? cur.hash : head.hash) as CommitHash,
      previousHash: head.hash as CommitHash,
      commonAncestor: null,
      fastForward: false,
      applied,
      changedKeys: [...changed].sort(),
    };
    if (!applied) return { next: null, result };
    return { next: cur.hash, objects: { nodes: [pending], contents: new Map(), commits: created }, result };
  });
}
