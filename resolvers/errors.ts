/** The Error interface, ErrorCode and one object type per domain error class (API.md). */
import { builder } from '../schema/builder.js';
import { publicMessage } from '../src/graphql-errors.js';
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

const errorObject = { interfaces: [ErrorInterface] };

export const NotFoundType = builder.objectType(NotFound, { name: 'NotFound', ...errorObject, fields: () => ({}) });
export const AlreadyExistsType = builder.objectType(AlreadyExists, { name: 'AlreadyExists', ...errorObject, fields: () => ({}) });
export const ReferenceConflictType = builder.objectType(ReferenceConflict, {
  name: 'ReferenceConflict',
  ...errorObject,
  fields: (t) => ({
    expectedHash: t.exposeString('expectedHash', { nullable: true }),
    actualHash: t.exposeString('actualHash', { nullable: true }),
    conflicts: t.field({ type: [ConflictRef], resolve: (e) => e.conflicts }),
  }),
});
export const MergeConflictType = builder.objectType(MergeConflict, {
  name: 'MergeConflict',
  ...errorObject,
  fields: (t) => ({
    commonAncestor: t.exposeString('commonAncestor', { nullable: true }),
    conflicts: t.field({ type: [ConflictRef], resolve: (e) => e.conflicts }),
  }),
});
export const InvalidInputType = builder.objectType(InvalidInput, {
  name: 'InvalidInput',
  ...errorObject,
  fields: (t) => ({ field: t.exposeString('field', { nullable: true }) }),
});
export const ForbiddenType = builder.objectType(Forbidden, { name: 'Forbidden', ...errorObject, fields: () => ({}) });
export const UnauthenticatedType = builder.objectType(Unauthenticated, { name: 'Unauthenticated', ...errorObject, fields: () => ({}) });
export const ProtectedBranchType = builder.objectType(ProtectedBranch, {
  name: 'ProtectedBranch',
  ...errorObject,
  fields: (t) => ({ branch: t.exposeString('branch') }),
});
export const SchemaMismatchType = builder.objectType(SchemaMismatch, {
  name: 'SchemaMismatch',
  ...errorObject,
  fields: (t) => ({ column: t.exposeString('column', { nullable: true }) }),
});
export const LimitExceededType = builder.objectType(LimitExceeded, { name: 'LimitExceeded', ...errorObject, fields: () => ({}) });
export const BackendUnavailableType = builder.objectType(BackendUnavailable, { name: 'BackendUnavailable', ...errorObject, fields: () => ({}) });

/** Error classes per result union, as API.md lists them. */
export const RESULT_ERRORS = {
  createBranch: [NotFound, AlreadyExists, InvalidInput, Forbidden],
  deleteBranch: [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch],
  createTag: [NotFound, AlreadyExists, InvalidInput, Forbidden],
  deleteTag: [NotFound, ReferenceConflict, InvalidInput, Forbidden],
  assignBranch: [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch],
  createNamespace: [NotFound, AlreadyExists, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch],
  merge: [MergeConflict, NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch],
};
