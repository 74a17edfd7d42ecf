import pg from 'pg';
import { inject } from 'vitest';
import { createPostgresMartStore } from '../../src/adapters/mart-store/postgres/index.js';
import { createTestDatabase } from '../support/services.js';
import { describeMartStore } from './mart-store.contract.js';

describeMartStore('postgres', async () => {
  const url = await createTestDatabase(inject('databaseUrl'), 'marts_contract');
  const clients: pg.Client[] = [];
  const reader = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    clients.push(c);
    return { sql: async <T>(q: string, params?: unknown[]) => (await c.query(q, params)).rows as T[], close: () => c.end() };
  };
  const direct = await reader();
  return { store: await createPostgresMartStore(url), sql: direct.sql, reader, atomicRows: 20_000, cleanup: () => direct.close() };
});
