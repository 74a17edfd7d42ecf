/** Page-size rules shared by every connection: default 50, at most 1,000 (and 64 MiB as JSON where rows hold user data). */
import { InvalidInput } from './errors.js';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 1000;
/** The most a page of rows (Table.rows, sql) may hold as JSON: the gateway holds it whole, then its JSON text. */
export const MAX_PAGE_BYTES = 64 * 1024 * 1024;

export function pageSize(first: number | null | undefined, field = 'first'): number {
  if (first == null) return DEFAULT_PAGE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE) {
    throw new InvalidInput(`${field} must be an integer between 0 and ${MAX_PAGE}`, field);
  }
  return first;
}

/** Cursors are opaque to clients: base64url of the backend's own cursor. */
export function encodeCursor(raw: string): string {
  return Buffer.from(raw, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, field = 'after'): string | undefined {
  if (cursor == null) return undefined;
  if (typeof cursor !== 'string' || cursor.length > 4096 || !/^[A-Za-z0-9_-]*$/.test(cursor)) {
    throw new InvalidInput('invalid cursor', field);
  }
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  if (raw.length === 0) throw new InvalidInput('invalid cursor', field);
  return raw;
}
