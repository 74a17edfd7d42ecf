/** Table mutations: create, register, append, overwrite, evolve, roll back, drop (API.md). */
import { builder } from '../schema/builder.js';
import {
  AlreadyExists,
  Forbidden,
  InvalidInput,
  NotFound,
  ProtectedBranch,
  ReferenceConflict,
  SchemaMismatch,
} from '../src/domain/errors.js';
import type { Commit } from '../src/ports/version-store.js';
import type { TableView } from '../src/services/table-view.js';
import { CommitNode } from './commits.js';
import { deniedAsResult, resultUnion } from './result-union.js';
import { SnapshotNode, TableNode, type SnapshotView } from './tables.js';

const ColumnInput = builder.inputType('ColumnInput', {
  fields: (t) => ({
    name: t.string({ required: true }),
    type: t.string({ required: true, description: 'Iceberg type: boolean int long float double decimal(p,s) date time timestamp timestamptz string uuid binary, or list<…>/map<…,…>/struct<…>' }),
    required: t.boolean(),
    doc: t.string(),
  }),
});
const PartitionFieldInput = builder.inputType('PartitionFieldInput', {
  fields: (t) => ({
    column: t.string({ required: true }),
    transform: t.string({ required: true, description: 'identity, year, month, day, hour, bucket[N], truncate[W]' }),
  }),
});
const RenameColumnInput = builder.inputType('RenameColumnInput', {
  fields: (t) => ({ from: t.string({ required: true }), to: t.string({ required: true }) }),
});
const WidenColumnInput = builder.inputType('WidenColumnInput', {
  fields: (t) => ({ name: t.string({ required: true }), type: t.string({ required: true }) }),
});
const SchemaChangeInput = builder.inputType('SchemaChangeInput', {
  description: 'Exactly one field per change',
  fields: (t) => ({
    addColumn: t.field({ type: ColumnInput }),
    renameColumn: t.field({ type: RenameColumnInput }),
    dropColumn: t.string(),
    widenColumn: t.field({ type: WidenColumnInput }),
    makeOptional: t.string(),
  }),
});
const DataFormatEnum = builder.enumType('DataFormat', { values: ['JSON', 'NDJSON', 'CSV', 'PARQUET'] as const });

interface TableCommit {
  table: TableView;
  commit: Commit;
}
interface WriteOutcome extends TableCommit {
  snapshot: SnapshotView;
  addedRows: string;
}

const tableCommitFields = (name: string) =>
  builder.objectRef<TableCommit>(name).implement({
    fields: (t) => ({
      table: t.field({ type: TableNode, resolve: (s) => s.table }),
      commit: t.field({ type: CommitNode, resolve: (s) => s.commit }),
    }),
  });

const CreateTableSuccess = tableCommitFields('CreateTableSuccess');
const EvolveSchemaSuccess = tableCommitFields('EvolveSchemaSuccess');
const RollbackTableSuccess = tableCommitFields('RollbackTableSuccess');
const TagSnapshotSuccess = tableCommitFields('TagSnapshotSuccess');
const RemoveSnapshotRefSuccess = tableCommitFields('RemoveSnapshotRefSuccess');
const SetTablePropertiesSuccess = tableCommitFields('SetTablePropertiesSuccess');
const WriteSuccess = builder.objectRef<WriteOutcome>('WriteSuccess').implement({
  fields: (t) => ({
    table: t.field({ type: TableNode, resolve: (s) => s.table }),
    commit: t.field({ type: CommitNode, resolve: (s) => s.commit }),
    snapshot: t.field({ type: SnapshotNode, resolve: (s) => s.snapshot }),
    addedRows: t.field({ type: 'BigInt', resolve: (s) => s.addedRows }),
  }),
});
const DropTableSuccess = builder.objectRef<{ name: string; commit: Commit }>('DropTableSuccess').implement({
  fields: (t) => ({ name: t.exposeString('name'), commit: t.field({ type: CommitNode, resolve: (s) => s.commit }) }),
});

/** Writing tables needs engineer; protected branches are checked in the table service (src/auth/policy.ts). */
const engineer = { authScopes: { engineer: true }, unauthorizedResolver: deniedAsResult } as const;

const common = [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch];

const createResult = resultUnion<TableCommit>('CreateTableResult', CreateTableSuccess, [AlreadyExists, ...common]);
const writeResult = resultUnion<WriteOutcome>('WriteResult', WriteSuccess, [SchemaMismatch, ...common]);
const evolveResult = resultUnion<TableCommit>('EvolveSchemaResult', EvolveSchemaSuccess, common);
const rollbackResult = resultUnion<TableCommit>('RollbackTableResult', RollbackTableSuccess, common);
const tagResult = resultUnion<TableCommit>('TagSnapshotResult', TagSnapshotSuccess, [AlreadyExists, ...common]);
const removeRefResult = resultUnion<TableCommit>('RemoveSnapshotRefResult', RemoveSnapshotRefSuccess, common);
const propertiesResult = resultUnion<TableCommit>('SetTablePropertiesResult', SetTablePropertiesSuccess, common);
const dropResult = resultUnion<{ name: string; commit: Commit }>('DropTableResult', DropTableSuccess, common);

