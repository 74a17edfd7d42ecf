/**
 * Pothos scope-auth wiring: one boolean scope per role, true when the caller's active role is at
 * least that one (viewer < analyst < engineer < admin), so `authScopes: { analyst: true }` admits
 * analysts, engineers and admins. Booleans rather than a parameterised loader: Pothos checks a
 * boolean scope without building a loader cache per request. A denied field throws the domain
 * Forbidden: a mutation's result union answers it as its `Forbidden` member (deniedAsResult in
 * resolvers/result-union.ts) and the error mask gives queries `extensions.code: FORBIDDEN`.
 */
import { Forbidden } from '../domain/errors.js';
import { activeRole, type Actor } from './actor.js';
import { ROLES, isRole, roleRank, type Role } from './roles.js';

export type AuthScopes = Record<Role, boolean>;

/** The scopes of each active role (they depend on nothing else), made once. */
const scopesByRole = new Map<Role | null, AuthScopes>(
  [null, ...ROLES].map((role) => [role, Object.freeze(Object.fromEntries(ROLES.map((r) => [r, role !== null && roleRank(role) >= roleRank(r)])) as AuthScopes)]),
);

export function authScopesFor(ctx: { actor: Actor }): AuthScopes {
  return scopesByRole.get(activeRole(ctx.actor))!;
}

interface Failure {
  kind?: string;
  scope?: string;
  parameter?: unknown;
  failures?: Failure[];
}

export function deniedError(result: { message: string; failure?: Failure }): Forbidden {
  const role = result.failure && failedRole(result.failure);
  return new Forbidden(role ? `this needs the ${role} role` : 'not allowed for your role');
}

/** The role a failed check asked for, looking into type-and-field ($all) combinations. */
function failedRole(f: Failure): string | null {
  if (f.kind === 'AuthScope' && isRole(f.scope)) return f.scope;
  for (const inner of f.failures ?? []) {
    const r = failedRole(inner);
    if (r) return r;
  }
  return null;
}
