/**
 * Merge, cherry-pick and common ancestors over Nessie v2.
 *
 * Differences from the port that are handled here (found against Nessie 0.99):
 *  - Nessie never fast-forwards: it writes a merge commit even when the target head is the common
 *    ancestor. The merge is sent once (no dry run first); when its response shows that the head it
 *    was applied to is the common ancestor (and no key is dropped), the branch is moved from that
 *    merge commit to the source by a compare-and-swap, which is the port's fast-forward. (Readers
 *    may see the merge commit in between; if a writer commits on top of it first, it stays and the
 *    outcome is reported as a three-way merge.) Its response also names the head it was applied to
 *    (`effectiveTargetHash`), so no commit read is needed; the head is read once first so a stale
 *    expected hash never lands.
 *  - Nessie 0.99 reads the flags as `isDryRun` / `isReturnConflictAsResult` (projectnessie/nessie
 *    #12130) and silently merges for real when only `dryRun` is sent; both spellings are sent.
 *  - `fromRefName` is required and must exist, but Nessie does not check the hash is on it: the
 *    target's name is used when the caller does not know the source ref.
 *  - Transplant rejects commits that are not contiguous. Cherry-pick therefore replays each commit
 *    onto a temporary branch at the target head and then moves the target by compare-and-swap, so
 *    several picks land atomically (the temporary branch `cascade-tmp/…` is deleted afterwards).
 *  - Nessie has no common-ancestor endpoint: `commonAncestor` dry-run merges b into a temporary
 *    branch at a and reads the merge's common ancestor.
 *  - Nessie cannot merge into a branch with no commits ("No common ancestor"), which is where a fresh
 *    catalog's main is when the first run publishes. The port's result is the source's tree, so such a
 *    merge moves the branch to the source by compare-and-swap; a merge commit (noFastForward, or keys
 *    dropped) is a commit on top of the source, made on a temporary branch first so it lands at once.
 * Stale expected hashes are handled as for commits (see commits.ts).
 */
import { randomUUID } from 'node:crypto';
import type { ContentKey } from '../../../domain/content.js';
import { type Conflict, MergeConflict, ReferenceConflict } from '../../../domain/errors.js';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import type { CherryPickRequest, MergeBehavior, MergeOutcome, MergeRequest } from '../../../ports/version-store.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../../../domain/reference-retry.js';
import { headOf, movedConflict, staleConflict, undoIfNotOn } from './commits.js';
import { translate, type NessieContext } from './http.js';
import { diff } from './contents.js';
import { getCommit } from './history.js';
import { detached, fromNessieConflict, fromNessieKey, refPath, toNessieKey, toNessieMeta, type NConflict, type NKey } from './mapping.js';
import { createReference } from './refs.js';

interface MergeResponse {
  wasApplied?: boolean;
  wasSuccessful?: boolean;
  resultantTargetHash?: string | null;
  commonAncestor?: string | null;
  /** The target head the merge was applied to (Nessie moves past a stale expected hash). */
  effectiveTargetHash?: string | null;
  details?: { key: NKey; mergeBehavior?: MergeBehavior; conflict?: NConflict | null }[] | null;
}

function flags(dryRun: boolean) {
  return { dryRun, isDryRun: dryRun, returnConflictAsResult: true, isReturnConflictAsResult: true };
}

function changedKeys(res: MergeResponse): ContentKey[] {
  return (res.details ?? [])
    .filter((d) => d.mergeBehavior !== 'DROP' && !d.conflict)
    .map((d) => fromNessieKey(d.key))
    .sort();
}

function conflictsOf(res: MergeResponse): Conflict[] {
  return (res.details ?? []).filter((d) => d.conflict).map((d) => fromNessieConflict({ ...d.conflict, key: d.conflict!.key ?? d.key }));
}

