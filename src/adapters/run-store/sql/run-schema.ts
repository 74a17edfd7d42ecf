/**
 * Tables of the SQL run store (PGlite or PostgreSQL), created by versioned, idempotent migrations.
 *
 *   runs        id pk (UUID text), the run's fields; owner, renewed_at (last claim or heartbeat) and
 *               lease_until (renewed_at + the owner's lease) of the instance running it;
 *               next_seq (the next event number, taken with UPDATE … RETURNING under the row lock)
 *   run_events  (run_id, seq) pk, at, type, step, level, message, data
 *   run_audits  (run_id, ord) pk, one row per audit result (failing_rows bigint)
 *
 * Times are written by the store with millisecond precision (JavaScript dates), so a cursor made
 * from a returned `queuedAt` compares exactly with the stored value.
 */
import { migrate, type Migration, type SqlDatabase } from '../../sql/database.js';

export const RUN_MIGRATIONS: Migration[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS runs (
         id text PRIMARY KEY,
         pipeline text NOT NULL,
         status text NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED')),
         target text NOT NULL,
         branch text,
         params jsonb NOT NULL DEFAULT '{}'::jsonb,
         queued_at timestamptz NOT NULL,
         started_at timestamptz,
         finished_at timestamptz,
         error text,
         base_hash text,
         commit_hashes jsonb NOT NULL DEFAULT '[]'::jsonb,
         merged_hash text,
         started_by text NOT NULL,
         cancel_requested boolean NOT NULL DEFAULT false,
         retry_of text,
         owner text,
         renewed_at timestamptz,
         lease_until timestamptz,
         next_seq integer NOT NULL DEFAULT 1)`,
      `CREATE INDEX IF NOT EXISTS runs_newest ON runs (queued_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS runs_pipeline_newest ON runs (pipeline, queued_at DESC, id DESC)`,
      `CREATE INDEX IF NOT EXISTS runs_queue ON runs (queued_at, id) WHERE status = 'QUEUED'`,
      `CREATE INDEX IF NOT EXISTS runs_running ON runs (owner) WHERE status = 'RUNNING'`,
      `CREATE TABLE IF NOT EXISTS run_events (
         run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
         seq integer NOT NULL,
         at timestamptz NOT NULL,
         type text NOT NULL,
         step text,
         level text NOT NULL,
         message text NOT NULL,
         data jsonb,
         PRIMARY KEY (run_id, seq))`,
      `CREATE TABLE IF NOT EXISTS run_audits (
         run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
         ord integer NOT NULL,
         name text NOT NULL,
         table_key text NOT NULL,
         check_sql text NOT NULL,
         severity text NOT NULL,
         passed boolean NOT NULL,
         failing_rows bigint,
         message text,
         PRIMARY KEY (run_id, ord))`,
    ],
  },
];

export async function migrateRunStore(db: SqlDatabase): Promise<void> {
  await migrate(db, 'run-store', RUN_MIGRATIONS);
}
