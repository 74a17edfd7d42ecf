/** Pipelines, runs, their events and audits; startRun / cancelRun / retryRun; runEvents and runUpdated. */
import { decodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../schema/builder.js';
import { Forbidden, InvalidInput, NotFound } from '../src/domain/errors.js';
import { RUN_EVENT_TYPES, RUN_STATUSES, type AuditResult, type PipelineRun, type RunEvent } from '../src/domain/runs.js';
import type { Pipeline, PipelineLoadError, PipelineStepInfo } from '../src/pipelines/spec.js';
import { CommitNode } from './commits.js';
import { deniedAsResult, resultUnion } from './result-union.js';

/**
 * A run as the client names it: its `runId`, or the node `id` that lists and `node(id:)` give
 * (base64 of `PipelineRun:<runId>`), so an id read from `runs { nodes { id } }` finds its run.
 */
function runIdOf(id: string | number): string {
  const text = String(id);
  try {
    const decoded = decodeGlobalID(text);
    if (decoded.typename === 'PipelineRun') return decoded.id;
  } catch {
    // not a node id: a runId
  }
  return text;
}

const RUN_ID_ARG = "The run's runId, or its node id";

export const RunStatusEnum = builder.enumType('RunStatus', { values: RUN_STATUSES });
const RunEventTypeEnum = builder.enumType('RunEventType', { values: RUN_EVENT_TYPES });
const LogLevelEnum = builder.enumType('LogLevel', { values: ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const });

const RunEventRef = builder.objectRef<RunEvent>('RunEvent').implement({
  fields: (t) => ({
    runId: t.exposeID('runId'),
    seq: t.exposeInt('seq', { description: '1, 2, 3, … per run, without gaps' }),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    type: t.field({ type: RunEventTypeEnum, resolve: (e) => e.type }),
    step: t.exposeString('step', { nullable: true }),
    level: t.field({ type: LogLevelEnum, resolve: (e) => e.level }),
    message: t.exposeString('message'),
    data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data }),
  }),
});

const AuditResultRef = builder.objectRef<AuditResult>('AuditResult').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    table: t.exposeString('table'),
    check: t.exposeString('check'),
    severity: t.exposeString('severity'),
    passed: t.exposeBoolean('passed'),
    failingRows: t.field({ type: 'BigInt', nullable: true, resolve: (a) => a.failingRows }),
    message: t.exposeString('message', { nullable: true }),
  }),
});

export const PipelineRunNode = builder.node(builder.objectRef<PipelineRun>('PipelineRun'), {
  id: { resolve: (r) => r.runId },
  loadOne: (id, ctx) => ctx.services.runs.run(id, ctx.actor),
  isTypeOf: (v) => typeof v === 'object' && v !== null && 'runId' in v && 'pipeline' in v,
  fields: (t) => ({
    runId: t.exposeID('runId'),
    pipeline: t.exposeString('pipeline'),
    status: t.field({ type: RunStatusEnum, resolve: (r) => r.status }),
    target: t.exposeString('target'),
    branch: t.exposeString('branch', { nullable: true, description: 'The WAP branch runs/<pipeline>/<runId>, once created' }),
    params: t.field({ type: 'JSON', resolve: (r) => r.params }),
    queuedAt: t.field({ type: 'DateTime', resolve: (r) => r.queuedAt }),
    startedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (r) => r.finishedAt }),
    error: t.exposeString('error', { nullable: true }),
    startedBy: t.exposeString('startedBy'),
    retryOf: t.exposeString('retryOf', { nullable: true }),
    events: t.field({
      type: [RunEventRef],
      description: 'Events with seq > after, in order',
      args: { after: t.arg.int(), first: t.arg.int() },
      resolve: (r, args, ctx) => ctx.services.runs.events(r.runId, args.after, args.first),
    }),
    audits: t.field({ type: [AuditResultRef], resolve: (r, _a, ctx) => ctx.services.runs.audits(r.runId) }),
    commits: t.field({
      type: [CommitNode],
      description: 'Commits the run made on its branch, oldest first',
      resolve: (r) => r.commitHashes,
    }),
    mergedHash: t.exposeString('mergedHash', { nullable: true }),
  }),
});

const PipelineStepRef = builder.objectRef<PipelineStepInfo>('PipelineStep').implement({
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.exposeString('kind', { description: 'ingest, model, audit or publish' }),
    dependsOn: t.exposeStringList('dependsOn'),
  }),
});

const PipelineRef = builder.objectRef<Pipeline>('Pipeline').implement({
  fields: (t) => ({
    name: t.string({ resolve: (p) => p.spec.name }),
    description: t.string({ nullable: true, resolve: (p) => p.spec.description ?? null }),
    target: t.string({ resolve: (p) => p.spec.target }),
    file: t.string({ description: 'The file it was loaded from, relative to the pipelines folder', resolve: (p) => p.file }),
    params: t.field({ type: 'JSON', description: 'Declared params: type, default, description', resolve: (p) => p.spec.params }),
    steps: t.field({ type: [PipelineStepRef], resolve: (p) => p.steps }),
    lastRun: t.field({
      type: PipelineRunNode,
      nullable: true,
      resolve: async (p, _a, ctx) => (await ctx.services.runs.lastRuns([p.spec.name])).get(p.spec.name) ?? null,
    }),
  }),
});

