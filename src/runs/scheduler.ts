/**
 * Which runs execute here, and when: claims QUEUED runs from the RunStore (each run executes on
 * exactly one instance: FOR UPDATE SKIP LOCKED there), up to RUN_CONCURRENCY at once, when woken
 * (a run queued in this process or, through `runUpdated` notices, on any instance) or at each poll;
 * renews the leases of its runs; and fails runs whose instance stopped renewing theirs (at start:
 * every RUNNING run, when the database is private to this process). What a run does is the
 * Write-Audit-Publish flow's business (wap.ts).
 */
import type { Logger } from '../logger.js';
import type { RunsConfig } from '../config.js';
import type { PipelineRun } from '../domain/runs.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunStore } from '../ports/run-store.js';
import type { RunQueueSignal } from './queue-signal.js';
import type { RunRecorder } from './recorder.js';

/** How the scheduler has a claimed run executed, and learns whether an abandoned run had merged. */
export interface RunExecutor {
  /** Runs the claimed run to its end; never throws. */
  execute(run: PipelineRun): Promise<void>;
  /** The run's merge commit in its target's history, if it merged without recording it. */
  unrecordedMerge(run: PipelineRun): Promise<string | null>;
}

export interface SchedulerDeps {
  runs: RunStore;
  bus: EventBus;
  /** Runs queued in this process (RunService tells it): claimed at once. */
  queue: RunQueueSignal;
  recorder: RunRecorder;
  executor: RunExecutor;
  config: Pick<RunsConfig, 'worker' | 'concurrency' | 'leaseMs' | 'pollMs'>;
  logger: Logger;
  /** True when the database is private to this process (PGlite): every RUNNING run at start is abandoned. */
  singleProcess: boolean;
  /** Aborted by stop(): runs in flight stop at once (the executor watches its signal). */
  stopping: AbortController;
}

export class RunScheduler {
  private readonly active = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private repoll = false;
  private started = false;
  private unlisten: (() => void) | undefined;

  constructor(
    private readonly deps: SchedulerDeps,
    /** This instance, as it claims runs and renews their leases. */
    readonly owner: string,
  ) {}

  /** Fails runs a crashed gateway left RUNNING, then starts polling for queued runs. */
  async start(): Promise<void> {
    await this.failAbandoned(true);
    if (!this.deps.config.worker) return;
    this.started = true;
    this.timer = setInterval(() => void this.poll(), this.deps.config.pollMs);
    this.timer.unref();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), Math.max(500, Math.floor(this.deps.config.leaseMs / 3)));
    this.heartbeatTimer.unref();
    this.unlisten = this.deps.queue.listen(() => this.wake());
    void this.listenForQueuedRuns();
    void this.poll();
  }

  /** Runs queued through any instance wake this worker at once (polling is the fallback). */
  private async listenForQueuedRuns(): Promise<void> {
    const { events } = this.deps.bus.subscribe('runUpdated', this.deps.stopping.signal);
    try {
      for await (const n of events) if (n.status === 'QUEUED') this.wake();
    } catch (e) {
      this.deps.logger.warn({ err: e }, 'listening for queued runs stopped');
    }
  }

  /** Looks for queued runs now (called when a run is queued on any instance). */
  private wake(): void {
    if (this.started) void this.poll();
  }

  /** Stops taking runs; runs in flight stop at once and are marked FAILED. */
  async stop(): Promise<void> {
    this.started = false;
    this.unlisten?.();
    clearInterval(this.timer);
    clearInterval(this.heartbeatTimer);
    this.deps.stopping.abort();
    await Promise.allSettled([...this.active.values()]);
  }

  private async heartbeat(): Promise<void> {
    try {
      if (this.active.size > 0) await this.deps.runs.heartbeat(this.owner);
      await this.failAbandoned(false);
    } catch (e) {
      this.deps.logger.warn({ err: e }, 'run heartbeat failed');
    }
  }

  private async failAbandoned(atStart: boolean): Promise<void> {
    const { runs, config, singleProcess, logger } = this.deps;
    const staleBefore = atStart && singleProcess ? null : new Date(Date.now() - config.leaseMs);
    const stopped = atStart && singleProcess
      ? 'the gateway stopped while the run was running (it was restarted)'
      : 'the gateway instance running it stopped renewing its lease';
    // A recorded merge stands: the target has the run's data, what came after it (publishing marts) did not finish.
    const reason = (run: PipelineRun) =>
      run.mergedHash
        ? `${stopped} after the run merged into ${run.target} as ${run.mergedHash}; the steps after the merge did not finish`
        : `${stopped}; the target was not changed by this run`;
    const abandoned = await runs.abandoned(staleBefore);
    if (abandoned.length === 0) return;
    const merges = new Map<string, string>();
    for (const run of abandoned) {
      const hash = run.mergedHash ? null : await this.deps.executor.unrecordedMerge(run);
      if (hash) merges.set(run.runId, hash);
    }
    const failed = await runs.failAbandoned(reason, staleBefore, merges);
    for (const { run, event } of failed) {
      logger.warn({ runId: run.runId, pipeline: run.pipeline }, 'marked an abandoned run FAILED');
      await this.deps.recorder.noticeRun(run);
      await this.deps.recorder.noticeEvent(event);
    }
  }

  private async poll(): Promise<void> {
    if (this.polling) {
      this.repoll = true;
      return;
    }
    this.polling = true;
    try {
      do {
        this.repoll = false;
        while (this.started && this.active.size < this.deps.config.concurrency) {
          const run = await this.deps.runs.claimNext(this.owner);
          if (!run) break;
          const done = this.deps.executor.execute(run).finally(() => {
            this.active.delete(run.runId);
            this.wake();
          });
          this.active.set(run.runId, done);
        }
      } while (this.repoll && this.started);
    } catch (e) {
      this.deps.logger.error({ err: e }, 'claiming a queued run failed');
    } finally {
      this.polling = false;
    }
  }
}
