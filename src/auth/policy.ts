/**
 * The data-dependent authorization rules, in one place; services call these and raise
 * Forbidden / ProtectedBranch. (Role minimums per field are also declared on the schema with
 * Pothos scope-auth; the services check again so a caller other than GraphQL gets the same rules.)
 *
 * - viewer: reads the default branch (any expression on it: main, main~1, main@hash, main*time)
 *   and tags; any other branch or a detached @hash is FORBIDDEN.
 * - analyst: also reads every ref (sql, compareTable, diff, log anywhere).
 * - engineer: also changes refs and writes tables, but only on unprotected branches.
 * - admin: everything, protected branches included.
 * - A WAP run (actor.kind === 'run', the runs issue) may merge into a protected branch: that merge
 *   is the audited way protected branches change. Nothing else about a run is privileged here.
 */
import { Forbidden, ProtectedBranch } from '../domain/errors.js';
import { matchesAny } from '../domain/globs.js';
import { activeRole, type Actor } from './actor.js';
import { roleRank, type Role } from './roles.js';

/** How a branch is about to change; decides whether a run may do it to a protected branch. */
export type BranchChange = 'commit' | 'merge' | 'assign' | 'delete' | 'create';

export interface ReadTarget {
  /** The named reference, or null for a detached `@hash`. */
  name: string | null;
  type: 'BRANCH' | 'TAG' | null;
}

export class AccessPolicy {
  constructor(private readonly protectedGlobs: string[]) {}

  isProtected(branch: string): boolean {
    return matchesAny(branch, this.protectedGlobs);
  }

  has(actor: Actor, min: Role): boolean {
    const role = activeRole(actor);
    return role !== null && roleRank(role) >= roleRank(min);
  }

  require(actor: Actor, min: Role, what: string): void {
    if (!this.has(actor, min)) throw new Forbidden(`${what} needs the ${min} role`);
  }

  /** Whether the actor may read through this reference (null name: a detached commit). */
  canRead(actor: Actor, target: ReadTarget, defaultBranch: string): boolean {
    if (this.has(actor, 'analyst')) return true;
    if (!this.has(actor, 'viewer')) return false;
    if (target.name === null) return false;
    return target.type === 'TAG' || target.name === defaultBranch;
  }

  assertCanRead(actor: Actor, target: ReadTarget, defaultBranch: string): void {
    if (this.canRead(actor, target, defaultBranch)) return;
    if (!this.has(actor, 'viewer')) throw new Forbidden('reading needs the viewer role');
    throw new Forbidden(
      target.name === null
        ? 'reading a detached commit needs the analyst role'
        : `reading branch '${target.name}' needs the analyst role (viewers read the default branch and tags)`,
    );
  }

  /** Creating or deleting tags. */
  assertCanManageTags(actor: Actor): void {
    this.require(actor, 'engineer', 'changing tags');
  }

  /**
   * Changing a branch: engineer on unprotected branches; admin anywhere; a run may merge into a
   * protected branch. Creating a branch whose name is protected is an admin's job (FORBIDDEN).
   */
  assertCanChangeBranch(actor: Actor, branch: string, change: BranchChange): void {
    this.require(actor, 'engineer', 'changing a branch');
    if (!this.isProtected(branch) || this.has(actor, 'admin')) return;
    if (actor.kind === 'run' && change === 'merge') return;
    if (change === 'create') throw new Forbidden(`creating the protected branch '${branch}' needs the admin role`);
    throw new ProtectedBranch(`branch '${branch}' is protected: it changes only through a run's merge or by an admin`, branch);
  }
}
