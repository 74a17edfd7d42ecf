/**
 * Who is calling. `roles` holds the role in effect (the hierarchy is applied by the policy, so
 * `['engineer']` also grants analyst and viewer). `kind` tells people from the gateway itself:
 * `run` is reserved for Write-Audit-Publish runs (the runs issue), which may merge into protected
 * branches; `system` is the gateway's own work (demo seeding).
 */
import { highestRole, type Role } from './roles.js';

export interface Actor {
  subject: string;
  roles: readonly string[];
  kind?: 'user' | 'anonymous' | 'run' | 'system';
  /** Token expiry in epoch milliseconds; subscriptions end then. Null or absent: never. */
  expiresAt?: number | null;
  /** Every role the token allows (the active one is in `roles`). */
  allowedRoles?: readonly Role[];
}

/** The caller when authentication is off: full access, commits authored by 'anonymous'. */
export const OPEN_ACTOR: Actor = Object.freeze({ subject: 'anonymous', roles: ['admin'], kind: 'anonymous', expiresAt: null });

/** A caller that holds no role: every operation is FORBIDDEN. */
export const NO_ACCESS: Actor = Object.freeze({ subject: 'unauthenticated', roles: [], kind: 'anonymous', expiresAt: null });

export function systemActor(subject: string): Actor {
  return { subject, roles: ['admin'], kind: 'system', expiresAt: null };
}

export function activeRole(actor: Actor): Role | null {
  return highestRole(actor.roles);
}
