import { inject } from 'vitest';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { describeTablesE2E } from './tables.suite.js';

// Nessie with its warehouse on S3: the test run's Nessie serving the Iceberg REST catalog whose warehouse
// is a bucket of the versitygw server, the gateway on the same Nessie (NESSIE_URI) and bucket (WAREHOUSE).
// The suite works on a branch of its own, so it shares that Nessie with the other test files.
describeTablesE2E('S3 on Nessie', () => {
  const s3 = inject('s3');
  const catalog = inject('nessieCatalog');
  return nessieS3GatewayEnv(s3, catalog);
});
