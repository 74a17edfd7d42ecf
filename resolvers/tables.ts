/** Table, Snapshot, schema and file types (Apache Iceberg), read through the table service. */
import { builder } from '../schema/builder.js';
import { formatType } from '../src/domain/iceberg/type-strings.js';
import type { DataFile, NestedField, PartitionSpec, Schema, Snapshot, SnapshotRef, TableMetadata } from '../src/domain/iceberg/types.js';
import type { RowPage } from '../src/ports/query-engine.js';
import type { TableHealth } from '../src/iceberg/table-health.js';
import type { Connection } from '../src/services/pagination.js';
import { tableName, tableNamespace, type TableView } from '../src/services/table-view.js';
import { selectsField } from '../src/util/selection.js';

export const SortDirectionEnum = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });
export const OrderByInput = builder.inputType('OrderByInput', {
  fields: (t) => ({
    column: t.string({ required: true }),
    direction: t.field({ type: SortDirectionEnum, description: 'ASC when omitted' }),
  }),
});

export const SchemaFieldRef = builder.objectRef<NestedField>('SchemaField').implement({
  fields: (t) => ({
    id: t.exposeInt('id'),
    name: t.exposeString('name'),
    type: t.string({ description: 'Iceberg type, e.g. long, decimal(15,2), list<string>', resolve: (f) => formatType(f.type) }),
    required: t.exposeBoolean('required'),
    doc: t.string({ nullable: true, resolve: (f) => f.doc ?? null }),
  }),
});

export const TableSchemaRef = builder.objectRef<Schema>('TableSchema').implement({
  fields: (t) => ({
    schemaId: t.exposeInt('schemaId'),
    fields: t.field({ type: [SchemaFieldRef], resolve: (s) => s.fields }),
  }),
});

const PartitionFieldRef = builder.objectRef<PartitionSpec['fields'][number]>('PartitionField').implement({
  fields: (t) => ({
    sourceId: t.exposeInt('sourceId'),
    fieldId: t.exposeInt('fieldId'),
    name: t.exposeString('name'),
    transform: t.exposeString('transform'),
  }),
});

const PartitionSpecRef = builder.objectRef<PartitionSpec>('PartitionSpec').implement({
  fields: (t) => ({
    specId: t.exposeInt('specId'),
    fields: t.field({ type: [PartitionFieldRef], resolve: (s) => s.fields }),
  }),
});

const DataFileRef = builder.objectRef<DataFile>('DataFile').implement({
  fields: (t) => ({
    path: t.exposeString('filePath'),
    format: t.exposeString('fileFormat'),
    recordCount: t.field({ type: 'BigInt', resolve: (f) => String(f.recordCount) }),
    fileSizeBytes: t.field({ type: 'BigInt', resolve: (f) => String(f.fileSizeInBytes) }),
    content: t.exposeString('content'),
    partition: t.field({ type: 'JSON', nullable: true, resolve: (f) => f.partition }),
  }),
});
const DataFileConnection = builder.connectionObject({ type: DataFileRef, name: 'DataFileConnection' }, { name: 'DataFileEdge' });

export interface SnapshotView {
  table: TableView;
  snapshot: Snapshot;
}

export const SnapshotNode = builder.node(builder.objectRef<SnapshotView>('Snapshot'), {
  id: { resolve: (s) => `${tableId(s.table)}#${s.snapshot.snapshotId}` },
  loadOne: async (id, ctx) => {
    const i = id.lastIndexOf('#');
    const table = await ctx.services.tables.tableById(id.slice(0, i), ctx.actor);
    return table ? ctx.services.tables.snapshot(table, id.slice(i + 1), null) : null;
  },
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'snapshot' in v,
  fields: (t) => ({
    snapshotId: t.field({ type: 'BigInt', resolve: (s) => s.snapshot.snapshotId }),
    parentSnapshotId: t.field({ type: 'BigInt', nullable: true, resolve: (s) => s.snapshot.parentSnapshotId ?? null }),
    sequenceNumber: t.field({ type: 'BigInt', resolve: (s) => String(s.snapshot.sequenceNumber) }),
    timestamp: t.field({ type: 'DateTime', resolve: (s) => new Date(s.snapshot.timestampMs) }),
    operation: t.string({ resolve: (s) => s.snapshot.summary.operation }),
    summary: t.field({ type: 'JSON', resolve: (s) => s.snapshot.summary }),
    schemaId: t.int({ nullable: true, resolve: (s) => s.snapshot.schemaId ?? null }),
    manifestList: t.string({ resolve: (s) => s.snapshot.manifestList ?? '' }),
    addedRows: t.field({ type: 'BigInt', nullable: true, resolve: (s) => s.snapshot.summary['added-records'] ?? null }),
    totalRows: t.field({ type: 'BigInt', nullable: true, resolve: (s) => s.snapshot.summary['total-records'] ?? null }),
    dataFiles: t.field({
      type: DataFileConnection,
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: (s, args, ctx) => ctx.services.tables.dataFiles(s.table, s.snapshot.snapshotId, args),
    }),
  }),
});
const SnapshotConnection = builder.connectionObject({ type: SnapshotNode, name: 'SnapshotConnection' }, { name: 'SnapshotEdge' });

