/** The embedded PGlite store as the gateway uses it, behind the ref-head cache, means the same thing. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import { withRefCache } from '../../src/adapters/version-store/ref-cache.js';
import { openPglite } from '../../src/adapters/sql/database.js';
import { describeVersionStore } from './version-store.contract.js';

describeVersionStore('embedded-pglite behind the ref cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-vs-pglite-rc-'));
  const db = await openPglite(dir);
  const store = withRefCache(await createEmbeddedVersionStore(db));
  return {
    store,
    cleanup: async () => {
      await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
