/**
 * Table maintenance as plans. planRemoveOrphanFiles lists the objects under a table's location that
 * no commit of any ref reads and that are older than a cutoff. planExpireSnapshots works out what an expiry on one branch removes
 * (snapshots, and the files no kept snapshot of any ref reads: maintenance/pins.ts) and what it
 * keeps and why; executeMaintenancePlan plans again, refuses when anything changed (CONFLICT), then
 * commits the new metadata and deletes the files, recording how far it got so an interrupted
 * execution is completed (at the next start, or the next executeMaintenancePlan). The catalog
 * never references a deleted file: the commit comes first, and only unpinned files go.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { contentKey } from '../domain/content.js';
import { InvalidInput, NotFound, ReferenceConflict } from '../domain/errors.js';
import { TERMINAL_MAINTENANCE_EVENTS, type ExpireArgs, type FileToDelete, type MaintenanceEvent, type MaintenancePlan } from '../domain/maintenance.js';
import type { TableMetadata } from '../domain/iceberg/types.js';
import { refName, type CommitHash } from '../domain/refs.js';
import { chooseExpired } from '../maintenance/expire.js';
import { planRewriteGroups } from '../maintenance/compaction.js';
import { parseWhere } from '../domain/filters.js';
import { filesMayMatch } from '../iceberg/file-filter.js';
import { columnKinds } from './tables.js';
import { MIN_INPUT_FILES, targetFileSize } from '../iceberg/table-health.js';
import { expiryFiles, referencedFiles } from '../maintenance/pins.js';
import { HistoryFiles } from '../maintenance/history-files.js';
import type { MaintenanceStore } from '../ports/maintenance-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { VersionStore } from '../ports/version-store.js';
import type { Actor, CatalogService } from './catalog.js';
import type { TableService } from './table-writes.js';

export interface MaintenanceOptions {
  /** Earlier commits pin files back to this many ms ago; null: all history (MAINTENANCE_HISTORY_MS). */
  historyMs: number | null;
}

interface Computed {
  head: CommitHash;
  plan: Pick<MaintenancePlan, 'snapshotsToExpire' | 'filesToDelete' | 'filesKept' | 'bytesToReclaim' | 'rewriteGroups'>;
  /** Expiry: the metadata to commit. */
  after: TableMetadata | null;
}

const MAX_PLANS_PAGE = 100;
/** Orphan removal never touches objects younger than this by default: writes in flight. */
const ORPHAN_MIN_AGE_MS = 3 * 24 * 3600 * 1000;

export class MaintenanceService {
  /** What maintenance planning (expiry's pins, orphans' referenced files) reads of tables' histories, kept across plans in bounds of its own. */
  private readonly history: HistoryFiles;

  constructor(
    private readonly catalog: CatalogService,
    private readonly store: VersionStore,
    private readonly objects: ObjectStore,
    private readonly tables: TableService,
    private readonly plans: MaintenanceStore,
    private readonly options: MaintenanceOptions,
    private readonly logger: Logger,
  ) {
    this.history = new HistoryFiles(objects);
  }

  async planExpireSnapshots(args: { branch: string; table: string; olderThan?: Date | null; retainLast?: number | null }, actor: Actor): Promise<MaintenancePlan> {
    this.catalog.policy.require(actor, 'engineer', 'planning maintenance');
    const branch = refName(args.branch, 'branch');
    const key = contentKey(args.table, 'table');
    const expire: ExpireArgs = { olderThan: args.olderThan?.toISOString() ?? null, retainLast: args.retainLast ?? null };
    return this.record('EXPIRE_SNAPSHOTS', branch, key, expire, await this.computeExpiry(branch, key, expire), actor);
  }

  /**
   * Objects under the table's location that no commit of any ref reads (its metadata files, their
   * logs, every snapshot's files), last modified before `olderThan` (default: 3 days ago, so writes
   * in flight are never touched). The table is found on `branch` (default: the default branch).
   */
  async planRemoveOrphanFiles(args: { table: string; branch?: string | null; olderThan?: Date | null }, actor: Actor): Promise<MaintenancePlan> {
    this.catalog.policy.require(actor, 'engineer', 'planning maintenance');
    const branch = args.branch == null ? (await this.catalog.defaultBranch()).name : refName(args.branch, 'branch');
    const key = contentKey(args.table, 'table');
    const olderThan = args.olderThan ?? new Date(Date.now() - ORPHAN_MIN_AGE_MS);
    if (Number.isNaN(olderThan.getTime())) throw new InvalidInput('olderThan is not a time', 'olderThan');
    const expire: ExpireArgs = { olderThan: olderThan.toISOString(), retainLast: null };
    return this.record('REMOVE_ORPHAN_FILES', branch, key, expire, await this.computeOrphans(branch, key, olderThan), actor);
  }

