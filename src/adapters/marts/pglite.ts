/**
 * MartStore on PGlite (the embedded default): schema `marts` in the gateway's embedded database,
 * usually the very SqlDatabase the version store and runs use (every statement goes through its one
 * queue, so readers cannot interleave with the swap transaction at all).
 *
 * Bulk load: the engine writes the CSV as files of about CHUNK_BYTES, and each file is one
 * `COPY … FROM '/dev/blob'` with the file as the blob — PGlite's bulk path. Chunks keep the WASM
 * heap small and let other queries of the shared queue run between them.
 */
import fs from 'node:fs/promises';
import { openAsBlob } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackendUnavailable } from '../../domain/errors.js';
import type { MartStore } from '../../ports/mart-store.js';
import type { SqlDatabase } from '../sql/database.js';
import { copySql } from './sql.js';
import { createSqlMartStore } from './store.js';

const CHUNK_BYTES = 16 * 1024 * 1024;

export interface PgliteMartOptions {
  /** Close the database with the store (default false: the database is shared). */
  closeDatabase?: boolean;
  /** Where CSV chunks are written while loading (default: the OS temp dir). */
  tmpDir?: string;
}

export async function createPgliteMartStore(db: SqlDatabase, opts: PgliteMartOptions = {}): Promise<MartStore> {
  if (db.kind !== 'pglite' || !db.copyFromBlob) throw new BackendUnavailable('the PGlite mart store needs a PGlite database', 'pglite');
  const copy = db.copyFromBlob.bind(db);
  return createSqlMartStore({
    kind: 'pglite',
    db,
    async load(staging, input) {
      const dir = await fs.mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'cascade-mart-'));
      try {
        const out = path.join(dir, 'csv');
        const written = await input.writeCsv({ path: out, splitBytes: CHUNK_BYTES });
        const files = (await fs.readdir(out).catch(() => [] as string[])).filter((f) => f.endsWith('.csv'));
        files.sort((a, b) => Number(/\d+/.exec(a)?.[0] ?? 0) - Number(/\d+/.exec(b)?.[0] ?? 0));
        let loaded = 0;
        for (const f of files) loaded += await copy(copySql(staging, input.columns, "'/dev/blob'"), await openAsBlob(path.join(out, f)));
        if (loaded !== written) throw new Error(`mart '${input.name}': ${written} rows written as CSV but ${loaded} loaded`);
        return loaded;
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    },
    close: async () => {
      if (opts.closeDatabase) await db.close();
    },
  });
}
