/**
 * User SQL runs in a throwaway DuckDB instance (creating one takes ~15 ms) that can see nothing
 * but the plan files: the tables are views over them, `allowed_paths` lists exactly those files,
 * external access is then disabled and the configuration locked, so even a query that slipped past
 * sql-safety.ts could not read another file, attach a database, install an extension or undo this.
 * Results stream in chunks until the row cap or the size cap (result-budget.ts); a timer interrupts the query (LimitExceeded).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput, LimitExceeded } from '../../../domain/errors.js';
import type { JsonValue, SqlResult } from '../../../ports/query-engine.js';
import { userError } from './errors.js';
import { instanceConfig, type EngineOptions } from './instance.js';
import { chunkReader, ResultBudget } from './result-budget.js';
import { quoteIdent, sqlString, sqlStringList } from './sql-text.js';

export interface SandboxTable {
  /** Dotted table key: `t`, `ns.t` or `catalog.ns.t`. */
  key: string;
  /** SELECT producing the table's columns. */
  sql: string;
}

export async function defineViews(conn: DuckDBConnection, tables: SandboxTable[]): Promise<void> {
  const catalogs = new Set<string>();
  const schemas = new Set<string>();
  for (const t of tables) {
    const parts = t.key.split('.');
    if (parts.length > 3) throw new InvalidInput(`table '${t.key}' has more than three name parts and cannot be queried with SQL`, 'query');
    const q = parts.map(quoteIdent);
    if (parts.length === 3 && !catalogs.has(parts[0]!)) {
      catalogs.add(parts[0]!);
      await conn.run(`ATTACH ':memory:' AS ${q[0]}`);
    }
    const schema = q.slice(0, -1).join('.');
    if (parts.length > 1 && !schemas.has(schema)) {
      schemas.add(schema);
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    }
    await conn.run(`CREATE VIEW ${q.join('.')} AS ${t.sql}`);
  }
}

export function createSandboxInstance(opts: EngineOptions): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', { ...instanceConfig(opts), temp_directory: '' });
}

/**
 * One sandbox instance created ahead of the next query (creating one is ~15-40 ms of a query's
 * time). Each instance still serves exactly one query and is closed after it: the spare has never
 * run anything, so it is the same as one created on demand; the next spare is started after a
 * query has taken the previous one.
 */
export class SpareSandbox {
  private spare: Promise<DuckDBInstance> | null = null;
  private closed = false;
  constructor(private readonly opts: EngineOptions) {}

  take(): Promise<DuckDBInstance> {
    const out = this.spare ?? createSandboxInstance(this.opts);
    this.spare = null;
    return out;
  }

  /** Starts the next spare (call when a query is done, so it does not compete with it). */
  refill(): void {
    if (this.closed || this.spare) return;
    const next = createSandboxInstance(this.opts);
    next.catch(() => {
      if (this.spare === next) this.spare = null;
    });
    this.spare = next;
  }

  close(): void {
    this.closed = true;
    const s = this.spare;
    this.spare = null;
    void s?.then((i) => i.closeSync(), () => undefined);
  }
}

/**
 * Runs `fn` on a fresh locked-down instance: it sees only `views.files` (through the views), may
 * write only under `writableDir` (if any), cannot change its configuration, is interrupted after
 * `timeoutMs` (LimitExceeded) and holds at most `memoryLimitBytes` (if set). The one sandbox both `sql` and query inputs run in.
 */
