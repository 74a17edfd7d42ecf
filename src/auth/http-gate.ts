/**
 * The HTTP side of authentication, in front of GraphQL (queries, mutations, SSE) and /metrics.
 * Open without a token: /healthz, /readyz, CORS preflights and the GraphiQL page (HTML, no data).
 * A rejected request gets 401 (403 for a role the token does not allow) with a GraphQL-shaped
 * JSON body and a WWW-Authenticate header (RFC 6750). The actor of an admitted request is kept
 * per request object; graphql-ws connections register theirs on the upgrade request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DomainError, Forbidden, INTERNAL_ERROR_CODE, Unauthenticated } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { NO_ACCESS, OPEN_ACTOR, type Actor } from './actor.js';
import type { Authenticator, Credentials } from './authenticate.js';

const OPEN_PATHS = new Set(['/healthz', '/readyz']);
const REALM = 'cascade-gateway';

/**
 * The actor of each authenticated request, kept on the request (a request belongs to one server, so
 * to one gate). A property, not a WeakMap: a weakly held entry per request keeps the request alive
 * past minor GCs.
 */
const ACTOR = Symbol('admitted actor');
type AdmittedRequest = IncomingMessage & { [ACTOR]?: Actor };

/** The actor a gate admitted `req` as, when authentication is on (the rate limit keys on it). */
export function admittedActor(req: IncomingMessage): Actor | undefined {
  return (req as AdmittedRequest)[ACTOR];
}

function admitAs(req: IncomingMessage, actor: Actor): void {
  (req as AdmittedRequest)[ACTOR] = actor;
}

export class HttpAuthGate {

  constructor(
    readonly auth: Authenticator,
    private readonly logger: Logger,
  ) {}

  /**
   * True when the request may go on; otherwise the response has been sent. Answers at once (no
   * promise) for credentials the authenticator remembers.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    if (!this.auth.enabled || isPublic(req)) return true;
    const credentials = this.credentials(req.headers);
    try {
      const known = this.auth.remembered(credentials);
      if (known) {
        admitAs(req, known);
        return true;
      }
    } catch (e) {
      sendAuthError(res, e, this.logger);
      return false;
    }
    return this.auth.authenticate(credentials).then(
      (actor) => {
        admitAs(req, actor);
        return true;
      },
      (e: unknown) => {
        sendAuthError(res, e, this.logger);
        return false;
      },
    );
  }

  /** Registers the actor of a connection or request authenticated elsewhere (graphql-ws). */
  remember(req: IncomingMessage, actor: Actor): void {
    admitAs(req, actor);
  }

  /** The actor of an admitted request; with authentication on, an unknown request has no access. */
  actorOf(req: IncomingMessage | undefined): Actor {
    if (!this.auth.enabled) return OPEN_ACTOR;
    return (req && admittedActor(req)) ?? NO_ACCESS;
  }

  credentials(headers: IncomingMessage['headers']): Credentials {
    let role: string | string[] | undefined;
    for (const h of this.auth.roleHeaders) if ((role = headers[h]) !== undefined) break;
    return { authorization: one(headers.authorization), role: one(role) };
  }
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function isPublic(req: IncomingMessage): boolean {
  if (req.method === 'OPTIONS') return true;
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const pathname = (req.url ?? '/').split('?')[0]!;
  if ((req.method === 'GET' || req.method === 'HEAD') && OPEN_PATHS.has(pathname)) return true;
  // The console's page and scripts: it asks for a token itself and sends it with each GraphQL call.
  if (pathname === '/' || pathname === '/console' || pathname.startsWith('/console/')) return true;
  // graphql-yoga renders GraphiQL (never executes) for a GET that accepts HTML on the endpoint.
  return req.method === 'GET' && (pathname === '/graphql' || pathname === '/graphql/') && String(req.headers.accept ?? '').includes('text/html');
}

export function sendAuthError(res: ServerResponse, e: unknown, logger: Logger): void {
  let status: number;
  let challenge: string | null = null;
  let err: DomainError;
  if (e instanceof Unauthenticated) {
    status = 401;
    err = e;
    challenge = e.message.startsWith('a bearer token is required')
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${e.message.replace(/["\\]/g, "'")}"`;
  } else if (e instanceof Forbidden) {
    status = 403;
    err = e;
    challenge = `Bearer realm="${REALM}", error="insufficient_scope"`;
  } else if (e instanceof DomainError) {
    status = 503;
    err = e;
  } else {
    logger.error({ err: e }, 'authentication failed unexpectedly');
    status = 500;
    err = new Unauthenticated('Unexpected error.');
  }
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (challenge) headers['www-authenticate'] = challenge;
  res.writeHead(status, headers);
  // Every error carries the request id the logs carry (assignRequestId set it on the request).
  const requestId = String(res.req?.headers['x-request-id'] ?? '');
  res.end(JSON.stringify({ errors: [{ message: err.message, extensions: { code: status === 500 ? INTERNAL_ERROR_CODE : err.code, requestId } }] }));
}
