/**
 * RunStore over the shared SQL database (PGlite embedded, PostgreSQL at scale).
 *
 * - Event numbers: every append bumps `runs.next_seq` with UPDATE … RETURNING in the same
 *   transaction as the event's INSERT, so the run's row lock serialises concurrent appenders and a
 *   rolled-back append gives its number back: seqs are 1, 2, 3, … without gaps or duplicates.
 * - Claiming: one UPDATE whose target is picked with SELECT … FOR UPDATE SKIP LOCKED, so
 *   concurrent claimers (on any instance) never get the same run and never wait for each other.
 * - Times come from the store's clock (`now`, millisecond precision), so a `queuedAt|runId` cursor
 *   compares exactly with the stored row.
 */
import { randomUUID } from 'node:crypto';
import { InvalidInput, NotFound } from '../../../domain/errors.js';
import type { AuditResult, NewRunEvent, PipelineRun, RunEvent, RunStatus } from '../../../domain/runs.js';
import type { NewRun, RunChange, RunQuery, RunStore } from '../../../ports/run-store.js';
import type { SqlDatabase, SqlExecutor } from '../../sql/database.js';
import { migrateRunStore } from './run-schema.js';

/** RUNNING runs whose lease ran out before $1 (every RUNNING run when $1 is null). */
const ABANDONED = `status = 'RUNNING' AND ($1::timestamptz IS NULL OR renewed_at IS NULL OR renewed_at < $1::timestamptz)`;

export interface SqlRunStoreOptions {
  /** How long a claim or heartbeat leases a run to its owner (default 30 s; shown as lease_until). */
  leaseMs?: number;
  /** Clock (tests). */
  now?: () => Date;
  /** Whether close() also closes `db` (default false: the database belongs to whoever opened it). */
  closeDatabase?: boolean;
}

interface RunRow {
  id: string;
  pipeline: string;
  status: RunStatus;
  target: string;
  branch: string | null;
  params: unknown;
  queued_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  error: string | null;
  base_hash: string | null;
  commit_hashes: unknown;
  merged_hash: string | null;
  started_by: string;
  cancel_requested: boolean;
  retry_of: string | null;
  next_seq: number;
}

interface EventRow {
  run_id: string;
  seq: number;
  at: Date | string;
  type: RunEvent['type'];
  step: string | null;
  level: RunEvent['level'];
  message: string;
  data: unknown;
}

interface AuditRow {
  name: string;
  table_key: string;
  check_sql: string;
  severity: AuditResult['severity'];
  passed: boolean;
  failing_rows: string | null;
  message: string | null;
}

