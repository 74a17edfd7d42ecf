import { inject } from 'vitest';
import { createTestBucket } from '../support/s3.js';
import { s3GatewayEnv } from '../support/s3-gateway.js';
import { describeRunsE2E } from './runs.suite.js';

// The embedded catalog (PGlite) with its warehouse on S3 (the test run's versitygw server).
describeRunsE2E('S3 on the embedded catalog', {
  env: async () => s3GatewayEnv(inject('s3'), await createTestBucket(inject('s3'), 'runs')),
  target: 'main',
});
