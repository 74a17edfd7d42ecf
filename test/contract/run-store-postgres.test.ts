import { inject } from 'vitest';
import { createSqlRunStore } from '../../src/adapters/run-store/sql/run-store.js';
import { openPostgres, type SqlDatabase } from '../../src/adapters/sql/database.js';
import { createTestDatabase } from '../support/services.js';
import { describeRunStore } from './run-store.contract.js';

describeRunStore('sql-postgres', async (opts) => {
  const url = await createTestDatabase(inject('databaseUrl'), 'runs_contract');
  const dbs: SqlDatabase[] = [await openPostgres(url)];
  const second = async () => {
    const db = await openPostgres(url); // another pool: a second gateway instance
    dbs.push(db);
    return createSqlRunStore(db, opts);
  };
  const cleanup = async () => void (await Promise.all(dbs.map((db) => db.close())));
  return { store: await createSqlRunStore(dbs[0]!, opts), second, cleanup };
});
