/** What the Runs view's pages share: the run fields they ask for, status badges, durations, mutation results. */
import { h } from '../../ui.js';

export type RunStatus = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELED';
export const TERMINAL: RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELED'];

export interface RunSummary {
  runId: string;
  pipeline: string;
  status: RunStatus;
  target: string;
  branch: string | null;
  startedBy: string;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  retryOf: string | null;
}

export const RUN_SUMMARY = 'runId pipeline status target branch startedBy queuedAt startedAt finishedAt error retryOf';

const STATUS_CLASS: Record<RunStatus, string> = { QUEUED: 'queued', RUNNING: 'running', SUCCEEDED: 'ok', FAILED: 'bad', CANCELED: 'warn' };
const STATUS_TEXT: Record<RunStatus, string> = { QUEUED: 'queued', RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed', CANCELED: 'canceled' };

export function statusBadge(status: RunStatus): HTMLElement {
  return h('span', { class: `badge run-status ${STATUS_CLASS[status]}`, 'data-status': status }, STATUS_TEXT[status] ?? status);
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** The run's duration so far (or in all, once it ended). */
export function runDuration(run: Pick<RunSummary, 'startedAt' | 'finishedAt'>, now = Date.now()): string {
  if (!run.startedAt) return '';
  const end = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return formatDuration(end - Date.parse(run.startedAt));
}

export function shortRunId(runId: string): string {
  return runId.slice(0, 8);
}

/** A mutation's result union: the success's run, or the Error's words. */
export interface RunMutationResult {
  __typename: string;
  run?: { runId: string };
  code?: string;
  message?: string;
}

export const START_RESULT = '__typename ... on StartRunSuccess { run { runId } } ... on Error { code message }';
export const CANCEL_RESULT = '__typename ... on CancelRunSuccess { run { runId } } ... on Error { code message }';
