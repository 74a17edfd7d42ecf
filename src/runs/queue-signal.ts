/**
 * "A run was queued in this process": RunService tells it, the run engine listens (and then looks
 * for queued runs at once instead of at its next poll). Made first and handed to both, so neither
 * holds the other. Runs queued through other instances reach the engine as `runUpdated` notices.
 */
export class RunQueueSignal {
  private readonly listeners = new Set<() => void>();

  /** Calls `listener` on each queued run until the returned function is called. */
  listen(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A run was queued. */
  queued(): void {
    for (const l of this.listeners) l();
  }
}
