import { createSqlRunStore } from '../../src/adapters/sql/run-store.js';
import { openPglite } from '../../src/adapters/sql/database.js';
import { describeRunStore } from './run-store.contract.js';

describeRunStore('sql-pglite', async (opts) => {
  const db = await openPglite();
  return { store: await createSqlRunStore(db, opts), second: () => createSqlRunStore(db, opts), cleanup: () => db.close() };
});
