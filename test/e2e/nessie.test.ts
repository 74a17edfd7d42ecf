import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { describeCatalogE2E } from './catalog.suite.js';

// The Nessie server is shared by the whole run, so subscription moves go to a private branch.
describeCatalogE2E('Nessie', {
  env: () => ({ NESSIE_URI: inject('nessieUri') }),
  targetBranch: async (g) => {
    const name = `e2e-target-${randomBytes(4).toString('hex')}`;
    await g.data(`mutation($n: String!) { createBranch(name: $n) { __typename } }`, { n: name });
    return name;
  },
});
