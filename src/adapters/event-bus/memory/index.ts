/** In-process EventBus: each subscriber gets an unbounded queue (events are small and rare). */
import type { Topic, Topics } from '../../../domain/events.js';
import type { EventBus } from '../../../ports/event-bus.js';
import { subscriberQueue } from '../subscriber-queue.js';

type Listener = (payload: unknown) => void;

export function createMemoryEventBus(): EventBus {
  const listeners = new Map<string, Set<Listener>>();

  return {
    kind: 'memory',
    async publish(topic, payload) {
      for (const l of listeners.get(topic) ?? []) l(structuredClone(payload));
    },
    subscribe<T extends Topic>(topic: T, signal?: AbortSignal) {
      const set = listeners.get(topic) ?? new Set<Listener>();
      listeners.set(topic, set);
      const q = subscriberQueue<unknown, Topics[T]>((p) => p as Topics[T], () => set.delete(q.push));
      set.add(q.push);
      signal?.addEventListener('abort', q.finish, { once: true });
      const events = q.events;
      return { events, ready: Promise.resolve() };
    },
    async close() {
      listeners.clear();
    },
  };
}
