import { describeRunsE2E } from './runs.suite.js';

// The embedded default: catalog and runs in PGlite, the warehouse on local disk.
describeRunsE2E('local warehouse, embedded catalog', { env: () => ({}), target: 'main' });
