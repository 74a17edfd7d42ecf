/**
 * Deadlines of running operations, as `performance.now()` values (monotonic). The query timeout
 * (src/server/limits/timeout.ts) puts one on the GraphQL context (`deadline`); work far below the GraphQL
 * edge that can run long (DuckDB `sql`) is passed it and stops at the same moment.
 *
 * `Deadlines` watches many pending operations with one timer: every operation gets the same
 * timeout, so the order they start in is the order their deadlines fall in, and only the earliest
 * needs a timer. Starting and finishing an operation is a Set insert and delete.
 */

/** Milliseconds left before `deadline` (at least 1), capped at `max`; `max` when there is none. */
export function remainingMs(deadline: number | undefined, max: number): number {
  if (deadline === undefined) return max;
  return Math.max(1, Math.min(max, Math.ceil(deadline - performance.now())));
}

interface Pending {
  deadline: number;
  expire: () => void;
}

export class Deadlines {
  /** In deadline order (see above). */
  private readonly pending = new Set<Pending>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * Settles like `work`, unless `deadline` comes first: then with `onTimeout()`. `deadline` must not
   * be earlier than that of any call still pending (same timeout, later start).
   */
  race<T>(work: PromiseLike<T>, deadline: number, onTimeout: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = { deadline, expire: () => resolve(onTimeout()) };
      this.pending.add(entry);
      if (!this.timer) this.arm();
      work.then(
        (v) => {
          this.pending.delete(entry);
          resolve(v);
        },
        (e: unknown) => {
          this.pending.delete(entry);
          reject(e);
        },
      );
    });
  }

  /** Pending operations (tests). */
  get size(): number {
    return this.pending.size;
  }

  private arm(): void {
    const first = this.pending.values().next().value;
    if (!first) return;
    // A timer armed for an operation that has finished since fires early and re-arms for the next.
    this.timer = setTimeout(() => this.expireDue(), Math.max(0, first.deadline - performance.now()));
    this.timer.unref();
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const p of this.pending) {
      if (p.deadline > now) break;
      this.pending.delete(p);
      p.expire();
    }
    this.arm();
  }
}
