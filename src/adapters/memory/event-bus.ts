/** In-process EventBus: each subscriber gets an unbounded queue (events are small and rare). */
import type { Topic, Topics } from '../../domain/events.js';
import type { EventBus } from '../../ports/event-bus.js';

type Listener = (payload: unknown) => void;

export function createMemoryEventBus(): EventBus {
  const listeners = new Map<string, Set<Listener>>();

  return {
    kind: 'memory',
    async publish(topic, payload) {
      for (const l of listeners.get(topic) ?? []) l(structuredClone(payload));
    },
    subscribe<T extends Topic>(topic: T, signal?: AbortSignal) {
      const queue: Topics[T][] = [];
      let wake: (() => void) | null = null;
      let done = false;
      const listener: Listener = (p) => {
        queue.push(p as Topics[T]);
        wake?.();
      };
      const set = listeners.get(topic) ?? new Set<Listener>();
      listeners.set(topic, set);
      set.add(listener);
      const finish = () => {
        done = true;
        set.delete(listener);
        wake?.();
      };
      signal?.addEventListener('abort', finish, { once: true });
      const events: AsyncIterableIterator<Topics[T]> = {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next() {
          while (!done && queue.length === 0) await new Promise<void>((r) => (wake = r));
          wake = null;
          if (queue.length > 0) return { value: queue.shift()!, done: false };
          return { value: undefined, done: true };
        },
        async return() {
          finish();
          return { value: undefined, done: true };
        },
      };
      return { events, ready: Promise.resolve() };
    },
    async close() {
      listeners.clear();
    },
  };
}
