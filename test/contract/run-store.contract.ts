/**
 * The RunStore contract: one suite every run store adapter runs. Backend test files are one call:
 *
 *   describeRunStore('sql-pglite', async (opts) => ({ store, second, cleanup }));
 *
 * Every test gets a fresh, empty database (`make` is called per test), because claiming takes the
 * oldest QUEUED run of the whole store. `second()` opens another store on the same database — on
 * PostgreSQL through its own pool, as a second gateway instance would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { AuditResult, NewRunEvent, PipelineRun } from '../../src/domain/runs.js';
import type { RunStore } from '../../src/ports/run-store.js';

export interface RunStoreOptions {
  now?: () => Date;
  leaseMs?: number;
}

export interface RunStoreFixture {
  store: RunStore;
  /** Another store on the same database (another gateway instance). Closed by `cleanup`. */
  second(): Promise<RunStore>;
  cleanup(): Promise<void>;
}

export type MakeRunStore = (opts: RunStoreOptions) => Promise<RunStoreFixture>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A clock the test moves by hand, starting at a fixed instant. */
function manualClock(start = Date.parse('2030-01-01T00:00:00.000Z')) {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => void (t += ms) };
}

function log(message: string, data: Record<string, unknown> | null = null): NewRunEvent {
  return { type: 'LOG', step: null, level: 'INFO', message, data };
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e, `expected a ${code} error`).toBeInstanceOf(DomainError);
  expect((e as DomainError).code).toBe(code);
}

