/**
 * References and ref expressions over Nessie v2 (`/trees`).
 *
 * Nessie lists all branches (sorted) and then all tags (sorted); the port wants one list sorted by
 * name, so a page reads both kinds with a CEL filter `ref.name > <cursor>` and merges them. Nessie's
 * delete and assign always need an expected hash: without the caller's, the current head is used
 * (and the call retried if the ref moved in between).
 */
import { NotFound, ReferenceConflict } from '../../../domain/errors.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../../../domain/reference-retry.js';
import { decodeCursor, encodeCursor } from '../../../domain/paging.js';
import type { CommitHash, RefExpression, RefName, ReferenceType } from '../../../domain/refs.js';
import type { Page, PageRequest, Reference, ResolvedRef } from '../../../ports/version-store.js';
import { translate, type NessieContext } from './http.js';
import { celString, ancestorOf, commitAt, isOnFirstParentChain } from './history.js';
import { detached, fromNessieReference, refPath, type NReference } from './mapping.js';


export async function getReference(ctx: NessieContext, name: RefName): Promise<Reference> {
  try {
    const res = await ctx.http.get<{ reference: NReference }>(`/trees/${refPath(name)}`);
    return fromNessieReference(res.reference);
  } catch (e) {
    throw translate(e);
  }
}

/** The reference, which must be of `type`; a name of the other kind is NotFound (as in the embedded store). */
export async function getTyped(ctx: NessieContext, name: RefName, type: ReferenceType): Promise<Reference> {
  const ref = await getReference(ctx, name);
  if (ref.type !== type) throw new NotFound(`${type === 'BRANCH' ? 'branch' : 'tag'} '${name}' not found`);
  return ref;
}

interface ReferencesResponse {
  references: NReference[];
  hasMore?: boolean;
  token?: string | null;
}

/** Up to `limit` references of one type, names > after, sorted by name (Nessie's order within a type). */
async function listType(
  ctx: NessieContext,
  type: ReferenceType,
  limit: number,
  after: string | undefined,
  prefix: string | undefined,
): Promise<{ refs: Reference[]; more: boolean }> {
  const filter = [`refType == ${celString(type)}`];
  if (prefix) filter.push(`ref.name.startsWith(${celString(prefix)})`);
  if (after !== undefined) filter.push(`ref.name > ${celString(after)}`);
  const refs: Reference[] = [];
  let token: string | undefined;
  for (;;) {
    const res = await ctx.http.get<ReferencesResponse>('/trees', {
      filter: filter.join(' && '),
      'max-records': limit - refs.length,
      'page-token': token,
    });
    for (const r of res.references) if (refs.length < limit) refs.push(fromNessieReference(r));
    if (!res.hasMore || !res.token) return { refs, more: false };
    if (refs.length >= limit) return { refs, more: true };
    token = res.token;
  }
}

export async function listReferences(
  ctx: NessieContext,
  q: PageRequest & { type?: ReferenceType; nameStartsWith?: string },
): Promise<Page<Reference>> {
  const after = decodeCursor(q.after);
  if (q.first <= 0) return { items: [], nextCursor: null };
  const types: ReferenceType[] = q.type ? [q.type] : ['BRANCH', 'TAG'];
  try {
    // One more than asked for tells whether another page exists.
    const parts = await Promise.all(types.map((t) => listType(ctx, t, q.first + 1, after, q.nameStartsWith || undefined)));
    const all = parts.flatMap((p) => p.refs).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const items = all.slice(0, q.first);
    const more = all.length > q.first || parts.some((p) => p.more);
    return { items, nextCursor: more && items.length ? encodeCursor(items[items.length - 1]!.name) : null };
  } catch (e) {
    throw translate(e);
  }
}

export async function createReference(ctx: NessieContext, name: RefName, type: ReferenceType, hash: CommitHash): Promise<Reference> {
  try {
    const res = await ctx.http.post<{ reference: NReference }>('/trees', detached(hash), { name, type });
    return fromNessieReference(res.reference);
  } catch (e) {
    throw translate(e);
  }
}

/** Runs a compare-and-swap on `name`, against expectedHash or (without it) the current head, retrying. */
async function casOnRef(
  ctx: NessieContext,
  name: RefName,
  type: ReferenceType,
  expectedHash: CommitHash | undefined,
  op: (current: Reference) => Promise<void>,
): Promise<Reference> {
  return retryOnReferenceConflict(async (lastTry) => {
    const current = await getTyped(ctx, name, type);
    if (expectedHash && current.hash !== expectedHash) {
      throw new ReferenceConflict(`${type.toLowerCase()} '${name}' is at ${current.hash}, not ${expectedHash}`, expectedHash, current.hash);
    }
    try {
      await op(current);
      return current;
    } catch (e) {
      const err = translate(e, { expectedHash: current.hash });
      if (err instanceof ReferenceConflict) {
        if (!expectedHash && !lastTry) return TRY_AGAIN;
        throw new ReferenceConflict(err.message, expectedHash ?? current.hash, err.actualHash, err.conflicts);
      }
      throw err;
    }
  });
}

export async function deleteReference(ctx: NessieContext, name: RefName, type: ReferenceType, expectedHash?: CommitHash): Promise<Reference> {
  return casOnRef(ctx, name, type, expectedHash, async (cur) => {
    await ctx.http.delete(`/trees/${refPath(name, cur.hash)}`, { type });
  });
}

export async function assignReference(
  ctx: NessieContext,
  name: RefName,
  type: ReferenceType,
  hash: CommitHash,
  expectedHash?: CommitHash,
): Promise<Reference> {
  await casOnRef(ctx, name, type, expectedHash, async (cur) => {
    await ctx.http.put(`/trees/${refPath(name, cur.hash)}`, detached(hash), { type });
  });
  return { name, type, hash };
}

/**
 * Resolves `name`, `name@hash`, `@hash`, `…*time` and `…~n`.
 * Nessie 0.99 differs from the port in ways handled here: it does not check that `name@hash` is
 * reachable from name (checked with a server-side filtered log walk); it ignores a `~n` that follows
 * `*time` (so `*time` and `~n` are resolved in two steps); and it answers a time before the first
 * commit or a `~n` past the root with the empty commit instead of an error (turned into NotFound).
 */
export async function resolve(ctx: NessieContext, expr: RefExpression): Promise<ResolvedRef> {
  let reference: Reference | undefined;
  let hash: CommitHash;
  if (expr.name) {
    reference = await getReference(ctx, expr.name);
    hash = reference.hash;
    if (expr.hash && expr.hash !== reference.hash) {
      if (!(await isOnFirstParentChain(ctx, reference.hash, expr.hash))) {
        throw new NotFound(`commit ${expr.hash} is not reachable from '${expr.name}'`);
      }
      hash = expr.hash;
    }
  } else {
    hash = expr.hash!;
    if (hash !== ctx.noAncestorHash) await commitAt(ctx, `@${hash}`); // NotFound when unknown
  }
  if (expr.asOf) {
    const at = await commitAt(ctx, `@${hash}*${expr.asOf.getTime()}`);
    if (!at) throw new NotFound(`no commit at or before ${expr.asOf.toISOString()}`);
    hash = at;
  }
  if (expr.ancestor) hash = await ancestorOf(ctx, hash, expr.ancestor);
  return reference ? { reference, hash } : { hash };
}

