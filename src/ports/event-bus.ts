/**
 * EventBus: fan-out of JSON events by topic, in process or across gateway instances.
 * Delivery is at-most-once to live subscribers; per publisher, events arrive in publish order.
 */
import type { Topic, Topics } from '../domain/events.js';

export interface EventBus {
  readonly kind: string;
  /** Resolves once the event is handed to the transport. BackendUnavailable after close. */
  publish<T extends Topic>(topic: T, payload: Topics[T]): Promise<void>;
  /**
   * Events published after the subscription is established, until `signal` aborts or the iterator
   * is returned. `ready` resolves when the subscription is live. Every subscriber of a topic gets
   * every event (a copy: JSON-equal to what was published). An already aborted signal, or a closed
   * bus, gives an iterator that has ended.
   */
  subscribe<T extends Topic>(topic: T, signal?: AbortSignal): { events: AsyncIterableIterator<Topics[T]>; ready: Promise<void> };
  /** Ends every live subscription's iterator (after the events it already holds). */
  close(): Promise<void>;
}
