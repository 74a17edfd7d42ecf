/** Typed topic access on the EventBus, for the services' subscriptions. */
import type { Topic, Topics } from '../domain/events.js';
import type { EventBus } from '../ports/event-bus.js';

export type { Topic, Topics };

/**
 * Live events of one topic that pass `keep`; ends when the client unsubscribes. The bus
 * subscription is made right away (not on first pull) so no event published after the
 * subscribe call is missed.
 */
export function filterEvents<T extends Topic>(
  bus: EventBus,
  topic: T,
  keep: (event: Topics[T]) => boolean,
): AsyncIterableIterator<Topics[T]> {
  const { events } = bus.subscribe(topic);
  const filtered: AsyncIterableIterator<Topics[T]> = {
    [Symbol.asyncIterator]() {
      return filtered;
    },
    async next() {
      for (;;) {
        const r = await events.next();
        if (r.done || keep(r.value)) return r;
      }
    },
    async return() {
      return (await events.return?.()) ?? { value: undefined, done: true };
    },
  };
  return filtered;
}
