/**
 * Picks the adapters from the validated config. Heavy SDKs load lazily, only for the backend chosen.
 * A configured but unreachable backend surfaces as BackendUnavailable, and `check` tells /readyz.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { EventBus } from '../ports/event-bus.js';
import type { VersionStore } from '../ports/version-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import { createLocalObjectStore } from './local/object-store.js';
import { createMemoryEventBus } from './memory/event-bus.js';
import { withRefCache } from './ref-cache.js';
import { withEvents } from './version-store-events.js';
import { withMetrics } from './with-metrics.js';

export interface Backends {
  /** The version store as the app uses it: timed, and emitting reference events. */
  store: VersionStore;
  objects: ObjectStore;
  engine: QueryEngine;
  bus: EventBus;
  /** Readiness of each backend: name → null when fine, or the reason it is not. */
  check(): Promise<Record<string, string | null>>;
  close(): Promise<void>;
}

export async function createBackends(config: Config, logger: Logger, metrics: Metrics): Promise<Backends> {
  const closers: (() => Promise<void>)[] = [];
  const raw = await openVersionStore(config, closers);
  logger.info({ versionStore: raw.kind }, 'version store ready');
  const bus = createMemoryEventBus();
  closers.push(() => bus.close());
  const evented = withEvents(withMetrics(raw, 'VersionStore', metrics.backendCalls), bus, (e) =>
    logger.error({ err: e }, 'publishing a reference event failed'),
  );
  // Ref heads from memory only where this process sees every ref move (ref-cache.ts): embedded
  // PGlite is one database in one process. PostgreSQL and Nessie are shared with other instances.
  const store = raw.kind === 'embedded-pglite' ? withRefCache(evented) : evented;
  const objects = withMetrics(createLocalObjectStore(config.warehouse, config.locationAliases), 'ObjectStore', metrics.backendCalls);
  const { createDuckDbEngine } = await import('./duckdb/index.js');
  const engine = withMetrics(await createDuckDbEngine(), 'QueryEngine', metrics.backendCalls);
  closers.push(() => engine.close());
  return {
    store,
    objects,
    engine,
    bus,
    async check() {
      const out: Record<string, string | null> = {};
      try {
        await raw.getReference(await raw.defaultBranch());
        out[raw.kind] = null;
      } catch (e) {
        out[raw.kind] = e instanceof Error ? e.message : String(e);
      }
      return out;
    },
    async close() {
      for (const c of closers.reverse()) await c().catch((e) => logger.warn({ err: e }, 'closing a backend failed'));
    },
  };
}

async function openVersionStore(config: Config, closers: (() => Promise<void>)[]): Promise<VersionStore> {
  if (config.nessieUri) {
    const { createNessieVersionStore } = await import('./nessie/index.js');
    const store = await createNessieVersionStore({ uri: config.nessieUri });
    closers.push(() => store.close());
    return store;
  }
  const { openPglite, openPostgres } = await import('./sql/database.js');
  const { createEmbeddedVersionStore } = await import('./embedded/index.js');
  let db;
  if (config.databaseUrl) {
    db = await openPostgres(config.databaseUrl);
  } else {
    const dir = path.join(config.home, 'catalog');
    await fs.mkdir(dir, { recursive: true });
    db = await openPglite(dir);
  }
  // The store closes its database when it is closed.
  const store = await createEmbeddedVersionStore(db, { defaultBranch: config.defaultBranch });
  closers.push(() => store.close());
  return store;
}
