import { afterAll } from 'vitest';
import { createSqlRunStore } from '../../src/adapters/run-store/sql/run-store.js';
import { openPglite, type SqlDatabase } from '../../src/adapters/sql/database.js';
import { describeRunStore } from './run-store.contract.js';

// One in-memory PGlite for the file (starting one takes seconds), emptied for every test.
let shared: Promise<SqlDatabase> | undefined;
afterAll(async () => (await shared)?.close());

describeRunStore('sql-pglite', async (opts) => {
  const db = await (shared ??= openPglite());
  const store = await createSqlRunStore(db, opts);
  await db.query('TRUNCATE runs CASCADE');
  return { store, second: () => createSqlRunStore(db, opts), cleanup: async () => undefined };
});
