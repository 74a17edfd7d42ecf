/** Query.export: a signed, short-lived download link of a table's rows or a query's result, pinned to the commit it was asked at. */
import { builder } from '../schema/builder.js';
import type { ExportLink } from '../src/services/exports.js';
import { OrderByInput } from './tables.js';

const ExportFormatEnum = builder.enumType('ExportFormat', {
  description: 'CSV (with a header row), Parquet (written by DuckDB) or an Arrow IPC stream',
  values: ['CSV', 'PARQUET', 'ARROW'] as const,
});

const ExportLinkRef = builder.objectRef<ExportLink>('ExportLink').implement({
  description: 'A download link: GET it (no Authorization header needed) before expiresAt',
  fields: (t) => ({
    url: t.exposeString('url', { description: "The download's path on this gateway (`/exports/<token>`), relative to the GraphQL endpoint's origin" }),
    expiresAt: t.field({ type: 'DateTime', resolve: (l) => l.expiresAt }),
    format: t.field({ type: ExportFormatEnum, resolve: (l) => l.format }),
    commitHash: t.exposeString('commitHash', { description: 'The commit the download reads, whatever the ref does afterwards' }),
    snapshotId: t.field({ type: 'BigInt', nullable: true, description: "The table's snapshot the download reads (table exports)", resolve: (l) => l.snapshotId }),
    table: t.exposeString('table', { nullable: true }),
    sql: t.exposeString('sql', { nullable: true }),
    contentType: t.exposeString('contentType'),
    fileName: t.exposeString('fileName'),
  }),
});

builder.queryFields((t) => ({
  export: t.field({
    type: ExportLinkRef,
    description:
      'A signed link to download every row (no row cap) of a table, or the result of a read-only SQL query (analyst), at `ref` as it is now: the link reads that commit (and snapshot) even after the ref moves. Give exactly one of table and sql.',
    args: {
      ref: t.arg.string({ required: true }),
      table: t.arg.string(),
      sql: t.arg.string({ description: 'One SELECT or WITH in which dotted table names resolve at `ref`, as in `sql`' }),
      format: t.arg({ type: ExportFormatEnum, required: true }),
      columns: t.arg.stringList(),
      where: t.arg({ type: 'JSON' }),
      orderBy: t.arg({ type: [OrderByInput] }),
      expiresInSeconds: t.arg.int({ description: 'Lifetime of the link: 1..3600 seconds (default 300)' }),
    },
    resolve: (_r, args, ctx) => ctx.services.exports.create(args, ctx.actor),
  }),
}));
