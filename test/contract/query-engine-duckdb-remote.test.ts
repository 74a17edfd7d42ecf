/**
 * The QueryEngine contract with every data and delete file behind a non-file location: the DuckDB
 * engine must read them all (rows, sql in its sandbox, compare, CSV export, overwrites, query
 * inputs) through the ObjectStore into its object cache, never from a path of its own.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { remoteView } from '../support/object-stores.js';
import { cachedEngine } from './cached-engine.js';
import { describeQueryEngine } from './query-engine.contract.js';

describeQueryEngine('duckdb on a remote (non-file) view of the local store', () =>
  cachedEngine('remote', (dir) => remoteView(createLocalObjectStore(pathToFileURL(join(dir, 'warehouse')).href))),
);
