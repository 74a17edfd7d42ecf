/**
 * A DuckDB engine over an ObjectStore whose files it must fetch into its object cache (S3, or a
 * non-file view of the local store), in a temporary folder of its own; `cleanup` checks that no
 * staging folder or partial download is left and that the plans were read from the cache.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

/** `objects(dir)` makes the store (its local files, if any, under `dir`); `close` runs before the checks. */
export async function cachedEngine(label: string, objects: (dir: string) => ObjectStore, close?: (objects: ObjectStore) => void) {
  const dir = await mkdtemp(join(tmpdir(), `cascade-qe-${label}-`));
  const store = objects(dir);
  const staging = join(dir, 'staging');
  const cache = join(dir, 'cache');
  const engine = await createDuckDbEngine(store, { threads: 2, stagingDir: staging, objectCache: { dir: cache } });
  return {
    engine,
    objects: store,
    cleanup: async () => {
      const left = await readdir(staging).catch(() => []);
      const cached = await readdir(cache).catch(() => [] as string[]);
      close?.(store);
      await rm(dir, { recursive: true, force: true });
      expect(left, 'staging folders left behind').toEqual([]);
      expect(cached.length, 'the plans were read from the object cache').toBeGreaterThan(0);
      expect(cached.filter((n) => n.endsWith('.part')), 'partial downloads left behind').toEqual([]);
    },
  };
}
