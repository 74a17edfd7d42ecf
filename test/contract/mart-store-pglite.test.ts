import { openPglite } from '../../src/adapters/sql/database.js';
import { createPgliteMartStore } from '../../src/adapters/mart-store/pglite/index.js';
import { describeMartStore } from './mart-store.contract.js';

describeMartStore('pglite', async () => {
  const db = await openPglite();
  const sql = async <T>(q: string, params?: unknown[]) => (await db.query<T>(q, params)).rows;
  return { store: await createPgliteMartStore(db), sql, reader: async () => ({ sql, close: async () => undefined }), atomicRows: 2000, cleanup: () => db.close() };
});
