/**
 * Write-Audit-Publish, one run at a time: branch `runs/<pipeline>/<runId>` from the target's head,
 * ingest and models there, audits there, then one merge commit into the target guarded by the head
 * the run started from (three-way if the target moved; a conflict fails the run), the marts
 * published from the merge, and the run branch deleted if the pipeline asks. Every step is an
 * event; a cancel stops the run at the next step boundary. Which runs execute, and when, is the
 * scheduler's business (scheduler.ts).
 */
import type { Actor } from '../auth/actor.js';
import type { Logger } from '../logger.js';
import type { RunsConfig } from '../config.js';
import { DomainError, MergeConflict, ReferenceConflict } from '../domain/errors.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../domain/reference-retry.js';
import { refName, type CommitHash, type RefName } from '../domain/refs.js';
import type { AuditResult, NewRunEvent, PipelineRun } from '../domain/runs.js';
import type { PublishedMart } from '../ports/mart-store.js';
import type { RunStore } from '../ports/run-store.js';
import type { VersionStore } from '../ports/version-store.js';
import type { Pipeline } from '../pipelines/spec.js';
import type { RunRecorder } from './recorder.js';
import { runAudit } from './steps/audit.js';
import { runIngest } from './steps/ingest.js';
import { runModel } from './steps/model.js';
import type { StepContext, StepCounts, StepEngine, StepOutcome, StepTables, StepTrino } from './step-context.js';

/** STEP_PROGRESS cadence during a step unless RUN_PROGRESS_MS says otherwise (the issue asks for at least every 2 s). */
const PROGRESS_EVERY_MS = 1500;
/** How far back restart looks for a merge commit an abandoned run made but did not record. */
const MERGE_SCAN_COMMITS = 100_000;

/** What a run does to refs: read the target, branch from it, merge back, delete its branch; and read the target's log (recovery). */
export type RunRefs = Pick<VersionStore, 'getReference' | 'createReference' | 'merge' | 'deleteReference' | 'log'>;

/** The access rule a run's merge must pass (a run may merge into a protected branch: src/auth/policy.ts). */
export interface MergePolicy {
  assertCanChangeBranch(actor: Actor, branch: string, change: 'merge'): void;
}

/** Publishing the marts namespace of a commit into the mart store, all marts at once (MartService.publish). */
export interface MartPublisher {
  publish(args: { from: string }, actor: Actor): Promise<PublishedMart[]>;
}

/** The loaded pipelines, by name (PipelineRegistry). */
export interface PipelineSource {
  get(name: string): Pipeline | undefined;
}

export interface WapDeps {
  runs: RunStore;
  recorder: RunRecorder;
  refs: RunRefs;
  tables: StepTables;
  engine: StepEngine;
  trino: StepTrino | null;
  policy: MergePolicy;
  marts: MartPublisher;
  pipelines: PipelineSource;
  config: Pick<RunsConfig, 'pipelinesDir' | 'progressMs'>;
  logger: Logger;
}

/** The identity a run acts with: engineer on its own branch, and the run's right to merge. */
export function runActor(run: PipelineRun): Actor {
  return { subject: run.startedBy, roles: ['engineer'], kind: 'run', expiresAt: null };
}

export function runBranchName(run: Pick<PipelineRun, 'pipeline' | 'runId'>): string {
  return `runs/${run.pipeline}/${run.runId}`;
}

class RunCanceled extends Error {}

export class WriteAuditPublish {
  private readonly recorder: RunRecorder;

  constructor(
    private readonly deps: WapDeps,
    /** This instance, as RUN_STARTED names it. */
    private readonly owner: string,
    /** Aborted when the gateway stops: runs under way stop at once and fail. */
    private readonly signal: AbortSignal,
  ) {
    this.recorder = deps.recorder;
  }

