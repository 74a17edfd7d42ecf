/**
 * Rows spooled to a local NDJSON file as they arrive (HTTP pages, batches to merge), so the engine
 * reads them in one pass and JS never holds more than a batch.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';

const replacer = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v);

export class NdjsonSpool {
  rows = 0;
  private constructor(
    readonly dir: string,
    readonly path: string,
    private readonly out: WriteStream,
  ) {}

  static async open(): Promise<NdjsonSpool> {
    const dir = await mkdtemp(join(tmpdir(), 'cg-spool-'));
    const path = join(dir, 'rows.ndjson');
    return new NdjsonSpool(dir, path, createWriteStream(path));
  }

  async write(rows: readonly Record<string, unknown>[]): Promise<void> {
    for (const r of rows) {
      if (!this.out.write(`${JSON.stringify(r, replacer)}\n`)) await new Promise<void>((res) => this.out.once('drain', () => res()));
      this.rows++;
    }
  }

  /** Flushes the file; call before the engine reads it. */
  async close(): Promise<void> {
    if (this.out.writableEnded) return;
    this.out.end();
    await finished(this.out);
  }

  async cleanup(): Promise<void> {
    this.out.destroy();
    await rm(this.dir, { recursive: true, force: true });
  }
}
