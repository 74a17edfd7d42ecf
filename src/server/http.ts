/** Plain HTTP routes beside GraphQL: liveness, readiness, metrics; and the request id. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Takes a well-formed incoming `x-request-id` or makes one, and puts it on the request's headers
 * (yoga reads it there); the response echoes it (src/server/http-response.ts).
 */
export function assignRequestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  req.headers['x-request-id'] = id;
  return id;
}

export async function handleOpsRoute(
  req: IncomingMessage,
  res: ServerResponse,
  deps: { metrics: Metrics; check: () => Promise<Record<string, string | null>> },
): Promise<boolean> {
  const url = req.url ?? '/';
  const pathname = url.split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (pathname === '/healthz') {
    send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
  } else if (pathname === '/readyz') {
    const backends = await deps.check();
    const ready = Object.values(backends).every((v) => v === null);
    send(res, ready ? 200 : 503, 'application/json', JSON.stringify({ status: ready ? 'ready' : 'unavailable', backends }));
  } else if (pathname === '/metrics') {
    send(res, 200, deps.metrics.registry.contentType, await deps.metrics.registry.metrics());
  } else {
    return false;
  }
  deps.metrics.httpRequests.inc({ route: pathname, status: String(res.statusCode) });
  return true;
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