  /**
   * Plans rewriting the small files of the table on `branch` (per partition, when at least
   * `minInputFiles` are below 75% of `targetFileSizeBytes`) into files near the target; with `where`
   * (the filter language of Table.rows), only the files whose column metrics say a row may match. Executing
   * it commits a `replace` snapshot with the same rows on the branch, so it can be audited and
   * merged like any change.
   */
  async planCompaction(
    args: { branch: string; table: string; targetFileSizeBytes?: number | null; minInputFiles?: number | null; where?: unknown },
    actor: Actor,
  ): Promise<MaintenancePlan> {
    this.catalog.policy.require(actor, 'engineer', 'planning maintenance');
    const branch = refName(args.branch, 'branch');
    const key = contentKey(args.table, 'table');
    const head = await this.store.getReference(branch);
    const view = await this.tables.tableAt({ refName: head.name, commitHash: head.hash }, key);
    if (!view) throw new NotFound(`table '${key}' not found on ${branch}`);
    const m = await this.tables.metadata(view.content.metadataLocation);
    const target = args.targetFileSizeBytes ?? targetFileSize(m);
    const minInputFiles = args.minInputFiles ?? MIN_INPUT_FILES;
    const scan = await this.tables.scanPlan(m, null, null);
    // where: only the files whose column metrics say a row may match are rewritten.
    const where = parseWhere(args.where, columnKinds(scan.schema));
    const selected = where ? new Set(filesMayMatch(scan.dataFiles, where, scan.schema)) : undefined;
    const groups = planRewriteGroups(scan, target, minInputFiles, selected);
    const computed: Computed = { head: head.hash, after: null, plan: { snapshotsToExpire: [], filesToDelete: [], filesKept: [], bytesToReclaim: 0, rewriteGroups: groups } };
    const recorded: ExpireArgs = { olderThan: null, retainLast: null, targetFileSizeBytes: target, minInputFiles, ...(args.where != null ? { where: args.where } : {}) };
    return this.record('COMPACTION', branch, key, recorded, computed, actor);
  }

  private async record(kind: MaintenancePlan['kind'], branch: string, table: string, args: ExpireArgs, computed: Computed, actor: Actor): Promise<MaintenancePlan> {
    const plan: MaintenancePlan = {
      id: randomUUID(),
      kind,
      status: 'PLANNED',
      table,
      branch,
      createdAt: new Date(),
      createdBy: actor.subject,
      args,
      ...computed.plan,
      baseHash: computed.head,
      resultHash: null,
      deletedFiles: 0,
      error: null,
      finishedAt: null,
    };
    await this.plans.create(plan);
    await this.plans.appendEvent(plan.id, 'PLANNED', `${kind} of ${table} on ${branch}`, {
      snapshotsToExpire: plan.snapshotsToExpire.length,
      filesToDelete: plan.filesToDelete.length,
      bytesToReclaim: plan.bytesToReclaim,
      rewriteGroups: plan.rewriteGroups.length,
    });
    return plan;
  }

  async plan(id: string, actor: Actor): Promise<MaintenancePlan | null> {
    this.catalog.policy.require(actor, 'viewer', 'reading maintenance plans');
    return this.plans.get(id);
  }

  async list(args: { first?: number | null; after?: string | null }, actor: Actor) {
    this.catalog.policy.require(actor, 'viewer', 'reading maintenance plans');
    const first = args.first ?? 20;
    if (!Number.isInteger(first) || first < 0 || first > MAX_PLANS_PAGE) throw new InvalidInput(`first must be 0..${MAX_PLANS_PAGE}`, 'first');
    return this.plans.list({ first, after: args.after ?? null });
  }

