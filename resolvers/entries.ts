/** Entry, Diff and the diff query. */
import { builder } from '../schema/builder.js';
import { keyElements, parentNamespace } from '../src/domain/content.js';
import type { DiffEntry, Entry } from '../src/ports/version-store.js';

export const ContentTypeEnum = builder.enumType('ContentType', { values: ['NAMESPACE', 'ICEBERG_TABLE'] as const });
const ChangeTypeEnum = builder.enumType('ChangeType', { values: ['ADDED', 'REMOVED', 'MODIFIED'] as const });

const EntryRef = builder.objectRef<Entry>('Entry').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    namespace: t.string({ resolve: (e) => parentNamespace(e.key) ?? '' }),
    name: t.string({ resolve: (e) => keyElements(e.key).at(-1)! }),
    contentType: t.field({ type: ContentTypeEnum, resolve: (e) => e.type }),
    contentId: t.exposeString('contentId', { nullable: true }),
  }),
});

export const EntryConnection = builder.connectionObject({ type: EntryRef, name: 'EntryConnection' }, { name: 'EntryEdge' });

const DiffEntryRef = builder.objectRef<DiffEntry>('DiffEntry').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    change: t.field({ type: ChangeTypeEnum, resolve: (d) => d.change }),
    contentType: t.field({ type: ContentTypeEnum, resolve: (d) => d.contentType }),
  }),
});

const DiffRef = builder.objectRef<{ fromHash: string; toHash: string; entries: DiffEntry[] }>('Diff').implement({
  fields: (t) => ({
    fromHash: t.exposeString('fromHash'),
    toHash: t.exposeString('toHash'),
    entries: t.field({ type: [DiffEntryRef], resolve: (d) => d.entries }),
  }),
});

builder.queryFields((t) => ({
  diff: t.field({
    type: DiffRef,
    args: { from: t.arg.string({ required: true }), to: t.arg.string({ required: true }) },
    resolve: (_r, { from, to }, ctx) => ctx.services.catalog.diff(from, to, ctx.actor),
  }),
}));
