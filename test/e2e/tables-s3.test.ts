import { inject } from 'vitest';
import { createTestBucket } from '../support/s3.js';
import { s3GatewayEnv } from '../support/s3-gateway.js';
import { describeTablesE2E } from './tables.suite.js';

// The embedded catalog (PGlite) with its warehouse on S3 (the test run's versitygw server).
describeTablesE2E('S3 on the embedded catalog', async () => s3GatewayEnv(inject('s3'), await createTestBucket(inject('s3'), 'tables')));
