/**
 * What a pipeline step gets from the run engine, and what it gives back. Steps run on the run's
 * WAP branch; the engine orders them, turns their counts into STEP_PROGRESS events (at least every
 * 2 s) and records their commits.
 */
import type { Actor } from '../auth/actor.js';
import type { LogLevel, PipelineRun } from '../domain/runs.js';
import type { Pipeline } from '../pipelines/spec.js';
import type { Commit } from '../ports/version-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { TableService } from '../services/table-writes.js';

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
  tables: TableService;
  engine: QueryEngine;
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