  /** Runs the claimed run to its end, recording every step; never throws (a failure is the run's RUN_FAILED). */
  async execute(claimed: PipelineRun): Promise<void> {
    const { logger } = this.deps;
    const log = logger.child({ runId: claimed.runId, pipeline: claimed.pipeline });
    let run = claimed;
    try {
      await this.recorder.noticeRun(run);
      await this.event(run, { type: 'RUN_STARTED', step: null, level: 'INFO', message: `Run started on ${this.owner}`, data: { owner: this.owner } });
      const pipeline = this.deps.pipelines.get(run.pipeline);
      if (!pipeline) throw new Error(`pipeline '${run.pipeline}' is no longer loaded`);
      run = await this.createBranch(run);
      const outcome = await this.runSteps(run, pipeline);
      if (outcome === 'audits-failed') return;
      if (pipeline.spec.publish.merge) run = await this.publish(run, pipeline);
      if (pipeline.spec.publish.merge && pipeline.spec.publish.marts) await this.publishMarts(run);
      await this.cleanup(run, pipeline);
      await this.recorder.update(run.runId, { status: 'SUCCEEDED', finishedAt: new Date() }, {
        type: 'RUN_SUCCEEDED', step: null, level: 'INFO', message: 'Run succeeded', data: { mergedHash: run.mergedHash },
      });
      log.info('run succeeded');
    } catch (e) {
      if (e instanceof RunCanceled) {
        await this.recorder.update(run.runId, { status: 'CANCELED', finishedAt: new Date() }, {
          type: 'RUN_CANCELED', step: null, level: 'WARN', message: 'Run canceled; the target was not changed', data: null,
        });
        log.info('run canceled');
        return;
      }
      const message = this.signal.aborted
        ? 'the gateway stopped while the run was running; the target was not changed by this run'
        : errorText(e);
      if (!(e instanceof DomainError)) log.warn({ err: e }, 'run failed');
      await this.recorder
        .update(run.runId, { status: 'FAILED', finishedAt: new Date(), error: message }, {
          type: 'RUN_FAILED', step: null, level: 'ERROR', message: `Run failed: ${message}`, data: errorData(e),
        })
        .catch((err) => log.error({ err }, 'recording a failed run failed'));
    }
  }

  private event(run: PipelineRun, e: NewRunEvent) {
    return this.recorder.event(run.runId, e);
  }

  private async createBranch(run: PipelineRun): Promise<PipelineRun> {
    const { refs } = this.deps;
    const target = refName(run.target, 'target');
    const head = await refs.getReference(target);
    if (head.type !== 'BRANCH') throw new Error(`target '${run.target}' is not a branch`);
    const branch = refName(runBranchName(run), 'branch');
    await refs.createReference(branch, 'BRANCH', head.hash);
    return this.recorder.update(run.runId, { branch, baseHash: head.hash }, {
      type: 'BRANCH_CREATED', step: null, level: 'INFO', message: `Created branch ${branch} from ${run.target} at ${head.hash}`,
      data: { branch, from: run.target, hash: head.hash },
    });
  }

  private async assertNotCanceled(run: PipelineRun): Promise<void> {
    if (this.signal.aborted) throw new Error('the gateway is stopping');
    const now = await this.deps.runs.getRun(run.runId);
    if (now?.cancelRequested) throw new RunCanceled();
  }

  /** Ingest and models in order, then every audit. */
  private async runSteps(run: PipelineRun, pipeline: Pipeline): Promise<'ok' | 'audits-failed'> {
    const ctx = this.stepContext(run, pipeline);
    for (const info of pipeline.steps) {
      if (info.kind !== 'ingest' && info.kind !== 'model') continue;
      await this.assertNotCanceled(run);
      const ingest = pipeline.spec.ingest.find((s) => s.name === info.name);
      const model = pipeline.spec.models.find((s) => s.name === info.name);
      await this.step(run, info.name, info.kind, ctx, (c) => (ingest ? runIngest(ingest, c) : runModel(model!, c)));
    }
    const results: AuditResult[] = [];
    for (const audit of pipeline.spec.audits) {
      await this.assertNotCanceled(run);
      results.push(await this.withStepEvents(run, audit.name, 'audit', ctx, (c) => runAudit(audit, c), (r) => ({
        type: r.passed ? 'AUDIT_PASSED' : 'AUDIT_FAILED',
        level: r.passed ? 'INFO' : r.severity === 'error' ? 'ERROR' : 'WARN',
        message: `${r.name} (${r.check} on ${r.table}) ${r.passed ? 'passed' : `failed: ${r.failingRows ?? '?'} failing row(s)`}`,
        data: { table: r.table, check: r.check, severity: r.severity, passed: r.passed, failingRows: r.failingRows === null ? null : Number(r.failingRows), message: r.message },
      })));
    }
    await this.deps.runs.saveAudits(run.runId, results);
    const blocking = results.filter((r) => !r.passed && r.severity === 'error');
    if (blocking.length === 0) return 'ok';
    const message = `${blocking.length} error-level audit(s) failed: ${blocking.map((r) => `${r.name} (${r.failingRows ?? '?'} failing rows)`).join(', ')}; the target was not changed and branch ${run.branch} keeps the data`;
    await this.recorder.update(run.runId, { status: 'FAILED', finishedAt: new Date(), error: message }, {
      type: 'RUN_FAILED', step: null, level: 'ERROR', message: `Run failed: ${message}`,
      data: { code: 'AUDIT_FAILED', audits: blocking.map((r) => ({ name: r.name, failingRows: r.failingRows === null ? null : Number(r.failingRows) })) },
    });
    return 'audits-failed';
  }

