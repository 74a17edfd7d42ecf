/**
 * Run use cases for the GraphQL edge: list pipelines, start / cancel / retry runs, read runs and
 * their events, and stream a run's events (replay from the store, then tail) without gaps or
 * duplicates — the store is the source of truth, bus notices only say "look again".
 */
import type { Actor } from '../auth/actor.js';
import { InvalidInput, NotFound } from '../domain/errors.js';
import { decodeCursor, encodeCursor, pageSize } from '../domain/paging.js';
import { refName } from '../domain/refs.js';
import { TERMINAL_STATUSES, type AuditResult, type PipelineRun, type RunEvent, type RunStatus } from '../domain/runs.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunStore } from '../ports/run-store.js';
import type { VersionStore } from '../ports/version-store.js';
import type { PipelineRegistry } from '../pipelines/registry.js';
import { resolveParams } from '../pipelines/load.js';
import type { Pipeline } from '../pipelines/spec.js';
import type { CatalogService } from './catalog.js';
import { RunRecorder } from '../runs/recorder.js';
import { RunTails } from '../runs/tails.js';
import type { RunQueueSignal } from '../runs/queue-signal.js';
import type { Logger } from '../logger.js';

const RUN_ID = /^[0-9a-fA-F-]{1,64}$/;

export class RunService {
  private readonly recorder: RunRecorder;
  private readonly tails: RunTails;

  constructor(
    readonly pipelines: PipelineRegistry,
    private readonly runs: RunStore,
    private readonly bus: EventBus,
    private readonly catalog: CatalogService,
    private readonly store: VersionStore,
    logger: Logger,
    /** Told of each run queued here (the run engine listens: it claims the run at once). */
    private readonly queue: RunQueueSignal,
  ) {
    this.recorder = new RunRecorder(runs, bus, logger);
    this.tails = new RunTails(runs, bus);
  }

  private assertCanRead(actor: Actor) {
    this.catalog.policy.require(actor, 'viewer', 'reading runs');
  }

  listPipelines(actor: Actor): Pipeline[] {
    this.assertCanRead(actor);
    return this.pipelines.list();
  }

  pipeline(name: string, actor: Actor): Pipeline | null {
    this.assertCanRead(actor);
    return this.pipelines.get(name) ?? null;
  }

  async startRun(args: { pipeline: string; params?: unknown; target?: string | null; retryOf?: string | null }, actor: Actor): Promise<PipelineRun> {
    this.catalog.policy.require(actor, 'engineer', 'starting a run');
    const pipeline = this.pipelines.get(args.pipeline);
    if (!pipeline) {
      const broken = this.pipelines.errors().find((e) => e.file.replace(/\.[a-z]+$/, '').endsWith(args.pipeline));
      if (broken) throw new InvalidInput(`pipeline '${args.pipeline}' did not load: ${broken.message} (${broken.file}${broken.field ? `, ${broken.field}` : ''})`, 'pipeline');
      throw new NotFound(`no pipeline named '${String(args.pipeline).slice(0, 100)}'`);
    }
    const params = resolveParams(pipeline.spec, args.params ?? {});
    const target = refName(args.target ?? pipeline.spec.target, 'target');
    const head = await this.store.getReference(target);
    if (head.type !== 'BRANCH') throw new InvalidInput(`target '${target}' is a tag; runs merge into branches`, 'target');
    const { run, event } = await this.runs.createRun({ pipeline: pipeline.spec.name, target, params, startedBy: actor.subject, retryOf: args.retryOf ?? null });
    await this.recorder.noticeEvent(event);
    await this.recorder.noticeRun(run);
    this.queue.queued();
    return run;
  }

  async cancelRun(id: string, actor: Actor): Promise<PipelineRun> {
    this.catalog.policy.require(actor, 'engineer', 'canceling a run');
    const run = await this.requireRun(id);
    if (TERMINAL_STATUSES.includes(run.status)) throw new InvalidInput(`run ${run.runId} already ended (${run.status})`, 'id');
    const out = await this.runs.requestCancel(run.runId);
    if (out.event) await this.recorder.noticeEvent(out.event);
    if (out.run.status !== run.status) await this.recorder.noticeRun(out.run);
    return out.run;
  }

  async retryRun(id: string, actor: Actor): Promise<PipelineRun> {
    this.catalog.policy.require(actor, 'engineer', 'retrying a run');
    const run = await this.requireRun(id);
    if (!TERMINAL_STATUSES.includes(run.status)) throw new InvalidInput(`run ${run.runId} is still ${run.status}; retry it once it ended`, 'id');
    return this.startRun({ pipeline: run.pipeline, params: run.params, target: run.target, retryOf: run.runId }, actor);
  }

