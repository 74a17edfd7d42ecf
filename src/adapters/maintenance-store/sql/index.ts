/**
 * The MaintenanceStore in the gateway's SQL database (PGlite or PostgreSQL): one row per plan, its
 * contents as JSON (a plan is written once and never changes; only its execution fields move).
 */
import { randomUUID } from 'node:crypto';
import { InvalidInput } from '../../../domain/errors.js';
import type { MaintenanceEvent, MaintenancePlan, MaintenanceStatus } from '../../../domain/maintenance.js';
import type { MaintenanceStore } from '../../../ports/maintenance-store.js';
import { migrate, type SqlDatabase } from '../../sql/database.js';

const MIGRATIONS = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS maintenance_plans (
         id text PRIMARY KEY,
         kind text NOT NULL,
         status text NOT NULL CHECK (status IN ('PLANNED', 'EXECUTING', 'SUCCEEDED', 'FAILED')),
         table_key text NOT NULL,
         branch text NOT NULL,
         created_at timestamptz NOT NULL,
         created_by text NOT NULL,
         plan jsonb NOT NULL,
         result_hash text,
         deleted_files integer NOT NULL DEFAULT 0,
         error text,
         finished_at timestamptz)`,
      `CREATE INDEX IF NOT EXISTS maintenance_plans_newest ON maintenance_plans (created_at DESC, id DESC)`,
    ],
  },
  {
    version: 2,
    statements: [
      `CREATE TABLE IF NOT EXISTS maintenance_events (
         plan_id text NOT NULL REFERENCES maintenance_plans (id) ON DELETE CASCADE,
         seq integer NOT NULL,
         at timestamptz NOT NULL,
         type text NOT NULL,
         message text NOT NULL,
         data jsonb,
         PRIMARY KEY (plan_id, seq))`,
    ],
  },
];

interface EventRow {
  plan_id: string;
  seq: number;
  at: Date | string;
  type: MaintenanceEvent['type'];
  message: string;
  data: Record<string, unknown> | string | null;
}

const eventOf = (r: EventRow): MaintenanceEvent => ({
  planId: r.plan_id,
  seq: Number(r.seq),
  at: new Date(r.at),
  type: r.type,
  message: r.message,
  data: typeof r.data === 'string' ? (JSON.parse(r.data) as Record<string, unknown>) : r.data,
});

interface Row {
  id: string;
  status: MaintenanceStatus;
  created_at: Date | string;
  plan: MaintenancePlan | string;
  result_hash: string | null;
  deleted_files: number;
  error: string | null;
  finished_at: Date | string | null;
}

function fromRow(r: Row): MaintenancePlan {
  const stored = (typeof r.plan === 'string' ? JSON.parse(r.plan) : r.plan) as MaintenancePlan;
  return {
    ...stored,
    status: r.status,
    createdAt: new Date(r.created_at),
    resultHash: r.result_hash,
    deletedFiles: r.deleted_files,
    error: r.error,
    finishedAt: r.finished_at === null ? null : new Date(r.finished_at),
  };
}

const cursorOf = (p: MaintenancePlan) => Buffer.from(JSON.stringify([p.createdAt.toISOString(), p.id])).toString('base64url');

function parseCursor(after: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(after, 'base64url').toString()) as [string, string];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at))) return [at, id];
  } catch {
    /* below */
  }
  throw new InvalidInput('after is not a cursor of maintenancePlans', 'after');
}

export async function createSqlMaintenanceStore(db: SqlDatabase): Promise<MaintenanceStore> {
  await migrate(db, 'maintenance', MIGRATIONS);
  return {
    async create(plan) {
      await db.query(
        `INSERT INTO maintenance_plans (id, kind, status, table_key, branch, created_at, created_by, plan) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [plan.id || randomUUID(), plan.kind, plan.status, plan.table, plan.branch, plan.createdAt, plan.createdBy, JSON.stringify(plan)],
      );
    },
    async get(id) {
      const r = await db.query<Row>(`SELECT * FROM maintenance_plans WHERE id = $1`, [id]);
      return r.rows[0] ? fromRow(r.rows[0]) : null;
    },
    async list(q) {
      const params: unknown[] = [q.first + 1];
      let where = '';
      if (q.after) {
        const [at, id] = parseCursor(q.after);
        params.push(at, id);
        where = `WHERE (created_at, id) < ($2::timestamptz, $3)`;
      }
      const r = await db.query<Row>(`SELECT * FROM maintenance_plans ${where} ORDER BY created_at DESC, id DESC LIMIT $1`, params);
      const items = r.rows.slice(0, q.first).map(fromRow);
      return { items, nextCursor: r.rows.length > q.first && items.length > 0 ? cursorOf(items.at(-1)!) : null };
    },
    async unfinished() {
      return (await db.query<Row>(`SELECT * FROM maintenance_plans WHERE status = 'EXECUTING' ORDER BY created_at`)).rows.map(fromRow);
    },
    async update(id, from, status, fields = {}) {
      const r = await db.query(
        `UPDATE maintenance_plans SET status = $3,
           result_hash = COALESCE($4, result_hash), deleted_files = COALESCE($5, deleted_files), error = COALESCE($6, error), finished_at = COALESCE($7, finished_at)
         WHERE id = $1 AND status = ANY($2::text[]) RETURNING id`,
        [id, from, status, fields.resultHash ?? null, fields.deletedFiles ?? null, fields.error ?? null, fields.finishedAt ?? null],
      );
      return r.rows.length > 0;
    },
    async appendEvent(planId, type, message, data = null) {
      // One executor writes a plan's events at a time; the primary key catches any other.
      const r = await db.query<EventRow>(
        `INSERT INTO maintenance_events (plan_id, seq, at, type, message, data)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM maintenance_events WHERE plan_id = $1 RETURNING *`,
        [planId, new Date(), type, message, data === null ? null : JSON.stringify(data)],
      );
      return eventOf(r.rows[0]!);
    },
    async events(planId, after) {
      return (await db.query<EventRow>(`SELECT * FROM maintenance_events WHERE plan_id = $1 AND seq > $2 ORDER BY seq`, [planId, after])).rows.map(eventOf);
    },
    async close() {},
  };
}
