/**
 * The signed tokens of export links: an HS256 JWS (jose) that carries everything a download needs
 * (who asked and as which role, the commit and snapshot it was asked at, the table or query, the
 * format and options) and its expiry, so any gateway instance with the same key serves it.
 *
 * The key: EXPORT_SIGNING_KEY; else one derived from AUTH_JWT_SECRET (HMAC-SHA256 with a fixed
 * label, so an export link is never a valid API token nor the other way round); else, when
 * authentication is off, a fixed key (every caller is then an admin: a link forged with it grants
 * nothing a caller does not have already). With JWKS authentication and no EXPORT_SIGNING_KEY there
 * is no key every instance shares, and exports are refused.
 */
import { createHmac } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { BackendUnavailable, Unauthenticated } from '../domain/errors.js';
import type { ExportFormat } from '../ports/query-engine.js';
import type { Role } from '../auth/roles.js';

const AUDIENCE = 'cascade-export';

/** What a link says. Short claim names keep the URL short. */
export interface ExportClaims {
  /** Subject and role of the caller who asked. */
  sub: string;
  role: Role;
  /** The ref named (null: a detached `@hash`) and its type, for the read check at download. */
  ref: string | null;
  refType: 'BRANCH' | 'TAG' | null;
  commit: string;
  /** Table form: the table and its snapshot at the commit (null: the table had none). */
  table?: string;
  snap?: string | null;
  /** SQL form: the query. */
  sql?: string;
  fmt: ExportFormat;
  cols?: string[];
  where?: unknown;
  order?: { column: string; direction: 'ASC' | 'DESC' }[];
}

export class ExportLinks {
  private readonly key: Uint8Array | null;

  constructor(opts: { signingKey?: string; jwtSecret?: string; authEnabled: boolean }) {
    if (opts.signingKey) this.key = new TextEncoder().encode(opts.signingKey);
    else if (opts.jwtSecret) this.key = createHmac('sha256', opts.jwtSecret).update('cascade export links v1').digest();
    else if (!opts.authEnabled) this.key = createHmac('sha256', 'cascade open gateway').update('cascade export links v1').digest();
    else this.key = null;
  }

  private requireKey(): Uint8Array {
    if (!this.key) throw new BackendUnavailable('exports need a signing key shared by every gateway instance: set EXPORT_SIGNING_KEY', 'exports');
    return this.key;
  }

  async sign(claims: ExportClaims, expiresAt: Date): Promise<string> {
    const { sub, ...rest } = claims;
    return new SignJWT({ ...rest })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(this.requireKey());
  }

  /** The claims of a well-signed, unexpired token. @throws Unauthenticated otherwise. */
  async verify(token: string): Promise<ExportClaims> {
    const key = this.requireKey();
    if (token.length > MAX_TOKEN_CHARS) throw new Unauthenticated('the export link is not valid');
    try {
      const { payload } = await jwtVerify(token, key, { audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp', 'sub'] });
      return payload as unknown as ExportClaims;
    } catch (e) {
      if (e instanceof errors.JWTExpired) throw new Unauthenticated('the export link has expired: ask for a new one');
      throw new Unauthenticated('the export link is not valid');
    }
  }
}

/** Longest token taken (URLs this long still pass proxies and node's header limit). */
export const MAX_TOKEN_CHARS = 12_000;
