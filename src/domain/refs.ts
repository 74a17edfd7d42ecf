/** Reference names, commit hashes and Nessie's ref-expression grammar, validated once at the edge. */
import { InvalidInput } from './errors.js';

export type ReferenceType = 'BRANCH' | 'TAG';

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };
export type RefName = Brand<string, 'RefName'>;
export type CommitHash = Brand<string, 'CommitHash'>;

const REF_NAME = /^[A-Za-z](?:(?:(?!\.\.)(?!\/\/)[A-Za-z0-9._/-])*[A-Za-z0-9_-])?$/;
const HASH = /^[0-9a-f]{8,64}$/;
export const MAX_REF_NAME = 255;

export function isValidRefName(name: string): boolean {
  return name.length <= MAX_REF_NAME && REF_NAME.test(name);
}

export function refName(name: string, field = 'name'): RefName {
  if (typeof name !== 'string' || !isValidRefName(name)) {
    throw new InvalidInput(
      `invalid reference name ${JSON.stringify(truncate(name))}: use letters, digits, '_', '-', '.', '/' between segments, start with a letter, no '..', at most ${MAX_REF_NAME} characters`,
      field,
    );
  }
  return name as RefName;
}

/**
 * A name for a new branch or tag: a valid name that Nessie does not reserve (HEAD and DETACHED in
 * any case, and names that read as a commit hash, like `deadbeef`), so both catalogs take the same.
 */
export function newRefName(name: string, field = 'name'): RefName {
  const n = refName(name, field);
  if (RESERVED.has(n.toUpperCase()) || /^[0-9a-fA-F]{8,64}$/.test(n)) {
    throw new InvalidInput(`reference name ${JSON.stringify(n)} is reserved: HEAD, DETACHED and names that read as a commit hash (8 to 64 hex digits) are not allowed`, field);
  }
  return n;
}

const RESERVED = new Set(['HEAD', 'DETACHED']);

export function isValidHash(hash: string): boolean {
  return typeof hash === 'string' && HASH.test(hash.toLowerCase());
}

export function commitHash(hash: string, field = 'hash'): CommitHash {
  if (!isValidHash(hash)) {
    throw new InvalidInput(`invalid commit hash ${JSON.stringify(truncate(hash))}: expected 8 to 64 hex digits`, field);
  }
  return hash.toLowerCase() as CommitHash;
}

/** Optional expected hash: undefined/null stays undefined, anything else must be a hash. */
export function expectedHash(hash: string | null | undefined, field = 'expectedHash'): CommitHash | undefined {
  return hash == null ? undefined : commitHash(hash, field);
}

/**
 * A parsed ref expression: `name`, `name@hash`, `@hash`, `name*<instant|epoch-millis>`, `name~n`
 * (and `name@hash~n`, `name*t~n`). At least one of name and hash is present.
 */
export interface RefExpression {
  name?: RefName;
  hash?: CommitHash;
  /** Resolve to the newest first-parent commit whose commit time is at or before this instant. */
  asOf?: Date;
  /** Then walk this many first parents back. */
  ancestor?: number;
}

const EXPR = /^([^@*~]*)(?:@([^*~]*))?(?:\*([^~]*))?(?:~(\d{1,9}))?$/;

export function parseRefExpression(expr: string, field = 'ref'): RefExpression {
  const bad = (why: string) =>
    new InvalidInput(`invalid ref expression ${JSON.stringify(truncate(expr))}: ${why}`, field);
  if (typeof expr !== 'string' || expr.length === 0 || expr.length > 512) throw bad('empty or too long');
  const m = EXPR.exec(expr);
  if (!m) throw bad("expected name, name@hash, @hash, name*<time> or name~<n>");
  const [, name, hash, time, n] = m;
  const out: RefExpression = {};
  if (name) {
    if (!isValidRefName(name)) throw bad(`'${truncate(name)}' is not a valid reference name`);
    out.name = name as RefName;
  }
  if (hash !== undefined) {
    if (!isValidHash(hash)) throw bad('the part after @ must be 8 to 64 hex digits');
    out.hash = hash.toLowerCase() as CommitHash;
  }
  if (!out.name && !out.hash) throw bad('a name or @hash is required');
  if (time !== undefined) {
    const at = /^\d{1,15}$/.test(time) ? new Date(Number(time)) : new Date(time);
    if (time === '' || Number.isNaN(at.getTime()) || !/^\d{1,15}$|^\d{4}-\d{2}-\d{2}/.test(time)) {
      throw bad('the part after * must be an ISO-8601 instant or epoch milliseconds');
    }
    out.asOf = at;
  }
  if (n !== undefined) out.ancestor = Number(n);
  return out;
}

function truncate(s: unknown): string {
  const str = String(s);
  return str.length > 80 ? `${str.slice(0, 80)}…` : str;
}
