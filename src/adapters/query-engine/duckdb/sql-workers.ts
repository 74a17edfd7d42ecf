/**
 * User `sql` runs in child processes (sql-worker.ts), one query per process at a time, so that a
 * query DuckDB itself cannot bound is stopped by ending its process instead of taking the gateway
 * down: `SELECT range(200000000)` builds a 14 GB list outside `memory_limit` and ignores interrupts
 * for minutes (measured), and four of them at once would exhaust the machine.
 *
 * While a query runs, its process is watched: past its memory (DuckDB's limit plus headroom for the
 * process and the result's JS values, read from /proc every 100 ms) or past its time limit plus a
 * grace second (DuckDB's interrupt fires first; the grace is for queries that never look at it),
 * the process is killed and the caller gets LimitExceeded. Processes are kept for the next query,
 * unless a query left one large; at most as many run as `sql` has slots (sandbox.ts).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { BackendUnavailable, DomainError, InvalidInput, LimitExceeded } from '../../../domain/errors.js';
import type { SqlResult } from '../../../ports/query-engine.js';
import type { SerializedError, SqlTask } from './sql-worker.js';

const MiB = 1024 * 1024;
/** Room above DuckDB's own limit for Node, DuckDB's code and the result converted to JS values (≤ 64 MiB of JSON). */
const HEADROOM_BYTES = 1024 * MiB;
/** A process left larger than this by its query is ended rather than kept. */
const RECYCLE_RSS_BYTES = 768 * MiB;
const WATCH_MS = 100;
const GRACE_MS = 1000;
const START_TIMEOUT_MS = 60_000;

interface Worker {
  proc: ChildProcess;
  ready: Promise<void>;
  dead: boolean;
}

type Reply = { id: number; result: SqlResult } | { id: number; error: SerializedError };

/** Variables a query's process does not inherit: cloud credentials, secrets, database URLs. */
const SECRET_ENV = /^(AWS_|AZURE_|GOOGLE_|GCP_|GCS_)|SECRET|PASSWORD|TOKEN|CREDENTIAL|_KEY$|_KEY_ID$|DATABASE_URL/i;

/** The environment of a query's process: the gateway's, without anything SECRET_ENV names. */
export function workerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) if (!SECRET_ENV.test(k)) out[k] = v;
  return out;
}

/** The process's resident memory in bytes, where Linux's /proc tells it. */
export function residentBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function workerEntry(): { path: string; execArgv: string[] } {
  const here = new URL(import.meta.url);
  const ts = here.pathname.endsWith('.ts');
  const path = new URL(`./sql-worker.${ts ? 'ts' : 'js'}`, here).pathname;
  // Run from source: the child loads TypeScript through tsx, as `npm start` does.
  const tsx = ts ? pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href : null;
  return { path, execArgv: tsx ? ['--import', tsx] : [] };
}

function revive(e: SerializedError): DomainError {
  switch (e.name) {
    case 'InvalidInput':
      return new InvalidInput(e.message, e.field ?? null);
    case 'LimitExceeded':
      return new LimitExceeded(e.message);
    case 'BackendUnavailable':
      return new BackendUnavailable(e.message, e.backend ?? 'duckdb');
    default:
      return new BackendUnavailable(`the query failed: ${e.message}`, 'duckdb');
  }
}

export class SqlWorkers {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private nextId = 1;
  private closed = false;

  /** Runs one task in a process of its own for its duration; see the file comment for the limits. */
  async run(task: SqlTask): Promise<SqlResult> {
    if (this.closed) throw new BackendUnavailable('the DuckDB engine is closed', 'duckdb');
    const started = performance.now();
    let worker = this.idle.pop();
    while (worker?.dead) worker = this.idle.pop();
    if (!worker) {
      worker = this.spawn();
      await worker.ready;
    }
    // Starting a process is part of the query's time, as waiting for a slot is.
    const timeoutMs = Math.max(1, task.limits.timeoutMs - (performance.now() - started));
    const limitBytes = task.limits.maxMemoryBytes ? task.limits.maxMemoryBytes + HEADROOM_BYTES : null;
    const id = this.nextId++;
    const w = worker;
    return new Promise<SqlResult>((resolve, reject) => {
      const finish = (outcome: () => void) => {
        clearInterval(watch);
        clearTimeout(deadline);
        w.proc.off('message', onMessage);
        w.proc.off('exit', onExit);
        outcome();
        this.release(w);
      };
      const stop = (error: DomainError) => {
        this.kill(w);
        finish(() => reject(error));
      };
      const onMessage = (m: Reply) => {
        if (m.id !== id) return;
        finish(() => ('result' in m ? resolve(m.result) : reject(revive(m.error))));
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.forget(w);
        finish(() => reject(new BackendUnavailable(`the query's process ended unexpectedly (${signal ?? `exit code ${code}`})`, 'duckdb')));
      };
      const watch = setInterval(() => {
        const rss = w.proc.pid === undefined ? null : residentBytes(w.proc.pid);
        if (limitBytes !== null && rss !== null && rss > limitBytes) {
          stop(new LimitExceeded(`the query needs more memory than allowed (over ${Math.round(limitBytes / MiB)} MiB) and was stopped`));
        }
      }, WATCH_MS);
      const deadline = setTimeout(() => stop(new LimitExceeded(`the query took longer than ${Math.round(timeoutMs)} ms and did not stop when interrupted, so it was ended`)), timeoutMs + GRACE_MS);
      w.proc.on('message', onMessage);
      w.proc.once('exit', onExit);
      w.proc.send({ id, task: { ...task, limits: { ...task.limits, timeoutMs } } });
    });
  }

  close(): void {
    this.closed = true;
    for (const w of this.all) this.kill(w);
    this.idle.length = 0;
  }

  private spawn(): Worker {
    const { path, execArgv } = workerEntry();
    const proc = fork(path, [], { execArgv, env: workerEnv(), serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    // Idle processes must not keep the gateway's event loop alive; a running query's timers do.
    proc.unref();
    proc.channel?.unref();
    const worker: Worker = { proc, dead: false, ready: Promise.resolve() };
    worker.ready = new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.kill(worker);
        reject(new BackendUnavailable(`the query process could not start: ${why}`, 'duckdb'));
      };
      const timer = setTimeout(() => fail(`not ready after ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
      proc.once('error', (e) => fail(e.message));
      proc.once('exit', (code, signal) => fail(signal ?? `exit code ${code}`));
      proc.once('message', () => {
        clearTimeout(timer);
        proc.removeAllListeners('exit');
        proc.on('exit', () => this.forget(worker));
        resolve();
      });
    });
    this.all.add(worker);
    return worker;
  }

  private release(w: Worker): void {
    if (w.dead || this.closed) return this.forget(w);
    const rss = w.proc.pid === undefined ? null : residentBytes(w.proc.pid);
    if (rss !== null && rss > RECYCLE_RSS_BYTES) return this.kill(w);
    this.idle.push(w);
  }

  private kill(w: Worker): void {
    this.forget(w);
    w.proc.kill('SIGKILL');
  }

  private forget(w: Worker): void {
    w.dead = true;
    this.all.delete(w);
    const i = this.idle.indexOf(w);
    if (i >= 0) this.idle.splice(i, 1);
  }
}
