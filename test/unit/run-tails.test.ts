/**
 * RunService.streamEvents over a fake store and the memory bus (src/services/runs.ts): catching up
 * from the store, then the run's tail pushing new events to every caught-up subscriber. Every
 * subscriber gets every event after its `after` once, in order, ending with the terminal event —
 * also a subscriber whose `after` is past the run's events, one that joins while events arrive,
 * and one too slow for the pushes (it falls back to reading the store) — and, with a direct
 * consumer set (src/util/direct-items.ts), through the consumer and next() together.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/event-bus/memory/index.js';
import type { RunEvent } from '../../src/domain/runs.js';
import type { RunStore } from '../../src/ports/run-store.js';
import { RunService } from '../../src/services/runs.js';
import { DIRECT_ITEMS, type DirectItemSource } from '../../src/util/direct-items.js';
import { eventually } from '../support/gateway.js';

const RUN = 'abc123';
const actor = { subject: 't', roles: ['viewer'] } as never;

function setup() {
  const stored: RunEvent[] = [];
  let reads = 0;
  const store = {
    getRun: async (id: string) => (id === RUN ? { runId: RUN } : null),
    events: async (_id: string, after: number, limit: number) => {
      reads++;
      await new Promise((r) => setTimeout(r, 1));
      return stored.filter((e) => e.seq > after).slice(0, limit);
    },
  } as unknown as RunStore;
  const bus = createMemoryEventBus();
  const catalog = { policy: { require: () => undefined } } as never;
  const service = new RunService({} as never, store, bus, catalog, {} as never, { warn: () => undefined } as never, {} as never);
  const append = async (type: RunEvent['type'] = 'STEP_PROGRESS') => {
    const e: RunEvent = { runId: RUN, seq: stored.length + 1, at: new Date(), type, step: null, level: 'INFO', message: '', data: null };
    stored.push(e);
    await bus.publish('runEvent', { runId: RUN, seq: e.seq });
  };
  return { service, append, reads: () => reads };
}

async function collect(it: AsyncIterableIterator<RunEvent>, delayMs = 0): Promise<number[]> {
  const seqs: number[] = [];
  for await (const e of it) {
    seqs.push(e.seq);
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  }
  return seqs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('run event streams (shared tail)', () => {
  it('hands every subscriber every event once, in order, wherever it starts', async () => {
    const { service, append, reads } = setup();
    for (let i = 0; i < 5; i++) await append();
    const fromStart = Array.from({ length: 50 }, async () => collect(await service.streamEvents(RUN, null, actor)));
    const fromThree = collect(await service.streamEvents(RUN, 3, actor));
    const live = collect(await service.streamEvents(RUN, -1, actor));
    // Past the run's events: it must not make the pushes skip events for the others.
    const beyond = collect(await service.streamEvents(RUN, 1000, actor));
    await new Promise((r) => setTimeout(r, 20));
    const late: Promise<number[]>[] = [];
    for (let i = 0; i < 40; i++) {
      await append();
      if (i % 10 === 5) late.push(collect(await service.streamEvents(RUN, 0, actor)));
    }
    const readsBeforeEnd = reads();
    await append('RUN_SUCCEEDED');
    const all = range(1, 46);
    for (const s of await Promise.all(fromStart)) expect(s).toEqual(all);
    for (const s of await Promise.all(late)) expect(s).toEqual(all);
    expect(await fromThree).toEqual(range(4, 46));
    const liveSeqs = await live;
    expect(liveSeqs).toEqual(range(liveSeqs[0]!, 46));
    expect(liveSeqs[0]).toBeLessThanOrEqual(6);
    beyond.catch(() => undefined); // ends with the run only when its seq is reached; not awaited
    // One read per new event for ~55 subscribers, not one each.
    expect(reads()).toBeLessThan(readsBeforeEnd + 5);
  });

  it('a subscriber too slow for the pushes reads the store instead and misses nothing', async () => {
    const { service, append } = setup();
    const fast = collect(await service.streamEvents(RUN, null, actor));
    const slow = collect(await service.streamEvents(RUN, null, actor), 2);
    await new Promise((r) => setTimeout(r, 20)); // both caught up: new events are pushed
    for (let i = 0; i < 1200; i++) {
      await append();
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 3));
    }
    await append('RUN_FAILED');
    expect(await fast).toEqual(range(1, 1201));
    expect(await slow).toEqual(range(1, 1201));
  });

  it('a direct consumer takes pushed events while a next() waits; a refused event and those after it come through next(), in order', async () => {
    const { service, append } = setup();
    for (let i = 0; i < 3; i++) await append();
    const it = await service.streamEvents(RUN, null, actor);
    const delivered: number[] = [];
    const direct: number[] = [];
    const pulled: number[] = [];
    const refuse = new Set([10, 20]);
    (it as unknown as DirectItemSource<RunEvent>)[DIRECT_ITEMS]((e) => {
      if (refuse.has(e.seq)) return false;
      delivered.push(e.seq);
      direct.push(e.seq);
      return true;
    });
    const done = (async () => {
      for await (const e of it) {
        delivered.push(e.seq);
        pulled.push(e.seq);
        if (e.seq === 10) await sleep(40); // busy: what is pushed meanwhile queues up
      }
    })();
    const until = (n: number) => eventually(() => delivered.length >= n);
    await until(3); // caught up from the store, then waiting
    for (let i = 4; i <= 9; i++) await append(); // direct
    await until(9);
    for (let i = 10; i <= 15; i++) await append(); // 10 refused; 11–15 arrive while the loop is busy with 10
    await until(15);
    for (let i = 16; i <= 22; i++) await append(); // direct again, except 20 (refused) and what follows it in its batch
    await until(22);
    await append('RUN_SUCCEEDED'); // direct, and the waiting next() ends the stream
    await done;
    expect(delivered).toEqual(range(1, 23));
    expect(pulled.slice(0, 4)).toEqual([1, 2, 3, 10]);
    expect(pulled).toEqual(expect.arrayContaining([11, 12, 13, 14, 15, 20]));
    expect(direct.slice(0, 6)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(direct).toEqual(expect.arrayContaining([16, 17, 18, 19, 23]));
    expect(direct[direct.length - 1]).toBe(23);
  });

  it('return() ends a waiting stream at once', async () => {
    const { service, append } = setup();
    await append();
    const it = await service.streamEvents(RUN, null, actor);
    expect((await it.next()).value?.seq).toBe(1);
    const pending = it.next();
    await it.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});
