/**
 * Commit history over Nessie v2 (`/trees/{ref}/history`): single commits, paged logs with the
 * CommitFilter translated into a server-side CEL filter, and the small walks ref expressions need.
 * Nessie's log follows first parents only, like the port's `log`.
 */
import { NotFound } from '../../../domain/errors.js';
import { decodeCursor, encodeCursor } from '../../../domain/paging.js';
import type { CommitHash } from '../../../domain/refs.js';
import type { Commit, CommitFilter, Page, PageRequest } from '../../../ports/version-store.js';
import { translate } from './http.js';
import { fromNessieLogEntry, refPath, type NLogEntry } from './mapping.js';
import type { NessieContext } from './http.js';

interface LogResponse {
  logEntries: NLogEntry[];
  hasMore?: boolean;
  token?: string | null;
}

/** A CEL string literal (JSON's escapes are a subset of CEL's). */
export function celString(s: string): string {
  return JSON.stringify(s);
}

/**
 * The CommitFilter as a CEL expression over Nessie's `commit` and `operations` variables.
 * Commit times are compared at millisecond precision, as the domain's Dates have it: Nessie keeps
 * nanoseconds, so `until` is `commitTime < until + 1 ms`.
 */
export function commitFilterCel(f: CommitFilter | undefined): string | undefined {
  if (!f) return undefined;
  const parts: string[] = [];
  if (f.author !== undefined) parts.push(`commit.author == ${celString(f.author)}`);
  if (f.messageContains !== undefined) parts.push(`commit.message.contains(${celString(f.messageContains)})`);
  if (f.since) parts.push(`timestamp(commit.commitTime) >= timestamp(${celString(f.since.toISOString())})`);
  if (f.until) parts.push(`timestamp(commit.commitTime) < timestamp(${celString(new Date(f.until.getTime() + 1).toISOString())})`);
  if (f.touchesKey !== undefined) parts.push(`operations.exists(op, op.key == ${celString(f.touchesKey)})`);
  return parts.length ? parts.join(' && ') : undefined;
}

/**
 * The commit a Nessie ref spec designates (`@hash`, `@hash~n`, `@hash*millis`, `name`…), or null
 * when it is the empty commit. NotFound for an unknown ref or hash.
 */
export async function commitAt(ctx: NessieContext, spec: string): Promise<CommitHash | null> {
  try {
    const res = await ctx.http.get<LogResponse>(`/trees/${encodeSpec(spec)}/history`, { 'max-records': 1 });
    return (res.logEntries[0]?.commitMeta.hash as CommitHash | undefined) ?? null;
  } catch (e) {
    throw translate(e);
  }
}

/** `@hash~n`, with NotFound past the root (Nessie answers the empty commit for any n past it). */
export async function ancestorOf(ctx: NessieContext, hash: CommitHash, n: number): Promise<CommitHash> {
  if (hash === ctx.noAncestorHash) throw new NotFound(`~${n} goes past the first commit`);
  const at = await commitAt(ctx, `@${hash}~${n}`);
  if (at) return at;
  // The empty commit is the n-th first parent only when exactly n commits lead to it.
  let count = 0;
  let token: string | undefined;
  do {
    const res = await ctx.http.get<LogResponse>(`/trees/${refPath(undefined, hash)}/history`, { 'max-records': Math.min(n - count, 1000), 'page-token': token }).catch((e: unknown) => {
      throw translate(e);
    });
    count += res.logEntries.length;
    token = res.hasMore && res.token ? res.token : undefined;
  } while (token && count < n);
  if (count === n) return ctx.noAncestorHash;
  throw new NotFound(`~${n} goes past the first commit`);
}

/** Whether `hash` is `head` or one of its first-parent ancestors (walked on the server, filtered). */
export async function isOnFirstParentChain(ctx: NessieContext, head: CommitHash, hash: CommitHash): Promise<boolean> {
  if (head === hash || hash === ctx.noAncestorHash) return true;
  let token: string | undefined;
  do {
    const res = await ctx.http
      .get<LogResponse>(`/trees/${refPath(undefined, head)}/history`, {
        'limit-hash': hash,
        filter: `commit.hash == ${celString(hash)}`,
        'max-records': 1,
        'page-token': token,
      })
      .catch((e: unknown) => {
        throw translate(e);
      });
    if (res.logEntries.some((e) => e.commitMeta.hash === hash)) return true;
    token = res.hasMore && res.token ? res.token : undefined;
  } while (token);
  return false;
}

export async function getCommit(ctx: NessieContext, hash: CommitHash): Promise<Commit> {
  let res: LogResponse;
  try {
    res = await ctx.http.get<LogResponse>(`/trees/${refPath(undefined, hash)}/history`, { 'max-records': 1, fetch: 'ALL' });
  } catch (e) {
    throw translate(e);
  }
  const entry = res.logEntries[0];
  if (!entry || entry.commitMeta.hash !== hash) throw new NotFound(`commit ${hash} not found`);
  return fromNessieLogEntry(entry);
}

/** Commits from `hash` by first parents, newest first; Nessie's page token is the cursor. */
export async function log(ctx: NessieContext, hash: CommitHash, q: PageRequest & { filter?: CommitFilter }): Promise<Page<Commit>> {
  const page = await logEntries(ctx, hash, q);
  return { items: page.items.map(fromNessieLogEntry), nextCursor: page.nextCursor };
}

/** Raw log entries from `hash`, paged as `log` pages them. */
export async function logEntries(ctx: NessieContext, hash: CommitHash, q: PageRequest & { filter?: CommitFilter }): Promise<Page<NLogEntry>> {
  if (hash === ctx.noAncestorHash || q.first <= 0) return { items: [], nextCursor: null };
  const filter = commitFilterCel(q.filter);
  const items: NLogEntry[] = [];
  let token = decodeCursor(q.after);
  try {
    // A filtered server page may come back short (even empty) with more to come: keep reading.
    for (;;) {
      const res = await ctx.http.get<LogResponse>(`/trees/${refPath(undefined, hash)}/history`, {
        fetch: 'ALL',
        'max-records': q.first - items.length,
        'page-token': token,
        filter,
      });
      items.push(...res.logEntries);
      token = res.hasMore && res.token ? res.token : undefined;
      if (!token) return { items, nextCursor: null };
      if (items.length >= q.first) return { items: items.slice(0, q.first), nextCursor: encodeCursor(token) };
    }
  } catch (e) {
    throw translate(e);
  }
}

function encodeSpec(spec: string): string {
  const m = /^([^@~*]*)(.*)$/.exec(spec)!;
  return refPath(m[1] || undefined) + m[2]!;
}
