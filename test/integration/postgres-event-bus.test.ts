/**
 * The LISTEN/NOTIFY event bus: two bus instances on one PostgreSQL database stand for two gateway
 * instances. Events cross over in publish order, big payloads too, each subscriber gets each event
 * once, and the listener reconnects after its connection is killed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import pg from 'pg';
import { createPostgresEventBus, type PostgresEventBus } from '../../src/adapters/event-bus/postgres/index.js';
import { openPostgres, type SqlDatabase } from '../../src/adapters/sql/database.js';
import type { ReferenceUpdateEvent } from '../../src/domain/events.js';
import { createTestDatabase } from '../support/services.js';

function refEvent(name: string, hash: string | null = 'a'.repeat(64)): ReferenceUpdateEvent {
  return { name, type: 'BRANCH', kind: 'COMMITTED', previousHash: null, hash, at: new Date(0).toISOString() };
}

/** Takes `n` events from the iterator, failing after `ms`. */
async function take<T>(events: AsyncIterator<T>, n: number, ms = 10_000): Promise<T[]> {
  const out: T[] = [];
  const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`got ${out.length} of ${n} events`)), ms).unref());
  while (out.length < n) {
    const r = await Promise.race([events.next(), deadline]);
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** Whether another event arrives within `ms`. */
async function nothingWithin<T>(events: AsyncIterator<T>, ms: number): Promise<boolean> {
  const timeout = new Promise<'none'>((r) => setTimeout(() => r('none'), ms).unref());
  return (await Promise.race([events.next().then(() => 'some' as const), timeout])) === 'none';
}

describe('PostgreSQL LISTEN/NOTIFY event bus', () => {
  let url: string;
  const dbs: SqlDatabase[] = [];
  let a: PostgresEventBus;
  let b: PostgresEventBus;
  const errors: unknown[] = [];

  const open = async () => {
    const db = await openPostgres(url);
    dbs.push(db);
    return createPostgresEventBus({ url, db, backoff: { minMs: 50, maxMs: 500 }, onError: (e) => errors.push(e) });
  };

  beforeAll(async () => {
    url = await createTestDatabase(inject('databaseUrl'), 'bus');
    a = await open();
    b = await open();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const db of dbs) await db.close();
  });

  it('delivers what A publishes to subscribers on B and on A, in order, each once', async () => {
    const onB = b.subscribe('referenceUpdated');
    const onA = a.subscribe('referenceUpdated');
    await Promise.all([onB.ready, onA.ready]);
    expect(a.kind).toBe('postgres');
    // Not awaited one by one: the bus keeps the publish order anyway.
    await Promise.all(Array.from({ length: 30 }, (_, i) => a.publish('referenceUpdated', refEvent(`b-${i}`))));
    const want = Array.from({ length: 30 }, (_, i) => refEvent(`b-${i}`));
    expect(await take(onB.events, 30)).toEqual(want);
    expect(await take(onA.events, 30)).toEqual(want);
    expect(await nothingWithin(onA.events, 300)).toBe(true);
    await onA.events.return!();
    await onB.events.return!();
  });

  it('carries payloads far over the 8,000-byte NOTIFY limit, in order with small ones', async () => {
    const sub = b.subscribe('referenceUpdated');
    await sub.ready;
    const big = (n: number) => refEvent(`big-${n}-${'x'.repeat(n)}`);
    const sent = [refEvent('small-1'), big(7_990), big(200_000), refEvent('small-2'), big(1_000_000), refEvent('small-3')];
    for (const e of sent) void a.publish('referenceUpdated', e);
    expect(await take(sub.events, sent.length)).toEqual(sent);
    await sub.events.return!();
  });

  it('delivers only events published after ready, per topic, until the signal aborts', async () => {
    const first = b.subscribe('runEvent');
    await first.ready;
    await a.publish('runEvent', { runId: 'r1', seq: 1 });
    expect(await take(first.events, 1)).toEqual([{ runId: 'r1', seq: 1 }]);

    // Published (and delivered to B) before this subscription existed: never seen by it.
    const ctl = new AbortController();
    const late = b.subscribe('runEvent', ctl.signal);
    await late.ready;
    await a.publish('runUpdated', { runId: 'r1', pipeline: 'p', status: 'RUNNING' });
    await a.publish('runEvent', { runId: 'r1', seq: 2 });
    expect(await take(late.events, 1)).toEqual([{ runId: 'r1', seq: 2 }]);
    expect(await take(first.events, 1)).toEqual([{ runId: 'r1', seq: 2 }]);

    ctl.abort();
    expect(await late.events.next()).toEqual({ value: undefined, done: true });
    await first.events.return!();
  });

  it('never hands a subscriber its own instance\'s events published before it subscribed', async () => {
    const warm = a.subscribe('runUpdated');
    await warm.ready; // A listens already, so A's own first event is still on its way back below
    await a.publish('runUpdated', { runId: 'r2', pipeline: 'p', status: 'QUEUED' });
    const sub = a.subscribe('runUpdated');
    await sub.ready;
    await a.publish('runUpdated', { runId: 'r2', pipeline: 'p', status: 'RUNNING' });
    expect(await take(sub.events, 1)).toEqual([{ runId: 'r2', pipeline: 'p', status: 'RUNNING' }]);
    expect((await take(warm.events, 2)).map((e) => e.status)).toEqual(['QUEUED', 'RUNNING']);
    await sub.events.return!();
    await warm.events.return!();
  });

  it('reconnects after its listening connection is killed, and LISTENs again', async () => {
    const sub = b.subscribe('referenceUpdated');
    await sub.ready;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = 'cascade-bus-listener'`,
      );
      expect(killed.rowCount).toBe(2);
    } finally {
      await admin.end();
    }
    // Events sent while a listener is down may be lost (at-most-once): wait until both noticed the
    // drop and are back, then events must cross again both ways.
    const until = Date.now() + 15_000;
    const dropped = { a: false, b: false };
    while (!dropped.a || !dropped.b || a.status() !== null || b.status() !== null) {
      if (Date.now() > until) throw new Error(`no drop and reconnect: ${a.status()} / ${b.status()}`);
      dropped.a ||= a.status() !== null;
      dropped.b ||= b.status() !== null;
      await new Promise((r) => setTimeout(r, 5));
    }
    await a.publish('referenceUpdated', refEvent('after-reconnect'));
    const got = await take(sub.events, 1);
    expect(got[0]!.name).toBe('after-reconnect');
    const again = a.subscribe('referenceUpdated');
    await again.ready;
    await b.publish('referenceUpdated', refEvent('b-to-a'));
    expect((await take(again.events, 1))[0]!.name).toBe('b-to-a');
    await again.events.return!();
    await sub.events.return!();
    expect(errors.length).toBeGreaterThan(0); // the drop was reported
  });

  it('ends live iterators on close', async () => {
    const c = await open();
    const sub = c.subscribe('referenceUpdated');
    await sub.ready;
    await c.close();
    expect(await sub.events.next()).toEqual({ value: undefined, done: true });
    await expect(c.publish('referenceUpdated', refEvent('x'))).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });
});
