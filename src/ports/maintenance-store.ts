/**
 * MaintenanceStore: maintenance plans and their executions, kept so a plan can be reviewed later
 * and an execution interrupted by a crash is completed (the plan says how far it got).
 */
import type { MaintenanceEvent, MaintenanceEventType, MaintenancePlan, MaintenanceStatus } from '../domain/maintenance.js';
import type { Page, PageRequest } from './version-store.js';

export interface MaintenanceStore {
  create(plan: MaintenancePlan): Promise<void>;
  /** Null when there is no such plan. */
  get(id: string): Promise<MaintenancePlan | null>;
  /** Newest first. */
  list(q: PageRequest): Promise<Page<MaintenancePlan>>;
  /** Plans left EXECUTING (by a gateway that stopped): to complete at start. */
  unfinished(): Promise<MaintenancePlan[]>;
  /**
   * Moves the plan from one of `from` to `status` with the fields given; false when its status was
   * not one of `from` (another execution took it).
   */
  update(id: string, from: MaintenanceStatus[], status: MaintenanceStatus, fields?: Partial<Pick<MaintenancePlan, 'resultHash' | 'deletedFiles' | 'error' | 'finishedAt'>>): Promise<boolean>;
  /** Appends an event with the plan's next seq. */
  appendEvent(planId: string, type: MaintenanceEventType, message: string, data?: Record<string, unknown> | null): Promise<MaintenanceEvent>;
  /** The plan's events with seq > `after`, oldest first. */
  events(planId: string, after: number): Promise<MaintenanceEvent[]>;
  close(): Promise<void>;
}