const TableStatsRef = builder.objectRef<{ rowCount: string; fileCount: number; totalBytes: string }>('TableStats').implement({
  fields: (t) => ({
    rowCount: t.field({ type: 'BigInt', resolve: (s) => s.rowCount }),
    fileCount: t.exposeInt('fileCount'),
    totalBytes: t.field({ type: 'BigInt', resolve: (s) => s.totalBytes }),
  }),
});

export const RowPageRef = builder.objectRef<Connection<Record<string, unknown>> & { columns: string[]; totalCount: bigint | null }>('RowPage').implement({
  fields: (t) => ({
    columns: t.exposeStringList('columns'),
    rows: t.field({ type: ['JSON'], description:
        'Each row a JSON object keyed by column name: long and decimal values as strings, binary as base64, dates YYYY-MM-DD, ' +
        'timestamps ISO-8601 (Z on timestamptz); a year past 9999 in full, a year before 1 AD as the astronomical year (-0043 is 44 BC)', resolve: (p) => p.edges.map((e) => e.node) }),
    totalCount: t.field({ type: 'BigInt', nullable: true, resolve: (p) => (p.totalCount === null ? null : String(p.totalCount)) }),
    pageInfo: t.field({ type: builder.pageInfoRef(), resolve: (p) => p.pageInfo }),
  }),
});

/** A RowPage from an engine page (one cursor per page, as keyset paging gives). */
export function toRowPage(page: RowPage, after: string | null | undefined) {
  return {
    columns: page.columns,
    totalCount: page.totalCount,
    edges: page.rows.map((node) => ({ cursor: page.nextCursor ?? '', node })),
    pageInfo: { hasNextPage: page.hasMore, hasPreviousPage: after != null, startCursor: null, endCursor: page.nextCursor },
  };
}

export function tableId(v: TableView): string {
  return `${v.refName ?? ''}@${v.commitHash}|${v.key}`;
}

const meta = (v: TableView, ctx: { loaders: { metadata: { load(v: TableView): Promise<TableMetadata> } } }) => ctx.loaders.metadata.load(v);

const SnapshotRefTypeEnum = builder.enumType('SnapshotRefType', { values: ['BRANCH', 'TAG'] as const });

const SnapshotRefRef = builder.objectRef<SnapshotRef & { name: string }>('SnapshotRef').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.field({ type: SnapshotRefTypeEnum, resolve: (r) => (r.type === 'tag' ? 'TAG' : 'BRANCH') }),
    snapshotId: t.field({ type: 'BigInt', resolve: (r) => r.snapshotId }),
    maxRefAgeMs: t.field({ type: 'BigInt', nullable: true, resolve: (r) => (r.maxRefAgeMs === undefined ? null : String(r.maxRefAgeMs)) }),
    maxSnapshotAgeMs: t.field({ type: 'BigInt', nullable: true, resolve: (r) => (r.maxSnapshotAgeMs === undefined ? null : String(r.maxSnapshotAgeMs)) }),
    minSnapshotsToKeep: t.int({ nullable: true, resolve: (r) => r.minSnapshotsToKeep ?? null }),
  }),
});

const TableHealthRef = builder.objectRef<TableHealth>('TableHealth').implement({
  fields: (t) => ({
    dataFileCount: t.exposeInt('dataFileCount'),
    smallFileCount: t.exposeInt('smallFileCount'),
    deleteFileCount: t.exposeInt('deleteFileCount'),
    snapshotCount: t.exposeInt('snapshotCount'),
    oldestSnapshotAt: t.field({ type: 'DateTime', nullable: true, resolve: (h) => h.oldestSnapshotAt }),
    averageFileSizeBytes: t.field({ type: 'BigInt', resolve: (h) => String(h.averageFileSizeBytes) }),
    needsCompaction: t.exposeBoolean('needsCompaction'),
  }),
});