builder.mutationFields((t) => ({
  createTable: t.field({
    type: createResult.union,
    ...engineer,
    args: {
      branch: t.arg.string({ required: true }),
      name: t.arg.string({ required: true, description: 'Dotted table name; its namespace must exist' }),
      columns: t.arg({ type: [ColumnInput], required: true }),
      partitionBy: t.arg({ type: [PartitionFieldInput] }),
      expectedHash: t.arg.string(),
      message: t.arg.string(),
    },
    resolve: (_r, args, ctx) => createResult.wrap(ctx.services.tables.createTable(args, ctx.actor)),
  }),
  registerTable: t.field({
    type: createResult.union,
    ...engineer,
    description: 'Adopts an existing Iceberg table written by other software',
    args: {
      branch: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      metadataLocation: t.arg.string({ required: true }),
      expectedHash: t.arg.string(),
    },
    resolve: (_r, args, ctx) => createResult.wrap(ctx.services.tables.registerTable(args, ctx.actor)),
  }),
  appendRows: t.field({
    type: writeResult.union,
    ...engineer,
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      rows: t.arg({ type: 'JSON', description: 'A JSON array of objects keyed by column name' }),
      file: t.arg({ type: 'File', description: 'A multipart upload of NDJSON, CSV (with a header) or Parquet' }),
      format: t.arg({ type: DataFormatEnum }),
      expectedHash: t.arg.string(),
      message: t.arg.string(),
    },
    resolve: (_r, args, ctx) => writeResult.wrap(ctx.services.tables.write('append', args, ctx.actor)),
  }),
  overwriteRows: t.field({
    type: writeResult.union,
    ...engineer,
    description: 'Replaces the rows matching `where` (all rows when omitted) with the given rows; `rows: []` deletes them',
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      rows: t.arg({ type: 'JSON' }),
      file: t.arg({ type: 'File' }),
      format: t.arg({ type: DataFormatEnum }),
      where: t.arg({ type: 'JSON' }),
      expectedHash: t.arg.string(),
      message: t.arg.string(),
    },
    resolve: (_r, args, ctx) => writeResult.wrap(ctx.services.tables.write('overwrite', args, ctx.actor)),
  }),
  evolveSchema: t.field({
    type: evolveResult.union,
    ...engineer,
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      changes: t.arg({ type: [SchemaChangeInput], required: true }),
      expectedHash: t.arg.string(),
    },
    resolve: (_r, args, ctx) => evolveResult.wrap(ctx.services.tables.evolveSchema(args, ctx.actor)),
  }),
  rollbackTable: t.field({
    type: rollbackResult.union,
    ...engineer,
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      toSnapshotId: t.arg({ type: 'BigInt' }),
      toTimestamp: t.arg({ type: 'DateTime' }),
      toSnapshotRef: t.arg.string({ description: "A tag or branch of the table's own metadata" }),
      expectedHash: t.arg.string(),
    },
    resolve: (_r, args, ctx) => rollbackResult.wrap(ctx.services.tables.rollback(args, ctx.actor)),
  }),
  tagSnapshot: t.field({
    type: tagResult.union,
    ...engineer,
    description: "Tags one of the table's snapshots in its own metadata (Iceberg refs); a catalog commit on the branch. Expiry keeps tagged snapshots until maxRefAgeMs",
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      snapshotId: t.arg({ type: 'BigInt', required: true }),
      maxRefAgeMs: t.arg({ type: 'BigInt' }),
      expectedHash: t.arg.string(),
    },
    resolve: (_r, args, ctx) =>
      tagResult.wrap(ctx.services.tables.tagSnapshot({ ...args, maxRefAgeMs: args.maxRefAgeMs == null ? null : Number(args.maxRefAgeMs) }, ctx.actor)),
  }),
  removeSnapshotRef: t.field({
    type: removeRefResult.union,
    ...engineer,
    description: "Removes a tag or branch of the table's own metadata (not `main`); a catalog commit on the branch",
    args: { branch: t.arg.string({ required: true }), table: t.arg.string({ required: true }), name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, args, ctx) => removeRefResult.wrap(ctx.services.tables.removeSnapshotRef(args, ctx.actor)),
  }),
  setTableProperties: t.field({
    type: propertiesResult.union,
    ...engineer,
    description: 'Sets and removes table properties (retention: history.expire.max-snapshot-age-ms, history.expire.min-snapshots-to-keep, history.expire.max-ref-age-ms); a catalog commit',
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      set: t.arg({ type: 'JSON' }),
      remove: t.arg.stringList(),
      expectedHash: t.arg.string(),
    },
    resolve: (_r, args, ctx) => propertiesResult.wrap(ctx.services.tables.setTableProperties(args, ctx.actor)),
  }),
  dropTable: t.field({
    type: dropResult.union,
    ...engineer,
    args: { branch: t.arg.string({ required: true }), name: t.arg.string({ required: true }), expectedHash: t.arg.string() },
    resolve: (_r, args, ctx) => dropResult.wrap(ctx.services.tables.dropTable(args, ctx.actor)),
  }),
}));
