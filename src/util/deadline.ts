/**
 * The deadline of the operation being executed, carried through async calls (AsyncLocalStorage),
 * so that work deep below the GraphQL edge (a DuckDB query) stops when the operation's time is up
 * without every signature in between passing it along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<number>();

/** Runs `fn` with a deadline (epoch milliseconds). */
export function withDeadline<T>(deadline: number, fn: () => T): T {
  return storage.run(deadline, fn);
}

/** Milliseconds left before the current deadline (at least 1), capped at `max`; `max` when there is none. */
export function remainingMs(max: number): number {
  const deadline = storage.getStore();
  if (deadline === undefined) return max;
  return Math.max(1, Math.min(max, deadline - Date.now()));
}
