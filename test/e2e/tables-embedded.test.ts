import { describeTablesE2E } from './tables.suite.js';

describeTablesE2E('the embedded store (PGlite) and DuckDB', () => ({}));
