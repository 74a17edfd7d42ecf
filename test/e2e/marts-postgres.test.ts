import { afterAll, inject } from 'vitest';
import { openPostgres, type SqlDatabase } from '../../src/adapters/sql/database.js';
import { createTestDatabase } from '../support/services.js';
import { describeMartsE2E } from './marts.suite.js';

// Marts in a real PostgreSQL (DATABASE_URL), checked against SQL run directly through `pg`.
let url = '';
let pg: SqlDatabase | undefined;
describeMartsE2E('PostgreSQL', {
  env: () => ({ DATABASE_URL: url }),
  before: async () => {
    url = await createTestDatabase(inject('databaseUrl'), 'marts');
    pg = await openPostgres(url);
  },
  direct: () => pg!,
});
afterAll(async () => pg?.close());
