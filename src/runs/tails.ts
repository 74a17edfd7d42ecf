/**
 * A run's event tails: the fan-out behind RunService.streamEvents. One bus subscription to
 * `runEvent` while anyone streams a run; per streamed run a tail its subscribers share, which reads
 * each new event once from the RunStore and pushes it to every caught-up subscriber. The store is
 * the source of truth: a bus notice only says "look again".
 */
import { TERMINAL_EVENTS, type RunEvent, type RunEventNotice } from '../domain/runs.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunStore } from '../ports/run-store.js';
import { DIRECT_ITEMS, type DirectConsumer, type DirectItemSource } from '../util/direct-items.js';

/** What a subscriber of a run's events iterates: store reads, then pushes (and, when set, a direct consumer). */
export type RunEventStream = AsyncIterableIterator<RunEvent> & DirectItemSource<RunEvent>;

/** Events a store read returns at most. */
const EVENT_BATCH = 500;
/** Event instances a run's tail remembers by seq (two batches). */
const CANONICAL_EVENTS = 2 * EVENT_BATCH;
/** Events a live subscriber may have queued; a slower one reads from the store at its own pace. */
const MEMBER_QUEUE = 2 * EVENT_BATCH;

/**
 * One bus subscription to `runEvent` for the whole RunService (held while anyone streams a run), and
 * per streamed run a tail that its subscribers (members) share. A member first catches up from the
 * store: a read for "events after n" is made once and handed to every member that asks for the same
 * n while it still covers every notice seen — a read started after a notice arrived sees that event
 * (the recorder publishes notices after the event is durable). Once it has read to the end, the
 * member goes live: on each notice the tail reads the new events once and pushes them to every live
 * member, so an event costs one store read and one queue push per subscriber, not a read and a
 * chain of promise hops each.
 */
export class RunTails {
  private readonly tails = new Map<string, RunTail>();
  private members = 0;
  private sub: { events: AsyncIterableIterator<RunEventNotice>; ready: Promise<void> } | null = null;

  constructor(
    private readonly runs: RunStore,
    private readonly bus: EventBus,
  ) {}

  /** Whether someone streams this run id now (so it names a stored run). */
  has(runId: string): boolean {
    return this.tails.has(runId);
  }

  /** A member of the run's tail from `after`; resolves once notices are live, so a store read after it misses nothing. */
  async join(runId: string, after: number): Promise<RunEventStream> {
    let tail = this.tails.get(runId);
    if (!tail) {
      tail = new RunTail(runId, this.runs);
      this.tails.set(runId, tail);
    }
    const member = new TailMember(tail, after, (m) => this.left(m));
    tail.members.add(member);
    this.members++;
    const sub = this.sub ?? this.listen();
    try {
      await sub.ready;
    } catch (e) {
      member.leave();
      throw e;
    }
    return member;
  }

  private listen() {
    const sub = this.bus.subscribe('runEvent');
    this.sub = sub;
    void (async () => {
      try {
        for await (const n of sub.events) this.tails.get(n.runId)?.notice(n.seq);
      } catch {
        // The bus failed: the streams end, as they would on their own subscriptions.
      }
      if (this.sub !== sub) return;
      this.sub = null;
      for (const tail of this.tails.values()) tail.close();
      this.tails.clear();
    })();
    return sub;
  }

  private left(member: TailMember) {
    const { tail } = member;
    tail.live.delete(member);
    if (!tail.members.delete(member)) return;
    this.members--;
    if (tail.members.size === 0 && this.tails.get(tail.runId) === tail) this.tails.delete(tail.runId);
    if (this.members === 0 && this.sub) {
      const sub = this.sub;
      this.sub = null;
      void sub.events.return?.();
    }
  }
}

