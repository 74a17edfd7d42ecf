/**
 * Pothos scope-auth wiring: one parameterised scope, `role`, true when the caller's active role
 * is at least the given one (viewer < analyst < engineer < admin). A denied field throws the
 * domain Forbidden, so the errors plugin turns it into the `Forbidden` member of a mutation's
 * result union and the error mask gives queries `extensions.code: FORBIDDEN`.
 */
import { Forbidden } from '../domain/errors.js';
import { activeRole, type Actor } from './actor.js';
import { roleRank, type Role } from './roles.js';

export interface AuthScopes {
  role: Role;
}

type ScopeLoaders = { role: (min: Role) => boolean };

/** The scope loaders of each active role (they depend on nothing else), made once. */
const scopesByRole = new Map<Role | null, ScopeLoaders>();

export function authScopesFor(ctx: { actor: Actor }): ScopeLoaders {
  const role = activeRole(ctx.actor);
  let scopes = scopesByRole.get(role);
  if (!scopes) {
    scopes = { role: (min: Role) => role !== null && roleRank(role) >= roleRank(min) };
    scopesByRole.set(role, scopes);
  }
  return scopes;
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
  if (f.kind === 'AuthScope' && f.scope === 'role') return String(f.parameter);
  for (const inner of f.failures ?? []) {
    const r = failedRole(inner);
    if (r) return r;
  }
  return null;
}
