/**
 * From credentials (a bearer token and an optional role choice) to an Actor. With no key
 * configured every caller is the open-mode actor (admin, commits by 'anonymous').
 */
import { Unauthenticated } from '../domain/errors.js';
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
  private readonly verify: TokenVerifier | null;

  constructor(readonly config: AuthConfig) {
    this.enabled = authEnabled(config);
    this.verify = this.enabled ? createTokenVerifier(config) : null;
  }

  /** The request header names that carry a role choice, in order of preference. */
  get roleHeaders(): string[] {
    return [...new Set([this.config.roleHeader, 'x-hasura-role'])];
  }

  async authenticate(c: Credentials): Promise<Actor> {
    if (!this.verify) return OPEN_ACTOR;
    if (c.authorization == null || c.authorization === '') throw new Unauthenticated('a bearer token is required (Authorization: Bearer <JWT>)');
    const m = BEARER.exec(c.authorization);
    if (!m) throw new Unauthenticated('the Authorization value must be "Bearer <JWT>"');
    const payload = await this.verify(m[1]!);
    const identity = identityFrom(payload as Record<string, unknown>, this.config);
    const role = chooseRole(identity, c.role);
    return {
      kind: 'user',
      subject: identity.subject,
      roles: [role],
      allowedRoles: identity.allowed,
      expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : null,
    };
  }
}
