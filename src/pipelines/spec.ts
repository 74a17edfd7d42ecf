/**
 * What a pipeline file declares (YAML or TypeScript in `pipelines/`): ingest steps, SQL models,
 * audits and publish. Validated with zod when loaded; errors name the file and the field.
 */
import { z } from 'zod';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,3}$/;

const name = z.string().regex(NAME, 'a name of letters, digits, _ and - (starting with a letter or _), at most 64 characters');
const tableName = z.string().regex(TABLE, 'a dotted table name such as raw.entries');
const column = z.string().min(1).max(128);

/** A row producer in a TypeScript pipeline: gets the run's params, returns rows or batches of rows. */
export type RowsFunction = (params: Record<string, unknown>) =>
  | Record<string, unknown>[]
  | Promise<Record<string, unknown>[]>
  | AsyncIterable<Record<string, unknown>[]>;

export const sourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rows'),
    /** Inline rows (YAML or TS), or (TS only) a function of the params. */
    rows: z.union([z.array(z.record(z.string(), z.unknown())), z.custom<RowsFunction>((v) => typeof v === 'function', 'rows or a function')]),
  }).strict(),
  z.object({
    kind: z.literal('file'),
    /** A path or glob, relative to the pipelines folder unless absolute. */
    path: z.string().min(1).max(1024),
    format: z.enum(['NDJSON', 'JSON', 'CSV', 'PARQUET']).optional(),
  }).strict(),
  z.object({
    kind: z.literal('http'),
    /** A JSON endpoint returning an array of records, e.g. Nightscout's /api/v1/entries.json. */
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Records per request, sent as `limitParam` (Nightscout: count). */
    pageSize: z.number().int().min(1).max(100_000).default(1000),
    limitParam: z.string().default('count'),
    /** The record field that orders records and is the since-cursor (Nightscout: date). */
    cursorField: z.string().default('date'),
    /** Query parameter carrying the cursor (Nightscout: find[date][$gt]). */
    sinceParam: z.string().default('find[date][$gt]'),
    /** The first cursor; later runs start after the newest value already in the target table. */
    since: z.union([z.number(), z.string()]).optional(),
    maxPages: z.number().int().min(1).max(100_000).default(10_000),
    timeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  }).strict(),
]);
export type SourceSpec = z.infer<typeof sourceSchema>;

const columnSpec = z.object({ name: column, type: z.string().min(1).max(200), required: z.boolean().optional(), doc: z.string().max(1000).optional() }).strict();

export const ingestSchema = z.object({
  name,
  table: tableName,
  /** append: add the rows; merge: upsert by `key` (rows with an existing key replace it). */
  mode: z.enum(['append', 'merge']).default('append'),
  key: z.array(column).min(1).optional(),
  /** The table's columns when the run has to create it (otherwise taken from the table). */
  columns: z.array(columnSpec).min(1).optional(),
  source: sourceSchema,
}).strict().refine((s) => s.mode !== 'merge' || (s.key && s.key.length > 0), { message: 'merge needs key columns', path: ['key'] });
export type IngestStep = z.infer<typeof ingestSchema>;

export const modelSchema = z.object({
  name,
  /** Where the model is materialised; defaults to `models.<name>`. */
  table: tableName.optional(),
  /** SELECT … with {{ ref('model') }}, {{ source('ns', 'table') }} and {{ param('name') }}. */
  sql: z.string().min(1).max(100_000),
  description: z.string().max(1000).optional(),
  /** duckdb (default): the gateway's engine writes the table; trino: the SQL runs on Trino (TRINO_URL), which commits the table. */
  engine: z.enum(['duckdb', 'trino']).default('duckdb'),
}).strict();
export type ModelStep = z.infer<typeof modelSchema>;

export const AUDIT_CHECKS = ['not_null', 'unique', 'accepted_values', 'range', 'row_count_min', 'freshness', 'sql'] as const;

export const auditSchema = z.object({
  name,
  /** A table name, or the name of a model or ingest step of this pipeline. Not needed for `sql`. */
  table: z.string().min(1).max(300).optional(),
  check: z.enum(AUDIT_CHECKS),
  column: column.optional(),
  /** unique: the columns that together must be unique (default: [column]). */
  columns: z.array(column).min(1).optional(),
  values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
  min: z.union([z.number(), z.string()]).optional(),
  max: z.union([z.number(), z.string()]).optional(),
  /** freshness: the newest value of `column` (a timestamp, or epoch ms for a long) is at most this old. */
  maxAgeSeconds: z.number().positive().optional(),
  /** sql: a query returning the failing rows. */
  sql: z.string().min(1).max(100_000).optional(),
  severity: z.enum(['error', 'warn']).default('error'),
}).strict().superRefine((a, ctx) => {
  const need = (field: 'column' | 'values' | 'sql' | 'table' | 'maxAgeSeconds', why: string) => {
    if (a[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `${a.check} needs ${why}` });
  };
  if (a.check !== 'sql') need('table', 'a table');
  if (a.check === 'not_null' || a.check === 'accepted_values' || a.check === 'range' || a.check === 'freshness') need('column', 'a column');
  if (a.check === 'unique' && !a.column && !a.columns) ctx.addIssue({ code: 'custom', path: ['column'], message: 'unique needs column or columns' });
  if (a.check === 'accepted_values') need('values', 'values');
  if (a.check === 'range' && a.min === undefined && a.max === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'range needs min or max' });
  if (a.check === 'row_count_min' && a.min === undefined) ctx.addIssue({ code: 'custom', path: ['min'], message: 'row_count_min needs min' });
  if (a.check === 'freshness') need('maxAgeSeconds', 'maxAgeSeconds');
  if (a.check === 'sql') need('sql', 'sql');
});
export type AuditStep = z.infer<typeof auditSchema>;

export const paramSchema = z.object({
  type: z.enum(['Int', 'Float', 'String', 'Boolean']),
  default: z.union([z.number(), z.string(), z.boolean()]).optional(),
  description: z.string().max(1000).optional(),
  min: z.number().optional(),
  max: z.number().optional(),
}).strict();
export type ParamSpec = z.infer<typeof paramSchema>;

export const pipelineSchema = z.object({
  name,
  description: z.string().max(2000).optional(),
  /** The branch the run merges into (startRun may override it). */
  target: z.string().min(1).max(256).default('main'),
  params: z.record(z.string().regex(NAME), paramSchema).default({}),
  ingest: z.array(ingestSchema).default([]),
  models: z.array(modelSchema).default([]),
  audits: z.array(auditSchema).default([]),
  publish: z.object({
    /** Merge into the target when no error-level audit failed (false: audit only). */
    merge: z.boolean().default(true),
    /** Publish the marts namespace after the merge (the marts issue). */
    marts: z.boolean().default(false),
  }).strict().default({ merge: true, marts: false }),
  /** What happens to the run branch: kept always (default) or deleted after a successful merge. */
  cleanup: z.enum(['keep', 'delete-on-success']).default('keep'),
}).strict();
export type PipelineSpec = z.infer<typeof pipelineSchema>;

/** A loaded pipeline: the validated spec, where it came from, and its steps in run order. */
export interface Pipeline {
  spec: PipelineSpec;
  file: string;
  steps: PipelineStepInfo[];
}

export interface PipelineStepInfo {
  name: string;
  kind: 'ingest' | 'model' | 'audit' | 'publish';
  dependsOn: string[];
}

/** A pipeline file that failed to load: the gateway starts anyway and reports it. */
export interface PipelineLoadError {
  file: string;
  /** Dotted path of the bad field, or null for a file-level problem. */
  field: string | null;
  message: string;
}
