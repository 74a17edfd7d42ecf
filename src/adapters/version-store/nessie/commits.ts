/**
 * Commits over Nessie v2 with the port's strict compare-and-swap.
 *
 * Nessie commits at `branch@expectedHash` and only rejects a stale expected hash when a key the
 * commit touches changed since then; otherwise it commits on top of the newer head. The port promises
 * a strict compare-and-swap, so with an expected hash:
 *  1. the head is read and a different head is a ReferenceConflict (nothing is written); then the
 *     commit is sent as `branch@expectedHash`;
 *  2. if it fails, the head is read: a missing branch is NotFound, a moved one ReferenceConflict,
 *     else Nessie's error stands (the same errors, in the same order, as a pre-check would give);
 *  3. the new commit is read (the port returns it); if its parent is not the expected hash, another
 *     writer had moved the branch and Nessie still accepted ours (it touched other keys): the branch
 *     is reset to that parent by a compare-and-swap on our new head and ReferenceConflict is thrown.
 * Remaining race: between 1 and 3 a reader can see the commit, and if a third writer commits on top
 * of ours before the reset, the reset fails and our commit stays (it is then returned as a success
 * whose previousHash is not the expected hash). Without expectedHash the current head is read and
 * used, and a failure caused only by a moved head is retried.
 */
import type { ContentKey } from '../../../domain/content.js';
import { ReferenceConflict } from '../../../domain/errors.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../../../domain/reference-retry.js';
import type { CommitHash, RefName } from '../../../domain/refs.js';
import type { CommitMeta, CommitOutcome, Operation } from '../../../ports/version-store.js';
import { NessieHttpError, translate, type NessieContext } from './http.js';
import { getCommit } from './history.js';
import { detached, fromNessieKey, refPath, toNessieMeta, toNessieOperation, type NKey } from './mapping.js';
import { getTyped } from './refs.js';


interface CommitResponse {
  targetBranch: { hash: string };
  addedContents?: { key: NKey; contentId: string }[] | null;
}

export async function headOf(ctx: NessieContext, branch: RefName): Promise<CommitHash> {
  return (await getTyped(ctx, branch, 'BRANCH')).hash;
}

/** Whether a failed write may be explained by the branch having moved (then the head decides). */
export function mayBeRace(e: unknown): boolean {
  if (!(e instanceof NessieHttpError)) return false;
  if (e.status === 409 || e.status === 429) return true;
  // "Could not find commit '…' in reference '…'": the expected hash left the branch (reset).
  return e.status === 404 && /in reference/.test(e.body.message ?? '');
}

/**
 * After a failed write at `branch@head`: a ReferenceConflict if the branch moved, else null.
 */
export async function movedConflict(ctx: NessieContext, branch: RefName, head: CommitHash, e: unknown): Promise<ReferenceConflict | null> {
  if (!mayBeRace(e)) return null;
  const now = await headOf(ctx, branch);
  if (now === head) return null;
  const err = translate(e);
  const conflicts = 'conflicts' in err ? (err as { conflicts: ReferenceConflict['conflicts'] }).conflicts : [];
  return new ReferenceConflict(`branch '${branch}' moved from ${head} to ${now}`, head, now, conflicts);
}

/**
 * Undoes a write that Nessie applied on top of a head other than `expected` (step 3 above).
 * Returns true when it was undone (the caller then throws ReferenceConflict).
 */
export async function undoIfNotOn(ctx: NessieContext, branch: RefName, newHead: CommitHash, base: CommitHash, expected: CommitHash): Promise<boolean> {
  if (base === expected) return false;
  try {
    await ctx.http.put(`/trees/${refPath(branch, newHead)}`, detached(base), { type: 'BRANCH' });
    return true;
  } catch {
    return false;
  }
}

/**
 * After a failed write at `branch@expected`: the error a pre-check of the head would have given,
 * i.e. NotFound when the branch is missing (or is a tag), ReferenceConflict (with the write's
 * conflicts) when it is no longer at `expected`; null when the branch is still there, so the
 * write's own error stands. Errors that say nothing about the request (5xx, auth) are left alone.
 */
export async function staleConflict(ctx: NessieContext, branch: RefName, expected: CommitHash, e: unknown): Promise<ReferenceConflict | null> {
  if (!(e instanceof NessieHttpError) || e.status >= 500 || e.status === 401 || e.status === 403 || e.status === 429) return null;
  const now = await headOf(ctx, branch);
  if (now === expected) return null;
  const err = translate(e);
  const conflicts = 'conflicts' in err ? (err as { conflicts: ReferenceConflict['conflicts'] }).conflicts : [];
  return new ReferenceConflict(`branch '${branch}' is at ${now}, not ${expected}`, expected, now, conflicts);
}

export async function commit(
  ctx: NessieContext,
  branch: RefName,
  expectedHash: CommitHash | undefined,
  meta: CommitMeta,
  operations: Operation[],
): Promise<CommitOutcome> {
  const body = { commitMeta: toNessieMeta(meta), operations: operations.map(toNessieOperation) };
  return retryOnReferenceConflict(async (lastTry) => {
    // Read the head first: a stale expected hash must be rejected before anything lands (Nessie
    // would accept a commit on a newer head when the keys differ). The parent check after the commit
    // covers the race between this read and the commit.
    const head = await headOf(ctx, branch);
    if (expectedHash && head !== expectedHash) {
      throw new ReferenceConflict(`branch '${branch}' is at ${head}, not ${expectedHash}`, expectedHash, head);
    }
    let res: CommitResponse;
    try {
      res = await ctx.http.post<CommitResponse>(`/trees/${refPath(branch, head)}/history/commit`, body);
    } catch (e) {
      if (expectedHash) throw (await staleConflict(ctx, branch, head, e)) ?? translate(e, { expectedHash: head, actualHash: head });
      const moved = await movedConflict(ctx, branch, head, e);
      if (moved && !lastTry) return TRY_AGAIN;
      throw moved ?? translate(e, { expectedHash: head, actualHash: head });
    }
    const newHash = res.targetBranch.hash as CommitHash;
    const c = await getCommit(ctx, newHash);
    const parent = c.parentHashes[0] ?? ctx.noAncestorHash;
    if (expectedHash && (await undoIfNotOn(ctx, branch, newHash, parent, expectedHash))) {
      throw new ReferenceConflict(`branch '${branch}' is at ${parent}, not ${expectedHash}`, expectedHash, parent);
    }
    const addedContentIds: Record<ContentKey, string> = {};
    for (const a of res.addedContents ?? []) addedContentIds[fromNessieKey(a.key)] = a.contentId;
    return { commit: c, previousHash: parent, addedContentIds };
  });
}