export async function merge(ctx: NessieContext, req: MergeRequest): Promise<MergeOutcome> {
  const fromRefName = req.fromRefName ?? req.into;
  const body = {
    fromRefName,
    fromHash: req.fromHash,
    ...(req.meta ? { commitMeta: toNessieMeta(req.meta), ...(req.meta.message ? { message: req.meta.message } : {}) } : {}),
    ...(req.defaultBehavior ? { defaultKeyMergeMode: req.defaultBehavior } : {}),
    ...(req.keyBehaviors?.length ? { keyMergeModes: req.keyBehaviors.map((k) => ({ key: toNessieKey(k.key), mergeBehavior: k.behavior })) } : {}),
  };
  if (req.dryRun) return dryRunMerge(ctx, req, body);
  return retryOnReferenceConflict(async (lastTry) => {
    // With an expected hash, no pre-check (see commits.ts): Nessie reports the head it merged onto.
    // As for commits: a stale expected hash is rejected before Nessie can merge onto a newer head.
    const head = await headOf(ctx, req.into);
    if (req.expectedHash && head !== req.expectedHash) {
      throw new ReferenceConflict(`branch '${req.into}' is at ${head}, not ${req.expectedHash}`, req.expectedHash, head);
    }
    if (head === ctx.noAncestorHash) return mergeIntoEmpty(ctx, req, lastTry);
    const mayRetry = !req.expectedHash && !lastTry;
    let res: MergeResponse;
    try {
      res = await ctx.http.post<MergeResponse>(`/trees/${refPath(req.into, head)}/history/merge`, { ...body, ...flags(false) });
    } catch (e) {
      if (req.expectedHash) throw (await staleConflict(ctx, req.into, head, e)) ?? translate(e, { expectedHash: head, actualHash: head });
      const moved = await movedConflict(ctx, req.into, head, e);
      if (moved && mayRetry) return TRY_AGAIN;
      throw moved ?? translate(e, { expectedHash: head, actualHash: head });
    }
    // The head Nessie merged onto (it moves past a stale expected hash when no key conflicts).
    const effective = (res.effectiveTargetHash ?? null) as CommitHash | null;
    const ancestor = (res.commonAncestor ?? null) as CommitHash | null;
    if (res.wasSuccessful === false) {
      // A conflict reported while the target moved is the moved head's fault: retry or ReferenceConflict.
      const now = effective && effective !== head ? effective : await headOf(ctx, req.into);
      if (now !== head) {
        if (mayRetry) return TRY_AGAIN;
        throw new ReferenceConflict(`branch '${req.into}' moved from ${head} to ${now}`, head, now, conflictsOf(res));
      }
      throw new MergeConflict(`merging ${req.fromHash} into '${req.into}' conflicts`, ancestor, conflictsOf(res));
    }
    const resultant = (res.resultantTargetHash ?? null) as CommitHash | null;
    if (!res.wasApplied || !resultant || resultant === (effective ?? head)) {
      // Nothing to merge: the source is already contained in the target.
      const at = effective ?? head;
      if (req.expectedHash && at !== req.expectedHash) {
        throw new ReferenceConflict(`branch '${req.into}' is at ${at}, not ${req.expectedHash}`, req.expectedHash, at);
      }
      return { hash: at, previousHash: at, commonAncestor: ancestor, fastForward: false, applied: false, changedKeys: [] };
    }
    const parent = effective ?? ((await getCommit(ctx, resultant)).parentHashes[0] as CommitHash | undefined) ?? ctx.noAncestorHash;
    if (req.expectedHash && (await undoIfNotOn(ctx, req.into, resultant, parent, req.expectedHash))) {
      throw new ReferenceConflict(`branch '${req.into}' is at ${parent}, not ${req.expectedHash}`, req.expectedHash, parent);
    }
    const keys = changedKeys(res);
    // The target head was the common ancestor: the port fast-forwards, Nessie wrote a merge commit
    // (with the source's tree). Move the branch from that commit to the source by compare-and-swap.
    // If another writer already committed on top of it, the merge commit stays: a correct three-way
    // result, reported as such.
    const dropped = (res.details ?? []).some((d) => d.mergeBehavior === 'DROP');
    if (ancestor === parent && !dropped && !req.noFastForward) {
      try {
        await ctx.http.put(`/trees/${refPath(req.into, resultant)}`, detached(req.fromHash), { type: 'BRANCH' });
        return { hash: req.fromHash, previousHash: parent, commonAncestor: ancestor, fastForward: true, applied: true, changedKeys: keys };
      } catch {
        /* the merge commit stays */
      }
    }
    return { hash: resultant, previousHash: parent, commonAncestor: ancestor, fastForward: false, applied: true, changedKeys: keys };
  });
}

