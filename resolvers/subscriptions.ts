/** referenceUpdated: the catalog's reference moves, as the catalog service streams them. */
import { builder } from '../schema/builder.js';
import type { ReferenceUpdateEvent } from '../src/domain/events.js';
import { CommitNode } from './commits.js';
import { ReferenceTypeEnum } from './references.js';

const ReferenceUpdateKindEnum = builder.enumType('ReferenceUpdateKind', {
  values: ['CREATED', 'COMMITTED', 'MERGED', 'ASSIGNED', 'DELETED'] as const,
});

const ReferenceUpdate = builder.objectRef<ReferenceUpdateEvent>('ReferenceUpdate').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.field({ type: ReferenceTypeEnum, resolve: (e) => e.type }),
    kind: t.field({ type: ReferenceUpdateKindEnum, resolve: (e) => e.kind }),
    previousHash: t.exposeString('previousHash', { nullable: true }),
    hash: t.exposeString('hash', { nullable: true }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    commit: t.field({ type: CommitNode, nullable: true, resolve: (e) => e.hash }),
  }),
});

builder.subscriptionFields((t) => ({
  referenceUpdated: t.field({
    type: ReferenceUpdate,
    description: 'Every move of the named references (all when names is omitted): created, committed, merged, assigned, deleted',
    args: { names: t.arg.stringList() },
    subscribe: (_r, { names }, ctx) => ctx.services.catalog.referenceEvents(names, ctx.actor),
    resolve: (e) => e,
  }),
}));
