/**
 * RunStore: durable pipeline runs, their numbered events and audit results, in the SQL database
 * (PGlite embedded, PostgreSQL at scale). Every cross-instance guarantee of runs lives here: a
 * queued run is claimed by exactly one worker, and a run's events get gap-free sequence numbers.
 */
import type { AuditResult, NewRunEvent, PipelineRun, RunEvent, RunStatus } from '../domain/runs.js';

export interface NewRun {
  pipeline: string;
  target: string;
  params: Record<string, unknown>;
  startedBy: string;
  retryOf?: string | null;
}

export interface RunQuery {
  pipeline?: string | null;
  status?: readonly RunStatus[] | null;
  /** Page size (already validated). */
  limit: number;
  /** Opaque cursor from a previous page (the last run's `queuedAt|runId`). */
  after?: string | null;
}

export interface RunChange {
  status?: RunStatus;
  branch?: string;
  baseHash?: string;
  startedAt?: Date;
  finishedAt?: Date;
  error?: string | null;
  mergedHash?: string;
  /** Appended to the run's commit list. */
  addCommit?: string;
}

export interface RunStore {
  /** Creates a QUEUED run with a fresh id and its RUN_QUEUED event (seq 1), atomically. */
  createRun(run: NewRun): Promise<{ run: PipelineRun; event: RunEvent }>;

  /** @returns the run, or null. */
  getRun(runId: string): Promise<PipelineRun | null>;

  /** Newest first (queuedAt, then id); `nextCursor` is null on the last page. */
  listRuns(q: RunQuery): Promise<{ runs: PipelineRun[]; nextCursor: string | null }>;

  /** The newest run of each given pipeline. */
  lastRuns(pipelines: readonly string[]): Promise<Map<string, PipelineRun>>;

  /**
   * Claims the oldest QUEUED run for `owner`, marking it RUNNING with a lease, or returns null.
   * At most one caller ever gets a given run (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL).
   * Runs of the same target are claimed one at a time only if `oneRunPerTarget` (not used yet).
   */
  claimNext(owner: string): Promise<PipelineRun | null>;

  /** Extends the lease of the owner's RUNNING runs. */
  heartbeat(owner: string): Promise<void>;

  /**
   * Marks RUNNING runs FAILED with `reason` when their lease ran out (`staleBefore`), or all RUNNING
   * runs when `staleBefore` is null (a single-process database after a restart). Appends each one's
   * RUN_FAILED event. @returns the runs it failed.
   */
  failAbandoned(reason: string, staleBefore: Date | null): Promise<PipelineRun[]>;

  /** Applies a change to the run and, atomically with it, appends `event` (if given). */
  updateRun(runId: string, change: RunChange, event?: NewRunEvent): Promise<{ run: PipelineRun; event: RunEvent | null }>;

  /** Appends one event; seq is the run's next number. @throws NotFound for an unknown run. */
  appendEvent(runId: string, event: NewRunEvent): Promise<RunEvent>;

  /** Events with seq > after, in seq order, at most `limit`. */
  events(runId: string, after: number, limit: number): Promise<RunEvent[]>;

  /** Flags a QUEUED or RUNNING run for cancelling. A QUEUED run becomes CANCELED at once. */
  requestCancel(runId: string): Promise<{ run: PipelineRun; event: RunEvent | null }>;

  /** Records (replaces) the audit results of a run. */
  saveAudits(runId: string, audits: readonly AuditResult[]): Promise<void>;
  audits(runId: string): Promise<AuditResult[]>;

  close(): Promise<void>;
}