  /** Executes the plan (expiry and orphan removal need admin); an execution left unfinished is completed. */
  async execute(id: string, actor: Actor): Promise<MaintenancePlan> {
    const plan = await this.plans.get(id);
    // A compaction is a write like an append (protected branches still need an admin); deleting files needs admin.
    if (plan?.kind === 'COMPACTION') this.catalog.policy.require(actor, 'engineer', 'executing a compaction');
    else this.catalog.policy.require(actor, 'admin', 'executing an expiry or an orphan removal');
    if (!plan) throw new NotFound(`maintenance plan ${id} not found`);
    if (plan.status === 'SUCCEEDED') return plan;
    if (plan.kind === 'COMPACTION') return this.compact(plan, actor);
    if (plan.status === 'EXECUTING' && plan.resultHash) return this.finish(plan);
    // Planned, failed, or stopped before its commit: plan again; anything different means a ref moved.
    const branch = refName(plan.branch, 'branch');
    const again = plan.kind === 'EXPIRE_SNAPSHOTS'
      ? await this.computeExpiry(branch, plan.table, plan.args)
      : await this.computeOrphans(branch, plan.table, new Date(plan.args.olderThan!));
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    if (!same(again.plan.snapshotsToExpire, plan.snapshotsToExpire) || !same(again.plan.filesToDelete.map((f) => f.path), plan.filesToDelete.map((f) => f.path))) {
      throw new ReferenceConflict(`the table or a ref changed since plan ${id} was made: make a new plan`, plan.baseHash, again.head);
    }
    if (!(await this.plans.update(id, ['PLANNED', 'FAILED', 'EXECUTING'], 'EXECUTING'))) throw new ReferenceConflict(`plan ${id} is being executed`, plan.baseHash, again.head);
    await this.plans.appendEvent(id, 'EXECUTION_STARTED', `executing by ${actor.subject}`);
    let resultHash: string = again.head;
    if (again.after && plan.snapshotsToExpire.length > 0) {
      try {
        const out = await this.tables.commitMaintenance(
          { branch: plan.branch, table: plan.table, expectedHash: again.head, message: `Expire ${plan.snapshotsToExpire.length} snapshots of ${plan.table} (plan ${id})`, metadata: again.after! },
          actor,
        );
        resultHash = out.commit.hash;
      } catch (e) {
        await this.fail(id, e);
        throw e;
      }
    }
    await this.plans.update(id, ['EXECUTING'], 'EXECUTING', { resultHash });
    await this.plans.appendEvent(id, 'COMMITTED', `catalog commit ${resultHash}`, { hash: resultHash });
    return this.finish({ ...plan, status: 'EXECUTING', resultHash });
  }

  /**
   * Rewrites each group and commits one `replace` snapshot on the branch, guarded by the files it
   * read: a concurrent append is kept (the commit is rebuilt on the new head), a concurrent change
   * that removed an input file makes the compaction fail cleanly (REFERENCE_CONFLICT).
   */
  private async compact(plan: MaintenancePlan, actor: Actor): Promise<MaintenancePlan> {
    // An execution a stopped gateway left EXECUTING runs again: the commit's guard on its input files keeps it from applying twice.
    if (!(await this.plans.update(plan.id, ['PLANNED', 'FAILED', 'EXECUTING'], 'EXECUTING'))) throw new ReferenceConflict(`plan ${plan.id} is being executed`, plan.baseHash, plan.baseHash);
    await this.plans.appendEvent(plan.id, 'EXECUTION_STARTED', `executing by ${actor.subject}`);
    try {
      const inputs = plan.rewriteGroups.flatMap((g) => g.inputFiles);
      const deletes = plan.rewriteGroups.flatMap((g) => g.deleteFiles);
      const out = inputs.length === 0 ? null : await this.tables.rewriteFiles({ branch: plan.branch, table: plan.table, inputFiles: inputs, deleteFiles: deletes, message: `Compact ${inputs.length} files of ${plan.table} (plan ${plan.id})`, targetFileSizeBytes: plan.args.targetFileSizeBytes }, actor);
      const hash = out?.commit.hash ?? plan.baseHash;
      await this.plans.update(plan.id, ['EXECUTING'], 'SUCCEEDED', { resultHash: hash, finishedAt: new Date() });
      await this.plans.appendEvent(plan.id, 'COMMITTED', `replace snapshot committed in ${hash}`, { hash, addedFiles: out?.addedFiles ?? 0 });
      await this.plans.appendEvent(plan.id, 'SUCCEEDED', `rewrote ${plan.rewriteGroups.reduce((n, g) => n + g.inputFiles.length, 0)} files`);
    } catch (e) {
      await this.fail(plan.id, e);
      throw e;
    }
    return (await this.plans.get(plan.id))!;
  }

  private async fail(id: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    await this.plans.update(id, ['EXECUTING'], 'FAILED', { error: message, finishedAt: new Date() });
    await this.plans.appendEvent(id, 'FAILED', message);
  }

