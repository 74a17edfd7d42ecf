/**
 * EventBus over PostgreSQL LISTEN/NOTIFY, so that every gateway instance on one database sees every
 * event. One channel per topic (`cascade_<topic>`).
 *
 * - Listening: one dedicated `pg` client LISTENs to the topics that have (or had) subscribers. When
 *   its connection drops it reconnects with exponential backoff and LISTENs again; events sent while
 *   it was down are lost (the port promises at-most-once; run events are re-read from the run store
 *   by seq).
 * - Publishing: `SELECT pg_notify(channel, payload)` on the shared pool, one publish at a time, so a
 *   publisher's events arrive in publish order. Local subscribers receive their own instance's
 *   events through the same round trip, hence exactly once; a subscriber skips its own bus's events
 *   published before it subscribed (still in flight), so in one process "after" is exact. Another
 *   instance's event in flight when a subscription starts may still reach it.
 * - Big payloads: NOTIFY carries at most 8,000 bytes. A payload over `inlineLimit` bytes is stored
 *   in `cascade_bus_payloads` and the notification carries its id (insert and notify in one
 *   statement); receivers read it back before delivering, in arrival order. Rows older than ten
 *   minutes are deleted by later big publishes.
 */
import { subscriberQueue } from '../subscriber-queue.js';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { BackendUnavailable } from '../../../domain/errors.js';
import type { Topic, Topics } from '../../../domain/events.js';
import type { EventBus } from '../../../ports/event-bus.js';
import { migrate, type SqlDatabase } from '../../sql/database.js';

export interface PostgresEventBusOptions {
  /** The database URL the listener connects to (the same database `db` is on). */
  url: string;
  /** The shared pool: publishes and big-payload reads go through it. */
  db: SqlDatabase;
  /** Payloads larger than this many bytes (as JSON) go through the payload table. Default 7,000. */
  inlineLimit?: number;
  /** Reconnect backoff bounds in ms. Default 100 … 5,000. */
  backoff?: { minMs: number; maxMs: number };
  /** Told about listener connection failures and undeliverable notifications. */
  onError?: (e: unknown) => void;
}

export interface PostgresEventBus extends EventBus {
  /** Null while the listener is connected, else why not (for /readyz). */
  status(): string | null;
}

/** `i`: the publishing bus, `n`: its publish number; then the payload inline or a payload-table id. */
type Envelope = { i: string; n: number } & ({ p: unknown } | { ref: string });
interface Subscriber {
  /** This bus's publish count when the subscription began: its own earlier events are skipped. */
  since: number;
  push(json: string): void;
  finish(): void;
}

const CHANNEL_PREFIX = 'cascade_';
const PAYLOAD_TTL = `interval '10 minutes'`;

