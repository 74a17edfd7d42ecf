/** The embedded SQL version store (PGlite or PostgreSQL). */
export { createEmbeddedVersionStore, type EmbeddedVersionStoreOptions } from './store.js';
export { NO_ANCESTOR_HASH } from './hashing.js';
