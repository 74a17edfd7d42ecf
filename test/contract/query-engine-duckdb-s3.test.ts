/**
 * The QueryEngine contract with the warehouse on S3 (the test run's versitygw server): every plan's
 * files are read through the S3 ObjectStore into the DuckDB engine's object cache, and every file it
 * writes is put to S3.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, inject } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/object-store/s3/index.js';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { createTestBucket } from '../support/s3.js';
import { describeQueryEngine } from './query-engine.contract.js';

describeQueryEngine('duckdb on S3 (versitygw)', async () => {
  const s3 = inject('s3');
  const bucket = await createTestBucket(s3, 'qe-contract');
  const objects = createS3ObjectStore({
    warehouse: `s3://${bucket}/warehouse`,
    region: s3.region,
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  const dir = await mkdtemp(join(tmpdir(), 'cascade-qe-s3-'));
  const staging = join(dir, 'staging');
  const cache = join(dir, 'cache');
  const engine = await createDuckDbEngine(objects, { threads: 2, stagingDir: staging, objectCache: { dir: cache } });
  return {
    engine,
    objects,
    cleanup: async () => {
      const left = await readdir(staging).catch(() => []);
      const cached = await readdir(cache).catch(() => [] as string[]);
      objects.close();
      await rm(dir, { recursive: true, force: true });
      expect(left, 'staging folders left behind').toEqual([]);
      expect(cached.length, 'the plans were read from the object cache').toBeGreaterThan(0);
      expect(cached.filter((n) => n.endsWith('.part')), 'partial downloads left behind').toEqual([]);
    },
  };
});
