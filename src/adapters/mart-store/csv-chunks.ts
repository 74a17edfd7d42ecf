/**
 * The part of a mart load both adapters share: the engine writes the mart's rows as CSV files of
 * about CHUNK_BYTES into a temporary folder, `load` COPYs them (in order) and returns the rows it
 * loaded, which must equal the rows written; the folder is removed whatever happens.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MartPublishInput } from '../../ports/mart-store.js';

const CHUNK_BYTES = 16 * 1024 * 1024;

export async function loadCsvChunks(input: MartPublishInput, tmpDir: string | undefined, load: (files: string[]) => Promise<number>): Promise<number> {
  const dir = await fs.mkdtemp(path.join(tmpDir ?? os.tmpdir(), 'cascade-mart-'));
  try {
    const out = path.join(dir, 'csv');
    const written = await input.writeCsv({ path: out, splitBytes: CHUNK_BYTES });
    const names = (await fs.readdir(out).catch(() => [] as string[])).filter((f) => f.endsWith('.csv'));
    names.sort((a, b) => Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0));
    const loaded = await load(names.map((f) => path.join(out, f)));
    if (loaded !== written) throw new Error(`mart '${input.name}': ${written} rows written as CSV but ${loaded} loaded`);
    return loaded;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}