export const TableNode = builder.node(builder.objectRef<TableView>('Table'), {
  id: { resolve: (v) => tableId(v) },
  loadOne: (id, ctx) => ctx.services.tables.tableById(id, ctx.actor),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'content' in v && 'key' in v,
  fields: (t) => ({
    name: t.string({ resolve: (v) => tableName(v.key) }),
    namespace: t.string({ resolve: (v) => tableNamespace(v.key) }),
    ref: t.string({ description: 'The reference the table was read through (or @hash)', resolve: (v) => v.refName ?? `@${v.commitHash}` }),
    commitHash: t.exposeString('commitHash'),
    contentId: t.string({ resolve: (v) => v.content.id }),
    metadataLocation: t.string({ resolve: (v) => v.content.metadataLocation }),
    formatVersion: t.int({ resolve: async (v, _a, ctx) => (await meta(v, ctx)).formatVersion }),
    uuid: t.string({ resolve: async (v, _a, ctx) => (await meta(v, ctx)).tableUuid }),
    location: t.string({ resolve: async (v, _a, ctx) => (await meta(v, ctx)).location }),
    properties: t.field({ type: 'JSON', resolve: async (v, _a, ctx) => (await meta(v, ctx)).properties }),
    schema: t.field({ type: TableSchemaRef, resolve: async (v, _a, ctx) => currentSchema(await meta(v, ctx)) }),
    schemas: t.field({ type: [TableSchemaRef], resolve: async (v, _a, ctx) => (await meta(v, ctx)).schemas }),
    partitionSpec: t.field({
      type: PartitionSpecRef,
      resolve: async (v, _a, ctx) => {
        const m = await meta(v, ctx);
        return m.partitionSpecs.find((s) => s.specId === m.defaultSpecId) ?? { specId: m.defaultSpecId, fields: [] };
      },
    }),
    currentSnapshot: t.field({
      type: SnapshotNode,
      nullable: true,
      resolve: async (v, _a, ctx) => {
        const m = await meta(v, ctx);
        const s = m.snapshots.find((x) => x.snapshotId === m.currentSnapshotId);
        return s ? { table: v, snapshot: s } : null;
      },
    }),
    snapshots: t.field({
      type: SnapshotConnection,
      description: "Every snapshot the metadata keeps, newest first (for a table written through Nessie's Iceberg REST catalog, whose metadata files keep only the current snapshot, those of the table's earlier commits too)",
      args: { first: t.arg.int(), after: t.arg.string() },
      resolve: (v, args, ctx) => ctx.services.tables.snapshots(v, args),
    }),
    snapshot: t.field({
      type: SnapshotNode,
      nullable: true,
      args: { id: t.arg({ type: 'BigInt' }), asOf: t.arg({ type: 'DateTime' }) },
      resolve: (v, args, ctx) => ctx.services.tables.snapshot(v, args.id ?? null, args.asOf ?? null),
    }),
    rows: t.field({
      type: RowPageRef,
      args: {
        first: t.arg.int(),
        after: t.arg.string(),
        columns: t.arg.stringList(),
        snapshotId: t.arg({ type: 'BigInt' }),
        asOf: t.arg({ type: 'DateTime' }),
        snapshotRef: t.arg.string({ description: "A tag or branch of the table's own metadata (snapshotRefs)" }),
        where: t.arg({ type: 'JSON' }),
        orderBy: t.arg({ type: [OrderByInput] }),
      },
      resolve: async (v, args, ctx, info) => toRowPage(await ctx.services.tables.rows(v, args, selectsField(info, 'totalCount')), args.after),
    }),
    health: t.field({
      type: TableHealthRef,
      description: "Files and snapshots at the current snapshot; small and needsCompaction by Iceberg's rewrite defaults (below 75% of write.target-file-size-bytes; 5 small files or any delete file)",
      resolve: (v, _a, ctx) => ctx.services.tables.health(v),
    }),
    snapshotRefs: t.field({
      type: [SnapshotRefRef],
      description: "The table's own snapshot references (Iceberg `refs`): `main` (its current snapshot), and tags and branches with their retention",
      resolve: async (v, _a, ctx) =>
        Object.entries((await meta(v, ctx)).refs)
          .map(([name, r]) => ({ name, ...r }))
          .sort((a, b) => (a.name === 'main' ? -1 : b.name === 'main' ? 1 : a.name < b.name ? -1 : 1)),
    }),
    stats: t.field({ type: TableStatsRef, resolve: async (v, _a, ctx) => ctx.services.tables.stats(await meta(v, ctx)) }),
  }),
});

export const TableConnection = builder.connectionObject({ type: TableNode, name: 'TableConnection' }, { name: 'TableEdge' });

function currentSchema(m: TableMetadata): Schema {
  return m.schemas.find((s) => s.schemaId === m.currentSchemaId) ?? m.schemas[0]!;
}
