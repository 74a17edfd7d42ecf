/**
 * The QueryEngine contract with the warehouse on S3 (the test run's versitygw server): every plan's
 * files are read through the S3 ObjectStore into the DuckDB engine's object cache, and every file it
 * writes is put to S3.
 */
import { inject } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/object-store/s3/index.js';
import { createTestBucket } from '../support/s3.js';
import { cachedEngine } from './cached-engine.js';
import { describeQueryEngine } from './query-engine.contract.js';

describeQueryEngine('duckdb on S3 (versitygw)', async () => {
  const s3 = inject('s3');
  const bucket = await createTestBucket(s3, 'qe-contract');
  const store = createS3ObjectStore({
    warehouse: `s3://${bucket}/warehouse`,
    region: s3.region,
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return cachedEngine('s3', () => store, () => store.close());
});