class RunTail {
  /** Highest seq of this run noticed since the tail exists. */
  noticed = 0;
  closed = false;
  readonly members = new Set<TailMember>();
  /** Members that read everything up to `pushed` (or beyond): new events are pushed to them. */
  readonly live = new Set<TailMember>();
  /** The seq through which events were pushed to the live members. */
  private pushed = 0;
  private pumping = false;
  /** Shared reads by `after`, with the `noticed` they were started at (oldest first, a few kept). */
  private readonly reads = new Map<number, { covers: number; events: Promise<RunEvent[]> }>();
  /**
   * The event objects handed out, by seq (the newest CANONICAL_EVENTS): a read that is not shared
   * (a member that fell behind a notice) still yields the instances the others got, so shared
   * subscription execution (subscriptions/shared-execution.ts) keys every subscriber's event alike.
   */
  private readonly handedOut = new Map<number, RunEvent>();
  /**
   * The run's newest stored seq as of a complete read through this tail, and whether it ended:
   * `after: -1` subscribers start from it instead of each reading the whole run (a reconnect storm
   * of live-only subscribers costs one store read, not one per subscriber).
   */
  private known: { seq: number; ended: boolean } | null = null;
  /** The highest seq a store read through this tail returned. */
  private highest = 0;
  private latestRead: { covers: number; head: Promise<{ seq: number; ended: boolean }> } | null = null;

  constructor(
    readonly runId: string,
    private readonly runs: RunStore,
  ) {}

  notice(seq: number) {
    if (seq <= this.noticed) return;
    this.noticed = seq;
    this.pump();
  }

  close() {
    this.closed = true;
    this.live.clear();
    for (const m of this.members) m.end();
  }

  /**
   * A member that read every stored event up to its `last` (a read covering every notice then)
   * joins the pushes; false when the pushes are already past it (it reads again).
   */
  goLive(m: TailMember): boolean {
    // The first live member sets where the pushes start, at most at a seq known to exist (an
    // `after` beyond the run's events must not make the pushes skip events).
    if (this.live.size === 0 && !this.pumping) this.pushed = Math.min(m.last, this.seen());
    else if (m.last < this.pushed) return false;
    this.live.add(m);
    this.pump();
    return true;
  }

  /** While there are live members and noticed events not pushed yet: read them once, push them to each. */
  private pump() {
    if (this.pumping || this.live.size === 0 || this.noticed <= this.pushed) return;
    this.pumping = true;
    void this.pumpLoop();
  }