  /**
   * The plan's events: after null = from the start, n = those after seq n, -1 = live only; then
   * live (polled from the store, so every gateway on the database sees them) until SUCCEEDED or
   * FAILED. A planned plan that is never executed keeps the stream open.
   */
  async *streamEvents(planId: string, after: number | null | undefined, actor: Actor, pollMs = 250): AsyncGenerator<MaintenanceEvent> {
    this.catalog.policy.require(actor, 'viewer', 'following maintenance');
    if (!(await this.plans.get(planId))) throw new NotFound(`maintenance plan ${planId} not found`);
    if (after != null && (!Number.isInteger(after) || after < -1)) throw new InvalidInput('after must be -1 or a seq', 'after');
    let seq = after ?? 0;
    if (seq === -1) seq = (await this.plans.events(planId, 0)).at(-1)?.seq ?? 0;
    for (;;) {
      for (const e of await this.plans.events(planId, seq)) {
        seq = e.seq;
        yield e;
        if (TERMINAL_MAINTENANCE_EVENTS.includes(e.type)) return;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  /** Completes executions a stopped gateway left after their commit (called at start). */
  async resumeUnfinished(): Promise<number> {
    let n = 0;
    for (const plan of await this.plans.unfinished()) {
      if (!plan.resultHash) continue; // not committed: executeMaintenancePlan plans it again
      await this.finish(plan).catch((e) => this.logger.warn({ err: e, plan: plan.id }, 'completing a maintenance plan failed'));
      n++;
    }
    return n;
  }

  /** Deletes the plan's files (already unreferenced by the catalog); a missing one was deleted before. */
  private async finish(plan: MaintenancePlan): Promise<MaintenancePlan> {
    let deleted = 0;
    const total = plan.filesToDelete.length;
    for (const f of plan.filesToDelete) {
      await this.objects.delete(f.path);
      deleted++;
      if (deleted % 500 === 0 && deleted < total) {
        await this.plans.update(plan.id, ['EXECUTING'], 'EXECUTING', { deletedFiles: deleted });
        await this.plans.appendEvent(plan.id, 'FILES_DELETED', `${deleted} of ${total} files deleted`, { deleted, total });
      }
    }
    await this.plans.update(plan.id, ['EXECUTING'], 'SUCCEEDED', { deletedFiles: deleted, finishedAt: new Date() });
    await this.plans.appendEvent(plan.id, 'FILES_DELETED', `${deleted} of ${total} files deleted`, { deleted, total });
    await this.plans.appendEvent(plan.id, 'SUCCEEDED', `${deleted} files deleted, ${plan.bytesToReclaim} bytes reclaimed`);
    return (await this.plans.get(plan.id))!;
  }

  private async computeOrphans(branch: ReturnType<typeof refName>, key: string, olderThan: Date): Promise<Computed> {
    const head = await this.store.getReference(branch);
    const view = await this.tables.tableAt({ refName: head.name, commitHash: head.hash }, key);
    if (!view) throw new NotFound(`table '${key}' not found on ${branch}`);
    const location = (await this.tables.metadata(view.content.metadataLocation)).location.replace(/\/+$/, '');
    const referenced = await referencedFiles(this.store, (l) => this.tables.metadata(l), this.history, location);
    const filesToDelete: FileToDelete[] = [];
    for await (const o of this.objects.list(`${location}/`)) {
      if (!referenced.has(o.location) && o.lastModified < olderThan) filesToDelete.push({ path: o.location, sizeBytes: o.size });
    }
    filesToDelete.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {
      head: head.hash,
      after: null,
      plan: { snapshotsToExpire: [], filesToDelete, filesKept: [], bytesToReclaim: filesToDelete.reduce((n, f) => n + f.sizeBytes, 0), rewriteGroups: [] },
    };
  }

  private async computeExpiry(branch: ReturnType<typeof refName>, key: string, args: ExpireArgs): Promise<Computed> {
    const head = await this.store.getReference(branch);
    if (head.type !== 'BRANCH') throw new InvalidInput(`'${branch}' is a tag; snapshots are expired on branches`, 'branch');
    const view = await this.tables.tableAt({ refName: head.name, commitHash: head.hash }, key);
    if (!view) throw new NotFound(`table '${key}' not found on ${branch}`);
    const m = await this.tables.metadata(view.content.metadataLocation);
    const olderThan = args.olderThan === null ? null : new Date(args.olderThan);
    const decision = chooseExpired(m, { olderThan, retainLast: args.retainLast });
    const { filesToDelete, filesKept } = await expiryFiles({
      store: this.store,
      files: this.history,
      key,
      contentId: view.content.id,
      branch,
      head: head.hash,
      after: decision.after,
      tableRefsOf: decision.refsOf,
      historySince: this.options.historyMs === null ? null : new Date(Date.now() - this.options.historyMs),
      expired: decision.expired,
    });
    return {
      head: head.hash,
      after: decision.after,
      plan: {
        snapshotsToExpire: decision.expired.map((s) => s.snapshotId),
        filesToDelete,
        filesKept,
        bytesToReclaim: filesToDelete.reduce((n, f) => n + f.sizeBytes, 0),
        rewriteGroups: [],
      },
    };
  }
}
