/**
 * MartStore on PGlite (the embedded default): schema `marts` in the gateway's embedded database,
 * usually the very SqlDatabase the version store and runs use (every statement goes through its one
 * queue, so readers cannot interleave with the swap transaction at all).
 *
 * Bulk load: the engine writes the CSV as files of about CHUNK_BYTES, and each file is one
 * `COPY … FROM '/dev/blob'` with the file as the blob — PGlite's bulk path. Chunks keep the WASM
 * heap small and let other queries of the shared queue run between them.
 */
import { openAsBlob } from 'node:fs';
import { BackendUnavailable } from '../../../domain/errors.js';
import type { MartStore } from '../../../ports/mart-store.js';
import type { SqlDatabase } from '../../sql/database.js';
import { loadCsvChunks } from '../csv-chunks.js';
import { copySql } from '../sql.js';
import { createSqlMartStore } from '../store.js';


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
      return loadCsvChunks(input, opts.tmpDir, async (files) => {
        let loaded = 0;
        for (const f of files) loaded += await copy(copySql(staging, input.columns, "'/dev/blob'"), await openAsBlob(f));
        return loaded;
      });
    },
    close: async () => {
      if (opts.closeDatabase) await db.close();
    },
  });
}