const PipelineLoadErrorRef = builder.objectRef<PipelineLoadError>('PipelineLoadError').implement({
  fields: (t) => ({
    file: t.exposeString('file'),
    field: t.exposeString('field', { nullable: true }),
    message: t.exposeString('message'),
  }),
});

const PipelineRunConnection = builder.connectionObject({ type: PipelineRunNode, name: 'PipelineRunConnection' }, { name: 'PipelineRunEdge' });

builder.queryFields((t) => ({
  pipelines: t.field({ type: [PipelineRef], resolve: (_r, _a, ctx) => ctx.services.runs.listPipelines(ctx.actor) }),
  pipeline: t.field({
    type: PipelineRef,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_r, { name }, ctx) => ctx.services.runs.pipeline(name, ctx.actor),
  }),
  pipelineErrors: t.field({
    type: [PipelineLoadErrorRef],
    description: 'Pipeline files that did not load (the gateway runs without them)',
    authScopes: { engineer: true },
    resolve: (_r, _a, ctx) => [...ctx.services.runs.pipelines.errors()],
  }),
  runs: t.field({
    type: PipelineRunConnection,
    description: 'Newest first',
    args: { pipeline: t.arg.string(), status: t.arg({ type: [RunStatusEnum] }), first: t.arg.int(), after: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.runs.listRuns(args, ctx.actor),
  }),
  run: t.field({
    type: PipelineRunNode,
    nullable: true,
    args: { id: t.arg.id({ required: true, description: RUN_ID_ARG }) },
    resolve: (_r, { id }, ctx) => ctx.services.runs.run(runIdOf(id), ctx.actor),
  }),
}));

const StartRunSuccess = builder.objectRef<{ run: PipelineRun }>('StartRunSuccess').implement({
  fields: (t) => ({ run: t.field({ type: PipelineRunNode, resolve: (s) => s.run }) }),
});
const CancelRunSuccess = builder.objectRef<{ run: PipelineRun }>('CancelRunSuccess').implement({
  fields: (t) => ({ run: t.field({ type: PipelineRunNode, resolve: (s) => s.run }) }),
});
const errors = [NotFound, InvalidInput, Forbidden];
const startResult = resultUnion<{ run: PipelineRun }>('StartRunResult', StartRunSuccess, errors);
const cancelResult = resultUnion<{ run: PipelineRun }>('CancelRunResult', CancelRunSuccess, errors);

/** Starting and cancelling runs needs engineer (src/auth/policy.ts; the service checks again). */
const engineer = { authScopes: { engineer: true }, unauthorizedResolver: deniedAsResult } as const;

builder.mutationFields((t) => ({
  startRun: t.field({
    type: startResult.union,
    ...engineer,
    description: 'Queues a Write-Audit-Publish run of the pipeline; follow it with runEvents',
    args: { pipeline: t.arg.string({ required: true }), params: t.arg({ type: 'JSON' }), target: t.arg.string() },
    resolve: (_r, args, ctx) => startResult.wrap(ctx.services.runs.startRun(args, ctx.actor).then((run) => ({ run }))),
  }),
  cancelRun: t.field({
    type: cancelResult.union,
    ...engineer,
    description: 'A queued run is canceled at once; a running one stops at its next step boundary',
    args: { id: t.arg.id({ required: true, description: RUN_ID_ARG }) },
    resolve: (_r, { id }, ctx) => cancelResult.wrap(ctx.services.runs.cancelRun(runIdOf(id), ctx.actor).then((run) => ({ run }))),
  }),
  retryRun: t.field({
    type: startResult.union,
    ...engineer,
    description: 'Starts a new run with the same pipeline, params and target as an ended run',
    args: { id: t.arg.id({ required: true, description: RUN_ID_ARG }) },
    resolve: (_r, { id }, ctx) => startResult.wrap(ctx.services.runs.retryRun(runIdOf(id), ctx.actor).then((run) => ({ run }))),
  }),
}));

builder.subscriptionFields((t) => ({
  runEvents: t.field({
    type: RunEventRef,
    description:
      'after: null = every event from the start, then live; n = events with seq > n, then live; -1 = live only. ' +
      'Never a gap or a duplicate across reconnects; completes after RUN_SUCCEEDED, RUN_FAILED or RUN_CANCELED.',
    args: { runId: t.arg.id({ required: true, description: RUN_ID_ARG }), after: t.arg.int() },
    subscribe: (_r, args, ctx) => ctx.services.runs.streamEvents(runIdOf(args.runId), args.after, ctx.actor),
    resolve: (e) => e,
  }),
  runUpdated: t.field({
    type: PipelineRunNode,
    description: 'Runs as their status changes, filtered by pipeline and status',
    args: { pipeline: t.arg.string(), status: t.arg({ type: [RunStatusEnum] }) },
    subscribe: (_r, args, ctx) => ctx.services.runs.streamRunUpdates(args, ctx.actor),
    resolve: (r) => r,
  }),
}));
