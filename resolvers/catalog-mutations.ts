/** Branch, tag, namespace, merge and cherry-pick mutations; each returns a result union (API.md). */
import { builder } from '../schema/builder.js';
import type { Commit, MergeOutcome, Reference } from '../src/ports/version-store.js';
import {
  AlreadyExists,
  Forbidden,
  InvalidInput,
  MergeConflict,
  NotFound,
  ProtectedBranch,
  ReferenceConflict,
} from '../src/domain/errors.js';
import { CommitNode } from './commits.js';
import { deniedAsResult, resultUnion } from './result-union.js';
import { BranchNode, TagNode } from './references.js';

/** Changing refs needs engineer; protected branches are checked in the catalog service (src/auth/policy.ts). */
const engineer = { authScopes: { engineer: true }, unauthorizedResolver: deniedAsResult } as const;

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

type BranchResult = { branch: Reference };
const createBranchResult = resultUnion<BranchResult>('CreateBranchResult', CreateBranchSuccess, [NotFound, AlreadyExists, InvalidInput, Forbidden]);
const deleteBranchResult = resultUnion<Reference>('DeleteBranchResult', DeleteBranchSuccess, [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch]);
const createTagResult = resultUnion<{ tag: Reference }>('CreateTagResult', CreateTagSuccess, [NotFound, AlreadyExists, InvalidInput, Forbidden]);
const deleteTagResult = resultUnion<Reference>('DeleteTagResult', DeleteTagSuccess, [NotFound, ReferenceConflict, InvalidInput, Forbidden]);
const assignBranchResult = resultUnion<BranchResult>('AssignBranchResult', AssignBranchSuccess, [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch]);
const createNamespaceResult = resultUnion<{ branch: Reference; commit: Commit }>('CreateNamespaceResult', CreateNamespaceSuccess, [
  NotFound,
  AlreadyExists,
  ReferenceConflict,
  InvalidInput,
  Forbidden,
  ProtectedBranch,
]);
const mergeResult = resultUnion<MergeOutcome>('MergeResult', MergeSuccess, [MergeConflict, NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch]);

const MergeBehaviorEnum = builder.enumType('MergeBehavior', { values: ['NORMAL', 'FORCE', 'DROP'] as const });
const KeyMergeModeInput = builder.inputType('KeyMergeMode', {
  fields: (t) => ({ key: t.string({ required: true }), behavior: t.field({ type: MergeBehaviorEnum, required: true }) }),
});

builder.mutationFields((t) => ({
  createBranch: t.field({
    type: createBranchResult.union,
    ...engineer,
    args: { name: t.arg.string({ required: true }), from: t.arg.string({ description: 'Ref expression; the default branch when omitted' }) },
    resolve: (_r, { name, from }, ctx) => createBranchResult.wrap(ctx.services.catalog.createBranch(name, from, ctx.actor).then((branch) => ({ branch }))),
  }),
  deleteBranch: t.field({
    type: deleteBranchResult.union,
    ...engineer,
    args: { name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { name, expectedHash }, ctx) => deleteBranchResult.wrap(ctx.services.catalog.deleteReference(name, 'BRANCH', expectedHash, ctx.actor)),
  }),
  createTag: t.field({
    type: createTagResult.union,
    ...engineer,
    args: { name: t.arg.string({ required: true }), from: t.arg.string({ required: true }) },
    resolve: (_r, { name, from }, ctx) => createTagResult.wrap(ctx.services.catalog.createTag(name, from, ctx.actor).then((tag) => ({ tag }))),
  }),
  deleteTag: t.field({
    type: deleteTagResult.union,
    ...engineer,
    args: { name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { name, expectedHash }, ctx) => deleteTagResult.wrap(ctx.services.catalog.deleteReference(name, 'TAG', expectedHash, ctx.actor)),
  }),
  assignBranch: t.field({
    type: assignBranchResult.union,
    ...engineer,
    args: { name: t.arg.string({ required: true }), to: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { name, to, expectedHash }, ctx) =>
      assignBranchResult.wrap(ctx.services.catalog.assignBranch(name, to, expectedHash, ctx.actor).then((branch) => ({ branch }))),
  }),
  createNamespace: t.field({
    type: createNamespaceResult.union,
    ...engineer,
    args: { branch: t.arg.string({ required: true }), name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { branch, name, expectedHash }, ctx) =>
      createNamespaceResult.wrap(
        ctx.services.catalog
          .createNamespace(branch, name, expectedHash, ctx.actor)
          .then((out) => ({ branch: { name: branch, type: 'BRANCH', hash: out.commit.hash } as Reference, commit: out.commit })),
      ),
  }),
  merge: t.field({
    type: mergeResult.union,
    ...engineer,
    args: {
      from: t.arg.string({ required: true }),
      into: t.arg.string({ required: true }),
      expectedHash: t.arg.string(),
      message: t.arg.string(),
      dryRun: t.arg.boolean(),
      defaultBehavior: t.arg({ type: MergeBehaviorEnum }),
      keyBehaviors: t.arg({ type: [KeyMergeModeInput] }),
    },
    resolve: (_r, args, ctx) => mergeResult.wrap(ctx.services.catalog.merge(args, ctx.actor)),
  }),
  cherryPick: t.field({
    type: mergeResult.union,
    ...engineer,
    args: { hashes: t.arg.stringList({ required: true }), into: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, { hashes, into, expectedHash }, ctx) => mergeResult.wrap(ctx.services.catalog.cherryPick(hashes, into, expectedHash, ctx.actor)),
  }),
}));
