/**
 * A gateway whose stdout is a pipe nobody reads (a stalled log collector) keeps serving: log lines
 * past the bound are dropped and counted, /healthz answers, SIGTERM ends it. Before
 * src/log-destination.ts, pino's synchronous writer waited forever for the pipe and froze the process.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_BUFFER_BYTES } from '../../src/log-destination.js';
import { startGatewayProcess } from '../support/process.js';
import { freePort } from '../support/services.js';

const REQUESTS = 2000;

describe('a gateway whose log reader has stalled', () => {
  let child: ChildProcess | undefined;
  let fifo: number | undefined;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cascade-backpressure-'));
  afterAll(() => {
    child?.kill('SIGKILL');
    if (fifo !== undefined) fs.closeSync(fifo);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it('keeps answering /healthz, counts the log lines it drops, and stops on SIGTERM', async () => {
    // A named pipe opened here and never read: the gateway's stdout is a real pipe (64 KiB on
    // Linux) whose reader has stopped, and nothing in this process reads it.
    const fifoPath = path.join(home, 'stdout');
    execFileSync('mkfifo', [fifoPath]);
    fifo = fs.openSync(fifoPath, 'r+'); // read-write, so opening does not wait for a writer
    const g = await startGatewayProcess(
      { CASCADE_HOME: home, LOG_LEVEL: 'debug', RATE_LIMIT_PER_SECOND: '0', SHUTDOWN_TIMEOUT_MS: '3000' },
      await freePort(),
      90_000,
      fifo,
    );
    child = g.child;

    // Each successful operation is one debug line carrying its name: names this long make the
    // requests' lines twice what the gateway keeps for a reader that is not keeping up.
    const name = 'L'.repeat(Math.ceil((2 * LOG_BUFFER_BYTES) / REQUESTS));
    const body = JSON.stringify({ query: `query ${name} { __typename }`, operationName: name });
    for (let i = 0; i < REQUESTS; i++) {
      const res = await fetch(`${g.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(5000), // a frozen gateway fails the test here instead of hanging it
      });
      expect(res.status, `request ${i}`).toBe(200);
      await res.arrayBuffer();
    }

    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await fetch(`${g.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      const ms = performance.now() - started;
      expect(res.status).toBe(200);
      expect(ms, '/healthz latency (ms)').toBeLessThan(100);
    }
    const metrics = await (await fetch(`${g.url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    const dropped = Number(/^cascade_log_lines_dropped_total (\d+)$/m.exec(metrics)?.[1]);
    expect(dropped, 'cascade_log_lines_dropped_total').toBeGreaterThan(0);

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    const signalled = performance.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 5000))]);
    expect(code, `exit code, or still running 5 s after SIGTERM (${Math.round(performance.now() - signalled)} ms)`).toBe(0);

    // What the pipe holds: it filled up (its 16 pages of 4 KiB, not all of each used when a line
    // does not fit in what is left of a page), with the gateway's debug lines about these requests.
    const held = Buffer.alloc(1024 * 1024);
    const n = fs.readSync(fifo, held);
    expect(n, 'bytes waiting in the pipe').toBeGreaterThanOrEqual(32 * 1024);
    const whole = held.subarray(0, n).toString().split('\n').slice(0, -1); // the last one may be cut
    const lines = whole.filter((l) => l.startsWith('{"level":20')).map((l) => JSON.parse(l) as { msg: string; operation?: string });
    expect(lines.some((l) => l.msg === 'operation finished' && l.operation === name)).toBe(true);
  }, 120_000);
});
