/** CORS for yoga: only the configured origins (CORS_ORIGINS); none configured means no CORS headers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { YogaServerOptions } from 'graphql-yoga';

type CorsOption = YogaServerOptions<Record<string, unknown>, Record<string, unknown>>['cors'];

/** Response headers a browser app may read. */
const EXPOSED_HEADERS = ['x-request-id', 'retry-after'];

/** The request's origin when it is one of the configured ones. */
function allowedOrigin(origin: string | null | undefined, origins: string[]): string | undefined {
  return origin && origins.includes(origin) ? origin : undefined;
}

export function corsOptions(origins: string[]): CorsOption {
  if (origins.length === 0) return false;
  return (request: Request) => {
    const origin = allowedOrigin(request.headers.get('origin'), origins);
    if (!origin) return false as never;
    return {
      origin,
      credentials: true,
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['content-type', 'authorization', 'x-request-id', 'x-hasura-role'],
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    };
  };
}

/**
 * The CORS headers of an actual (not preflight) response, set on every response to an allowed
 * origin before anything answers: the gateway's own early answers (401, 413, 429) are then
 * readable by the browser app too, not only yoga's (which sets the same values again).
 */
export function setCorsHeaders(req: IncomingMessage, res: ServerResponse, origins: string[]): void {
  const origin = allowedOrigin(req.headers.origin, origins);
  if (!origin) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('access-control-expose-headers', EXPOSED_HEADERS.join(', '));
  res.setHeader('vary', 'Origin');
}
