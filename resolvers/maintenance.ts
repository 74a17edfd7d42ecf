/** Table maintenance plans: plan, review, execute, follow (src/services/maintenance.ts). */
import { builder } from '../schema/builder.js';
import { Forbidden, InvalidInput, NotFound, ProtectedBranch, ReferenceConflict } from '../src/domain/errors.js';
import {
  MAINTENANCE_EVENT_TYPES, MAINTENANCE_KINDS, MAINTENANCE_STATUSES, type FileKept, type FileToDelete, type MaintenanceEvent, type MaintenancePlan, type RewriteGroupPlan,
} from '../src/domain/maintenance.js';
import { deniedAsResult, resultUnion } from './result-union.js';

const KindEnum = builder.enumType('MaintenanceKind', { values: MAINTENANCE_KINDS });
const StatusEnum = builder.enumType('MaintenanceStatus', { values: MAINTENANCE_STATUSES });

const FileToDeleteRef = builder.objectRef<FileToDelete>('MaintenanceFile').implement({
  fields: (t) => ({ path: t.exposeString('path'), sizeBytes: t.field({ type: 'BigInt', resolve: (f) => String(f.sizeBytes) }) }),
});
const FileKeptRef = builder.objectRef<FileKept>('KeptFile').implement({
  description: 'A file the plan would otherwise delete, and the refs that still read it',
  fields: (t) => ({
    path: t.exposeString('path'),
    pinnedBy: t.exposeStringList('pinnedBy', {
      description: 'A catalog branch or tag at its head (`keep`), an earlier commit of one (`main@1a2b3c4d5e6f`), or a snapshot ref of the table (`main:table-ref:first`)',
    }),
  }),
});
const RewriteGroupRef = builder.objectRef<RewriteGroupPlan>('RewriteGroup').implement({
  fields: (t) => ({
    partition: t.exposeString('partition', { description: 'The partition: spec id and values' }),
    inputFiles: t.int({ resolve: (g) => g.inputFiles.length }),
    deleteFiles: t.int({ resolve: (g) => g.deleteFiles.length }),
    inputBytes: t.field({ type: 'BigInt', resolve: (g) => String(g.inputBytes) }),
    outputFilesEstimate: t.exposeInt('outputFilesEstimate'),
  }),
});

/** A page of a plan's files, sorted by path; `after` is the last path seen. */
function pageOf<T extends { path: string }>(files: T[], first: number | null | undefined, after: string | null | undefined): T[] {
  const n = first ?? 100;
  if (!Number.isInteger(n) || n < 0 || n > 10_000) throw new InvalidInput('first must be 0..10000', 'first');
  const start = after == null ? 0 : files.findIndex((f) => f.path > after);
  return start < 0 ? [] : files.slice(start, start + n);
}

export const MaintenancePlanRef = builder.objectRef<MaintenancePlan>('MaintenancePlan').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: KindEnum, resolve: (p) => p.kind }),
    status: t.field({ type: StatusEnum, resolve: (p) => p.status }),
    table: t.exposeString('table'),
    branch: t.exposeString('branch'),
    createdAt: t.field({ type: 'DateTime', resolve: (p) => p.createdAt }),
    createdBy: t.exposeString('createdBy'),
    baseHash: t.exposeString('baseHash', { description: 'The branch head the plan was made at' }),
    resultHash: t.exposeString('resultHash', { nullable: true, description: 'The catalog commit of the execution' }),
    snapshotsToExpire: t.field({ type: ['BigInt'], resolve: (p) => p.snapshotsToExpire }),
    fileCountToDelete: t.int({ resolve: (p) => p.filesToDelete.length }),
    filesToDelete: t.field({
      type: [FileToDeleteRef],
      args: { first: t.arg.int(), after: t.arg.string({ description: 'The last path of the previous page' }) },
      resolve: (p, a) => pageOf(p.filesToDelete, a.first, a.after),
    }),
    bytesToReclaim: t.field({ type: 'BigInt', resolve: (p) => String(p.bytesToReclaim) }),
    filesKept: t.field({
      type: [FileKeptRef],
      args: { first: t.arg.int(), after: t.arg.string({ description: 'The last path of the previous page' }) },
      resolve: (p, a) => pageOf(p.filesKept, a.first, a.after),
    }),
    rewriteGroups: t.field({ type: [RewriteGroupRef], description: 'Compaction plans only', resolve: (p) => p.rewriteGroups ?? [] }),
    deletedFiles: t.exposeInt('deletedFiles'),
    error: t.exposeString('error', { nullable: true }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (p) => p.finishedAt }),
  }),
});

const PlanPage = builder.objectRef<{ items: MaintenancePlan[]; nextCursor: string | null }>('MaintenancePlanPage').implement({
  fields: (t) => ({
    nodes: t.field({ type: [MaintenancePlanRef], resolve: (p) => p.items }),
    endCursor: t.string({ nullable: true, resolve: (p) => p.nextCursor }),
    hasNextPage: t.boolean({ resolve: (p) => p.nextCursor !== null }),
  }),
});

