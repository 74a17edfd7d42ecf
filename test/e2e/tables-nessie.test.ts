import { inject } from 'vitest';
import { describeTablesE2E } from './tables.suite.js';

describeTablesE2E('Nessie and DuckDB', () => ({ NESSIE_URI: inject('nessieUri') }));
