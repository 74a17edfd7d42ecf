/** Reference, Branch, Tag and the ref queries. */
import { builder } from '../schema/builder.js';
import type { Reference } from '../src/ports/version-store.js';
import { CommitFilterInput, CommitNode, CommitConnection, toCommitFilter } from './commits.js';
import { EntryConnection } from './entries.js';

export const ReferenceTypeEnum = builder.enumType('ReferenceType', { values: ['BRANCH', 'TAG'] as const });

export const ReferenceInterface = builder.interfaceRef<Reference>('Reference').implement({
  description: 'A branch or a tag, viewed at a commit (its head unless a ref expression chose another)',
  resolveType: (r) => (r.type === 'BRANCH' ? 'Branch' : 'Tag'),
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.field({ type: ReferenceTypeEnum, resolve: (r) => r.type }),
    hash: t.exposeString('hash'),
    head: t.field({ type: CommitNode, resolve: (r) => r.hash }),
  }),
});


export const BranchNode = builder.node(builder.objectRef<Reference>('Branch'), {
  interfaces: [ReferenceInterface],
  id: { resolve: (r) => r.name },
  isTypeOf: (r) => (r as Reference).type === 'BRANCH',
  loadOne: (name, ctx) => ctx.services.catalog.getRef(name, 'BRANCH', ctx.actor),
  fields: (t) => ({
    protected: t.boolean({ resolve: (r, _a, ctx) => ctx.services.catalog.isProtected(r.name) }),
    log: t.field({
      type: CommitConnection,
      args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: CommitFilterInput }) },
      resolve: (r, args, ctx) => ctx.services.catalog.log(r.hash, { ...args, filter: toCommitFilter(args.filter) }),
    }),
    entries: t.field({
      type: EntryConnection,
      args: { namespace: t.arg.string(), first: t.arg.int(), after: t.arg.string() },
      resolve: (r, args, ctx) => ctx.services.catalog.entries(r.hash, args),
    }),
    aheadBehind: t.field({
      type: builder
        .objectRef<{ ahead: number; behind: number; commonAncestor: string | null }>('AheadBehind')
        .implement({
          fields: (a) => ({
            ahead: a.exposeInt('ahead'),
            behind: a.exposeInt('behind'),
            commonAncestor: a.exposeString('commonAncestor', { nullable: true }),
          }),
        }),
      args: { base: t.arg.string({ description: 'Ref expression to compare with; the default branch when omitted' }) },
      resolve: async (r, { base }, ctx) =>
        ctx.services.catalog.aheadBehind(r.hash, base ?? (await ctx.services.catalog.defaultBranch()).name, ctx.actor),
    }),
  }),
});

export const TagNode = builder.node(builder.objectRef<Reference>('Tag'), {
  interfaces: [ReferenceInterface],
  id: { resolve: (r) => r.name },
  isTypeOf: (r) => (r as Reference).type === 'TAG',
  loadOne: (name, ctx) => ctx.services.catalog.getRef(name, 'TAG', ctx.actor),
  fields: (t) => ({
    log: t.field({
      type: CommitConnection,
      args: { first: t.arg.int(), after: t.arg.string(), filter: t.arg({ type: CommitFilterInput }) },
      resolve: (r, args, ctx) => ctx.services.catalog.log(r.hash, { ...args, filter: toCommitFilter(args.filter) }),
    }),
  }),
});

const ReferenceConnection = builder.connectionObject(
  { type: ReferenceInterface, name: 'ReferenceConnection' },
  { name: 'ReferenceEdge' },
);

builder.queryFields((t) => ({
  defaultBranch: t.field({
    type: BranchNode,
    // From the ref cache without a promise when it holds the branch (a synchronous result keeps
    // the whole request off the promise path), else from the store.
    resolve: (_r, _a, ctx) => ctx.services.catalog.cachedDefaultBranch() ?? ctx.services.catalog.defaultBranch(),
  }),
  references: t.field({
    type: ReferenceConnection,
    args: {
      type: t.arg({ type: ReferenceTypeEnum }),
      nameStartsWith: t.arg.string(),
      first: t.arg.int(),
      after: t.arg.string(),
    },
    resolve: (_r, args, ctx) => ctx.services.catalog.listReferences(args, ctx.actor),
  }),
  branch: t.field({
    type: BranchNode,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, { name }, ctx) => ctx.services.catalog.getRef(name, 'BRANCH', ctx.actor),
  }),
  tag: t.field({
    type: TagNode,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, { name }, ctx) => ctx.services.catalog.getRef(name, 'TAG', ctx.actor),
  }),
  reference: t.field({
    type: ReferenceInterface,
    nullable: true,
    description: 'Resolves any ref expression (name, name@hash, name*time, name~n); null for an unknown ref or a detached @hash',
    args: { ref: t.arg.string({ required: true }) },
    resolve: (_r, { ref }, ctx) => ctx.services.catalog.reference(ref, ctx.actor),
  }),
}));
