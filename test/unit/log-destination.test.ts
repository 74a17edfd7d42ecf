import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LogDestination } from '../../src/log-destination.js';

/** A log reader that takes nothing while stalled, and everything once it reads again. */
class Reader extends Writable {
  readonly lines: string[] = [];
  private waiting: (() => void)[] = [];
  constructor(private stalled = true) {
    super({ decodeStrings: false, highWaterMark: 16 });
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: () => void): void {
    const take = () => {
      this.lines.push(String(chunk));
      setImmediate(done);
    };
    if (this.stalled) this.waiting.push(take);
    else take();
  }
  read(): void {
    this.stalled = false;
    for (const take of this.waiting.splice(0)) take();
  }
}

const line = (i: number) => `{"n":"${String(i).padStart(3, '0')}"}\n`; // 12 characters

describe('LogDestination', () => {
  it('keeps at most maxBytes waiting, drops and counts the rest, and says how many once the reader caught up', async () => {
    const reader = new Reader();
    const dest = new LogDestination(reader, { service: 's' }, 240);
    for (let i = 0; i < 50; i++) dest.write(line(i));
    expect(reader.writableLength).toBeLessThanOrEqual(240);
    expect(dest.dropped).toBe(30);

    reader.read();
    await once(reader, 'drain');
    dest.write(line(50));
    await new Promise((r) => setImmediate(r));
    const [kept, [note, after]] = [reader.lines.slice(0, 20), reader.lines.slice(20)];
    expect(kept).toEqual(Array.from({ length: 20 }, (_, i) => line(i)));
    expect(JSON.parse(note!)).toMatchObject({ level: 40, service: 's', dropped: 30, msg: '30 log lines dropped: the log reader was not keeping up' });
    expect(after).toBe(line(50));
    expect(dest.dropped).toBe(30);
  });

  it('drops every line from the first dropped one until the queue has drained: no holes that are not noted', async () => {
    const reader = new Reader();
    const dest = new LogDestination(reader, {}, 120);
    for (let i = 0; i < 11; i++) dest.write(line(i)); // the 11th is dropped
    reader.read();
    await new Promise((r) => setImmediate(r)); // room again, but not yet drained
    dest.write(line(11));
    await once(reader, 'drain');
    await new Promise((r) => setImmediate(r));
    expect(reader.lines.slice(10).map((l) => JSON.parse(l).dropped)).toEqual([2]);
  });

  it('stops writing, and counts what it could not write, once the reader has gone (EPIPE)', async () => {
    const gone = new Writable({ write: (_chunk, _enc, done) => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) });
    const dest = new LogDestination(gone, {});
    dest.write(line(0));
    await new Promise((r) => setImmediate(r)); // the error event: handled, so the process goes on
    dest.write(line(1));
    dest.write(line(2));
    expect(dest.dropped).toBe(2);
    await dest.flushWithin(1000);
  });

  it('flushWithin waits for the queue to drain, or gives up at its deadline', async () => {
    const flowing = new Reader(false);
    const ok = new LogDestination(flowing, {});
    for (let i = 0; i < 20; i++) ok.write(line(i));
    await ok.flushWithin(1000);
    expect(flowing.writableLength).toBe(0);
    expect(flowing.lines).toHaveLength(20);

    const stalled = new Reader();
    const stuck = new LogDestination(stalled, {}, 120);
    for (let i = 0; i < 20; i++) stuck.write(line(i));
    const started = performance.now();
    await stuck.flushWithin(50);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stalled.writableLength).toBeGreaterThan(0);
    stalled.read();
    await once(stalled, 'drain');
    await new Promise((r) => setImmediate(r));
    expect(JSON.parse(stalled.lines.at(-1)!).dropped).toBe(10); // the note was queued at the flush
  });
});
