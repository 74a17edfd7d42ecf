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
  /** Any of these statuses; null or empty: any status. */
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

  /** Newest first (queuedAt, then id); `nextCursor` is null on the last page; `hasMore`: runs follow this page (also with limit 0). */
  listRuns(q: RunQuery): Promise<{ runs: PipelineRun[]; nextCursor: string | null; hasMore: boolean }>;

  /** The newest run of each given pipeline. */
  lastRuns(pipelines: readonly string[]): Promise<Map<string, PipelineRun>>;

  /**
   * Claims the oldest QUEUED run for `owner`, marking it RUNNING with a lease (and `startedAt`, if
   * unset), or returns null. Appends no event: the caller records RUN_STARTED.
   * At most one caller ever gets a given run (SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL).
   * Runs of the same target are claimed one at a time only if `oneRunPerTarget` (not used yet).
   */
  claimNext(owner: string): Promise<PipelineRun | null>;

  /** Renews the lease of the owner's RUNNING runs (their last-renewed time becomes now). */
  heartbeat(owner: string): Promise<void>;

  /** The RUNNING runs failAbandoned would fail now (same `staleBefore`), without changing them. */
  abandoned(staleBefore: Date | null): Promise<PipelineRun[]>;

  /**
   * Marks RUNNING runs FAILED when their lease ran out, i.e. their owner last claimed or renewed them
   * before `staleBefore` (callers pass now − lease), or all RUNNING runs when `staleBefore` is null
   * (a single-process database after a restart). Sets `error` to `reason(run)` (the run as it was:
   * a recorded mergedHash means the run had merged) and `finishedAt`, and appends each one's
   * RUN_FAILED event; safe to call from several instances at once. `merges` names merge commits
   * found for runs that had not recorded theirs (by run id): such a run gets its mergedHash and a
   * MERGED event before the RUN_FAILED one.
   * @returns the runs it failed, each with its RUN_FAILED event.
   */
  failAbandoned(
    reason: (run: PipelineRun) => string,
    staleBefore: Date | null,
    merges?: ReadonlyMap<string, string>,
  ): Promise<{ run: PipelineRun; event: RunEvent }[]>;

  /** Applies a change to the run and, atomically with it, appends `event` (if given). */
  updateRun(runId: string, change: RunChange, event?: NewRunEvent): Promise<{ run: PipelineRun; event: RunEvent | null }>;

  /** Appends one event; seq is the run's next number. @throws NotFound for an unknown run. */
  appendEvent(runId: string, event: NewRunEvent): Promise<RunEvent>;

  /** Events with seq > after, in seq order, at most `limit`. */
  events(runId: string, after: number, limit: number): Promise<RunEvent[]>;

  /**
   * Flags a QUEUED or RUNNING run for cancelling. A QUEUED run becomes CANCELED at once, with its
   * RUN_CANCELED event; a RUNNING one only gets `cancelRequested` (event null), and a finished one is
   * returned unchanged. @throws NotFound for an unknown run.
   */
  requestCancel(runId: string): Promise<{ run: PipelineRun; event: RunEvent | null }>;

  /** Records (replaces) the audit results of a run, in the given order. @throws NotFound for an unknown run. */
  saveAudits(runId: string, audits: readonly AuditResult[]): Promise<void>;
  audits(runId: string): Promise<AuditResult[]>;

  close(): Promise<void>;
}