  private async pumpLoop() {
    try {
      while (!this.closed && this.live.size > 0 && this.noticed > this.pushed) {
        const covers = this.noticed;
        const batch = await this.read(this.pushed);
        if (batch.length > 0) {
          this.pushed = batch[batch.length - 1]!.seq;
          for (const m of this.live) m.offer(batch);
        } else if (this.noticed === covers) break; // noticed but not found: wait for the next notice
      }
    } catch {
      // A failed read: the live members read for themselves, so the error reaches their streams.
      for (const m of [...this.live]) m.fallBack();
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The newest stored seq (and whether the run ended), covering every event noticed so far: from
   * what this tail already read when nothing newer was noticed, else one shared read of the events
   * after that.
   */
  latest(): Promise<{ seq: number; ended: boolean }> {
    const want = this.noticed;
    const known = this.known;
    if (known && (known.ended || known.seq >= want)) return Promise.resolve(known);
    const pending = this.latestRead;
    if (pending && pending.covers >= want) return pending.head;
    const from = known?.seq ?? 0;
    const head = this.runs.events(this.runId, from, 1_000_000).then((events) => {
      this.learn(from, events, true);
      return this.known ?? { seq: from, ended: false };
    });
    const entry = { covers: want, head };
    this.latestRead = entry;
    const clear = () => {
      if (this.latestRead === entry) this.latestRead = null;
    };
    head.then(clear, clear);
    return head;
  }

  /** The highest seq known to be stored (read, or noticed). */
  private seen(): number {
    return Math.max(this.highest, this.noticed);
  }

  /** Notes what a read of the events after `after` returned; `complete`: it reached the end of the run's events then. */
  private learn(after: number, events: readonly RunEvent[], complete: boolean) {
    if (events.length) this.highest = Math.max(this.highest, events[events.length - 1]!.seq);
    if (!complete) return;
    // An empty read after a seq beyond the run's events says nothing about where they end.
    const seq = events.length ? events[events.length - 1]!.seq : Math.min(after, this.seen());
    const ended = events.some((e) => TERMINAL_EVENTS.includes(e.type));
    const k = this.known;
    if (!k || seq > k.seq || (ended && !k.ended)) this.known = { seq: Math.max(seq, k?.seq ?? 0), ended: ended || (k?.ended ?? false) };
  }

  /** Up to EVENT_BATCH events with seq > after, including every event noticed so far (`fresh`: and every event stored now). */
  read(after: number, fresh = false): Promise<RunEvent[]> {
    const want = this.noticed;
    const shared = this.reads.get(after);
    if (shared && shared.covers >= want && !fresh) return shared.events;
    const events = this.runs.events(this.runId, after, EVENT_BATCH).then((batch) => {
      this.learn(after, batch, batch.length < EVENT_BATCH);
      return batch.map((e) => this.canonical(e));
    });
    const entry = { covers: want, events };
    this.reads.delete(after);
    this.reads.set(after, entry);
    if (this.reads.size > 32) this.reads.delete(this.reads.keys().next().value!);
    events.catch(() => {
      if (this.reads.get(after) === entry) this.reads.delete(after);
    });
    return events;
  }

  /** The instance of this event already handed out, if any (events never change once stored). */
  private canonical(e: RunEvent): RunEvent {
    const known = this.handedOut.get(e.seq);
    if (known) return known;
    this.handedOut.set(e.seq, e);
    if (this.handedOut.size > CANONICAL_EVENTS) {
      // Forget the lowest seq (a replay of old events does not push out the live ones).
      let low = e.seq;
      for (const s of this.handedOut.keys()) if (s < low) low = s;
      this.handedOut.delete(low);
    }
    return e;
  }
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

/**
 * One subscriber's stream of a run's events, as an async iterator: catching up (shared store reads
 * after `last`) until it has read to the end, then live (the tail pushes new events into its
 * queue, or straight to a waiting next()). A gap in what is pushed, or a queue grown past
 * MEMBER_QUEUE (a slow consumer), sends it back to catching up from the store. While live with a
 * next() waiting, a pushed event goes to the direct consumer, if one is set and takes it
 * (src/util/direct-items.ts): one call per subscriber per event instead of a promise chain.
 */
class TailMember implements AsyncIterableIterator<RunEvent>, DirectItemSource<RunEvent> {
  /** seq of the newest event queued or handed out (-1 until the run's head is known, for `after: -1`). */
  last: number;
  private queue: RunEvent[] = [];
  private head = 0;
  /** The terminal event is queued: nothing follows it. */
  private complete = false;
  /** No more events will be queued (closed or left): the queue drains, then the stream ends. */
  private ended = false;
  private left = false;
  private waiter: ((r: IteratorResult<RunEvent> | Promise<IteratorResult<RunEvent>>) => void) | null = null;
  /** The unsettled next(), if any: a further next() waits for it, as an async generator's would. */
  private pending: Promise<IteratorResult<RunEvent>> | null = null;
  private direct: DirectConsumer<RunEvent> | null = null;

  constructor(
    readonly tail: RunTail,
    after: number,
    private readonly onLeave: (m: TailMember) => void,
  ) {
    this.last = after;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  [DIRECT_ITEMS](consumer: DirectConsumer<RunEvent> | null) {
    this.direct = consumer;
  }

  next(): Promise<IteratorResult<RunEvent>> {
    if (this.pending) return this.pending.then(() => this.next());
    const now = this.take();
    if (now) return Promise.resolve(now);
    if (this.tail.live.has(this)) return (this.pending = new Promise((r) => (this.waiter = r)));
    const p = this.catchUp();
    this.pending = p;
    const clear = () => {
      if (this.pending === p) this.pending = null;
    };
    p.then(clear, clear);
    return p;
  }

  async return(): Promise<IteratorResult<RunEvent>> {
    this.queue = [];
    this.head = 0;
    this.leave();
    return DONE;
  }

  /** Events pushed by the tail, in seq order: those after `last` are queued (or handed to a waiting next()). */
  offer(batch: readonly RunEvent[]) {
    let added = false;
    for (const e of batch) {
      if (this.complete || this.ended) break;
      if (e.seq <= this.last) continue;
      if (e.seq !== this.last + 1 || this.queue.length - this.head >= MEMBER_QUEUE) {
        this.fallBack();
        break;
      }
      this.last = e.seq;
      // A waiting next() means the queue is empty and everything handed out before was consumed.
      const handed = !added && this.waiter !== null && this.direct !== null && this.direct(e);
      if (!handed) {
        this.queue.push(e);
        added = true;
      }
      if (TERMINAL_EVENTS.includes(e.type)) {
        this.complete = true;
        this.tail.live.delete(this);
        if (handed) this.leave(); // the terminal event went directly: the waiting next() ends the stream
      }
    }
    if (added && this.waiter) {
      // Taken before the waiter is cleared: taking the terminal event ends the stream (leave → wake(DONE)).
      const w = this.waiter;
      this.waiter = null;
      this.pending = null;
      w(this.take()!);
    }
  }

  /** Leaves the pushes and reads from the store after `last` instead. */
  fallBack() {
    this.tail.live.delete(this);
    if (!this.waiter) return;
    const w = this.waiter;
    this.waiter = null;
    this.pending = null;
    w(this.next());
  }

  /** The stream ends once its queue is drained (the tail closed). */
  end() {
    this.ended = true;
    this.tail.live.delete(this);
    this.wake(DONE);
  }

  leave() {
    if (this.left) return;
    this.left = true;
    this.direct = null;
    this.end();
    this.onLeave(this);
  }

  private wake(r: IteratorResult<RunEvent>) {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    this.pending = null;
    w(r);
  }

  /** The next queued event, or the end when nothing more will come; null: read or wait. */
  private take(): IteratorResult<RunEvent> | null {
    if (this.head < this.queue.length) {
      const e = this.queue[this.head++]!;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.complete && this.head === 0) this.leave(); // the terminal event: the stream ends after it
      return { value: e, done: false };
    }
    if (!this.ended) return null;
    this.leave();
    return DONE;
  }

  /** Reads the store after `last` (reads shared with members at the same point) until it has events to hand out or goes live. */
  private async catchUp(): Promise<IteratorResult<RunEvent>> {
    if (this.last === -1) {
      const head = await this.tail.latest();
      if (head.ended) this.leave();
      if (this.left) return DONE;
      this.last = head.seq;
    }
    let fresh = false;
    for (;;) {
      if (this.left) return DONE;
      const batch = await this.tail.read(this.last, fresh);
      fresh = false;
      if (this.left) return DONE;
      for (const e of batch) {
        if (e.seq <= this.last) continue;
        this.last = e.seq;
        this.queue.push(e);
        if (TERMINAL_EVENTS.includes(e.type)) {
          this.complete = true;
          break;
        }
      }
      if (this.complete || this.ended) return this.take() ?? DONE;
      if (batch.length < EVENT_BATCH) {
        // Every stored event up to `last` is read, as of a read covering every notice.
        if (this.tail.closed) this.end();
        else if (!this.tail.goLive(this)) {
          // The pushes are past `last`: those events are stored, though a shared read may predate them.
          fresh = true;
          continue;
        }
      }
      const now = this.take();
      if (now) return now;
      if (this.tail.live.has(this)) return new Promise((r) => (this.waiter = r));
    }
  }
}
