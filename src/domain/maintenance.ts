/**
 * Table maintenance as reviewable plans: what a plan would do (snapshots to expire, files to delete
 * with their sizes, and for each file it keeps, the refs that pin it), then its execution, recorded.
 */

export const MAINTENANCE_KINDS = ['EXPIRE_SNAPSHOTS', 'REMOVE_ORPHAN_FILES', 'COMPACTION'] as const;
export type MaintenanceKind = (typeof MAINTENANCE_KINDS)[number];

export const MAINTENANCE_STATUSES = ['PLANNED', 'EXECUTING', 'SUCCEEDED', 'FAILED'] as const;
export type MaintenanceStatus = (typeof MAINTENANCE_STATUSES)[number];

export interface FileToDelete {
  path: string;
  sizeBytes: number;
}

export interface FileKept {
  path: string;
  /**
   * What keeps it alive: a catalog branch or tag at its head (`keep`), one of its earlier commits
   * (`main@1a2b3c4d5e6f`), or a snapshot ref of the table's own metadata (`main:table-ref:first`);
   * heads first, at most 20 (then `+N more commits`).
   */
  pinnedBy: string[];
}

/** What the plan was asked (ISO times); execution plans again with it to check nothing changed. */
export interface ExpireArgs {
  olderThan: string | null;
  /** Expiry only. */
  retainLast: number | null;
  /** Compaction only. */
  targetFileSizeBytes?: number;
  minInputFiles?: number;
  /** Compaction: the `where` it was planned with. */
  where?: unknown;
}

/** Compaction: one partition's files rewritten together. */
export interface RewriteGroupPlan {
  partition: string;
  inputFiles: string[];
  deleteFiles: string[];
  inputBytes: number;
  outputFilesEstimate: number;
}

export interface MaintenancePlan {
  id: string;
  kind: MaintenanceKind;
  status: MaintenanceStatus;
  table: string;
  branch: string;
  createdAt: Date;
  createdBy: string;
  args: ExpireArgs;
  snapshotsToExpire: string[];
  filesToDelete: FileToDelete[];
  filesKept: FileKept[];
  bytesToReclaim: number;
  rewriteGroups: RewriteGroupPlan[];
  /** The branch head the plan was made at. */
  baseHash: string;
  /** Set once the catalog commit of an execution is made (an execution resumed after a crash skips it). */
  resultHash: string | null;
  deletedFiles: number;
  error: string | null;
  finishedAt: Date | null;
}

export const MAINTENANCE_EVENT_TYPES = ['PLANNED', 'EXECUTION_STARTED', 'COMMITTED', 'FILES_DELETED', 'SUCCEEDED', 'FAILED'] as const;
export type MaintenanceEventType = (typeof MAINTENANCE_EVENT_TYPES)[number];

/** One step of a plan's life, numbered from 1 per plan (maintenanceEvents resumes after a seq). */
export interface MaintenanceEvent {
  planId: string;
  seq: number;
  at: Date;
  type: MaintenanceEventType;
  message: string;
  data: Record<string, unknown> | null;
}

export const TERMINAL_MAINTENANCE_EVENTS: readonly MaintenanceEventType[] = ['SUCCEEDED', 'FAILED'];
