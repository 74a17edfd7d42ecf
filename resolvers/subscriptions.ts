/** Subscriptions over the event bus: referenceUpdated. */
import { builder } from '../schema/builder.js';
import type { ReferenceUpdateEvent } from '../src/domain/events.js';
import { refName } from '../src/domain/refs.js';
import { InvalidInput } from '../src/domain/errors.js';
import { CommitNode } from './commits.js';
import { ReferenceTypeEnum } from './references.js';
import { filterEvents } from '../subscriptions/topics.js';

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
    subscribe: async (_r, { names }, ctx) => {
      if (names && names.length > 100) throw new InvalidInput('at most 100 names', 'names');
      const wanted = names ? new Set(names.map((n, i) => refName(n, `names[${i}]`))) : null;
      const readable = await ctx.services.catalog.watchFilter(ctx.actor, wanted ? [...wanted] : null);
      return filterEvents(ctx.services.bus, 'referenceUpdated', (e) => (!wanted || wanted.has(e.name as never)) && readable(e));
    },
    resolve: (e) => e,
  }),
}));
