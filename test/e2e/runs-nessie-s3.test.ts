import { inject } from 'vitest';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { describeRunsE2E } from './runs.suite.js';

// The test run's Nessie, whose Iceberg REST catalog keeps its warehouse on the S3 server; other test
// files share that Nessie, so the runs publish into a branch of the suite's own.
describeRunsE2E('S3 on Nessie', { env: () => nessieS3GatewayEnv(inject('s3'), inject('nessieCatalog')), target: 'own branch' });