export async function withSandbox<T>(
  opts: EngineOptions,
  views: { tables: SandboxTable[]; files: string[] },
  bounds: { writableDir: string | null; timeoutMs: number; memoryLimitBytes?: number; streamingBufferSize?: string },
  fn: (conn: DuckDBConnection) => Promise<T>,
  /** A fresh, unused instance from createSandboxInstance (SpareSandbox), else one is created here. */
  prepared?: Promise<DuckDBInstance>,
): Promise<T> {
  const { writableDir, timeoutMs, memoryLimitBytes, streamingBufferSize } = bounds;
  const instance = await (prepared ?? createSandboxInstance(opts));
  const conn = await instance.connect();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    conn.interrupt();
  }, timeoutMs);
  try {
    const writable = writableDir ? [writableDir.endsWith('/') ? writableDir : `${writableDir}/`] : [];
    // One call for all the settings (each call into DuckDB costs ~0.2 ms).
    await conn.run(
      [
        `SET allowed_directories = ${sqlStringList(writable)}`,
        `SET allowed_paths = ${sqlStringList([...new Set(views.files)])}`,
        `SET enable_external_access = false`,
        // DuckDB's memory (aggregates, sorts, joins); there is no temp directory to spill to.
        ...(memoryLimitBytes ? [`SET memory_limit = '${Math.floor(memoryLimitBytes / 1024 / 1024)}MiB'`] : []),
        // How far a streamed result (an Arrow export) may run ahead of its reader.
        ...(streamingBufferSize ? [`SET streaming_buffer_size = ${sqlString(streamingBufferSize)}`] : []),
      ].join('; '),
    );
    await defineViews(conn, views.tables);
    await conn.run(`SET lock_configuration = true`);
    return await fn(conn);
  } catch (e) {
    if (timedOut) throw new LimitExceeded(`the query took longer than ${timeoutMs} ms and was stopped`);
    throw userError(e, 'query');
  } finally {
    clearTimeout(timer);
    conn.closeSync();
    instance.closeSync();
  }
}

/**
 * At most `size` user queries at once (each sandbox is a DuckDB instance with its own threads and
 * memory); the rest wait their turn in order, each for at most its own time limit.
 */
export class SandboxSlots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  /** Runs `fn` in a slot, passing it what is left of `timeoutMs` after the wait. */
  async use<T>(timeoutMs: number, fn: (remainingMs: number) => Promise<T>): Promise<T> {
    const started = performance.now();
    if (this.busy < this.size) this.busy++;
    else await this.turn(timeoutMs);
    try {
      return await fn(Math.max(1, timeoutMs - (performance.now() - started)));
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.busy--;
    }
  }

  private turn(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const go = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(go), 1);
        reject(new LimitExceeded(`the query waited ${timeoutMs} ms for one of the ${this.size} query slots, all busy with other queries, and was not run`));
      }, timeoutMs);
      this.waiting.push(go);
    });
  }
}

export async function runSandboxed(
  opts: EngineOptions,
  tables: SandboxTable[],
  files: string[],
  query: string,
  limits: { maxRows: number; timeoutMs: number; maxBytes: number; maxMemoryBytes?: number },
  /** A fresh, unused instance from createSandboxInstance (SpareSandbox), else one is created here. */
  prepared?: Promise<DuckDBInstance>,
): Promise<SqlResult> {
  const started = performance.now();
  // The caller has already shortened limits.timeoutMs to the operation's own deadline, if any.
  return withSandbox(opts, { tables, files }, { writableDir: null, timeoutMs: limits.timeoutMs, memoryLimitBytes: limits.maxMemoryBytes }, async (conn) => {
    const result = await conn.stream(query);
    const names = result.columnNames();
    const types = result.columnTypes();
    const rows: JsonValue[][] = [];
    const budget = new ResultBudget(limits.maxBytes, 'select fewer rows (maxRows) or columns, or aggregate in the query');
    let truncated = false;
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      // Only the rows returned are converted; the budget stops an oversized value before it is built.
      const reader = chunkReader(chunk, types, types.length, budget);
      for (let r = 0; r < chunk.rowCount; r++) {
        if (rows.length === limits.maxRows) {
          truncated = true;
          break;
        }
        rows.push(reader.row(r));
      }
      if (truncated) break;
    }
    return {
      columns: names.map((name, i) => ({ name, type: types[i]?.toString() ?? 'UNKNOWN' })),
      rows,
      truncated,
      elapsedMs: Math.round(performance.now() - started),
    };
  }, prepared);
}
