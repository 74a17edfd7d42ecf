/**
 * The run engine, put together: the scheduler (scheduler.ts: claiming, concurrency, leases,
 * recovery of abandoned runs) has each claimed run executed by the Write-Audit-Publish flow
 * (wap.ts: branch, ingest, models, audits, merge, marts), both writing through one recorder
 * (recorder.ts). It is given only what those parts use, each as a narrow interface.
 */
import type { RunsConfig } from '../config.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunQueueSignal } from './queue-signal.js';
import { RunRecorder } from './recorder.js';
import { RunScheduler } from './scheduler.js';
import { WriteAuditPublish, type WapDeps } from './wap.js';

/** What the WAP flow needs (refs, table writes, engine, merge policy, marts, pipelines), plus what scheduling needs. */
export interface RunEngineDeps extends Omit<WapDeps, 'recorder' | 'config'> {
  /** Run notices out; queued-run notices of other instances in. */
  bus: EventBus;
  /** Runs queued in this process (RunService tells it): claimed at once. */
  queue: RunQueueSignal;
  config: RunsConfig;
  /** True when the database is private to this process (PGlite): every RUNNING run at start is abandoned. */
  singleProcess: boolean;
}

export class RunEngine {
  private readonly scheduler: RunScheduler;

  constructor(deps: RunEngineDeps, readonly owner: string) {
    const { runs, bus, queue, refs, tables, engine, trino, policy, marts, pipelines, config, logger, singleProcess } = deps;
    const recorder = new RunRecorder(runs, bus, logger);
    const stopping = new AbortController();
    const wap = new WriteAuditPublish({ runs, recorder, refs, tables, engine, trino, policy, marts, pipelines, config, logger }, owner, stopping.signal);
    this.scheduler = new RunScheduler({ runs, bus, queue, recorder, executor: wap, config, logger, singleProcess, stopping }, owner);
  }

  /** Fails runs a crashed gateway left RUNNING, then (on a worker) starts taking queued runs. */
  start(): Promise<void> {
    return this.scheduler.start();
  }

  /** Stops taking runs; runs in flight stop at once and are marked FAILED. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}
