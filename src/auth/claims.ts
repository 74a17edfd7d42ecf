/**
 * Subject and roles from a verified token: a configurable dotted claim path for each, plus
 * Hasura-style claims (`https://hasura.io/jwt/claims` → `x-hasura-allowed-roles`,
 * `x-hasura-default-role`). The active role is the one the request asks for (it must be allowed),
 * else Hasura's default role, else the highest allowed role.
 */
import { Forbidden, Unauthenticated } from '../domain/errors.js';
import { highestRole, isRole, roleRank, ROLES, type Role } from './roles.js';

export const HASURA_CLAIMS = 'https://hasura.io/jwt/claims';

/**
 * The value at a dotted path. Claim names may themselves contain dots (URL-like namespaces), so at
 * each level the longest key that matches a prefix of the remaining path wins.
 */
export function claimAt(payload: unknown, path: string): unknown {
  const parts = path.split('.');
  let node: unknown = payload;
  let i = 0;
  while (i < parts.length) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    let matched = false;
    for (let j = parts.length; j > i; j--) {
      const key = parts.slice(i, j).join('.');
      if (Object.prototype.hasOwnProperty.call(node, key)) {
        node = (node as Record<string, unknown>)[key];
        i = j;
        matched = true;
        break;
      }
    }
    if (!matched) return undefined;
  }
  return node;
}

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export interface Identity {
  subject: string;
  /** Known roles the token allows, lowest first. */
  allowed: Role[];
  /** The role used when the request does not ask for one. */
  defaultRole: Role | null;
}

export function identityFrom(payload: Record<string, unknown>, opts: { subjectClaim: string; rolesClaim: string }): Identity {
  const subject = claimAt(payload, opts.subjectClaim);
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 512) {
    throw new Unauthenticated(`the token has no usable '${opts.subjectClaim}' claim`);
  }
  const hasura = payload[HASURA_CLAIMS];
  const hasuraAllowed = hasura && typeof hasura === 'object' ? strings((hasura as Record<string, unknown>)['x-hasura-allowed-roles']) : [];
  const hasuraDefault = hasura && typeof hasura === 'object' ? (hasura as Record<string, unknown>)['x-hasura-default-role'] : undefined;
  const names = new Set([...strings(claimAt(payload, opts.rolesClaim)), ...hasuraAllowed]);
  const allowed = ROLES.filter((r) => names.has(r));
  const defaultRole = isRole(hasuraDefault) && allowed.includes(hasuraDefault) ? hasuraDefault : highestRole(allowed);
  return { subject, allowed, defaultRole };
}

/**
 * The role in effect: the requested one, else the default. Roles include the ones below them, so
 * a caller may ask for any role up to its highest allowed one (an engineer may act as a viewer);
 * anything else is FORBIDDEN.
 */
export function chooseRole(identity: Identity, requested: string | null | undefined): Role {
  if (requested != null && requested !== '') {
    const highest = highestRole(identity.allowed);
    if (isRole(requested) && highest !== null && roleRank(requested) <= roleRank(highest)) return requested;
    throw new Forbidden(`the token does not allow the role '${requested.slice(0, 64)}' (allowed: ${identity.allowed.join(', ') || 'none'})`);
  }
  if (identity.defaultRole === null) throw new Forbidden(`the token grants none of the roles ${ROLES.join(', ')}`);
  return identity.defaultRole;
}