export function describeRunStore(name: string, make: MakeRunStore): void {
  describe(`RunStore contract: ${name}`, () => {
    let fixture: RunStoreFixture | undefined;
    const open = async (opts: RunStoreOptions = {}) => {
      fixture = await make(opts);
      return fixture;
    };
    afterEach(async () => {
      await fixture?.store.close().catch(() => undefined);
      await fixture?.cleanup();
      fixture = undefined;
    });
    const newRun = (store: RunStore, pipeline = 'orders', extra: Partial<Parameters<RunStore['createRun']>[0]> = {}) =>
      store.createRun({ pipeline, target: 'main', params: { day: '2030-01-01', n: 3 }, startedBy: 'alice', ...extra });

    it('creates a QUEUED run with a UUID and its RUN_QUEUED event as seq 1', async () => {
      const { store } = await open();
      const { run, event } = await newRun(store, 'orders', { retryOf: null });
      expect(run.runId).toMatch(UUID);
      expect(run).toMatchObject({
        pipeline: 'orders', status: 'QUEUED', target: 'main', branch: null, params: { day: '2030-01-01', n: 3 },
        startedAt: null, finishedAt: null, error: null, baseHash: null, commitHashes: [], mergedHash: null,
        startedBy: 'alice', cancelRequested: false, retryOf: null,
      });
      expect(run.queuedAt).toBeInstanceOf(Date);
      expect(event).toMatchObject({ runId: run.runId, seq: 1, type: 'RUN_QUEUED', level: 'INFO' });
      expect(await store.getRun(run.runId)).toEqual(run);
      expect(await store.events(run.runId, 0, 10)).toEqual([event]);
      expect(await store.getRun('00000000-0000-4000-8000-000000000000')).toBeNull();
      const retry = await newRun(store, 'orders', { retryOf: run.runId });
      expect(retry.run.retryOf).toBe(run.runId);
      expect(retry.run.runId).not.toBe(run.runId);
    });

    it('lists newest first, filters by pipeline and status, and pages without gaps or repeats', async () => {
      const clock = manualClock();
      const { store } = await open({ now: clock.now });
      const made: PipelineRun[] = [];
      for (let i = 0; i < 7; i++) {
        // Three runs share one instant: the id breaks the tie, and paging must still be exact.
        if (i !== 3 && i !== 4) clock.advance(1);
        made.push((await newRun(store, i % 2 === 0 ? 'orders' : 'customers')).run);
      }
      const all = await store.listRuns({ limit: 100 });
      expect(all.nextCursor).toBeNull();
      expect(all.runs.map((r) => r.runId).sort()).toEqual(made.map((r) => r.runId).sort());
      for (let i = 1; i < all.runs.length; i++) {
        const [a, b] = [all.runs[i - 1]!, all.runs[i]!];
        expect(a.queuedAt.getTime() > b.queuedAt.getTime() || (a.queuedAt.getTime() === b.queuedAt.getTime() && a.runId > b.runId)).toBe(true);
      }
      expect(all.runs[0]!.runId).toBe(made[6]!.runId);

      const paged: string[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<RunStore['listRuns']>> = await store.listRuns({ limit: 2, after });
        expect(page.runs.length).toBeLessThanOrEqual(2);
        paged.push(...page.runs.map((r) => r.runId));
        after = page.nextCursor;
        pages += 1;
      } while (after);
      expect(pages).toBe(4);
      expect(paged).toEqual(all.runs.map((r) => r.runId));

      const orders = await store.listRuns({ pipeline: 'orders', limit: 100 });
      expect(orders.runs.map((r) => r.runId)).toEqual(all.runs.filter((r) => r.pipeline === 'orders').map((r) => r.runId));

      await store.requestCancel(made[0]!.runId);
      await store.requestCancel(made[1]!.runId);
      const canceled = await store.listRuns({ status: ['CANCELED'], limit: 100 });
      expect(canceled.runs.map((r) => r.runId)).toEqual([made[1]!.runId, made[0]!.runId]);
      const canceledOrders = await store.listRuns({ pipeline: 'orders', status: ['CANCELED', 'FAILED'], limit: 100 });
      expect(canceledOrders.runs.map((r) => r.runId)).toEqual([made[0]!.runId]);
      expect((await store.listRuns({ pipeline: 'nothing', limit: 5 })).runs).toEqual([]);
      await expectCode(store.listRuns({ limit: 5, after: 'garbage' }), 'INVALID_INPUT');
    });

    it('returns the newest run of each pipeline', async () => {
      const clock = manualClock();
      const { store } = await open({ now: clock.now });
      await newRun(store, 'a');
      clock.advance(5);
      const lastA = (await newRun(store, 'a')).run;
      clock.advance(5);
      const lastB = (await newRun(store, 'b')).run;
      const last = await store.lastRuns(['a', 'b', 'c']);
      expect([...last.keys()].sort()).toEqual(['a', 'b']);
      expect(last.get('a')!.runId).toBe(lastA.runId);
      expect(last.get('b')!.runId).toBe(lastB.runId);
      expect((await store.lastRuns([])).size).toBe(0);
    });

    it('claims the oldest QUEUED run, and each run exactly once under concurrent claimers on two stores', async () => {
      const clock = manualClock();
      const f = await open({ now: clock.now });
      const other = await f.second();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        clock.advance(1);
        ids.push((await newRun(f.store, `p${i}`)).run.runId);
      }
      const first = await f.store.claimNext('owner-0');
      expect(first).toMatchObject({ runId: ids[0], status: 'RUNNING' });
      expect(first!.startedAt).toBeInstanceOf(Date);

      const claims = await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? f.store : other).claimNext(`owner-${i % 2}`)),
      );
      const got = claims.filter((r): r is PipelineRun => r !== null).map((r) => r.runId);
      expect(got).toHaveLength(9);
      expect(new Set(got).size).toBe(9);
      expect([...got, ids[0]].sort()).toEqual([...ids].sort());
      expect(await f.store.claimNext('owner-0')).toBeNull();
      for (const id of ids) expect((await other.getRun(id))!.status).toBe('RUNNING');
    });

    it('numbers 50 concurrent appends 2…51 without gaps or repeats, from two stores', async () => {
      const f = await open();
      const other = await f.second();
      const { run } = await newRun(f.store);
      const appended = await Promise.all(
        Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? f.store : other).appendEvent(run.runId, log(`line ${i}`, { i }))),
      );
      expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
      const events = await f.store.events(run.runId, 0, 100);
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
      const bySeq = new Map(appended.map((e) => [e.seq, e]));
      for (const e of events.slice(1)) expect(e).toEqual(bySeq.get(e.seq));
      expect((await f.store.events(run.runId, 10, 5)).map((e) => e.seq)).toEqual([11, 12, 13, 14, 15]);
      expect(await f.store.events(run.runId, 51, 5)).toEqual([]);
      await expectCode(f.store.appendEvent('00000000-0000-4000-8000-000000000000', log('x')), 'NOT_FOUND');
    });

    it('applies a change and its event atomically, and appends commits in order', async () => {
      const { store } = await open();
      const { run } = await newRun(store);
      const started = new Date('2030-01-02T03:04:05.678Z');
      const a = await store.updateRun(run.runId, { status: 'RUNNING', branch: `runs/orders/${run.runId}`, baseHash: 'b'.repeat(64), startedAt: started }, {
        type: 'BRANCH_CREATED', step: null, level: 'INFO', message: 'branch created', data: { branch: `runs/orders/${run.runId}` },
      });
      expect(a.run).toMatchObject({ status: 'RUNNING', branch: `runs/orders/${run.runId}`, baseHash: 'b'.repeat(64), startedAt: started });
      expect(a.event).toMatchObject({ runId: run.runId, seq: 2, type: 'BRANCH_CREATED', data: { branch: `runs/orders/${run.runId}` } });
      await store.updateRun(run.runId, { addCommit: 'c1' });
      const b = await store.updateRun(run.runId, { addCommit: 'c2' }, { type: 'COMMIT_CREATED', step: 'load', level: 'INFO', message: 'c2', data: null });
      expect(b.run.commitHashes).toEqual(['c1', 'c2']);
      expect(b.event).toMatchObject({ seq: 3, step: 'load', data: null });

      // An event that cannot be stored (a NUL character) rolls the change back and uses no number.
      await expectCode(store.updateRun(run.runId, { status: 'FAILED', error: 'boom' }, log('bad \u0000 text')), 'INVALID_INPUT');
      expect(await store.getRun(run.runId)).toMatchObject({ status: 'RUNNING', error: null });
      const finished = new Date('2030-01-02T03:05:00.000Z');
      const c = await store.updateRun(run.runId, { status: 'SUCCEEDED', mergedHash: 'm'.repeat(64), finishedAt: finished, error: null }, {
        type: 'RUN_SUCCEEDED', step: null, level: 'INFO', message: 'done', data: null,
      });
      expect(c.event!.seq).toBe(4);
      expect(c.run).toMatchObject({ status: 'SUCCEEDED', mergedHash: 'm'.repeat(64), finishedAt: finished, commitHashes: ['c1', 'c2'] });
      expect(await store.getRun(run.runId)).toEqual(c.run);
      const noop = await store.updateRun(run.runId, {});
      expect(noop).toEqual({ run: c.run, event: null });
      await expectCode(store.updateRun('00000000-0000-4000-8000-000000000000', { status: 'FAILED' }), 'NOT_FOUND');
    });

    it('cancels a QUEUED run at once with RUN_CANCELED, and only flags a RUNNING one', async () => {
      const { store } = await open();
      const queued = (await newRun(store, 'q')).run;
      const c = await store.requestCancel(queued.runId);
      expect(c.run).toMatchObject({ status: 'CANCELED', cancelRequested: true });
      expect(c.run.finishedAt).toBeInstanceOf(Date);
      expect(c.event).toMatchObject({ runId: queued.runId, seq: 2, type: 'RUN_CANCELED' });
      expect(await store.claimNext('w')).toBeNull();

      const running = (await newRun(store, 'r')).run;
      expect((await store.claimNext('w'))!.runId).toBe(running.runId);
      const r = await store.requestCancel(running.runId);
      expect(r.event).toBeNull();
      expect(r.run).toMatchObject({ status: 'RUNNING', cancelRequested: true });
      expect(await store.getRun(running.runId)).toMatchObject({ status: 'RUNNING', cancelRequested: true });

      const again = await store.requestCancel(queued.runId);
      expect(again).toEqual({ run: c.run, event: null });
      expect((await store.events(queued.runId, 0, 10)).map((e) => e.type)).toEqual(['RUN_QUEUED', 'RUN_CANCELED']);
      await expectCode(store.requestCancel('00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
    });

    it('fails RUNNING runs not renewed since staleBefore (or all of them after a restart), with RUN_FAILED', async () => {
      const clock = manualClock();
      const { store } = await open({ now: clock.now, leaseMs: 1000 });
      const a = (await newRun(store, 'a')).run;
      clock.advance(1);
      const b = (await newRun(store, 'b')).run;
      clock.advance(1);
      const queued = (await newRun(store, 'c')).run;
      expect((await store.claimNext('instance-a'))!.runId).toBe(a.runId);
      expect((await store.claimNext('instance-b'))!.runId).toBe(b.runId);
      clock.advance(800);
      await store.heartbeat('instance-a'); // renewed at +802 (a) and +2 (b)
      clock.advance(700);
      const staleBefore = () => new Date(clock.now().getTime() - 1000); // +502

      // b had merged: the reason is chosen from the run as it was.
      await store.updateRun(b.runId, { mergedHash: 'c0ffee' });
      const reason = (r: { mergedHash: string | null }) => (r.mergedHash ? `instance lost after merging as ${r.mergedHash}` : 'instance lost');
      expect((await store.abandoned(staleBefore())).map((r) => r.runId)).toEqual([b.runId]);
      expect((await store.abandoned(null)).map((r) => r.runId)).toEqual([a.runId, b.runId]);
      const failed = await store.failAbandoned(reason, staleBefore(), new Map([[b.runId, 'ignored: b recorded its merge']]));
      expect(failed.map((f) => f.run.runId)).toEqual([b.runId]);
      expect(failed[0]!.run).toMatchObject({ status: 'FAILED', error: 'instance lost after merging as c0ffee', mergedHash: 'c0ffee' });
      expect(failed[0]!.run.finishedAt).toEqual(clock.now());
      const events = await store.events(b.runId, 0, 10);
      expect(events.at(-1)).toMatchObject({ seq: 2, type: 'RUN_FAILED', level: 'ERROR', message: 'instance lost after merging as c0ffee' });
      expect(failed[0]!.event).toEqual(events.at(-1)); // the RUN_FAILED event, as stored
      expect(await store.getRun(a.runId)).toMatchObject({ status: 'RUNNING' });
      expect(await store.failAbandoned(reason, staleBefore())).toEqual([]);

      // a merged without recording it (found by the caller): MERGED, then RUN_FAILED.
      const restart = await store.failAbandoned(reason, null, new Map([[a.runId, 'beef01']]));
      expect(restart.map((f) => f.run.runId)).toEqual([a.runId]);
      expect(await store.getRun(a.runId)).toMatchObject({ status: 'FAILED', error: 'instance lost after merging as beef01', mergedHash: 'beef01' });
      expect((await store.events(a.runId, 0, 10)).slice(-2)).toMatchObject([
        { type: 'MERGED', data: { hash: 'beef01', recovered: true } },
        { type: 'RUN_FAILED', message: 'instance lost after merging as beef01' },
      ]);
      expect(restart[0]!.event.type).toBe('RUN_FAILED');
      expect(await store.abandoned(null)).toEqual([]);
      expect(await store.getRun(queued.runId)).toMatchObject({ status: 'QUEUED' });
    });

    it('records, replaces and reads back audit results, bigint counts included', async () => {
      const { store } = await open();
      const { run } = await newRun(store);
      expect(await store.audits(run.runId)).toEqual([]);
      const audits: AuditResult[] = [
        { name: 'no_null_ids', table: 'sales.orders', check: 'id IS NOT NULL', severity: 'error', passed: true, failingRows: 0n, message: null },
        { name: 'huge', table: 'sales.orders', check: 'amount < 1e9', severity: 'warn', passed: false, failingRows: 9_007_199_254_740_993n, message: 'too many' },
        { name: 'unknown', table: 'sales.lines', check: 'x > 0', severity: 'error', passed: false, failingRows: null, message: 'query failed' },
      ];
      await store.saveAudits(run.runId, audits);
      expect(await store.audits(run.runId)).toEqual(audits);
      await store.saveAudits(run.runId, audits.slice(1, 2));
      expect(await store.audits(run.runId)).toEqual(audits.slice(1, 2));
      await expectCode(store.saveAudits('00000000-0000-4000-8000-000000000000', audits), 'NOT_FOUND');
    });
  });
}
