import { inject } from 'vitest';
import { createTestBucket } from '../support/s3.js';
import { nessieS3GatewayEnv } from '../support/s3-gateway.js';
import { startNessie, type RunningService } from '../support/services.js';
import { describeMartsE2E } from './marts.suite.js';

// S3 on Nessie. Marts publish from the default branch, and the test run's shared Nessie has other
// files' commits on main, so this suite has a Nessie of its own (its REST catalog's warehouse on a
// bucket of the S3 server): a fresh catalog whose empty main the first run publishes into.
let nessie: RunningService | undefined;
let env: Record<string, string> = {};
describeMartsE2E('S3 on Nessie', {
  before: async () => {
    const s3 = inject('s3');
    const warehouse = `s3://${await createTestBucket(s3, 'marts-nessie')}/warehouse`;
    nessie = await startNessie({ s3Warehouse: { location: warehouse, ...s3 } });
    env = nessieS3GatewayEnv(s3, { apiUri: nessie.url, warehouse });
  },
  after: async () => {
    await nessie?.stop();
  },
  env: () => env,
  direct: (g) => g.app.database,
});