builder.queryFields((t) => ({
  maintenancePlan: t.field({
    type: MaintenancePlanRef,
    nullable: true,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => ctx.services.maintenance.plan(String(id), ctx.actor),
  }),
  maintenancePlans: t.field({
    type: PlanPage,
    description: 'Newest first',
    args: { first: t.arg.int(), after: t.arg.string() },
    resolve: (_r, args, ctx) => ctx.services.maintenance.list(args, ctx.actor),
  }),
}));

const PlanSuccess = builder.objectRef<{ plan: MaintenancePlan }>('MaintenancePlanSuccess').implement({
  fields: (t) => ({ plan: t.field({ type: MaintenancePlanRef, resolve: (s) => s.plan }) }),
});
const planResult = resultUnion<{ plan: MaintenancePlan }>('MaintenancePlanResult', PlanSuccess, [NotFound, InvalidInput, Forbidden]);
const executeResult = resultUnion<{ plan: MaintenancePlan }>('ExecuteMaintenancePlanResult', PlanSuccess, [NotFound, ReferenceConflict, InvalidInput, Forbidden, ProtectedBranch]);

builder.mutationFields((t) => ({
  planExpireSnapshots: t.field({
    type: planResult.union,
    authScopes: { engineer: true },
    unauthorizedResolver: deniedAsResult,
    description:
      'Plans an expiry of the table\'s snapshots on one branch: without arguments its retention properties apply. ' +
      'Files that a snapshot kept by any ref (every branch and tag, and their history) reads are kept, and listed with what pins them.',
    args: { branch: t.arg.string({ required: true }), table: t.arg.string({ required: true }), olderThan: t.arg({ type: 'DateTime' }), retainLast: t.arg.int() },
    resolve: (_r, args, ctx) => planResult.wrap(ctx.services.maintenance.planExpireSnapshots(args, ctx.actor).then((plan) => ({ plan }))),
  }),
  planRemoveOrphanFiles: t.field({
    type: planResult.union,
    authScopes: { engineer: true },
    unauthorizedResolver: deniedAsResult,
    description:
      "Plans removing the objects under the table's location that no commit of any ref reads, last modified before olderThan (default: 3 days ago, so writes in flight are safe). The table is found on `branch` (default: the default branch).",
    args: { table: t.arg.string({ required: true }), branch: t.arg.string(), olderThan: t.arg({ type: 'DateTime' }) },
    resolve: (_r, args, ctx) => planResult.wrap(ctx.services.maintenance.planRemoveOrphanFiles(args, ctx.actor).then((plan) => ({ plan }))),
  }),
  planCompaction: t.field({
    type: planResult.union,
    authScopes: { engineer: true },
    unauthorizedResolver: deniedAsResult,
    description:
      "Plans rewriting the table's small files on a branch into files near targetFileSizeBytes (default: write.target-file-size-bytes, 512 MiB), per partition with at least minInputFiles (5) small files. Executed (engineer) as one `replace` snapshot with the same rows.",
    args: {
      branch: t.arg.string({ required: true }),
      table: t.arg.string({ required: true }),
      targetFileSizeBytes: t.arg({ type: 'BigInt' }),
      minInputFiles: t.arg.int(),
      where: t.arg({ type: 'JSON', description: 'Only the files whose column bounds say a row may match this filter (the language of Table.rows(where:)) are rewritten; the others stay as they are' }),
    },
    resolve: (_r, args, ctx) =>
      planResult.wrap(
        ctx.services.maintenance
          .planCompaction({ ...args, targetFileSizeBytes: args.targetFileSizeBytes == null ? null : Number(args.targetFileSizeBytes) }, ctx.actor)
          .then((plan) => ({ plan })),
      ),
  }),
  executeMaintenancePlan: t.field({
    type: executeResult.union,
    authScopes: { engineer: true },
    unauthorizedResolver: deniedAsResult,
    description: 'Executes a plan (expiry and orphan removal need admin, compaction engineer) (REFERENCE_CONFLICT when the table or a ref changed since it was made); completes an interrupted execution',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_r, { id }, ctx) => executeResult.wrap(ctx.services.maintenance.execute(String(id), ctx.actor).then((plan) => ({ plan }))),
  }),
}));

const EventTypeEnum = builder.enumType('MaintenanceEventType', { values: MAINTENANCE_EVENT_TYPES });

const MaintenanceEventRef = builder.objectRef<MaintenanceEvent>('MaintenanceEvent').implement({
  fields: (t) => ({
    planId: t.exposeID('planId'),
    seq: t.exposeInt('seq'),
    at: t.field({ type: 'DateTime', resolve: (e) => e.at }),
    type: t.field({ type: EventTypeEnum, resolve: (e) => e.type }),
    message: t.exposeString('message'),
    data: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.data }),
  }),
});

builder.subscriptionFields((t) => ({
  maintenanceEvents: t.field({
    type: MaintenanceEventRef,
    description:
      "A plan's events (PLANNED, EXECUTION_STARTED, COMMITTED, FILES_DELETED with counts, SUCCEEDED, FAILED). " +
      'after: null = from the start, n = after seq n, -1 = live only; completes after SUCCEEDED or FAILED.',
    args: { planId: t.arg.id({ required: true }), after: t.arg.int() },
    subscribe: (_r, args, ctx) => ctx.services.maintenance.streamEvents(String(args.planId), args.after, ctx.actor),
    resolve: (e) => e,
  }),
}));
