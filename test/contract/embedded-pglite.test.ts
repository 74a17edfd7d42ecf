import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import { openPglite } from '../../src/adapters/sql/database.js';
import { describeVersionStore } from './version-store.contract.js';

describeVersionStore('embedded-pglite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-vs-pglite-'));
  const db = await openPglite(dir);
  const store = await createEmbeddedVersionStore(db);
  return {
    store,
    cleanup: async () => {
      await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
