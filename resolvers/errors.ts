/**
 * The Error interface, ErrorCode, and the registry of error types: one GraphQL object type per
 * domain error class (API.md). Result unions name error classes only and get their types from here
 * (resolvers/result-union.ts).
 */
import type { FieldMap, ObjectRef } from '@pothos/core';
import { builder } from '../schema/builder.js';
import { publicMessage } from '../src/util/public-message.js';
import {
  AlreadyExists,
  BackendUnavailable,
  CONFLICT_TYPES,
  DomainError,
  ERROR_CODES,
  Forbidden,
  InvalidInput,
  LimitExceeded,
  MergeConflict,
  NotFound,
  ProtectedBranch,
  ReferenceConflict,
  SchemaMismatch,
  Unauthenticated,
  type Conflict,
} from '../src/domain/errors.js';

export const ErrorCodeEnum = builder.enumType('ErrorCode', { values: ERROR_CODES });

export const ConflictTypeEnum = builder.enumType('ConflictType', { values: CONFLICT_TYPES });

export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  fields: (t) => ({
    code: t.field({ type: ErrorCodeEnum, resolve: (e) => e.code }),
    message: t.string({ resolve: (e) => publicMessage(e.message) }),
  }),
});

const ConflictRef = builder.objectRef<Conflict>('Conflict').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    type: t.field({ type: ConflictTypeEnum, resolve: (c) => c.type }),
    message: t.exposeString('message'),
  }),
});

/** A domain error class (abstract classes included, for typing; only concrete ones are registered). */
export type ErrorClass = abstract new (...args: never[]) => DomainError;

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer S> ? S : never;
type ErrorTypeRef = ObjectRef<Types, DomainError>;

const ERROR_TYPES = new Map<ErrorClass, ErrorTypeRef>();

/** Registers the object type of one error class: it implements Error and adds the class's own fields. */
function errorType<E extends DomainError>(
  cls: new (...args: never[]) => E,
  name: string,
  fields: (t: PothosSchemaTypes.ObjectFieldBuilder<Types, E>) => FieldMap = () => ({}),
): void {
  // Typed for DomainError: Pothos cannot check a generic class against the interface's shape.
  const ref = builder.objectType(cls as unknown as new (...args: any[]) => DomainError, { name, interfaces: [ErrorInterface], fields: fields as never });
  ERROR_TYPES.set(cls, ref);
}

/** The GraphQL type of a domain error class; a class without one is a schema bug, caught at build. */
export function errorTypeOf(cls: ErrorClass): ErrorTypeRef {
  const type = ERROR_TYPES.get(cls);
  if (!type) throw new Error(`${cls.name} has no GraphQL error type: register it in resolvers/errors.ts`);
  return type;
}

errorType(NotFound, 'NotFound');
errorType(AlreadyExists, 'AlreadyExists');
errorType(ReferenceConflict, 'ReferenceConflict', (t) => ({
  expectedHash: t.exposeString('expectedHash', { nullable: true }),
  actualHash: t.exposeString('actualHash', { nullable: true }),
  conflicts: t.field({ type: [ConflictRef], resolve: (e) => e.conflicts }),
}));
errorType(MergeConflict, 'MergeConflict', (t) => ({
  commonAncestor: t.exposeString('commonAncestor', { nullable: true }),
  conflicts: t.field({ type: [ConflictRef], resolve: (e) => e.conflicts }),
}));
errorType(InvalidInput, 'InvalidInput', (t) => ({ field: t.exposeString('field', { nullable: true }) }));
errorType(Forbidden, 'Forbidden');
errorType(Unauthenticated, 'Unauthenticated');
errorType(ProtectedBranch, 'ProtectedBranch', (t) => ({ branch: t.exposeString('branch') }));
errorType(SchemaMismatch, 'SchemaMismatch', (t) => ({ column: t.exposeString('column', { nullable: true }) }));
errorType(LimitExceeded, 'LimitExceeded');
errorType(BackendUnavailable, 'BackendUnavailable');
