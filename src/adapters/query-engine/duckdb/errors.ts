/**
 * DuckDB failures as domain errors. DuckDB's own message is kept (it says what is wrong with the
 * SQL or the data) but never a JS stack; an interrupt means our timeout fired.
 */
import { BackendUnavailable, DomainError, InvalidInput, LimitExceeded } from '../../../domain/errors.js';

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export function isInterrupt(e: unknown): boolean {
  return /INTERRUPT Error|Interrupted!/i.test(messageOf(e));
}

/** For failures caused by what the caller sent (their SQL, filter values, cursor, files). */
export function userError(e: unknown, field: string | null = null): DomainError {
  if (e instanceof DomainError) return e;
  const msg = messageOf(e);
  if (isInterrupt(e)) return new LimitExceeded('the query was interrupted: it ran longer than allowed');
  if (/Out of Memory Error/i.test(msg)) return new LimitExceeded(`the query needs more memory than allowed: ${firstLine(msg)}`);
  if (/^IO Error/i.test(msg)) return new BackendUnavailable(`a data file could not be read: ${msg}`, 'duckdb');
  return new InvalidInput(msg, field);
}

/** For failures of the engine's own queries: a bug or an unreadable file, not bad input. */
export function engineError(e: unknown, what: string): DomainError {
  if (e instanceof DomainError) return e;
  const msg = messageOf(e);
  if (/Out of Memory Error/i.test(msg)) return new LimitExceeded(`${what}: ${firstLine(msg)}`);
  return new BackendUnavailable(`${what}: ${msg}`, 'duckdb');
}

/** DuckDB's out-of-memory text goes on with advice for its own console (SET temp_directory, SET memory_limit) that a client cannot follow. */
function firstLine(msg: string): string {
  return msg.split('\n', 1)[0]!;
}
