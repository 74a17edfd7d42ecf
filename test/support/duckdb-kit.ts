/** A DuckDB engine, a plain DuckDB connection for making Parquet files, and a temp dir, for engine tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import type { QueryEngine } from '../../src/ports/query-engine.js';

export interface DuckTestKit {
  dir: string;
  engine: QueryEngine;
  duck: DuckDBConnection;
  close(): Promise<void>;
}

export async function openDuckTestKit(prefix: string): Promise<DuckTestKit> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const engine = await createDuckDbEngine({ threads: 2 });
  const instance = await DuckDBInstance.create(':memory:');
  const duck = await instance.connect();
  return {
    dir,
    engine,
    duck,
    async close() {
      await engine.close();
      duck.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