  async run(id: string, actor: Actor): Promise<PipelineRun | null> {
    this.assertCanRead(actor);
    if (!RUN_ID.test(id)) return null;
    return this.runs.getRun(id);
  }

  private async requireRun(id: string): Promise<PipelineRun> {
    const run = RUN_ID.test(id) ? await this.runs.getRun(id) : null;
    if (!run) throw new NotFound(`no run with id '${String(id).slice(0, 100)}'`);
    return run;
  }

  async listRuns(args: { pipeline?: string | null; status?: readonly RunStatus[] | null; first?: number | null; after?: string | null }, actor: Actor) {
    this.assertCanRead(actor);
    const limit = pageSize(args.first);
    const after = decodeCursor(args.after);
    const page = await this.runs.listRuns({ pipeline: args.pipeline, status: args.status, limit, after });
    return {
      edges: page.runs.map((run) => ({ cursor: encodeCursor(cursorOf(run)), node: run })),
      pageInfo: {
        hasNextPage: page.hasMore,
        hasPreviousPage: after !== undefined,
        startCursor: page.runs[0] ? encodeCursor(cursorOf(page.runs[0])) : null,
        endCursor: page.nextCursor !== null ? encodeCursor(page.nextCursor) : page.runs.length ? encodeCursor(cursorOf(page.runs[page.runs.length - 1]!)) : null,
      },
    };
  }

  lastRuns(pipelines: readonly string[]): Promise<Map<string, PipelineRun>> {
    return this.runs.lastRuns(pipelines);
  }

  async events(runId: string, after: number | null | undefined, first: number | null | undefined): Promise<RunEvent[]> {
    if (after != null && (!Number.isInteger(after) || after < 0)) throw new InvalidInput('after must be a non-negative integer', 'after');
    const limit = first == null ? 10_000 : pageSize(first);
    return this.runs.events(runId, after ?? 0, limit);
  }

  audits(runId: string): Promise<AuditResult[]> {
    return this.runs.audits(runId);
  }

  /**
   * The run's events with seq > after (null: from the start; -1: only events after now), then
   * live ones, ending after the terminal event. Checks its arguments before it returns, so a bad
   * call is an error result, not a broken stream. Joins the run's tail (notices live) before
   * reading the store, so an event written in between is found by one or the other, and delivered
   * once. A subscriber catches up through store reads shared with the run's other subscribers,
   * then the tail pushes it each new event, read once for all of them (src/runs/tails.ts).
   */
  async streamEvents(runId: string, after: number | null | undefined, actor: Actor): Promise<AsyncIterableIterator<RunEvent>> {
    this.assertCanRead(actor);
    if (after != null && (!Number.isInteger(after) || after < -1)) throw new InvalidInput('after must be -1, 0 or a positive integer', 'after');
    // A run someone streams exists (runs are never deleted): a subscribe storm reads it once, not once per subscriber.
    const id = this.tails.has(runId) ? runId : (await this.requireRun(runId)).runId;
    return this.tails.join(id, after ?? 0);
  }

  /** Runs as they change, filtered by pipeline and status. */
  async streamRunUpdates(filter: { pipeline?: string | null; status?: readonly RunStatus[] | null }, actor: Actor): Promise<AsyncIterableIterator<PipelineRun>> {
    this.assertCanRead(actor);
    const notices = this.bus.subscribe('runUpdated');
    await notices.ready;
    const runs = this.runs;
    async function* updates(): AsyncGenerator<PipelineRun> {
      for (;;) {
        const n = await notices.events.next();
        if (n.done) return;
        const { pipeline, status, runId } = n.value;
        if (filter.pipeline && filter.pipeline !== pipeline) continue;
        if (filter.status && filter.status.length > 0 && !filter.status.includes(status)) continue;
        const run = await runs.getRun(runId);
        if (run) yield { ...run, status };
      }
    }
    return closable(updates(), () => notices.events.return?.());
  }
}

/**
 * An iterator over `gen` whose return() first calls `stop` (which wakes a generator parked on its
 * notices), so an unsubscribe never waits for the next notice.
 */
function closable<T>(gen: AsyncGenerator<T>, stop: () => unknown): AsyncIterableIterator<T> {
  const it: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => it,
    next: () => gen.next(),
    async return() {
      await stop();
      return gen.return(undefined);
    },
  };
  return it;
}

function cursorOf(run: PipelineRun): string {
  return `${run.queuedAt.toISOString()}|${run.runId}`;
}