/** A dry-run merge: the head is checked first, then Nessie evaluates the merge without writing. */
async function dryRunMerge(ctx: NessieContext, req: MergeRequest, body: Record<string, unknown>): Promise<MergeOutcome> {
  return retryOnReferenceConflict(async (lastTry) => {
    const head = await headOf(ctx, req.into);
    if (req.expectedHash && head !== req.expectedHash) {
      throw new ReferenceConflict(`branch '${req.into}' is at ${head}, not ${req.expectedHash}`, req.expectedHash, head);
    }
    if (head === ctx.noAncestorHash) return mergeIntoEmpty(ctx, req, lastTry);
    let dry: MergeResponse;
    try {
      dry = await ctx.http.post<MergeResponse>(`/trees/${refPath(req.into, head)}/history/merge`, { ...body, ...flags(true) });
    } catch (e) {
      const moved = await movedConflict(ctx, req.into, head, e);
      if (moved && !req.expectedHash && !lastTry) return TRY_AGAIN;
      throw moved ?? translate(e, { expectedHash: head, actualHash: head });
    }
    const ancestor = (dry.commonAncestor ?? null) as CommitHash | null;
    if (dry.wasSuccessful === false) {
      const now = await headOf(ctx, req.into);
      if (now !== head) {
        if (!req.expectedHash && !lastTry) return TRY_AGAIN;
        throw new ReferenceConflict(`branch '${req.into}' moved from ${head} to ${now}`, head, now, conflictsOf(dry));
      }
      throw new MergeConflict(`merging ${req.fromHash} into '${req.into}' conflicts`, ancestor, conflictsOf(dry));
    }
    const unchanged = { hash: head, previousHash: head, commonAncestor: ancestor, applied: false };
    if (ancestor === req.fromHash) return { ...unchanged, fastForward: false, changedKeys: [] };
    const fastForward = ancestor === head && !req.noFastForward && !(dry.details ?? []).some((d) => d.mergeBehavior === 'DROP');
    return { ...unchanged, fastForward, changedKeys: changedKeys(dry) };
  });
}

/**
 * A merge into a branch that has no commits: every key of the source is new there, so nothing can
 * conflict and the result is the source's tree less the keys whose behaviour is DROP.
 */
async function mergeIntoEmpty(ctx: NessieContext, req: MergeRequest, lastTry: boolean): Promise<MergeOutcome | typeof TRY_AGAIN> {
  const root = ctx.noAncestorHash;
  const unchanged: MergeOutcome = { hash: root, previousHash: root, commonAncestor: root, fastForward: false, applied: false, changedKeys: [] };
  if (req.fromHash === root) return unchanged;
  await getCommit(ctx, req.fromHash);
  const behaviors = new Map((req.keyBehaviors ?? []).map((k) => [k.key, k.behavior]));
  const keys = (await diff(ctx, root, req.fromHash)).map((d) => d.key);
  const dropped = keys.filter((k) => (behaviors.get(k) ?? req.defaultBehavior) === 'DROP');
  const changed = keys.filter((k) => !dropped.includes(k));
  if (changed.length === 0) return unchanged;
  const withCommit = req.noFastForward === true || dropped.length > 0;
  if (req.dryRun) return { ...unchanged, fastForward: !withCommit, changedKeys: changed };
  let tip = req.fromHash;
  const tmp = withCommit ? await tempBranch(ctx, req.fromHash, 'merge') : null;
  try {
    if (tmp) {
      // Nessie wants at least one operation: UNCHANGED on a merged key when nothing is dropped.
      const operations = dropped.length > 0
        ? dropped.map((k) => ({ type: 'DELETE', key: toNessieKey(k) }))
        : [{ type: 'UNCHANGED', key: toNessieKey(changed[0]!) }];
      const meta = { ...req.meta, message: req.meta?.message ?? `Merge ${req.fromRefName ?? req.fromHash} into ${req.into}` };
      const res = await ctx.http
        .post<{ targetBranch: { hash: CommitHash } }>(`/trees/${refPath(tmp, tip)}/history/commit`, { commitMeta: toNessieMeta(meta), operations })
        .catch((e: unknown) => {
          throw translate(e);
        });
      tip = res.targetBranch.hash;
    }
    if ((await moveBranch(ctx, req.into, root, tip, !req.expectedHash && !lastTry)) === TRY_AGAIN) return TRY_AGAIN;
  } finally {
    if (tmp) await dropTemp(ctx, tmp);
  }
  return { hash: tip, previousHash: root, commonAncestor: root, fastForward: !withCommit, applied: true, changedKeys: changed };
}

