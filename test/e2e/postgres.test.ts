import { inject } from 'vitest';
import { createTestDatabase } from '../support/services.js';
import { describeCatalogE2E } from './catalog.suite.js';

let url: string | undefined;
describeCatalogE2E('the embedded store on PostgreSQL', {
  env: () => ({ DATABASE_URL: url! }),
  targetBranch: async () => 'main',
  before: async () => {
    url = await createTestDatabase(inject('databaseUrl'), 'e2e');
  },
});