export async function createPostgresEventBus(opts: PostgresEventBusOptions): Promise<PostgresEventBus> {
  const { db } = opts;
  const inlineLimit = opts.inlineLimit ?? 7000;
  const backoff = opts.backoff ?? { minMs: 100, maxMs: 5000 };
  const onError = opts.onError ?? (() => undefined);
  await migrate(db, 'event-bus', [
    {
      version: 1,
      statements: [
        `CREATE TABLE IF NOT EXISTS cascade_bus_payloads (
           id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
        `CREATE INDEX IF NOT EXISTS cascade_bus_payloads_created ON cascade_bus_payloads (created_at)`,
      ],
    },
  ]);
  const { default: pgModule } = await import('pg');

  const subscribers = new Map<string, Set<Subscriber>>();
  /** Topics to LISTEN to on every (re)connection. */
  const topics = new Set<string>();
  let conn: { client: pg.Client; listening: Map<string, Promise<void>> } | null = null;
  let connectWaiters: (() => void)[] = [];
  let closed = false;
  let lastError: string | null = 'not connected yet';
  let retryTimer: NodeJS.Timeout | null = null;
  let attempt = 0;
  let inbox: Promise<void> = Promise.resolve();
  let outbox: Promise<void> = Promise.resolve();
  let lastCleanup = 0;

  const channel = (topic: string) => `${CHANNEL_PREFIX}${topic}`;

  const instance = randomUUID();
  let published = 0;
  const deliver = (topic: string, env: Envelope, json: string) => {
    const own = env.i === instance;
    for (const s of subscribers.get(topic) ?? []) if (!own || env.n > s.since) s.push(json);
  };

  const receive = (msg: pg.Notification) => {
    if (!msg.channel.startsWith(CHANNEL_PREFIX) || msg.payload === undefined) return;
    const topic = msg.channel.slice(CHANNEL_PREFIX.length);
    const payload = msg.payload;
    // One at a time, in arrival order: a big payload's read never lets a later event overtake it.
    inbox = inbox.then(async () => {
      try {
        const env = JSON.parse(payload) as Envelope;
        if ('ref' in env) {
          const r = await db.query<{ payload: string }>(`SELECT payload FROM cascade_bus_payloads WHERE id = $1`, [env.ref]);
          const row = r.rows[0];
          if (!row) throw new Error(`bus payload ${env.ref} of ${topic} is gone`);
          deliver(topic, env, row.payload);
        } else {
          deliver(topic, env, JSON.stringify(env.p));
        }
      } catch (e) {
        onError(e);
      }
    });
  };

  const listenOn = (c: NonNullable<typeof conn>, topic: string): Promise<void> => {
    let p = c.listening.get(topic);
    if (!p) {
      p = c.client.query(`LISTEN ${c.client.escapeIdentifier(channel(topic))}`).then(() => undefined);
      p.catch(() => undefined);
      c.listening.set(topic, p);
    }
    return p;
  };

  const gone = new WeakSet<pg.Client>();
  const dropped = (client: pg.Client, e: unknown) => {
    if (gone.has(client)) return;
    gone.add(client);
    if (conn?.client === client) conn = null;
    client.removeAllListeners('notification');
    client.end().catch(() => undefined);
    if (closed) return;
    lastError = e instanceof Error ? e.message : String(e ?? 'connection ended');
    onError(e ?? new Error('event bus listener connection ended'));
    scheduleConnect();
  };

  const connect = async (): Promise<void> => {
    const client = new pgModule.Client({ connectionString: opts.url, application_name: 'cascade-bus-listener', keepAlive: true });
    const early = () => undefined;
    client.on('error', early);
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    client.off('error', early);
    client.on('error', (e) => dropped(client, e));
    client.on('end', () => dropped(client, new Error('event bus listener connection ended')));
    client.on('notification', receive);
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    const c = { client, listening: new Map<string, Promise<void>>() };
    try {
      await Promise.all([...topics].map((t) => listenOn(c, t)));
    } catch (e) {
      gone.add(client);
      await client.end().catch(() => undefined);
      throw e;
    }
    conn = c;
    attempt = 0;
    lastError = null;
    const waiters = connectWaiters;
    connectWaiters = [];
    for (const w of waiters) w();
  };

  const scheduleConnect = () => {
    if (closed || retryTimer) return;
    const delay = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    attempt += 1;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      connect().catch((e) => {
        lastError = e instanceof Error ? e.message : String(e);
        onError(e);
        scheduleConnect();
      });
    }, delay);
    retryTimer.unref?.();
  };

  /** Resolves once the current connection LISTENs to `topic` (waiting for a reconnect if needed). */
  const ensureListening = async (topic: string): Promise<void> => {
    topics.add(topic);
    for (;;) {
      if (closed) return;
      const c = conn;
      if (!c) {
        await new Promise<void>((r) => connectWaiters.push(r));
        continue;
      }
      try {
        await listenOn(c, topic);
        return;
      } catch (e) {
        // The connection went away under the LISTEN; the reconnect LISTENs again.
        if (conn === c) dropped(c.client, e);
      }
    }
  };

  try {
    await connect();
  } catch (e) {
    throw new BackendUnavailable(`event bus cannot listen on PostgreSQL: ${e instanceof Error ? e.message : String(e)}`, 'postgres');
  }

  const send = async (topic: string, n: number, json: string) => {
    const head = `{"i":${JSON.stringify(instance)},"n":${n}`;
    const inline = `${head},"p":${json}}`;
    if (Buffer.byteLength(inline) <= inlineLimit) {
      await db.query(`SELECT pg_notify($1, $2)`, [channel(topic), inline]);
      return;
    }
    await db.query(
      `WITH stored AS (INSERT INTO cascade_bus_payloads (payload) VALUES ($2) RETURNING id)
       SELECT pg_notify($1, $3 || ',"ref":"' || id || '"}') FROM stored`,
      [channel(topic), json, head],
    );
    if (Date.now() - lastCleanup > 60_000) {
      lastCleanup = Date.now();
      await db.query(`DELETE FROM cascade_bus_payloads WHERE created_at < now() - ${PAYLOAD_TTL}`).catch(onError);
    }
  };

  return {
    kind: 'postgres',
    status: () => (closed ? 'closed' : conn ? null : `event bus listener disconnected: ${lastError}`),
    publish(topic, payload) {
      if (closed) return Promise.reject(new BackendUnavailable('the event bus is closed', 'postgres'));
      const json = JSON.stringify(payload);
      const n = ++published;
      const done = outbox.then(() => send(topic, n, json));
      outbox = done.catch(() => undefined);
      return done;
    },
    subscribe<T extends Topic>(topic: T, signal?: AbortSignal) {
      const set = subscribers.get(topic) ?? new Set<Subscriber>();
      subscribers.set(topic, set);
      const q = subscriberQueue<string, Topics[T]>((json) => JSON.parse(json) as Topics[T], () => set.delete(subscriber));
      const subscriber: Subscriber = { since: published, push: q.push, finish: q.finish };
      if (closed) q.finish();
      else set.add(subscriber);
      if (signal?.aborted) q.finish();
      signal?.addEventListener('abort', q.finish, { once: true });
      const events = q.events;
      return { events, ready: ensureListening(topic) };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const waiters = connectWaiters;
      connectWaiters = [];
      for (const w of waiters) w();
      await outbox;
      const c = conn;
      conn = null;
      if (c) {
        c.client.removeAllListeners('notification');
        await c.client.end().catch(() => undefined);
      }
      await inbox;
      // Live iterators end (after what they already received).
      for (const set of subscribers.values()) for (const s of [...set]) s.finish();
      subscribers.clear();
    },
  };
}
