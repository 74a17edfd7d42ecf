/**
 * From credentials (a bearer token and an optional role choice) to an Actor. With no key
 * configured every caller is the open-mode actor (admin, commits by 'anonymous').
 *
 * The actor of credentials that authenticated is remembered (by the exact Authorization value and
 * role choice, in a bounded LRU) until the token expires, so a busy client costs a map lookup and
 * an expiry check per request; an expired token is refused exactly as verification refuses it.
 * Refusals are never remembered.
 */
import { Unauthenticated } from '../domain/errors.js';
import { Lru } from '../util/lru.js';
import { OPEN_ACTOR, type Actor } from './actor.js';
import { chooseRole, identityFrom } from './claims.js';
import { authEnabled, type AuthConfig } from './config.js';
import { createTokenVerifier, type TokenVerifier } from './verify.js';

export interface Credentials {
  /** The Authorization value (`Bearer <JWT>`), if any. */
  authorization: string | null | undefined;
  /** The requested role (AUTH_ROLE_HEADER or x-hasura-role), if any. */
  role: string | null | undefined;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i;

export class Authenticator {
  readonly enabled: boolean;
  /** The request header names that carry a role choice, in order of preference. */
  readonly roleHeaders: readonly string[];
  private readonly verify: TokenVerifier | null;
  /** Actors by Authorization value and role choice (see above); frozen, as they are shared. */
  private readonly actors = new Lru<string, Actor>(10_000);

  constructor(readonly config: AuthConfig) {
    this.enabled = authEnabled(config);
    this.verify = this.enabled ? createTokenVerifier(config) : null;
    this.roleHeaders = Object.freeze([...new Set([config.roleHeader, 'x-hasura-role'])]);
  }

  /**
   * The actor of credentials that authenticated before and whose token has not expired, without
   * waiting; undefined when they must go through authenticate(). Throws for an expired token.
   */
  remembered(c: Credentials): Actor | undefined {
    if (!this.verify) return OPEN_ACTOR;
    if (!c.authorization) return undefined;
    const actor = this.actors.get(cacheKey(c));
    if (actor && actor.expiresAt != null && actor.expiresAt + this.config.clockSkewSeconds * 1000 <= Date.now()) {
      throw new Unauthenticated('the token has expired');
    }
    return actor;
  }

  async authenticate(c: Credentials): Promise<Actor> {
    if (!this.verify) return OPEN_ACTOR;
    if (c.authorization == null || c.authorization === '') throw new Unauthenticated('a bearer token is required (Authorization: Bearer <JWT>)');
    const known = this.remembered(c);
    if (known) return known;
    const m = BEARER.exec(c.authorization);
    if (!m) throw new Unauthenticated('the Authorization value must be "Bearer <JWT>"');
    const payload = await this.verify(m[1]!);
    const identity = identityFrom(payload as Record<string, unknown>, this.config);
    const role = chooseRole(identity, c.role);
    const actor: Actor = Object.freeze({
      kind: 'user' as const,
      subject: identity.subject,
      roles: Object.freeze([role]),
      allowedRoles: Object.freeze(identity.allowed),
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    });
    this.actors.set(cacheKey(c), actor);
    return actor;
  }
}

/** The role choice, then the Authorization value (a role name holds no NUL). */
const cacheKey = (c: Credentials) => (c.role == null ? '' : c.role) + '\u0000' + c.authorization;
