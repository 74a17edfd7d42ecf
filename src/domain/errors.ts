/**
 * Typed domain errors. Adapters translate backend failures into these; the GraphQL edge maps them
 * once into the result unions of API.md. Tests assert on `code` and fields, never on message text.
 */
/**
 * Every code a client can see on an error (API.md's ErrorCode): the GraphQL enum is built from this
 * list (resolvers/errors.ts), the error classes below carry one each, and the limits and auth, which
 * answer before any domain error exists, take theirs from `ErrorCode`.
 */
export const ERROR_CODES = [
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'REFERENCE_CONFLICT',
  'MERGE_CONFLICT',
  'INVALID_INPUT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'PROTECTED_BRANCH',
  'AUDIT_FAILED',
  'SCHEMA_MISMATCH',
  'LIMIT_EXCEEDED',
  'BACKEND_UNAVAILABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The codes by name, for code that sets one without an error class: `ErrorCode.FORBIDDEN`. */
export const ErrorCode: { readonly [C in ErrorCode]: C } = Object.freeze(
  Object.fromEntries(ERROR_CODES.map((c) => [c, c])) as { [C in ErrorCode]: C },
);

/**
 * The one code outside ErrorCode: what a client sees for an error it is not told about (masked and
 * logged). The schema does not list it; a client seeing it has found a bug.
 */
export const INTERNAL_ERROR_CODE = 'INTERNAL_SERVER_ERROR';

export const CONFLICT_TYPES = [
  'KEY_EXISTS',
  'KEY_DOES_NOT_EXIST',
  'VALUE_DIFFERS',
  'NAMESPACE_ABSENT',
  'NAMESPACE_NOT_EMPTY',
  'UNEXPECTED_HASH',
] as const;

export type ConflictType = (typeof CONFLICT_TYPES)[number];

/** One key-level conflict, as reported by a commit or a merge. */
export interface Conflict {
  key: string;
  type: ConflictType;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND' as const;
  constructor(message: string, readonly conflicts: Conflict[] = []) {
    super(message);
  }
}

export class AlreadyExists extends DomainError {
  readonly code = 'ALREADY_EXISTS' as const;
  constructor(message: string, readonly conflicts: Conflict[] = []) {
    super(message);
  }
}

/** A ref was not at the hash the caller expected, or a key it touches changed since then. */
export class ReferenceConflict extends DomainError {
  readonly code = 'REFERENCE_CONFLICT' as const;
  constructor(
    message: string,
    readonly expectedHash: string | null,
    readonly actualHash: string | null,
    readonly conflicts: Conflict[] = [],
  ) {
    super(message);
  }
}

export class MergeConflict extends DomainError {
  readonly code = 'MERGE_CONFLICT' as const;
  constructor(
    message: string,
    readonly commonAncestor: string | null,
    readonly conflicts: Conflict[],
  ) {
    super(message);
  }
}

export class InvalidInput extends DomainError {
  readonly code = 'INVALID_INPUT' as const;
  constructor(message: string, readonly field: string | null = null, readonly conflicts: Conflict[] = []) {
    super(message);
  }
}

export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN' as const;
}

export class Unauthenticated extends DomainError {
  readonly code = 'UNAUTHENTICATED' as const;
}

export class ProtectedBranch extends DomainError {
  readonly code = 'PROTECTED_BRANCH' as const;
  constructor(message: string, readonly branch: string) {
    super(message);
  }
}

export class SchemaMismatch extends DomainError {
  readonly code = 'SCHEMA_MISMATCH' as const;
  constructor(message: string, readonly column: string | null = null) {
    super(message);
  }
}

export class LimitExceeded extends DomainError {
  readonly code = 'LIMIT_EXCEEDED' as const;
}

/** A configured backend could not be reached or answered with something we cannot interpret. */
export class BackendUnavailable extends DomainError {
  readonly code = 'BACKEND_UNAVAILABLE' as const;
  constructor(message: string, readonly backend: string) {
    super(message);
  }
}

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}