/**
 * Moves `branch` from `from` to `to` by compare-and-swap. A lost race is TRY_AGAIN when the caller
 * may retry, else a ReferenceConflict; any other failure is translated.
 */
async function moveBranch(ctx: NessieContext, branch: RefName, from: CommitHash, to: CommitHash, mayRetry: boolean): Promise<void | typeof TRY_AGAIN> {
  try {
    await ctx.http.put(`/trees/${refPath(branch, from)}`, detached(to), { type: 'BRANCH' });
  } catch (e) {
    const moved = await movedConflict(ctx, branch, from, e);
    if (moved && mayRetry) return TRY_AGAIN;
    throw moved ?? translate(e, { expectedHash: from });
  }
}

/** A short-lived branch for multi-step operations; always deleted by the caller. */
async function tempBranch(ctx: NessieContext, at: CommitHash, label: string): Promise<RefName> {
  const name = `cascade-tmp/${label}-${randomUUID()}` as RefName;
  await createReference(ctx, name, 'BRANCH', at);
  return name;
}

async function dropTemp(ctx: NessieContext, name: RefName): Promise<void> {
  try {
    const head = await headOf(ctx, name);
    await ctx.http.delete(`/trees/${refPath(name, head)}`, { type: 'BRANCH' });
  } catch {
    /* best effort: a leftover cascade-tmp/ branch holds nothing the target needs */
  }
}

export async function cherryPick(ctx: NessieContext, req: CherryPickRequest): Promise<MergeOutcome> {
  const fromRefName = req.fromRefName ?? req.into;
  return retryOnReferenceConflict(async (lastTry) => {
    const head = await headOf(ctx, req.into);
    if (req.expectedHash && head !== req.expectedHash) {
      throw new ReferenceConflict(`branch '${req.into}' is at ${head}, not ${req.expectedHash}`, req.expectedHash, head);
    }
    if (req.hashes.length === 0) return { hash: head, previousHash: head, commonAncestor: null, fastForward: false, applied: false, changedKeys: [] };
    const tmp = await tempBranch(ctx, head, 'cherry-pick');
    try {
      let tip = head;
      const keys = new Set<ContentKey>();
      for (const h of req.hashes) {
        let res: MergeResponse;
        try {
          res = await ctx.http.post<MergeResponse>(`/trees/${refPath(tmp, tip)}/history/transplant`, {
            fromRefName,
            hashesToTransplant: [h],
            ...flags(false),
          });
        } catch (e) {
          throw translate(e);
        }
        if (res.wasSuccessful === false) throw new MergeConflict(`cherry-picking ${h} onto '${req.into}' conflicts`, null, conflictsOf(res));
        for (const k of changedKeys(res)) keys.add(k);
        tip = (res.resultantTargetHash as CommitHash | null | undefined) ?? (await headOf(ctx, tmp));
      }
      const outcome = { previousHash: head, commonAncestor: null, fastForward: false, changedKeys: [...keys].sort() };
      if (req.dryRun || tip === head) return { ...outcome, hash: head, applied: false };
      if ((await moveBranch(ctx, req.into, head, tip, !req.expectedHash && !lastTry)) === TRY_AGAIN) return TRY_AGAIN;
      return { ...outcome, hash: tip, applied: true };
    } finally {
      await dropTemp(ctx, tmp);
    }
  });
}

export async function commonAncestor(ctx: NessieContext, a: CommitHash, b: CommitHash): Promise<CommitHash | null> {
  if (a === b) {
    if (a !== ctx.noAncestorHash) await getCommit(ctx, a);
    return a;
  }
  const tmp = await tempBranch(ctx, a, 'merge-base');
  try {
    const res = await ctx.http
      .post<MergeResponse>(`/trees/${refPath(tmp, a)}/history/merge`, { fromRefName: tmp, fromHash: b, ...flags(true) })
      .catch((e: unknown) => {
        throw translate(e);
      });
    const ca = (res.commonAncestor ?? null) as CommitHash | null;
    // Every Nessie history starts at the empty commit; meeting only there means "unrelated".
    return ca === ctx.noAncestorHash && a !== ca && b !== ca ? null : ca;
  } finally {
    await dropTemp(ctx, tmp);
  }
}
