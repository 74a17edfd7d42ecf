/**
 * The EventBus contract: one suite every event bus runs (in-memory, PostgreSQL LISTEN/NOTIFY), so
 * they are proven to mean the same thing to one gateway instance. Backend test files are one call:
 *
 *   describeEventBus('memory', async () => ({ bus: createMemoryEventBus(), cleanup }));
 *
 * `make` is called per test (a fresh bus; close is part of the contract). Several instances on one
 * database (PostgreSQL) are test/integration/postgres-event-bus.test.ts's business.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../src/domain/errors.js';
import type { ReferenceUpdateEvent } from '../../src/domain/events.js';
import type { EventBus } from '../../src/ports/event-bus.js';

export interface EventBusFixture {
  bus: EventBus;
  cleanup(): Promise<void>;
}

export type MakeEventBus = () => Promise<EventBusFixture>;

function refEvent(name: string): ReferenceUpdateEvent {
  return { name, type: 'BRANCH', kind: 'COMMITTED', previousHash: null, hash: 'a'.repeat(64), at: new Date(0).toISOString() };
}

/** Takes `n` events from the iterator, failing after `ms`. */
async function take<T>(events: AsyncIterator<T>, n: number, ms = 10_000): Promise<T[]> {
  const out: T[] = [];
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`got ${out.length} of ${n} events`)), ms)));
  try {
    while (out.length < n) {
      const r = await Promise.race([events.next(), deadline]);
      if (r.done) break;
      out.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

/** Whether another event arrives within `ms` (the pending next() is left to the iterator's end). */
async function nothingWithin<T>(events: AsyncIterator<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'none'>((r) => (timer = setTimeout(() => r('none'), ms)));
  const got = await Promise.race([events.next().then((r) => (r.done ? ('none' as const) : ('some' as const))), timeout]);
  clearTimeout(timer);
  return got === 'none';
}

/** What `p` settles to, or 'pending' if it does not within `ms`. */
async function within<T>(p: Promise<T>, ms = 5_000): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)));
  const got = await Promise.race([p, timeout]);
  clearTimeout(timer);
  return got;
}

export function describeEventBus(name: string, make: MakeEventBus): void {
  describe(`EventBus contract: ${name}`, () => {
    let fx: EventBusFixture | undefined;
    const open = async () => {
      fx = await make();
      return fx.bus;
    };
    afterEach(async () => {
      await fx?.bus.close().catch(() => undefined);
      await fx?.cleanup();
      fx = undefined;
    });

    it('delivers what is published, in publish order, as equal copies', async () => {
      const bus = await open();
      expect(bus.kind).toBeTruthy();
      const sub = bus.subscribe('referenceUpdated');
      await sub.ready;
      // Not awaited one by one: the bus keeps the publish order anyway.
      const sent = Array.from({ length: 25 }, (_, i) => refEvent(`b-${i}`));
      await Promise.all(sent.map((e) => bus.publish('referenceUpdated', e)));
      const got = await take(sub.events, sent.length);
      expect(got).toEqual(sent);
      expect(got[0]).not.toBe(sent[0]);
      expect(await nothingWithin(sub.events, 200)).toBe(true);
      await sub.events.return!();
    });

    it('gives every subscriber every event, per topic', async () => {
      const bus = await open();
      const a = bus.subscribe('runEvent');
      const b = bus.subscribe('runEvent');
      const other = bus.subscribe('runUpdated');
      await Promise.all([a.ready, b.ready, other.ready]);
      await bus.publish('runEvent', { runId: 'r1', seq: 1 });
      await bus.publish('runUpdated', { runId: 'r1', pipeline: 'p', status: 'RUNNING' });
      await bus.publish('runEvent', { runId: 'r1', seq: 2 });
      const want = [{ runId: 'r1', seq: 1 }, { runId: 'r1', seq: 2 }];
      expect(await take(a.events, 2)).toEqual(want);
      expect(await take(b.events, 2)).toEqual(want);
      expect(await take(other.events, 1)).toEqual([{ runId: 'r1', pipeline: 'p', status: 'RUNNING' }]);
      expect(await nothingWithin(other.events, 200)).toBe(true);
      for (const s of [a, b, other]) await s.events.return!();
    });

    it('delivers to a subscription only what is published once it is ready', async () => {
      const bus = await open();
      const first = bus.subscribe('runEvent');
      await first.ready;
      await bus.publish('runEvent', { runId: 'r2', seq: 1 });
      const late = bus.subscribe('runEvent');
      await late.ready;
      await bus.publish('runEvent', { runId: 'r2', seq: 2 });
      expect(await take(late.events, 1)).toEqual([{ runId: 'r2', seq: 2 }]);
      expect(await take(first.events, 2)).toEqual([{ runId: 'r2', seq: 1 }, { runId: 'r2', seq: 2 }]);
      expect(await nothingWithin(late.events, 200)).toBe(true);
      await first.events.return!();
      await late.events.return!();
    });

    it('ends the iterator when the signal aborts, or when it is returned; the others go on', async () => {
      const bus = await open();
      const ctl = new AbortController();
      const aborted = bus.subscribe('runEvent', ctl.signal);
      const returned = bus.subscribe('runEvent');
      const stays = bus.subscribe('runEvent');
      await Promise.all([aborted.ready, returned.ready, stays.ready]);
      await bus.publish('runEvent', { runId: 'r3', seq: 1 });
      expect(await take(aborted.events, 1)).toEqual([{ runId: 'r3', seq: 1 }]);
      // A waiting next() ends too.
      const waiting = aborted.events.next();
      ctl.abort();
      expect(await within(waiting)).toEqual({ value: undefined, done: true });
      expect(await returned.events.return!()).toEqual({ value: undefined, done: true });
      await bus.publish('runEvent', { runId: 'r3', seq: 2 });
      expect(await aborted.events.next()).toEqual({ value: undefined, done: true });
      expect(await returned.events.next()).toEqual({ value: undefined, done: true });
      expect(await take(stays.events, 2)).toEqual([{ runId: 'r3', seq: 1 }, { runId: 'r3', seq: 2 }]);
      // A signal aborted before subscribing gives an iterator that has already ended.
      const gone = bus.subscribe('runEvent', AbortSignal.abort());
      gone.ready.catch(() => undefined);
      expect(await within(gone.events.next())).toEqual({ value: undefined, done: true });
      await stays.events.return!();
    });

    it('ends live iterators on close; afterwards publishing is BackendUnavailable and subscriptions end at once', async () => {
      const bus = await open();
      const sub = bus.subscribe('referenceUpdated');
      await sub.ready;
      await bus.publish('referenceUpdated', refEvent('before-close'));
      expect((await take(sub.events, 1))[0]!.name).toBe('before-close');
      const waiting = sub.events.next();
      await bus.close();
      expect(await within(waiting)).toEqual({ value: undefined, done: true });
      const e = await bus.publish('referenceUpdated', refEvent('after')).then(() => null, (err: unknown) => err);
      expect(e).toBeInstanceOf(DomainError);
      expect((e as DomainError).code).toBe('BACKEND_UNAVAILABLE');
      const after = bus.subscribe('referenceUpdated');
      after.ready.catch(() => undefined);
      expect(await within(after.events.next())).toEqual({ value: undefined, done: true });
      await bus.close(); // twice is fine
    });
  });
}
