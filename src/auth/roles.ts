/** The gateway's roles, each including the ones below it: viewer < analyst < engineer < admin. */
export const ROLES = ['viewer', 'analyst', 'engineer', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function roleRank(role: Role): number {
  return ROLES.indexOf(role);
}

/** The highest known role in a list (unknown names are ignored), or null. */
export function highestRole(roles: readonly string[]): Role | null {
  let best: Role | null = null;
  for (const r of roles) if (isRole(r) && (best === null || roleRank(r) > roleRank(best))) best = r;
  return best;
}
