/** In-process EventBus: each subscriber gets an unbounded queue (events are small and rare). */
import { BackendUnavailable } from '../../../domain/errors.js';
import type { Topic, Topics } from '../../../domain/events.js';
import type { EventBus } from '../../../ports/event-bus.js';
import { subscriberQueue } from '../subscriber-queue.js';

type Listener = { push: (payload: unknown) => void; finish: () => void };

export function createMemoryEventBus(): EventBus {
  const listeners = new Map<string, Set<Listener>>();
  let closed = false;

  return {
    kind: 'memory',
    async publish(topic, payload) {
      if (closed) throw new BackendUnavailable('the event bus is closed', 'memory');
      for (const l of listeners.get(topic) ?? []) l.push(structuredClone(payload));
    },
    subscribe<T extends Topic>(topic: T, signal?: AbortSignal) {
      const set = listeners.get(topic) ?? new Set<Listener>();
      listeners.set(topic, set);
      const q = subscriberQueue<unknown, Topics[T]>((p) => p as Topics[T], () => set.delete(q));
      if (closed || signal?.aborted) q.finish();
      else set.add(q);
      signal?.addEventListener('abort', q.finish, { once: true });
      const events = q.events;
      return { events, ready: Promise.resolve() };
    },
    async close() {
      closed = true;
      // Live iterators end (after what they already received).
      for (const set of listeners.values()) for (const l of [...set]) l.finish();
      listeners.clear();
    },
  };
}