  /** One ingest or model step: STEP_STARTED, progress, COMMIT_CREATED per commit, STEP_SUCCEEDED. */
  private async step(run: PipelineRun, name: string, kind: string, ctx: Omit<StepContext, 'progress'>, work: (c: StepContext) => Promise<StepOutcome>) {
    await this.withStepEvents(run, name, kind, ctx, async (c) => {
      const out = await work(c);
      for (const commit of out.commits) {
        await this.recorder.update(run.runId, { addCommit: commit.hash }, {
          type: 'COMMIT_CREATED', step: name, level: 'INFO', message: commit.message, data: { hash: commit.hash },
        });
      }
      return out;
    }, (out) => ({
      type: 'STEP_SUCCEEDED', level: 'INFO', message: out.message,
      data: { kind, rowsRead: out.rowsRead, rowsWritten: out.rowsWritten },
    }));
  }

  private async withStepEvents<T>(
    run: PipelineRun,
    name: string,
    kind: string,
    ctx: Omit<StepContext, 'progress'>,
    work: (c: StepContext) => Promise<T>,
    done: (out: T) => Omit<NewRunEvent, 'step'>,
  ): Promise<T> {
    await this.event(run, { type: 'STEP_STARTED', step: name, level: 'INFO', message: `${kind} ${name} started`, data: { kind } });
    const counts: Required<StepCounts> = { rowsRead: 0, rowsWritten: 0 };
    const started = Date.now();
    let chain = Promise.resolve();
    const ticker = setInterval(() => {
      chain = chain.then(() =>
        this.event(run, {
          type: 'STEP_PROGRESS', step: name, level: 'DEBUG',
          message: `${kind} ${name}: ${counts.rowsRead} rows read, ${counts.rowsWritten} written`,
          data: { ...counts, elapsedMs: Date.now() - started },
        }).then(() => undefined, () => undefined),
      );
    }, this.deps.config.progressMs ?? PROGRESS_EVERY_MS);
    try {
      const out = await work({
        ...ctx,
        progress: (c) => {
          if (c.rowsRead !== undefined) counts.rowsRead = c.rowsRead;
          if (c.rowsWritten !== undefined) counts.rowsWritten = c.rowsWritten;
        },
      });
      clearInterval(ticker);
      await chain;
      const ev = done(out);
      await this.event(run, { ...ev, step: name, data: { ...(ev.data ?? {}), elapsedMs: Date.now() - started } });
      return out;
    } catch (e) {
      clearInterval(ticker);
      await chain;
      if (!(e instanceof RunCanceled)) {
        await this.event(run, { type: 'STEP_FAILED', step: name, level: 'ERROR', message: `${kind} ${name} failed: ${errorText(e)}`, data: errorData(e) });
      }
      throw e;
    }
  }

  private stepContext(run: PipelineRun, pipeline: Pipeline): Omit<StepContext, 'progress'> {
    const { tables, engine, trino } = this.deps;
    return {
      run,
      pipeline,
      branch: run.branch!,
      params: run.params,
      actor: runActor(run),
      tables,
      engine,
      trino,
      pipelinesDir: this.deps.config.pipelinesDir,
      signal: this.signal,
      log: async (level, message, data) => {
        await this.event(run, { type: 'LOG', step: null, level, message, data: data ?? null });
      },
    };
  }

