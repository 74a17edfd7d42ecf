/**
 * A DuckDB engine over a local ObjectStore rooted at a temp dir, a plain DuckDB connection for
 * making Parquet files, and that dir, for engine tests. `at(name)` is a location (URI) in the dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { QueryEngine } from '../../src/ports/query-engine.js';

export interface DuckTestKit {
  dir: string;
  /** The store the engine puts its files into: the whole of `dir`. */
  objects: ObjectStore;
  engine: QueryEngine;
  duck: DuckDBConnection;
  /** The location (file:// URI) of `name` inside `dir`. */
  at(name: string): string;
  close(): Promise<void>;
}

export async function openDuckTestKit(prefix: string): Promise<DuckTestKit> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const objects = createLocalObjectStore(pathToFileURL(dir).href);
  const engine = await createDuckDbEngine(objects, { threads: 2 });
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  return {
    dir,
    objects,
    engine,
    duck,
    at: (name) => pathToFileURL(join(dir, name)).href,
    async close() {
      await engine.close();
      duck.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
