/** Table queries: tables on a ref, one table, SQL at a ref, and comparing two versions of a table. */
import { builder } from '../schema/builder.js';
import type { NestedField } from '../src/domain/iceberg/types.js';
import type { DataComparison, SqlResult } from '../src/ports/query-engine.js';
import type { Reference } from '../src/ports/version-store.js';
import type { SqlEngineInfo } from '../src/services/sql-engines.js';
import { BranchNode, TagNode } from './references.js';
import { SchemaFieldRef, TableConnection, TableNode } from './tables.js';

for (const node of [BranchNode, TagNode]) {
  builder.objectFields(node, (t) => ({
    tables: t.field({
      type: TableConnection,
      args: { namespace: t.arg.string(), first: t.arg.int(), after: t.arg.string() },
      resolve: (r: Reference, args, ctx) => ctx.services.tables.listTables({ refName: r.name, commitHash: r.hash }, args),
    }),
    table: t.field({
      type: TableNode,
      nullable: true,
      args: { name: t.arg.string({ required: true }) },
      resolve: (r: Reference, { name }, ctx) => ctx.services.tables.tableAt({ refName: r.name, commitHash: r.hash }, name),
    }),
  }));
}

const SqlEngineEnum = builder.enumType('SqlEngine', {
  description: 'Where `sql` runs: DuckDB in the gateway, or the Trino cluster (TRINO_URL) through its Iceberg connector',
  values: ['DUCKDB', 'TRINO'] as const,
});

const SqlEngineInfoRef = builder.objectRef<SqlEngineInfo>('SqlEngineInfo').implement({
  fields: (t) => ({
    engine: t.field({ type: SqlEngineEnum, resolve: (e) => e.engine }),
    version: t.exposeString('version'),
    isDefault: t.exposeBoolean('isDefault', { description: 'The engine of a query that names none (SQL_ENGINE)' }),
  }),
});

const SqlColumnRef = builder.objectRef<SqlResult['columns'][number]>('SqlColumn').implement({
  fields: (t) => ({ name: t.exposeString('name'), type: t.exposeString('type') }),
});
const SqlResultRef = builder.objectRef<SqlResult>('SqlResult').implement({
  fields: (t) => ({
    columns: t.field({ type: [SqlColumnRef], resolve: (r) => r.columns }),
    rows: t.field({ type: t.listRef(t.listRef('JSON', { nullable: true })), resolve: (r) => r.rows }),
    rowCount: t.int({ resolve: (r) => r.rows.length }),
    truncated: t.exposeBoolean('truncated'),
    elapsedMs: t.float({ resolve: (r) => r.elapsedMs }),
  }),
});

export interface SchemaComparison {
  addedColumns: NestedField[];
  removedColumns: NestedField[];
  renamedColumns: { id: number; from: string; to: string }[];
  typeChanges: { id: number; name: string; from: string; to: string }[];
}

const ColumnRename = builder.objectRef<SchemaComparison['renamedColumns'][number]>('ColumnRename').implement({
  fields: (t) => ({ id: t.exposeInt('id'), from: t.exposeString('from'), to: t.exposeString('to') }),
});
const ColumnTypeChange = builder.objectRef<SchemaComparison['typeChanges'][number]>('ColumnTypeChange').implement({
  fields: (t) => ({ id: t.exposeInt('id'), name: t.exposeString('name'), from: t.exposeString('from'), to: t.exposeString('to') }),
});
const SchemaComparisonRef = builder.objectRef<SchemaComparison>('SchemaComparison').implement({
  fields: (t) => ({
    addedColumns: t.field({ type: [SchemaFieldRef], resolve: (c) => c.addedColumns }),
    removedColumns: t.field({ type: [SchemaFieldRef], resolve: (c) => c.removedColumns }),
    renamedColumns: t.field({ type: [ColumnRename], resolve: (c) => c.renamedColumns }),
    typeChanges: t.field({ type: [ColumnTypeChange], resolve: (c) => c.typeChanges }),
  }),
});
const DataComparisonRef = builder.objectRef<DataComparison>('DataComparison').implement({
  fields: (t) => ({
    fromRows: t.field({ type: 'BigInt', resolve: (d) => d.fromRows }),
    toRows: t.field({ type: 'BigInt', resolve: (d) => d.toRows }),
    rowsAdded: t.field({ type: 'BigInt', resolve: (d) => d.rowsAdded }),
    rowsRemoved: t.field({ type: 'BigInt', resolve: (d) => d.rowsRemoved }),
    sampleAdded: t.field({ type: ['JSON'], resolve: (d) => d.sampleAdded }),
    sampleRemoved: t.field({ type: ['JSON'], resolve: (d) => d.sampleRemoved }),
  }),
});
const TableComparisonRef = builder.objectRef<{ schema: SchemaComparison; data: DataComparison }>('TableComparison').implement({
  fields: (t) => ({
    schema: t.field({ type: SchemaComparisonRef, resolve: (c) => c.schema }),
    data: t.field({ type: DataComparisonRef, resolve: (c) => c.data }),
  }),
});

builder.queryFields((t) => ({
  table: t.field({
    type: TableNode,
    nullable: true,
    args: { name: t.arg.string({ required: true }), ref: t.arg.string({ description: 'Ref expression; the default branch when omitted' }) },
    resolve: (_r, { name, ref }, ctx) => ctx.services.tables.table(ref ?? null, name, ctx.actor),
  }),
  tables: t.field({
    type: TableConnection,
    args: { ref: t.arg.string(), namespace: t.arg.string(), first: t.arg.int(), after: t.arg.string() },
    resolve: async (_r, args, ctx) => ctx.services.tables.listTables(await ctx.services.tables.at(args.ref ?? null, ctx.actor), args),
  }),
  compareTable: t.field({
    type: TableComparisonRef,
    description: 'Schema (by field id) and data difference of two versions; from/to are ref expressions or "<ref>#<snapshotId>"',
    authScopes: { analyst: true },
    args: {
      name: t.arg.string({ required: true }),
      from: t.arg.string({ required: true }),
      to: t.arg.string({ required: true }),
      sampleSize: t.arg.int(),
    },
    resolve: (_r, args, ctx) => ctx.services.tables.compare(args.name, args.from, args.to, args.sampleSize ?? 10, ctx.actor),
  }),
  sql: t.field({
    type: SqlResultRef,
    description: 'Read-only SQL (one SELECT or WITH) in which dotted table names resolve at `ref`',
    authScopes: { analyst: true },
    args: {
      ref: t.arg.string({ required: true }),
      query: t.arg.string({ required: true }),
      maxRows: t.arg.int(),
      engine: t.arg({ type: SqlEngineEnum, description: 'The default is SQL_ENGINE (DUCKDB unless set)' }),
    },
    resolve: (_r, args, ctx) => ctx.services.tables.sql(args.ref, args.query, args.maxRows ?? null, ctx.actor, ctx.deadline, args.engine),
  }),
  sqlEngines: t.field({
    type: [SqlEngineInfoRef],
    description: 'The engines `sql` can run on here, with their versions',
    resolve: (_r, _a, ctx) => ctx.services.tables.listSqlEngines(ctx.actor),
  }),
}));

