/**
 * One subscriber's queue of events as an async iterator: the part every EventBus adapter shares.
 * `push` queues an event and wakes a waiting `next()`; `finish` ends the iterator after what it
 * already holds (and calls `onFinish` once, e.g. to unregister the subscriber). `return()` (the
 * consumer leaving) ends it at once: what it held is dropped, as for any iterator returned.
 */
export function subscriberQueue<Raw, T>(decode: (raw: Raw) => T, onFinish: () => void) {
  const queue: Raw[] = [];
  let wake: (() => void) | null = null;
  let done = false;
  const finish = () => {
    if (!done) onFinish();
    done = true;
    wake?.();
  };
  const events: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      while (!done && queue.length === 0) await new Promise<void>((r) => (wake = r));
      wake = null;
      if (queue.length > 0) return { value: decode(queue.shift()!), done: false };
      return { value: undefined, done: true };
    },
    async return() {
      queue.length = 0;
      finish();
      return { value: undefined, done: true };
    },
  };
  return {
    push(raw: Raw) {
      queue.push(raw);
      wake?.();
    },
    finish,
    events,
  };
}
