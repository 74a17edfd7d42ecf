import { inject } from 'vitest';
import { createNessieVersionStore } from '../../src/adapters/version-store/nessie/index.js';
import { describeVersionStore } from './version-store.contract.js';

describeVersionStore('nessie', async () => ({ store: await createNessieVersionStore({ uri: inject('nessieUri') }) }));
