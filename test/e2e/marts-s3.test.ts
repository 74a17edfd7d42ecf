import { inject } from 'vitest';
import { createTestBucket } from '../support/s3.js';
import { s3GatewayEnv } from '../support/s3-gateway.js';
import { describeMartsE2E } from './marts.suite.js';

// The warehouse on S3 (the test run's versitygw server), the catalog and the marts in PGlite:
// a publish exports the Iceberg table's rows from the engine's cached copies of the S3 objects.
let bucket = '';
describeMartsE2E('S3 warehouse, PGlite', {
  before: async () => {
    bucket = await createTestBucket(inject('s3'), 'marts');
  },
  env: () => s3GatewayEnv(inject('s3'), bucket),
  direct: (g) => g.app.database,
});
