/** Commit, Operation, CommitFilter and the commit queries. */
import { builder } from '../schema/builder.js';
import type { Commit, CommitFilter } from '../src/ports/version-store.js';
import { ContentTypeEnum } from './entries.js';

const OperationTypeEnum = builder.enumType('OperationType', { values: ['PUT', 'DELETE'] as const });

const OperationRef = builder.objectRef<Commit['operations'][number]>('Operation').implement({
  fields: (t) => ({
    type: t.field({ type: OperationTypeEnum, resolve: (o) => o.type }),
    key: t.exposeString('key'),
    contentType: t.field({ type: ContentTypeEnum, nullable: true, resolve: (o) => o.contentType }),
  }),
});

export const CommitNode = builder.loadableNode('Commit', {
  id: { resolve: (c: Commit) => c.hash },
  // A hash that is not a commit is null, as commit(hash:) and every other node(id:) answer; a
  // field that must have its commit (Reference.head) then fails as the inconsistency it would be.
  load: (hashes: string[], ctx) => ctx.loaders.commit.loadMany(hashes),
  fields: (t) => ({
    hash: t.exposeString('hash'),
    parentHashes: t.stringList({ resolve: (c) => c.parentHashes }),
    message: t.exposeString('message'),
    author: t.exposeString('author'),
    authorTime: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.authorTime }),
    committer: t.exposeString('committer', { nullable: true }),
    commitTime: t.field({ type: 'DateTime', resolve: (c) => c.commitTime }),
    properties: t.field({ type: 'JSON', resolve: (c) => c.properties }),
    operations: t.field({ type: [OperationRef], resolve: (c) => c.operations }),
  }),
});

export const CommitConnection = builder.connectionObject({ type: CommitNode, name: 'CommitConnection' }, { name: 'CommitEdge' });

export const CommitFilterInput = builder.inputType('CommitFilter', {
  fields: (t) => ({
    author: t.string(),
    messageContains: t.string(),
    since: t.field({ type: 'DateTime' }),
    until: t.field({ type: 'DateTime' }),
    touchesKey: t.string(),
  }),
});

type FilterArg = { author?: string | null; messageContains?: string | null; since?: Date | null; until?: Date | null; touchesKey?: string | null };

export function toCommitFilter(f: FilterArg | null | undefined): CommitFilter | undefined {
  if (!f) return undefined;
  const out: CommitFilter = {};
  if (f.author != null) out.author = f.author;
  if (f.messageContains != null) out.messageContains = f.messageContains;
  if (f.since != null) out.since = f.since;
  if (f.until != null) out.until = f.until;
  if (f.touchesKey != null) out.touchesKey = f.touchesKey;
  return out;
}

builder.queryFields((t) => ({
  commit: t.field({
    type: CommitNode,
    nullable: true,
    description: 'A commit by hash, wherever it is (analyst: a hash can name a commit on any branch)',
    authScopes: { analyst: true },
    args: { hash: t.arg.string({ required: true }) },
    resolve: (_r, { hash }, ctx) => ctx.services.catalog.commit(hash),
  }),
  log: t.field({
    type: CommitConnection,
    description: 'Commits reachable from a ref expression by first parents, newest first',
    args: {
      ref: t.arg.string({ required: true }),
      first: t.arg.int(),
      after: t.arg.string(),
      filter: t.arg({ type: CommitFilterInput }),
    },
    resolve: (_r, args, ctx) => ctx.services.catalog.logOf(args.ref, { ...args, filter: toCommitFilter(args.filter) }, ctx.actor),
  }),
}));
