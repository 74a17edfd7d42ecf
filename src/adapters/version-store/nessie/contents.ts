/** Contents, entries and diffs at a commit hash over Nessie v2 (`/trees/@hash/...`); one key's content along a log. */
import type { ContentKey, StoredContent } from '../../../domain/content.js';
import { decodeCursor, encodeCursor } from '../../../domain/paging.js';
import type { CommitHash } from '../../../domain/refs.js';
import { InvalidInput } from '../../../domain/errors.js';
import type { ContentAtCommit, DiffEntry, Entry, Page, PageRequest } from '../../../ports/version-store.js';
import { NessieHttpError, translate } from './http.js';
import { celString, logEntries } from './history.js';
import { contentType, fromNessieContent, fromNessieKey, fromNessieLogEntry, keyPathParam, refPath, toNessieKey, type NContent, type NKey } from './mapping.js';
import type { NessieContext } from './http.js';

/** Nessie caps one multi-get; larger requests are split. */
const MULTI_GET = 500;

export async function getContent(ctx: NessieContext, hash: CommitHash, key: ContentKey): Promise<StoredContent | null> {
  if (hash === ctx.noAncestorHash) return null;
  try {
    const res = await ctx.http.get<{ content: NContent }>(`/trees/${refPath(undefined, hash)}/contents/${keyPathParam(key)}`);
    return fromNessieContent(res.content, key);
  } catch (e) {
    if (e instanceof NessieHttpError && e.errorCode === 'CONTENT_NOT_FOUND') return null;
    throw translate(e);
  }
}

/**
 * A log page (no filter) with the content at `key` in each commit, from the operations `fetch=ALL`
 * returns with every commit: a commit that PUTs the key has that content, one that DELETEs it has
 * none, any other has its first parent's (the next, older entry). Only when the page's oldest
 * commit does not touch the key is the key read once, at that commit (unless its parent is the
 * empty commit). A merge commit's operations are its changes against its first parent (checked
 * against Nessie 0.99: the source's changes it applied, as PUTs with the merged content and
 * DELETEs), so merges need no special case. One or two requests per page.
 */
export async function contentLog(ctx: NessieContext, hash: CommitHash, key: ContentKey, q: PageRequest): Promise<Page<ContentAtCommit>> {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidInput('key must be a non-empty string', 'key');
  const page = await logEntries(ctx, hash, q);
  const commits = page.items.map(fromNessieLogEntry);
  const items: ContentAtCommit[] = new Array(commits.length);
  let content: StoredContent | null | undefined;
  for (let i = commits.length - 1; i >= 0; i--) {
    const op = (page.items[i]!.operations ?? []).filter((o) => (o.type === 'PUT' || o.type === 'DELETE') && fromNessieKey(o.key) === key).pop();
    if (op) content = op.type === 'PUT' && op.content ? fromNessieContent(op.content, key) : null;
    else if (content === undefined) {
      const parent = commits[i]!.parentHashes[0];
      content = !parent || parent === ctx.noAncestorHash ? null : await getContent(ctx, commits[i]!.hash, key);
    }
    items[i] = { commit: commits[i]!, content };
  }
  return { items, nextCursor: page.nextCursor };
}

export async function getContents(ctx: NessieContext, hash: CommitHash, keys: ContentKey[]): Promise<Map<ContentKey, StoredContent>> {
  const out = new Map<ContentKey, StoredContent>();
  if (keys.length === 0 || hash === ctx.noAncestorHash) return out;
  const unique = [...new Set(keys)];
  try {
    for (let i = 0; i < unique.length; i += MULTI_GET) {
      const res = await ctx.http.post<{ contents: { key: NKey; content: NContent }[] }>(`/trees/${refPath(undefined, hash)}/contents`, {
        requestedKeys: unique.slice(i, i + MULTI_GET).map(toNessieKey),
      });
      for (const c of res.contents) {
        const key = fromNessieKey(c.key);
        out.set(key, fromNessieContent(c.content, key));
      }
    }
  } catch (e) {
    throw translate(e);
  }
  return out;
}

interface EntriesResponse {
  entries: { type: string; name: NKey; contentId?: string }[];
  hasMore?: boolean;
  token?: string | null;
}

/**
 * Entries under `namespace` (exclusive), recursively, sorted by key. Nessie sorts keys element by
 * element, which equals string order for dotted identifiers ('.' sorts before every allowed
 * character). `prefix-key` narrows the server's scan; the CEL filter drops the namespace itself so
 * that pages have exactly `first` entries.
 */
export async function entries(ctx: NessieContext, hash: CommitHash, q: PageRequest & { namespace?: ContentKey }): Promise<Page<Entry>> {
  if (hash === ctx.noAncestorHash || q.first <= 0) return { items: [], nextCursor: null };
  const ns = q.namespace;
  const filter = ns ? `entry.namespace == ${celString(ns)} || entry.namespace.startsWith(${celString(`${ns}.`)})` : undefined;
  const items: Entry[] = [];
  let token = decodeCursor(q.after);
  try {
    for (;;) {
      const res = await ctx.http.get<EntriesResponse>(`/trees/${refPath(undefined, hash)}/entries`, {
        'max-records': q.first - items.length,
        'page-token': token,
        'prefix-key': ns,
        filter,
      });
      for (const e of res.entries) {
        const type = contentType(e.type);
        if (!type || !e.contentId) continue; // other content types (views, UDFs) are not ours
        items.push({ key: fromNessieKey(e.name), type, contentId: e.contentId });
      }
      token = res.hasMore && res.token ? res.token : undefined;
      if (!token) return { items, nextCursor: null };
      if (items.length >= q.first) return { items: items.slice(0, q.first), nextCursor: encodeCursor(token) };
    }
  } catch (e) {
    throw translate(e);
  }
}

interface DiffResponse {
  diffs: { key: NKey; from?: NContent | null; to?: NContent | null }[];
  hasMore?: boolean;
  token?: string | null;
}

export async function diff(ctx: NessieContext, fromHash: CommitHash, toHash: CommitHash): Promise<DiffEntry[]> {
  if (fromHash === toHash) return [];
  const out: DiffEntry[] = [];
  let token: string | undefined;
  try {
    do {
      const res = await ctx.http.get<DiffResponse>(`/trees/${refPath(undefined, fromHash)}/diff/${refPath(undefined, toHash)}`, {
        'max-records': 1000,
        'page-token': token,
      });
      for (const d of res.diffs) {
        const key = fromNessieKey(d.key);
        const from = d.from ? fromNessieContent(d.from, key) : null;
        const to = d.to ? fromNessieContent(d.to, key) : null;
        const change = !from ? 'ADDED' : !to ? 'REMOVED' : 'MODIFIED';
        out.push({ key, change, contentType: (to ?? from)!.type, from, to });
      }
      token = res.hasMore && res.token ? res.token : undefined;
    } while (token);
  } catch (e) {
    throw translate(e);
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
