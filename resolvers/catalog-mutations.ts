/** Branch, tag, namespace, merge and cherry-pick mutations; each returns a result union (API.md). */
import { builder } from '../schema/builder.js';
import type { Commit, MergeOutcome, Reference } from '../src/ports/version-store.js';
import {
  ForbiddenType,
  InvalidInputType,
  MergeConflictType,
  NotFoundType,
  ProtectedBranchType,
  RESULT_ERRORS,
  ReferenceConflictType,
} from './errors.js';
import { CommitNode } from './commits.js';
import { deniedAsResult, sharedResultUnion } from './result-union.js';
import { BranchNode, TagNode } from './references.js';

const errors = (name: keyof typeof RESULT_ERRORS, union: string) => ({ types: RESULT_ERRORS[name], union: { name: union } });
/** Changing refs needs engineer; protected branches are checked in the catalog service (src/auth/policy.ts). */
const engineer = { engineer: true } as const;

const CreateBranchSuccess = builder.objectRef<{ branch: Reference }>('CreateBranchSuccess').implement({
  fields: (t) => ({ branch: t.field({ type: BranchNode, resolve: (s) => s.branch }) }),
});
const CreateTagSuccess = builder.objectRef<{ tag: Reference }>('CreateTagSuccess').implement({
  fields: (t) => ({ tag: t.field({ type: TagNode, resolve: (s) => s.tag }) }),
});
const deletedFields = { name: 'name', hash: 'hash' } as const;
const DeleteBranchSuccess = builder.objectRef<Reference>('DeleteBranchSuccess').implement({
  fields: (t) => ({ name: t.exposeString(deletedFields.name), hash: t.exposeString(deletedFields.hash) }),
});
const DeleteTagSuccess = builder.objectRef<Reference>('DeleteTagSuccess').implement({
  fields: (t) => ({ name: t.exposeString(deletedFields.name), hash: t.exposeString(deletedFields.hash) }),
});
const AssignBranchSuccess = builder.objectRef<{ branch: Reference }>('AssignBranchSuccess').implement({
  fields: (t) => ({ branch: t.field({ type: BranchNode, resolve: (s) => s.branch }) }),
});
const CreateNamespaceSuccess = builder.objectRef<{ branch: Reference; commit: Commit }>('CreateNamespaceSuccess').implement({
  fields: (t) => ({
    branch: t.field({ type: BranchNode, resolve: (s) => s.branch }),
    commit: t.field({ type: CommitNode, resolve: (s) => s.commit }),
  }),
});
const MergeSuccess = builder.objectRef<MergeOutcome>('MergeSuccess').implement({
  fields: (t) => ({
    hash: t.exposeString('hash'),
    previousHash: t.exposeString('previousHash', { description: 'Head of the target before the merge' }),
    commonAncestor: t.exposeString('commonAncestor', { nullable: true }),
    fastForward: t.exposeBoolean('fastForward'),
    applied: t.exposeBoolean('applied'),
    changedKeys: t.exposeStringList('changedKeys'),
  }),
});

const { union: MergeResult, wrap: asMergeResult } = sharedResultUnion<MergeOutcome>(
  'MergeResult',
  MergeSuccess,
  [MergeConflictType, NotFoundType, ReferenceConflictType, InvalidInputType, ForbiddenType, ProtectedBranchType],
  RESULT_ERRORS.merge,
);

const MergeBehaviorEnum = builder.enumType('MergeBehavior', { values: ['NORMAL', 'FORCE', 'DROP'] as const });
const KeyMergeModeInput = builder.inputType('KeyMergeMode', {
  fields: (t) => ({ key: t.string({ required: true }), behavior: t.field({ type: MergeBehaviorEnum, required: true }) }),
});

builder.mutationFields((t) => ({
  createBranch: t.field({
    type: CreateBranchSuccess,
    errors: errors('createBranch', 'CreateBranchResult'),
    authScopes: engineer,
    args: { name: t.arg.string({ required: true }), from: t.arg.string({ description: 'Ref expression; the default branch when omitted' }) },
    resolve: async (_r, { name, from }, ctx) => ({ branch: await ctx.services.catalog.createBranch(name, from, ctx.actor) }),
  }),
  deleteBranch: t.field({
    type: DeleteBranchSuccess,
    errors: errors('deleteBranch', 'DeleteBranchResult'),
    authScopes: engineer,
    args: { name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { name, expectedHash }, ctx) => ctx.services.catalog.deleteReference(name, 'BRANCH', expectedHash, ctx.actor),
  }),
  createTag: t.field({
    type: CreateTagSuccess,
    errors: errors('createTag', 'CreateTagResult'),
    authScopes: engineer,
    args: { name: t.arg.string({ required: true }), from: t.arg.string({ required: true }) },
    resolve: async (_r, { name, from }, ctx) => ({ tag: await ctx.services.catalog.createTag(name, from, ctx.actor) }),
  }),
  deleteTag: t.field({
    type: DeleteTagSuccess,
    errors: errors('deleteTag', 'DeleteTagResult'),
    authScopes: engineer,
    args: { name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { name, expectedHash }, ctx) => ctx.services.catalog.deleteReference(name, 'TAG', expectedHash, ctx.actor),
  }),
  assignBranch: t.field({
    type: AssignBranchSuccess,
    errors: errors('assignBranch', 'AssignBranchResult'),
    authScopes: engineer,
    args: { name: t.arg.string({ required: true }), to: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: async (_r, { name, to, expectedHash }, ctx) => ({
      branch: await ctx.services.catalog.assignBranch(name, to, expectedHash, ctx.actor),
    }),
  }),
  createNamespace: t.field({
    type: CreateNamespaceSuccess,
    errors: errors('createNamespace', 'CreateNamespaceResult'),
    authScopes: engineer,
    args: { branch: t.arg.string({ required: true }), name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: async (_r, { branch, name, expectedHash }, ctx) => {
      const out = await ctx.services.catalog.createNamespace(branch, name, expectedHash, ctx.actor);
      return { branch: { name: branch, type: 'BRANCH', hash: out.commit.hash } as Reference, commit: out.commit };
    },
  }),
  merge: t.field({
    type: MergeResult,
    authScopes: engineer,
    unauthorizedResolver: deniedAsResult,
    args: {
      from: t.arg.string({ required: true }),
      into: t.arg.string({ required: true }),
      expectedHash: t.arg.string(),
      message: t.arg.string(),
      dryRun: t.arg.boolean(),
      defaultBehavior: t.arg({ type: MergeBehaviorEnum }),
      keyBehaviors: t.arg({ type: [KeyMergeModeInput] }),
    },
    resolve: (_r, args, ctx) => asMergeResult(ctx.services.catalog.merge(args, ctx.actor)),
  }),
  cherryPick: t.field({
    type: MergeResult,
    authScopes: engineer,
    unauthorizedResolver: deniedAsResult,
    args: { hashes: t.arg.stringList({ required: true }), into: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { hashes, into, expectedHash }, ctx) =>
      asMergeResult(ctx.services.catalog.cherryPick(hashes, into, expectedHash, ctx.actor)),
  }),
}));
