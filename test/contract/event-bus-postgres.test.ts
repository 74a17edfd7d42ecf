import { afterAll, inject } from 'vitest';
import { createPostgresEventBus } from '../../src/adapters/event-bus/postgres/index.js';
import { openPostgres, type SqlDatabase } from '../../src/adapters/sql/database.js';
import { createTestDatabase } from '../support/services.js';
import { describeEventBus } from './event-bus.contract.js';

// One database for the file; each test gets a fresh bus (its own listener) on its own pool.
let url: Promise<string> | undefined;
const dbs: SqlDatabase[] = [];
afterAll(async () => {
  for (const db of dbs.splice(0)) await db.close();
});

describeEventBus('postgres', async () => {
  const db = await openPostgres(await (url ??= createTestDatabase(inject('databaseUrl'), 'bus_contract')));
  dbs.push(db);
  const bus = await createPostgresEventBus({ url: await url, db, backoff: { minMs: 50, maxMs: 500 } });
  return { bus, cleanup: async () => undefined };
});
