/** Marts published to PostgreSQL: marts, mart(name) with rows and aggregate, publishMarts, martUpdated. */
import { builder } from '../schema/builder.js';
import { Forbidden, InvalidInput, NotFound } from '../src/domain/errors.js';
import type { MartColumn, Publication, PublishedMart } from '../src/ports/mart-store.js';
import { selectsField } from '../src/util/selection.js';
import { deniedAsResult, resultUnion } from './result-union.js';
import { OrderByInput, RowPageRef, toRowPage } from './tables.js';

const MartColumnRef = builder.objectRef<MartColumn>('MartColumn').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.exposeString('type', { description: 'Iceberg type of the source column (its PostgreSQL type is the exact equivalent)' }),
    nullable: t.exposeBoolean('nullable'),
  }),
});

const PublicationRef = builder.objectRef<Publication>('Publication').implement({
  fields: (t) => ({
    ref: t.exposeString('ref'),
    commitHash: t.exposeString('commitHash'),
    table: t.exposeString('table'),
    snapshotId: t.field({ type: 'BigInt', resolve: (p) => p.snapshotId }),
    publishedAt: t.field({ type: 'DateTime', resolve: (p) => p.publishedAt }),
  }),
});

export const MartNode = builder.node(builder.objectRef<PublishedMart>('Mart'), {
  id: { resolve: (m) => m.name },
  loadOne: (id, ctx) => ctx.services.marts.get(id, ctx.actor),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'publishedFrom' in v && 'rowCount' in v,
  fields: (t) => ({
    name: t.exposeString('name'),
    columns: t.field({ type: [MartColumnRef], resolve: (m) => m.columns }),
    rowCount: t.field({ type: 'BigInt', resolve: (m) => m.rowCount }),
    publishedFrom: t.field({ type: PublicationRef, resolve: (m) => m.publishedFrom }),
    rows: t.field({
      type: RowPageRef,
      description: 'Keyset-paged rows; where takes the operator objects of Table.rows (_eq _neq _gt _gte _lt _lte _in _nin _like _ilike _is_null, _and _or _not)',
      args: { where: t.arg({ type: 'JSON' }), orderBy: t.arg({ type: [OrderByInput] }), first: t.arg.int(), after: t.arg.string() },
      resolve: async (m, args, ctx, info) =>
        toRowPage(await ctx.services.marts.rows(m.name, args, ctx.actor, selectsField(info, 'totalCount')), args.after),
    }),
    aggregate: t.field({
      type: 'JSON',
      description: '{ count, <numericColumn>: { sum avg min max } } over the rows matching where',
      args: { where: t.arg({ type: 'JSON' }) },
      resolve: (m, { where }, ctx) => ctx.services.marts.aggregate(m.name, where, ctx.actor),
    }),
  }),
});

builder.queryFields((t) => ({
  marts: t.field({ type: [MartNode], resolve: (_r, _a, ctx) => ctx.services.marts.list(ctx.actor) }),
  mart: t.field({
    type: MartNode,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    // The cached lookup the mart's row queries use anyway: no extra round trip per request.
    resolve: (_r, { name }, ctx) => ctx.services.marts.get(name, ctx.actor, { cached: true }),
  }),
}));

const PublishMartsSuccess = builder.objectRef<{ marts: PublishedMart[] }>('PublishMartsSuccess').implement({
  fields: (t) => ({ marts: t.field({ type: [MartNode], resolve: (s) => s.marts }) }),
});
const publishResult = resultUnion<{ marts: PublishedMart[] }>('PublishMartsResult', PublishMartsSuccess, [NotFound, InvalidInput, Forbidden]);

builder.mutationFields((t) => ({
  publishMarts: t.field({
    type: publishResult.union,
    authScopes: { engineer: true },
    unauthorizedResolver: deniedAsResult,
    description: 'Copies the tables of namespace marts at `from` (default: the default branch) into PostgreSQL, all of them atomically; an already published snapshot is left alone',
    args: { from: t.arg.string(), marts: t.arg.stringList() },
    resolve: (_r, args, ctx) => publishResult.wrap(ctx.services.marts.publish(args, ctx.actor).then((marts) => ({ marts }))),
  }),
}));

builder.subscriptionFields((t) => ({
  martUpdated: t.field({
    type: MartNode,
    description: 'A mart (the named one, or any) after a publish changed its rows or columns',
    args: { name: t.arg.string() },
    subscribe: (_r, { name }, ctx) => ctx.services.marts.updates(name ?? null, ctx.actor),
    resolve: (m) => m,
  }),
}));
