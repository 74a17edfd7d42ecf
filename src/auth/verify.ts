/**
 * Token verification with jose: HS256 with AUTH_JWT_SECRET, RS256/ES256 with keys from
 * AUTH_JWKS_URL (jose's createRemoteJWKSet: cached, refetched on an unknown `kid`). Only these
 * algorithms are accepted (`alg: none` never is); `exp` is required; `iss`/`aud` are checked when
 * configured; a small clock skew is allowed. Every failure is UNAUTHENTICATED, except a JWKS
 * endpoint that cannot be reached (BACKEND_UNAVAILABLE). Verified tokens are cached by their
 * exact text until they expire, so a busy client costs one signature check, not one per request.
 */
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { BackendUnavailable, Unauthenticated } from '../domain/errors.js';
import { Lru } from '../util/lru.js';
import type { AuthConfig } from './config.js';

export type TokenVerifier = (token: string) => Promise<JWTPayload>;

const JWKS_ALGORITHMS = ['RS256', 'ES256'];
const MAX_TOKEN_LENGTH = 16 * 1024;

export function createTokenVerifier(c: AuthConfig): TokenVerifier {
  const secret = c.jwtSecret ? new TextEncoder().encode(c.jwtSecret) : null;
  const jwks = c.jwksUrl ? createRemoteJWKSet(new URL(c.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 }) : null;
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? JWKS_ALGORITHMS : [])];
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (jwks && header.alg && JWKS_ALGORITHMS.includes(header.alg)) return jwks(header, token);
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  };
  const skew = c.clockSkewSeconds;
  const cache = new Lru<string, JWTPayload>(10_000);

  return async (token) => {
    if (token.length > MAX_TOKEN_LENGTH) throw new Unauthenticated('the token is too long');
    const cached = cache.get(token);
    if (cached) {
      const now = Date.now() / 1000;
      if (typeof cached.exp === 'number' && cached.exp + skew <= now) throw new Unauthenticated('the token has expired');
      return cached;
    }
    try {
      const { payload } = await jwtVerify(token, getKey, {
        algorithms,
        issuer: c.issuer,
        audience: c.audience,
        clockTolerance: skew,
        requiredClaims: ['exp'],
      });
      cache.set(token, payload);
      return payload;
    } catch (e) {
      throw translate(e);
    }
  };
}

function translate(e: unknown): Error {
  if (e instanceof errors.JWTExpired) return new Unauthenticated('the token has expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    const reason = e.claim === 'nbf' ? 'the token is not valid yet' : `the token's '${e.claim}' claim is missing or not accepted`;
    return new Unauthenticated(reason);
  }
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return new Unauthenticated("the token's algorithm is not accepted");
  if (e instanceof errors.JWSSignatureVerificationFailed) return new Unauthenticated("the token's signature does not verify");
  if (e instanceof errors.JWKSNoMatchingKey) return new Unauthenticated('no key of the key set matches the token');
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return new BackendUnavailable('the key set (AUTH_JWKS_URL) could not be read', 'jwks');
  if (e instanceof errors.JOSEError) return new Unauthenticated('the token is malformed');
  if (e instanceof Unauthenticated) return e;
  return new BackendUnavailable('the key set (AUTH_JWKS_URL) could not be read', 'jwks');
}
