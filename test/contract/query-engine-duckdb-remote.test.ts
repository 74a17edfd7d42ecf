/**
 * The QueryEngine contract with every data and delete file behind a non-file location: the DuckDB
 * engine must read them all (rows, sql in its sandbox, compare, CSV export, overwrites, query
 * inputs) through the ObjectStore into its object cache, never from a path of its own.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { remoteView } from '../support/object-stores.js';
import { describeQueryEngine } from './query-engine.contract.js';

describeQueryEngine('duckdb on a remote (non-file) view of the local store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-qe-remote-'));
  const objects = remoteView(createLocalObjectStore(pathToFileURL(join(dir, 'warehouse')).href));
  const staging = join(dir, 'staging');
  const cache = join(dir, 'cache');
  const engine = await createDuckDbEngine(objects, { threads: 2, stagingDir: staging, objectCache: { dir: cache } });
  return {
    engine,
    objects,
    cleanup: async () => {
      const left = await readdir(staging).catch(() => []);
      const cached = await readdir(cache).catch(() => [] as string[]);
      await rm(dir, { recursive: true, force: true });
      expect(left, 'staging folders left behind').toEqual([]);
      expect(cached.length, 'the plans were read from the object cache').toBeGreaterThan(0);
      expect(cached.filter((n) => n.endsWith('.part')), 'partial downloads left behind').toEqual([]);
    },
  };
});
