import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { describeQueryEngine } from './query-engine.contract.js';

describeQueryEngine('duckdb on the local store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-qe-contract-'));
  const objects = createLocalObjectStore(pathToFileURL(join(dir, 'warehouse')).href);
  // A staging folder of its own, so the suite's end can check that every write cleaned up after itself.
  const staging = join(dir, 'staging');
  const engine = await createDuckDbEngine(objects, { threads: 2, stagingDir: staging });
  return {
    engine,
    objects,
    cleanup: async () => {
      const left = await readdir(staging).catch(() => []);
      await rm(dir, { recursive: true, force: true });
      expect(left, 'staging folders left behind').toEqual([]);
    },
  };
});