export async function createSqlRunStore(db: SqlDatabase, opts: SqlRunStoreOptions = {}): Promise<RunStore> {
  await migrateRunStore(db);
  const leaseMs = opts.leaseMs ?? 30_000;
  const now = opts.now ?? (() => new Date());

  /** Applies `sets` (may be empty) to the run, takes a seq when `event` is given, appends it. */
  async function change(
    tx: SqlExecutor,
    runId: string,
    sets: string[],
    params: unknown[],
    event: NewRunEvent | undefined,
  ): Promise<{ run: PipelineRun; event: RunEvent | null }> {
    const all = [...sets];
    if (event) all.push('next_seq = next_seq + 1');
    const sql = all.length > 0
      ? `UPDATE runs SET ${all.join(', ')} WHERE id = $1 RETURNING *`
      : `SELECT * FROM runs WHERE id = $1`;
    const r = await tx.query<RunRow>(sql, [runId, ...params]);
    const row = r.rows[0];
    if (!row) throw new NotFound(`run ${runId} not found`);
    const run = toRun(row);
    if (!event) return { run, event: null };
    return { run, event: await insertEvent(tx, runId, Number(row.next_seq) - 1, event, now()) };
  }

  const store: RunStore = {
    async createRun(n: NewRun) {
      const id = randomUUID();
      const at = now();
      return db.transaction(async (tx) => {
        const r = await tx.query<RunRow>(
          `INSERT INTO runs (id, pipeline, status, target, params, queued_at, started_by, retry_of, next_seq)
           VALUES ($1, $2, 'QUEUED', $3, $4::jsonb, $5, $6, $7, 2) RETURNING *`,
          [id, n.pipeline, n.target, JSON.stringify(n.params ?? {}), at, n.startedBy, n.retryOf ?? null],
        );
        const event = await insertEvent(tx, id, 1, {
          type: 'RUN_QUEUED',
          step: null,
          level: 'INFO',
          message: `run of ${n.pipeline} into ${n.target} queued`,
          data: { pipeline: n.pipeline, target: n.target, startedBy: n.startedBy, retryOf: n.retryOf ?? null },
        }, at);
        return { run: toRun(r.rows[0]!), event };
      });
    },

    async getRun(runId) {
      const r = await db.query<RunRow>(`SELECT * FROM runs WHERE id = $1`, [runId]);
      return r.rows[0] ? toRun(r.rows[0]) : null;
    },

    async listRuns(q: RunQuery) {
      const where: string[] = [];
      const params: unknown[] = [];
      const param = (v: unknown) => (params.push(v), `$${params.length}`);
      if (q.pipeline) where.push(`pipeline = ${param(q.pipeline)}`);
      if (q.status && q.status.length > 0) where.push(`status IN (${q.status.map(param).join(', ')})`);
      if (q.after) {
        const c = parseCursor(q.after);
        where.push(`(queued_at, id) < (${param(c.queuedAt)}::timestamptz, ${param(c.runId)}::text)`);
      }
      const r = await db.query<RunRow>(
        `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY queued_at DESC, id DESC LIMIT ${param(q.limit + 1)}`,
        params,
      );
      const runs = r.rows.slice(0, q.limit).map(toRun);
      const last = runs[runs.length - 1];
      return { runs, nextCursor: r.rows.length > q.limit && last ? cursorOf(last) : null, hasMore: r.rows.length > q.limit };
    },

    async lastRuns(pipelines) {
      const out = new Map<string, PipelineRun>();
      if (pipelines.length === 0) return out;
      const list = pipelines.map((_, i) => `$${i + 1}`).join(', ');
      const r = await db.query<RunRow>(
        `SELECT DISTINCT ON (pipeline) * FROM runs WHERE pipeline IN (${list})
         ORDER BY pipeline, queued_at DESC, id DESC`,
        [...pipelines],
      );
      for (const row of r.rows) out.set(row.pipeline, toRun(row));
      return out;
    },

    async claimNext(owner) {
      const at = now();
      const r = await db.query<RunRow>(
        `UPDATE runs SET status = 'RUNNING', owner = $1, lease_until = $2, renewed_at = $3, started_at = COALESCE(started_at, $3)
         WHERE status = 'QUEUED' AND id = (
           SELECT id FROM runs WHERE status = 'QUEUED' ORDER BY queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [owner, new Date(at.getTime() + leaseMs), at],
      );
      return r.rows[0] ? toRun(r.rows[0]) : null;
    },

    async heartbeat(owner) {
      const at = now();
      await db.query(`UPDATE runs SET renewed_at = $2, lease_until = $3 WHERE owner = $1 AND status = 'RUNNING'`, [
        owner, at, new Date(at.getTime() + leaseMs),
      ]);
    },

    async abandoned(staleBefore) {
      const r = await db.query<RunRow>(`SELECT * FROM runs WHERE ${ABANDONED} ORDER BY queued_at, id`, [staleBefore]);
      return r.rows.map(toRun);
    },

    async failAbandoned(reason, staleBefore, merges) {
      return db.transaction(async (tx) => {
        const stale = await tx.query<RunRow>(`SELECT * FROM runs WHERE ${ABANDONED} ORDER BY queued_at, id FOR UPDATE SKIP LOCKED`, [staleBefore]);
        const failed: { run: PipelineRun; event: RunEvent }[] = [];
        for (let row of stale.rows) {
          const found = row.merged_hash ? undefined : merges?.get(row.id);
          if (found) {
            const merged = await change(tx, row.id, ['merged_hash = $2'], [found], {
              type: 'MERGED',
              step: 'publish',
              level: 'INFO',
              message: `Merged ${row.branch ?? 'the run branch'} into ${row.target} as ${found} (found in ${row.target}'s history after the gateway stopped)`,
              data: { hash: found, recovered: true },
            });
            row = { ...row, merged_hash: merged.run.mergedHash };
          }
          const why = reason(toRun(row));
          const { run, event } = await change(tx, row.id, [`status = 'FAILED'`, 'error = $2', 'finished_at = $3'], [why, now()], {
            type: 'RUN_FAILED',
            step: null,
            level: 'ERROR',
            message: why,
            data: null,
          });
          failed.push({ run, event: event! });
        }
        return failed;
      });
    },

    async updateRun(runId, c: RunChange, event?: NewRunEvent) {
      const sets: string[] = [];
      const params: unknown[] = [];
      const set = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length + 1}`);
      };
      if (c.status !== undefined) set('status', c.status);
      if (c.branch !== undefined) set('branch', c.branch);
      if (c.baseHash !== undefined) set('base_hash', c.baseHash);
      if (c.startedAt !== undefined) set('started_at', c.startedAt);
      if (c.finishedAt !== undefined) set('finished_at', c.finishedAt);
      if (c.error !== undefined) set('error', c.error);
      if (c.mergedHash !== undefined) set('merged_hash', c.mergedHash);
      if (c.addCommit !== undefined) {
        params.push(c.addCommit);
        sets.push(`commit_hashes = commit_hashes || jsonb_build_array($${params.length + 1}::text)`);
      }
      return db.transaction((tx) => change(tx, runId, sets, params, event));
    },

    async appendEvent(runId, event) {
      return db.transaction(async (tx) => (await change(tx, runId, [], [], event)).event!);
    },

    async events(runId, after, limit) {
      const r = await db.query<EventRow>(
        `SELECT * FROM run_events WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
        [runId, after, limit],
      );
      return r.rows.map(toEvent);
    },

    async requestCancel(runId) {
      return db.transaction(async (tx) => {
        const r = await tx.query<RunRow>(`SELECT * FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
        const row = r.rows[0];
        if (!row) throw new NotFound(`run ${runId} not found`);
        if (row.status === 'QUEUED') {
          return change(tx, runId, [`status = 'CANCELED'`, 'cancel_requested = true', 'finished_at = $2'], [now()], {
            type: 'RUN_CANCELED',
            step: null,
            level: 'INFO',
            message: 'run canceled before it started',
            data: null,
          });
        }
        if (row.status === 'RUNNING' && !row.cancel_requested) return change(tx, runId, ['cancel_requested = true'], [], undefined);
        return { run: toRun(row), event: null };
      });
    },

    async saveAudits(runId, audits) {
      await db.transaction(async (tx) => {
        const r = await tx.query(`SELECT 1 FROM runs WHERE id = $1 FOR UPDATE`, [runId]);
        if (r.rows.length === 0) throw new NotFound(`run ${runId} not found`);
        await tx.query(`DELETE FROM run_audits WHERE run_id = $1`, [runId]);
        for (const [i, a] of audits.entries()) {
          await tx.query(
            `INSERT INTO run_audits (run_id, ord, name, table_key, check_sql, severity, passed, failing_rows, message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9)`,
            [runId, i, a.name, a.table, a.check, a.severity, a.passed, a.failingRows === null ? null : a.failingRows.toString(), a.message],
          );
        }
      });
    },

    async audits(runId) {
      const r = await db.query<AuditRow>(
        `SELECT name, table_key, check_sql, severity, passed, failing_rows::text AS failing_rows, message
         FROM run_audits WHERE run_id = $1 ORDER BY ord`,
        [runId],
      );
      return r.rows.map((a) => ({
        name: a.name,
        table: a.table_key,
        check: a.check_sql,
        severity: a.severity,
        passed: a.passed,
        failingRows: a.failing_rows === null ? null : BigInt(a.failing_rows),
        message: a.message,
      }));
    },

    async close() {
      if (opts.closeDatabase) await db.close();
    },
  };
  return store;
}

async function insertEvent(tx: SqlExecutor, runId: string, seq: number, e: NewRunEvent, at: Date): Promise<RunEvent> {
  const r = await tx.query<EventRow>(
    `INSERT INTO run_events (run_id, seq, at, type, step, level, message, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb) RETURNING *`,
    [runId, seq, at, e.type, e.step, e.level, e.message, e.data === null ? null : JSON.stringify(e.data)],
  );
  return toEvent(r.rows[0]!);
}

function cursorOf(run: PipelineRun): string {
  return `${run.queuedAt.toISOString()}|${run.runId}`;
}

function parseCursor(cursor: string): { queuedAt: Date; runId: string } {
  const bar = cursor.indexOf('|');
  const queuedAt = new Date(bar > 0 ? cursor.slice(0, bar) : NaN);
  if (bar <= 0 || Number.isNaN(queuedAt.getTime())) throw new InvalidInput(`not a run cursor: ${cursor}`);
  return { queuedAt, runId: cursor.slice(bar + 1) };
}

function json<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

function date(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

function maybeDate(v: Date | string | null): Date | null {
  return v === null ? null : date(v);
}

function toRun(r: RunRow): PipelineRun {
  return {
    runId: r.id,
    pipeline: r.pipeline,
    status: r.status,
    target: r.target,
    branch: r.branch,
    params: json<Record<string, unknown>>(r.params) ?? {},
    queuedAt: date(r.queued_at),
    startedAt: maybeDate(r.started_at),
    finishedAt: maybeDate(r.finished_at),
    error: r.error,
    baseHash: r.base_hash,
    commitHashes: json<string[]>(r.commit_hashes) ?? [],
    mergedHash: r.merged_hash,
    startedBy: r.started_by,
    cancelRequested: r.cancel_requested,
    retryOf: r.retry_of,
  };
}

function toEvent(r: EventRow): RunEvent {
  return {
    runId: r.run_id,
    seq: Number(r.seq),
    at: date(r.at),
    type: r.type,
    step: r.step,
    level: r.level,
    message: r.message,
    data: r.data === null ? null : json<Record<string, unknown>>(r.data),
  };
}
