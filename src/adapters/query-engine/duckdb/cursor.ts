/**
 * Keyset cursors: an opaque base64url JSON of the last row's sort key (the orderBy values as DuckDB
 * text, then the data file and row position), tagged with the ordering it belongs to so a cursor
 * from another ordering is refused rather than silently skipping rows.
 */
import { InvalidInput } from '../../../domain/errors.js';
import type { OrderBy } from '../../../ports/query-engine.js';

export interface SortKey {
  values: (string | null)[];
  file: string;
  pos: string;
}

function orderTag(orderBy: OrderBy[]): string {
  return orderBy.map((o) => `${o.column}:${o.direction}`).join(',');
}

export function encodeCursor(orderBy: OrderBy[], key: SortKey): string {
  return Buffer.from(JSON.stringify({ o: orderTag(orderBy), k: key.values, f: key.file, p: key.pos }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, orderBy: OrderBy[]): SortKey {
  const bad = (why: string) => new InvalidInput(`after: invalid cursor (${why})`, 'after');
  if (!/^[A-Za-z0-9_-]{1,20000}$/.test(cursor)) throw bad('not base64url');
  let j: unknown;
  try {
    j = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor');
  }
  if (typeof j !== 'object' || j === null) throw bad('not a cursor');
  const { o, k, f, p } = j as Record<string, unknown>;
  if (o !== orderTag(orderBy)) throw bad('it belongs to a different orderBy');
  if (!Array.isArray(k) || k.length !== orderBy.length || !k.every((x) => x === null || typeof x === 'string')) throw bad('wrong sort key');
  if (typeof f !== 'string' || typeof p !== 'string' || !/^\d{1,19}$/.test(p)) throw bad('wrong row position');
  return { values: k as (string | null)[], file: f, pos: p };
}
