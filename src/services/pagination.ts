/**
 * Relay connections over backend keyset pages. Backends hand out one cursor per page; clients get a
 * cursor per edge, encoded as (backend cursor, offset after it), so any edge can be resumed from.
 */
import { InvalidInput } from '../domain/errors.js';
import { pageSize } from '../domain/paging.js';
import type { Page, PageRequest } from '../ports/version-store.js';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Connection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

type Position = [base: string | null, offset: number];

function encode(pos: Position): string {
  return Buffer.from(JSON.stringify(pos), 'utf8').toString('base64url');
}

function decode(cursor: string | null | undefined): Position {
  if (cursor == null) return [null, 0];
  const bad = () => new InvalidInput('invalid cursor', 'after');
  if (typeof cursor !== 'string' || cursor.length > 4096 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad();
  let pos: unknown;
  try {
    pos = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (
    !Array.isArray(pos) ||
    pos.length !== 2 ||
    !(pos[0] === null || typeof pos[0] === 'string') ||
    !Number.isInteger(pos[1]) ||
    pos[1] < 0 ||
    pos[1] > 1000
  ) {
    throw bad();
  }
  return pos as Position;
}

export async function paginate<T>(args: PageArgs, fetch: (q: PageRequest) => Promise<Page<T>>): Promise<Connection<T>> {
  const first = pageSize(args.first);
  const [start, skip] = decode(args.after);
  const want = skip + first;
  const items: { node: T; pos: Position }[] = [];
  let base = start;
  let exhausted = false;
  while (items.length < want) {
    const page = await fetch({ first: Math.min(1000, Math.max(1, want - items.length)), after: base });
    page.items.forEach((node, i) => {
      const last = i === page.items.length - 1 && page.nextCursor !== null;
      items.push({ node, pos: last ? [page.nextCursor, 0] : [base, i + 1] });
    });
    if (page.nextCursor === null || page.items.length === 0) {
      exhausted = true;
      break;
    }
    base = page.nextCursor;
  }
  const kept = items.slice(skip, want);
  const edges = kept.map((e) => ({ cursor: encode(e.pos), node: e.node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: !exhausted || items.length > want,
      hasPreviousPage: args.after != null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
