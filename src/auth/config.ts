/** The AUTH_* environment variables (validated with the rest in src/config.ts). */
import { z } from 'zod';

const HEADER_NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const AuthEnvSchema = z.object({
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_JWKS_URL: z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v) && URL.canParse(v), 'must be a URL starting with http:// or https://')
    .optional(),
  AUTH_ISSUER: z.string().trim().min(1).optional(),
  AUTH_AUDIENCE: z
    .string()
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .optional(),
  AUTH_SUBJECT_CLAIM: z.string().trim().min(1).default('sub'),
  AUTH_ROLES_CLAIM: z.string().trim().min(1).default('roles'),
  AUTH_ROLE_HEADER: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => HEADER_NAME.test(v), 'must be an HTTP header name')
    .default('x-cascade-role'),
  AUTH_CLOCK_SKEW_SECONDS: z.coerce.number().int().min(0).max(600).default(30),
});

export interface AuthConfig {
  jwtSecret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string[];
  /** Dotted path to the subject claim. */
  subjectClaim: string;
  /** Dotted path to the roles array (Hasura-style claims are read as well). */
  rolesClaim: string;
  /** Request header (and graphql-ws connection parameter) that picks the active role; x-hasura-role works too. */
  roleHeader: string;
  clockSkewSeconds: number;
}

export function authConfig(e: z.infer<typeof AuthEnvSchema>): AuthConfig {
  return {
    jwtSecret: e.AUTH_JWT_SECRET,
    jwksUrl: e.AUTH_JWKS_URL,
    issuer: e.AUTH_ISSUER,
    audience: e.AUTH_AUDIENCE && e.AUTH_AUDIENCE.length > 0 ? e.AUTH_AUDIENCE : undefined,
    subjectClaim: e.AUTH_SUBJECT_CLAIM,
    rolesClaim: e.AUTH_ROLES_CLAIM,
    roleHeader: e.AUTH_ROLE_HEADER,
    clockSkewSeconds: e.AUTH_CLOCK_SKEW_SECONDS,
  };
}

export function authEnabled(c: AuthConfig): boolean {
  return Boolean(c.jwtSecret || c.jwksUrl);
}
