/**
 * A tiny SQL database abstraction shared by the embedded stores (version store, runs, events):
 * PGlite (PostgreSQL in WASM, one session, one statement at a time) or a real PostgreSQL pool.
 *
 * PGlite: every query and every transaction goes through one FIFO queue, so a plain query issued
 * while a transaction runs waits for it instead of interleaving with the transaction's statements.
 * PostgreSQL: a `pg` Pool; each transaction gets its own client and the database serialises
 * concurrent writers (row locks on UPDATE … WHERE hash = $expected give compare-and-swap).
 *
 * Connection failures surface as BackendUnavailable; SQL errors (constraint violations, syntax)
 * are passed through unchanged, since they are programming errors or handled by the caller.
 */
import { BackendUnavailable, InvalidInput } from '../../domain/errors.js';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface SqlExecutor {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
}

export interface SqlDatabase extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (BEGIN … COMMIT; ROLLBACK when it throws). */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * PGlite only: runs one `COPY … FROM '/dev/blob'` statement reading `data` (in the queue like any
   * query); resolves with the rows copied. PostgreSQL streams COPY through its own clients instead.
   */
  copyFromBlob?(sql: string, data: Blob): Promise<number>;
  close(): Promise<void>;
}

/** One versioned schema step of a component; applied once, in order, inside one transaction. */
export interface Migration {
  version: number;
  statements: string[];
}

/**
 * Applies the component's migrations that are not yet recorded in `schema_migrations`. Safe to run
 * from several processes at once on PostgreSQL (an advisory transaction lock serialises them).
 */
export async function migrate(db: SqlDatabase, component: string, migrations: Migration[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`cascade-migrate:${component}`]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         component text NOT NULL, version integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (component, version))`,
    );
    const done = await tx.query<{ version: number }>(
      `SELECT version FROM schema_migrations WHERE component = $1`,
      [component],
    );
    const applied = new Set(done.rows.map((r) => Number(r.version)));
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      for (const s of m.statements) await tx.query(s);
      await tx.query(`INSERT INTO schema_migrations (component, version) VALUES ($1, $2)`, [component, m.version]);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// PGlite

/** Opens (creating if needed) a PGlite database in `dir`; `memory://` or undefined for in-memory. */
export async function openPglite(dir?: string): Promise<SqlDatabase> {
  let pg: import('@electric-sql/pglite').PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    pg = await PGlite.create(dir ?? 'memory://');
  } catch (e) {
    throw new BackendUnavailable(`cannot open the embedded database at ${dir ?? 'memory'}: ${errText(e)}`, 'pglite');
  }
  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;
  const enqueue = <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new BackendUnavailable('the embedded database is closed', 'pglite'));
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
  type Raw = (sql: string, params?: unknown[]) => Promise<{ rows: unknown[]; affectedRows?: number }>;
  const exec = async <T>(q: Raw, sql: string, params?: unknown[]): Promise<QueryResult<T>> => {
    try {
      const r = await q(sql, params);
      return { rows: r.rows as T[], rowCount: r.affectedRows ?? r.rows.length };
    } catch (e) {
      throw mapError(e, 'pglite');
    }
  };
  return {
    kind: 'pglite',
    query: <T>(sql: string, params?: unknown[]) => enqueue(() => exec<T>((s, p) => pg.query(s, p), sql, params)),
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) =>
      enqueue(() =>
        pg.transaction(async (t) => {
          const tx: SqlExecutor = { query: <R>(sql: string, params?: unknown[]) => exec<R>((s, p) => t.query(s, p), sql, params) };
          return fn(tx);
        }),
      ),
    copyFromBlob: async (sql: string, data: Blob) =>
      (await enqueue(() => exec((s) => pg.query(s, [], { blob: data }), sql))).rowCount,
    close: async () => {
      if (closed) return;
      await enqueue(async () => undefined);
      closed = true;
      await pg.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PostgresOptions {
  max?: number;
  connectionTimeoutMillis?: number;
}

/** Opens a pool on `url` and checks that the server answers. */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<SqlDatabase> {
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', () => undefined);
  let ended = false;
  const db: SqlDatabase = {
    kind: 'postgres',
    query: async <T>(sql: string, params?: unknown[]) => {
      try {
        const r = await pool.query(sql, params);
        return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
      } catch (e) {
        throw mapError(e, 'postgres');
      }
    },
    transaction: async <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
      let client: import('pg').PoolClient;
      try {
        client = await pool.connect();
      } catch (e) {
        throw mapError(e, 'postgres');
      }
      const tx: SqlExecutor = {
        query: async <R>(sql: string, params?: unknown[]) => {
          try {
            const r = await client.query(sql, params);
            return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
          } catch (e) {
            throw mapError(e, 'postgres');
          }
        },
      };
      let broken = false;
      try {
        await tx.query('BEGIN');
        const out = await fn(tx);
        await tx.query('COMMIT');
        return out;
      } catch (e) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw e;
      } finally {
        client.release(broken);
      }
    },
    close: async () => {
      if (ended) return;
      ended = true;
      await pool.end();
    },
  };
  await db.query('SELECT 1');
  return db;
}

// ---------------------------------------------------------------------------------------------

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN']);

/** Connection-level failures become BackendUnavailable; anything else is returned as is. */
export function mapError(e: unknown, backend: string): unknown {
  if (e instanceof BackendUnavailable) return e;
  const code = (e as { code?: unknown } | null)?.code;
  // A NUL character (or another byte PostgreSQL text cannot hold) in a client's string: bad input, not a failure.
  if (code === '22021' || code === '22P05') return new InvalidInput('text values must not contain NUL characters');
  const msg = errText(e);
  const isConn =
    (typeof code === 'string' &&
      (CONNECTION_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300')) ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|PGlite is closed/i.test(msg);
  return isConn ? new BackendUnavailable(`${backend} unavailable: ${msg}`, backend) : e;
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
