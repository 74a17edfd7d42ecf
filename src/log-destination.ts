/**
 * Where pino writes: stdout, without ever blocking the event loop and with bounded memory.
 *
 * pino's default destination (sonic-boom) keeps every line a stalled pipe does not take, without
 * bound, and writes them synchronously at exit, retrying EAGAIN in Atomics.wait forever: the
 * gateway never ended on SIGTERM. Here lines go to process.stdout, which on Linux writes pipes and
 * sockets asynchronously (files and terminals synchronously: they do not stall). Its queue would
 * grow without bound too, so when more than `maxBytes` wait, lines are dropped and counted; once
 * the queue has drained, one warning line says how many are missing. Lines written keep their order.
 */
import type { Writable } from 'node:stream';

export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

export class LogDestination {
  /** Lines dropped since the start (cascade_log_lines_dropped_total). */
  dropped = 0;
  /** Lines dropped since the last one written: dropping goes on until the queue has drained. */
  private gap = 0;
  /** The reader has gone (EPIPE): nothing more can be written. */
  private closed = false;

  constructor(
    private readonly out: Writable,
    /** Fields of the gap warning besides level, time and msg (the loggers' base). */
    private readonly base: Record<string, unknown>,
    private readonly maxBytes = LOG_BUFFER_BYTES,
  ) {
    out.on('drain', () => this.resume());
    // Left unhandled, a write error (EPIPE once the reader has exited) would end the gateway;
    // pino's own destination stops logging then too.
    out.on('error', () => (this.closed = true));
  }

  /** pino's destination interface: one serialised line, newline included. */
  write(line: string): void {
    if (this.closed) {
      this.dropped++;
      return;
    }
    if (this.gap > 0 && this.out.writableLength === 0) this.resume(); // drained without a 'drain' event
    // writableLength counts string characters: close enough to bytes for JSON lines.
    if (this.gap > 0 || this.out.writableLength + line.length > this.maxBytes) {
      this.gap++;
      this.dropped++;
      return;
    }
    this.out.write(line);
  }

  /** Best effort before exiting: waits until what is queued has been written, or `ms` have passed. */
  async flushWithin(ms: number): Promise<void> {
    if (this.gap > 0) this.resume(); // one line past the bound, so the log says lines are missing
    const until = Date.now() + ms;
    // A timer, not 'drain': that event only comes after a write was told to wait.
    while (!this.closed && this.out.writableLength > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  }

  private resume(): void {
    if (this.gap === 0 || this.closed) return;
    const dropped = this.gap;
    this.gap = 0;
    const msg = `${dropped} log lines dropped: the log reader was not keeping up`;
    this.out.write(`${JSON.stringify({ level: 40, time: Date.now(), ...this.base, dropped, msg })}\n`);
  }
}
