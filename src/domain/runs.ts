/**
 * Write-Audit-Publish runs: statuses, events and audit results as the run store keeps them and the
 * GraphQL edge shows them. Plain data, JSON-safe, so any bus and any SQL database can carry them.
 */

export const RUN_STATUSES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELED'];

export const RUN_EVENT_TYPES = [
  'RUN_QUEUED', 'RUN_STARTED', 'BRANCH_CREATED', 'STEP_STARTED', 'STEP_PROGRESS', 'STEP_SUCCEEDED',
  'STEP_FAILED', 'COMMIT_CREATED', 'AUDIT_PASSED', 'AUDIT_FAILED', 'MERGED', 'MARTS_PUBLISHED',
  'RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELED', 'LOG',
] as const;
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];
/** The event that ends a run's stream. */
export const TERMINAL_EVENTS: readonly RunEventType[] = ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELED'];

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface RunEvent {
  runId: string;
  /** 1, 2, 3, … per run, without gaps. */
  seq: number;
  at: Date;
  type: RunEventType;
  step: string | null;
  level: LogLevel;
  message: string;
  data: Record<string, unknown> | null;
}

/** An event before the store numbers it. */
export type NewRunEvent = Omit<RunEvent, 'runId' | 'seq' | 'at'>;

export type AuditSeverity = 'error' | 'warn';

export interface AuditResult {
  name: string;
  table: string;
  check: string;
  severity: AuditSeverity;
  passed: boolean;
  failingRows: bigint | null;
  message: string | null;
}

export interface PipelineRun {
  runId: string;
  pipeline: string;
  status: RunStatus;
  target: string;
  /** The WAP branch, once created. */
  branch: string | null;
  params: Record<string, unknown>;
  queuedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  /** Hash of the target head the run started from (the merge's expected hash). */
  baseHash: string | null;
  /** Hashes of the commits the run made on its branch, oldest first. */
  commitHashes: string[];
  mergedHash: string | null;
  /** Who started it (the subject of the token); the run's own commits carry it. */
  startedBy: string;
  /** A cancel was asked for; the run stops at the next step boundary. */
  cancelRequested: boolean;
  /** The run this one retries, if any. */
  retryOf: string | null;
}

/** Published on the bus topic `runEvent` after an event is durable (subscribers read the store). */
export interface RunEventNotice {
  runId: string;
  seq: number;
}

/** Published on the bus topic `runUpdated` after a run's status changed. */
export interface RunUpdatedNotice {
  runId: string;
  pipeline: string;
  status: RunStatus;
}
