/**
 * The child process that runs user `sql` (started by sql-workers.ts with `fork`). Each query still
 * gets a fresh locked-down DuckDB instance (sandbox.ts); the process around it is what the gateway
 * can kill. Some DuckDB functions (`range(2e8)` as a scalar, list builders) allocate outside
 * `memory_limit` and never check for interrupts, so neither DuckDB's limit nor its interrupt can
 * stop them: only ending the process can, and that must not end the gateway.
 *
 * Messages in: { id, task }. Out: { id, result } or { id, error: SerializedError }. The process
 * ends when its parent goes away (the IPC channel closes).
 */
import { DomainError } from '../../../domain/errors.js';
import type { EngineOptions } from './instance.js';
import { runSandboxed, SpareSandbox, type SandboxTable } from './sandbox.js';

export interface SqlTask {
  opts: EngineOptions;
  tables: SandboxTable[];
  files: string[];
  query: string;
  limits: { maxRows: number; timeoutMs: number; maxBytes: number; maxMemoryBytes?: number };
}

/** A DomainError as plain data (its class by name, and the fields the classes on the `sql` path carry). */
export interface SerializedError {
  name: string;
  message: string;
  field?: string | null;
  backend?: string;
}

function serialize(e: unknown): SerializedError {
  if (e instanceof DomainError) {
    const { field, backend } = e as DomainError & { field?: string | null; backend?: string };
    return { name: e.name, message: e.message, field, backend };
  }
  return { name: 'Error', message: e instanceof Error ? e.message : String(e) };
}

if (process.send) {
  let sandboxes: SpareSandbox | null = null;
  process.on('message', (msg: { id: number; task: SqlTask }) => {
    const { id, task } = msg;
    sandboxes ??= new SpareSandbox(task.opts);
    const spare = sandboxes;
    runSandboxed(task.opts, task.tables, task.files, task.query, task.limits, spare.take())
      .then(
        (result) => process.send!({ id, result }),
        (e: unknown) => process.send!({ id, error: serialize(e) }),
      )
      .finally(() => spare.refill());
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}
