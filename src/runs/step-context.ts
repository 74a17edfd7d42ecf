/**
 * What a pipeline step gets from the run engine, and what it gives back. Steps run on the run's
 * WAP branch; the engine orders them, turns their counts into STEP_PROGRESS events (at least every
 * 2 s) and records their commits.
 */
import type { Actor } from '../auth/actor.js';
import type { IcebergTableContent } from '../domain/content.js';
import type { TableMetadata } from '../domain/iceberg/types.js';
import type { LogLevel, PipelineRun } from '../domain/runs.js';
import type { Pipeline } from '../pipelines/spec.js';
import type { Commit } from '../ports/version-store.js';
import type { QueryEngine, SqlResult, WriteInput } from '../ports/query-engine.js';

/** Where a table was read: a ref and the commit it pointed at. */
export interface StepReadPoint {
  refName: string | null;
  commitHash: string;
}

/**
 * The table reads and writes steps make, as the run's actor (TableService in
 * src/services/table-writes.ts provides them: the same rules as the API's mutations).
 */
export interface StepTables {
  at(ref: string, actor: Actor): Promise<StepReadPoint>;
  /** The table at that point, or null. */
  tableAt(point: StepReadPoint, name: string): Promise<{ content: IcebergTableContent } | null>;
  metadata(location: string): Promise<TableMetadata>;
  createTable(
    args: { branch: string; name: string; columns: { name: string; type: string }[]; createNamespaces?: boolean; message?: string | null },
    actor: Actor,
  ): Promise<{ commit: Commit }>;
  write(mode: 'append', args: { branch: string; table: string; input: WriteInput; message?: string | null }, actor: Actor): Promise<{ commit: Commit; addedRows: string }>;
  /** Upsert by key in one commit; null when the input has no rows. */
  mergeByKey(
    args: { branch: string; table: string; input: WriteInput; key: string[]; message?: string | null },
    actor: Actor,
  ): Promise<{ commit: Commit; incomingRows: number } | null>;
  /** A query's result as the table's contents in one commit (created anew when missing or its columns differ). */
  materialize(args: { branch: string; table: string; query: string; message?: string | null }, actor: Actor): Promise<{ commit: Commit; addedRows: number; created: boolean }>;
  sql(ref: string, query: string, maxRows: number | null, actor: Actor): Promise<SqlResult>;
}

/** Models with `engine: trino` (services/trino-models.ts). */
export interface StepTrino {
  materialize(args: { branch: string; table: string; query: string; timeoutMs: number }, actor: Actor): Promise<{ commits: Commit[]; addedRows: number; created: boolean }>;
}

/** What steps ask the query engine directly: the columns an input would have (ingest infers a table's columns). */
export type StepEngine = Pick<QueryEngine, 'describe'>;

export interface StepCounts {
  rowsRead?: number;
  rowsWritten?: number;
}

export interface StepContext {
  run: PipelineRun;
  pipeline: Pipeline;
  /** The run's WAP branch: every write of the run goes here. */
  branch: string;
  /** The run's params, validated, with defaults applied. */
  params: Record<string, unknown>;
  /** Acts for the run: may write its branch (and merge into the target). */
  actor: Actor;
  tables: StepTables;
  engine: StepEngine;
  /** Trino, when the gateway has one (TRINO_URL). */
  trino: StepTrino | null;
  /** Folder the pipeline files live in (relative file sources resolve against it). */
  pipelinesDir: string;
  /** Latest counts of the step; the engine reports them. Cheap: call it as often as you like. */
  progress(counts: StepCounts): void;
  /** A LOG event on the run. */
  log(level: LogLevel, message: string, data?: Record<string, unknown>): Promise<void>;
  /** Aborted when the run must stop now (gateway shutting down). Cancel stops at step boundaries. */
  signal: AbortSignal;
}

export interface StepOutcome {
  rowsRead: number;
  rowsWritten: number;
  /** Commits the step made on the run branch, oldest first. */
  commits: Commit[];
  /** One line for the STEP_SUCCEEDED event. */
  message: string;
}
