/**
 * Security headers on every HTTP response: nosniff, no framing, no referrer, a locked-down CSP for
 * JSON (GraphiQL's HTML gets one that allows its inline scripts, styles, fonts and favicon and talks
 * to this origin only), `Cache-Control: no-store`, and HSTS when configured and the request came over https.
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';

export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
/**
 * GraphiQL's page (src/server/graphiql.ts) inlines its script, styles, fonts (data: URLs) and favicon (a
 * data: URL); it then talks to this origin only, over HTTP and graphql-ws. Nothing from elsewhere.
 */
export const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** The security headers of every response, as a [name, value, ...] list (src/server/http-response.ts writes them). */
const SECURITY_HEADERS: readonly string[] = Object.freeze([
  'x-content-type-options', 'nosniff',
  'x-frame-options', 'DENY',
  'referrer-policy', 'no-referrer',
  'content-security-policy', JSON_CSP,
  'cache-control', 'no-store',
]);

/** The security headers of the response to `req`: HSTS too when configured and the request came over https. */
export function securityHeaders(req: IncomingMessage, opts: { hstsMaxAge?: number }): readonly string[] {
  if (opts.hstsMaxAge === undefined || !isHttps(req)) return SECURITY_HEADERS;
  return [...SECURITY_HEADERS, 'strict-transport-security', `max-age=${opts.hstsMaxAge}; includeSubDomains`];
}

function isHttps(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const proto = req.headers['x-forwarded-proto'];
  return typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https';
}

/** GraphiQL's page needs its inline scripts and styles: relax the CSP for HTML responses only. */
export function graphiqlCsp(): Plugin {
  return {
    onResponse({ response }) {
      if ((response.headers.get('content-type') ?? '').startsWith('text/html')) {
        response.headers.set('content-security-policy', GRAPHIQL_CSP);
      }
      response.headers.set('cache-control', 'no-store');
    },
  };
}
