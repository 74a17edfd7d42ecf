/**
 * The engine's DuckDB instance (in-memory, files only) and a small connection pool. DuckDB runs
 * queries on its own threads; several connections let independent requests overlap, while temp
 * tables and interrupts stay scoped to the connection one operation holds.
 */
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { BackendUnavailable } from '../../../domain/errors.js';

export interface EngineOptions {
  /** DuckDB worker threads (default: DuckDB's choice, the number of cores). */
  threads?: number;
  /** e.g. '2GB' (default: DuckDB's, 80% of RAM). */
  memoryLimit?: string;
  /** Connections in the pool (default 4). */
  connections?: number;
  /** User `sql` queries running at once, each in its own sandbox instance (default 4); more wait their turn. */
  sqlConcurrency?: number;
  /** Memory of one user `sql` query when the call gives none (default: an eighth of the machine's; 0: no limit). */
  sqlMemoryBytes?: number;
}

/** Settings every instance gets: no network extension installs, nothing loaded behind our back. */
export function instanceConfig(opts: EngineOptions): Record<string, string> {
  const config: Record<string, string> = {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  };
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
  return config;
}

export async function createInstance(opts: EngineOptions): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(':memory:', instanceConfig(opts));
  } catch (e) {
    throw new BackendUnavailable(`DuckDB could not start: ${(e as Error).message}`, 'duckdb');
  }
}

export class ConnectionPool {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: ((c: DuckDBConnection) => void)[] = [];
  private created = 0;
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly size: number,
  ) {}

  /** Runs `fn` with a connection of its own, returning the connection afterwards. */
  async use<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = await this.acquire();
    try {
      return await fn(conn);
    } finally {
      this.release(conn);
    }
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new BackendUnavailable('the DuckDB engine is closed', 'duckdb');
    const free = this.idle.pop();
    if (free) return free;
    if (this.created < this.size) {
      this.created++;
      return this.instance.connect();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(conn: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(conn);
    else this.idle.push(conn);
  }

  close(): void {
    this.closed = true;
    for (const c of this.idle.splice(0)) c.closeSync();
    this.instance.closeSync();
  }
}