  /**
   * One merge commit into the target, guarded by the head the run started from; when the target
   * moved meanwhile, a three-way merge onto its new head (a conflict fails the run).
   */
  private async publish(run: PipelineRun, pipeline: Pipeline): Promise<PipelineRun> {
    await this.assertNotCanceled(run);
    const { refs, policy } = this.deps;
    const actor = runActor(run);
    const into = refName(run.target, 'target') as RefName;
    policy.assertCanChangeBranch(actor, into, 'merge');
    const source = await refs.getReference(refName(run.branch!, 'branch'));
    let expected = run.baseHash as CommitHash;
    await this.event(run, { type: 'STEP_STARTED', step: 'publish', level: 'INFO', message: `Merging ${run.branch} into ${run.target}`, data: { kind: 'publish' } });
    return retryOnReferenceConflict(async (lastTry) => {
      try {
        const out = await refs.merge({
          fromHash: source.hash,
          fromRefName: source.name,
          into,
          expectedHash: expected,
          noFastForward: true,
          meta: {
            message: `Publish run ${run.runId} of pipeline ${pipeline.spec.name}`,
            author: run.startedBy,
            properties: { run_id: run.runId, pipeline: pipeline.spec.name, run_branch: run.branch! },
          },
        });
        const threeWay = expected !== run.baseHash;
        return await this.recorder.update(run.runId, { mergedHash: out.hash }, {
          type: 'MERGED', step: 'publish', level: 'INFO',
          message: `Merged ${run.branch} into ${run.target} as ${out.hash}${threeWay ? ' (three-way: the target had moved)' : ''}`,
          data: { hash: out.hash, previousHash: out.previousHash, threeWay, changedKeys: out.changedKeys },
        });
      } catch (e) {
        if (e instanceof ReferenceConflict && !lastTry) {
          expected = (await refs.getReference(into)).hash;
          return TRY_AGAIN;
        }
        if (e instanceof MergeConflict) {
          await this.event(run, { type: 'STEP_FAILED', step: 'publish', level: 'ERROR', message: `merge into ${run.target} conflicts`, data: errorData(e) });
        }
        throw e;
      }
    });
  }

  /** Copies the marts namespace at the merge commit into the mart store (all marts atomically). */
  private async publishMarts(run: PipelineRun): Promise<void> {
    const started = Date.now();
    await this.event(run, { type: 'STEP_STARTED', step: 'publish_marts', level: 'INFO', message: `Publishing the marts of ${run.target} at ${run.mergedHash}`, data: { kind: 'publish' } });
    try {
      const marts = await this.deps.marts.publish({ from: `${run.target}@${run.mergedHash}` }, runActor(run));
      await this.event(run, {
        type: 'MARTS_PUBLISHED', step: 'publish_marts', level: 'INFO',
        message: marts.length ? `Published ${marts.map((m) => `${m.name} (${m.rowCount} rows)`).join(', ')}` : 'No marts to publish',
        data: { marts: marts.map((m) => ({ name: m.name, rowCount: String(m.rowCount), snapshotId: m.publishedFrom.snapshotId })), elapsedMs: Date.now() - started },
      });
    } catch (e) {
      // The merge stands (it is the target's history now); the run fails so the stale marts are seen.
      throw new Error(`merged into ${run.target} as ${run.mergedHash}, but publishing the marts failed: ${errorText(e)}`);
    }
  }

  private async cleanup(run: PipelineRun, pipeline: Pipeline): Promise<void> {
    if (pipeline.spec.cleanup !== 'delete-on-success' || !run.branch) return;
    const { refs } = this.deps;
    const ref = await refs.getReference(refName(run.branch, 'branch'));
    await refs.deleteReference(ref.name, 'BRANCH', ref.hash);
    await this.event(run, { type: 'LOG', step: null, level: 'INFO', message: `Deleted branch ${run.branch}`, data: null });
  }

  /**
   * The run's merge commit in its target's history since the run's base, if the gateway stopped
   * between merging and recording the merge (publish() puts the run id in the merge commit's properties).
   */
  async unrecordedMerge(run: PipelineRun): Promise<string | null> {
    if (!run.baseHash || !run.branch) return null;
    const { refs } = this.deps;
    try {
      const head = await refs.getReference(refName(run.target, 'target'));
      if (head.hash === run.baseHash) return null;
      // Back to the run's base, among commits made since the run started (an hour's allowance for
      // clocks), and at most MERGE_SCAN_COMMITS of them.
      const since = run.startedAt ? new Date(run.startedAt.getTime() - 3_600_000) : undefined;
      let after: string | null = null;
      let seen = 0;
      do {
        const page = await refs.log(head.hash, { first: 1000, after, filter: since ? { since } : undefined });
        for (const c of page.items) {
          if (c.hash === run.baseHash) return null;
          if (c.properties.run_id === run.runId) return c.hash;
        }
        seen += page.items.length;
        after = page.nextCursor;
      } while (after && seen < MERGE_SCAN_COMMITS);
    } catch (e) {
      this.deps.logger.warn({ err: e, runId: run.runId }, 'could not look for an abandoned run\'s merge commit');
    }
    return null;
  }
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.message.slice(0, 2000);
  return String(e).slice(0, 2000);
}

function errorData(e: unknown): Record<string, unknown> | null {
  if (e instanceof MergeConflict) return { code: e.code, conflicts: e.conflicts.map((c) => ({ ...c })) };
  if (e instanceof DomainError) return { code: e.code };
  return null;
}
