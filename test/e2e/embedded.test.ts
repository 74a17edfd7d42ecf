import { describeCatalogE2E } from './catalog.suite.js';

describeCatalogE2E('the embedded store (PGlite)', { env: () => ({}), targetBranch: async () => 'main' });
