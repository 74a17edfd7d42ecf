/**
 * GET /exports/<token>: the download of an export link (src/services/exports.ts). The link is its
 * own credential, so no Authorization header is needed (a browser can follow it). A link that is
 * not valid or has expired is 401, a role that may no longer read the ref 403, each with a JSON
 * error body (GraphQL-shaped, as the gateway's other refusals) and nothing else.
 *
 * The body streams as the engine makes it: a piece is written only once the previous one has been
 * taken by the socket (its write's callback), so a slow client slows the query rather
 * than filling memory, and a client that goes away stops it. The status line and headers go out
 * with the first piece, so a query that fails before making any is still an error status; a
 * failure after that, or the role's byte limit (EXPORT_MAX_BYTES_<ROLE>) being reached, closes the
 * connection without the chunked body's last chunk: the client sees a broken download, never a
 * complete-looking but cut file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, INTERNAL_ERROR_CODE } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { ExportService } from '../services/exports.js';
import { publicMessage } from '../util/public-message.js';

const PREFIX = '/exports/';

export function isExportRequest(req: IncomingMessage): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && (req.url ?? '').startsWith(PREFIX);
}

const STATUS: Record<string, number> = {
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  LIMIT_EXCEEDED: 429,
  BACKEND_UNAVAILABLE: 503,
};

export async function serveExport(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { exports: ExportService; logger: Logger; requestId: string; metrics: Metrics },
): Promise<void> {
  const { logger, requestId } = deps;
  const count = () => deps.metrics.httpRequests.inc({ route: '/exports', status: String(res.statusCode) });
  const token = (req.url ?? '').slice(PREFIX.length).split('?')[0]!;
  let iterator: AsyncIterator<Uint8Array> | undefined;
  let first: IteratorResult<Uint8Array>;
  let opened;
  try {
    opened = await deps.exports.open(token);
    iterator = opened.body[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch (e) {
    await iterator?.return?.();
    sendError(res, e, requestId, logger);
    count();
    return;
  }
  res.writeHead(200, {
    'content-type': opened.contentType,
    'content-disposition': `attachment; filename="${opened.fileName}"`,
    'cache-control': 'no-store',
  });
  count();
  if (req.method === 'HEAD') {
    await iterator.return?.();
    res.end();
    return;
  }
  let sent = 0;
  // A client that goes away stops the export at once, not when the next piece is ready to write.
  res.once('close', () => {
    if (!res.writableFinished) void iterator.return?.();
  });
  try {
    for (let r = first; !r.done; r = await iterator.next()) {
      if (opened.maxBytes > 0 && sent + r.value.byteLength > opened.maxBytes) {
        logger.info({ requestId, role: opened.role, maxBytes: opened.maxBytes, sent }, 'export stopped at the byte limit of its role');
        res.destroy();
        break;
      }
      sent += r.value.byteLength;
      // The piece's buffer may be reused once the next one is asked for: wait until it is written.
      await written(res, r.value);
      if (res.destroyed) break; // the client went away
    }
    if (!res.destroyed) res.end();
  } catch (e) {
    logger.warn({ requestId, err: e }, 'export failed after its first bytes: connection closed');
    res.destroy();
  } finally {
    if (res.destroyed) await iterator.return?.();
  }
}

/**
 * Writes `piece` and resolves once it has been handed to the socket (the write's callback: the
 * response no longer needs its bytes), or the response is gone ('close'). Waiting for each write
 * is also the backpressure: a slow client slows the export.
 */
function written(res: ServerResponse, piece: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('close', done);
      resolve();
    };
    res.on('close', done);
    res.write(piece, done);
  });
}

function sendError(res: ServerResponse, e: unknown, requestId: string, logger: Logger): void {
  let status = 500;
  let code: string = INTERNAL_ERROR_CODE;
  let message = 'Unexpected error.';
  if (e instanceof DomainError) {
    status = STATUS[e.code] ?? 400;
    code = e.code;
    message = publicMessage(e.message);
    logger.info({ requestId, code }, 'export refused');
  } else {
    logger.error({ err: e, requestId }, 'export failed');
  }
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] }));
}
