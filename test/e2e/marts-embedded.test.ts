import { describeMartsE2E } from './marts.suite.js';

// The default: marts in schema `marts` of the embedded PGlite database.
describeMartsE2E('PGlite', { env: () => ({}), direct: (g) => g.app.database });
