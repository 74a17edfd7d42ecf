/**
 * An HTTP JSON source read page by page, Nightscout-style: `?count=N&find[date][$gt]=<cursor>`,
 * the cursor being the largest `cursorField` of the previous page (so the server is expected to
 * return the records after the cursor oldest first). Stops on a short or empty page, when the cursor
 * does not advance, or after `maxPages`. Each request has its own timeout; an unreachable server or
 * an HTTP error is BackendUnavailable naming the URL, a body that is not an array of objects
 * InvalidInput.
 */
import { BackendUnavailable, InvalidInput } from '../../domain/errors.js';
import type { SourceSpec } from '../../pipelines/spec.js';

export type HttpSource = Extract<SourceSpec, { kind: 'http' }>;
export type Cursor = number | string;
type Row = Record<string, unknown>;

/** The larger cursor (numbers numerically, numeric strings as numbers, other strings as text). */
export function maxCursor(a: Cursor | null, b: Cursor | null): Cursor | null {
  if (a === null) return b;
  if (b === null) return a;
  const na = typeof a === 'number' ? a : /^-?\d+(\.\d+)?$/.test(a) ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : /^-?\d+(\.\d+)?$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return nb > na ? b : a;
  return String(b) > String(a) ? b : a;
}

function pageUrl(src: HttpSource, cursor: Cursor | null): URL {
  const url = new URL(src.url);
  url.searchParams.set(src.limitParam, String(src.pageSize));
  if (cursor !== null) url.searchParams.set(src.sinceParam, String(cursor));
  return url;
}

/** What the URL is called in errors: no query string, no credentials. */
export function shownUrl(u: string | URL): string {
  const url = new URL(u);
  url.username = '';
  url.password = '';
  url.search = '';
  return url.toString();
}

async function fetchPage(src: HttpSource, url: URL, signal: AbortSignal): Promise<Row[]> {
  const shown = shownUrl(url);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: { accept: 'application/json', ...src.headers }, signal: AbortSignal.any([signal, AbortSignal.timeout(src.timeoutMs)]) });
    text = await res.text();
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why = err.name === 'TimeoutError' ? `no answer within ${src.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new BackendUnavailable(`the HTTP source ${shown} is unreachable: ${why}`, 'http');
  }
  if (!res.ok) throw new BackendUnavailable(`the HTTP source ${shown} answered HTTP ${res.status}`, 'http');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new InvalidInput(`the HTTP source ${shown} did not return JSON`, 'source.url');
  }
  if (!Array.isArray(body)) throw new InvalidInput(`the HTTP source ${shown} did not return a JSON array of records`, 'source.url');
  for (const r of body) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidInput(`the HTTP source ${shown} returned a record that is not an object`, 'source.url');
  }
  return body as Row[];
}

/** Pages of records after `since` (null: from the beginning). */
export async function* httpPages(src: HttpSource, since: Cursor | null, signal: AbortSignal): AsyncGenerator<Row[]> {
  let cursor = since;
  for (let page = 0; page < src.maxPages; page++) {
    const rows = await fetchPage(src, pageUrl(src, cursor), signal);
    if (rows.length > 0) yield rows;
    if (rows.length < src.pageSize) return;
    let next: Cursor | null = null;
    for (const r of rows) {
      const v = r[src.cursorField];
      if (typeof v === 'number' || typeof v === 'string') next = maxCursor(next, v);
    }
    if (next === null || maxCursor(cursor, next) === cursor) return;
    cursor = next;
  }
}
