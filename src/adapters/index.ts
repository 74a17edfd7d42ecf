/**
 * Picks the adapters from the validated config. Heavy SDKs load lazily, only for the backend chosen.
 * A configured but unreachable backend surfaces as BackendUnavailable, and `check` tells /readyz.
 *
 * One SQL database is opened here and shared: DATABASE_URL (PostgreSQL), else PGlite under
 * `$CASCADE_HOME/catalog`. It holds the embedded version store (unless NESSIE_URI picks Nessie) and
 * the runs; it is closed last. On PostgreSQL the event bus is LISTEN/NOTIFY, so every instance on the
 * database sees every event; on PGlite (one process) it is the in-memory bus.
 * The object store is S3 when WAREHOUSE is `s3://bucket/prefix` (its bucket probed for /readyz),
 * else the local filesystem.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunStore } from '../ports/run-store.js';
import type { MartStore } from '../ports/mart-store.js';
import type { VersionStore } from '../ports/version-store.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { CatalogQueryEngine } from '../ports/catalog-query-engine.js';
import type { MaintenanceStore } from '../ports/maintenance-store.js';
import { createLocalObjectStore } from './object-store/local/index.js';
import { createMemoryEventBus } from './event-bus/memory/index.js';
import type { SqlDatabase } from './sql/database.js';
import { withRefCache } from './version-store/ref-cache.js';
import { withEvents } from './version-store/with-events.js';
import { withMetrics } from './with-metrics.js';

export interface Backends {
  /** The version store as the app uses it: timed, and emitting reference events. */
  store: VersionStore;
  objects: ObjectStore;
  engine: QueryEngine;
  /** Trino (TRINO_URL), for `sql(engine: TRINO)` and models with `engine: trino`. */
  trino: CatalogQueryEngine | null;
  bus: EventBus;
  /** Pipeline runs, their events and audits (timed), in `db`. */
  runs: RunStore;
  /** Maintenance plans and their executions, in `db`. */
  maintenance: MaintenanceStore;
  /**
   * Marts (timed): PostgreSQL at MARTS_DATABASE_URL, else DATABASE_URL (own pool, for COPY), else
   * schema `marts` in the embedded PGlite `db`.
   */
  marts: MartStore;
  /** The SQL database of the runs and of the embedded version store, opened once and shared. */
  db: SqlDatabase;
  /** Readiness of each backend: name → null when fine, or the reason it is not. */
  check(): Promise<Record<string, string | null>>;
  close(): Promise<void>;
}

export async function createBackends(config: Config, logger: Logger, metrics: Metrics): Promise<Backends> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c().catch((e) => logger.warn({ err: e }, 'closing a backend failed'));
  };
  try {
    return await open(config, logger, metrics, closers, close);
  } catch (e) {
    await close();
    throw e;
  }
}

async function open(
  config: Config,
  logger: Logger,
  metrics: Metrics,
  closers: (() => Promise<void>)[],
  close: () => Promise<void>,
): Promise<Backends> {
  const db = await openDatabase(config);
  closers.push(() => db.close());
  const raw = await openVersionStore(config, db, closers);
  logger.info({ versionStore: raw.kind, database: db.kind }, 'version store ready');
  const { createSqlRunStore } = await import('./run-store/sql/run-store.js');
  const rawRuns = await createSqlRunStore(db, { leaseMs: config.runs.leaseMs });
  closers.push(() => rawRuns.close());
  const runs = withMetrics(rawRuns, 'RunStore', metrics.backendCalls);
  const { createSqlMaintenanceStore } = await import('./maintenance-store/sql/index.js');
  const maintenance = withMetrics(await createSqlMaintenanceStore(db), 'MaintenanceStore', metrics.backendCalls);
  const pgBus = db.kind === 'postgres' && config.databaseUrl ? await openPostgresBus(config.databaseUrl, db, logger) : null;
  const bus = pgBus ?? createMemoryEventBus();
  closers.push(() => bus.close());
  const evented = withEvents(withMetrics(raw, 'VersionStore', metrics.backendCalls), bus, (e) =>
    logger.error({ err: e }, 'publishing a reference event failed'),
  );
  // Ref heads from memory only where this process sees every ref move (ref-cache.ts): embedded
  // PGlite is one database in one process. PostgreSQL and Nessie are shared with other instances.
  const store = raw.kind === 'embedded-pglite' ? withRefCache(evented) : evented;
  const rawObjects = await openObjectStore(config, closers);
  const objects = withMetrics(rawObjects.store, 'ObjectStore', metrics.backendCalls);
  const { createDuckDbEngine } = await import('./query-engine/duckdb/index.js');
  // The engine puts the data files it writes into the store itself (through its metrics too).
  const engine = withMetrics(
    await createDuckDbEngine(objects, { sqlMemoryBytes: config.limits.sqlMemoryBytes, objectCache: config.objectCache }),
    'QueryEngine',
    metrics.backendCalls,
  );
  closers.push(() => engine.close());
  const trino = config.trino ? await openTrino(config, metrics, closers) : null;
  const rawMarts = await openMartStore(config, db);
  closers.push(() => rawMarts.close());
  const marts = withMetrics(rawMarts, 'MartStore', metrics.backendCalls);
  return {
    store,
    objects,
    engine,
    trino,
    bus,
    runs,
    maintenance,
    marts,
    db,
    async check() {
      const out: Record<string, string | null> = {};
      const probe = async (name: string, fn: () => Promise<unknown>) => {
        try {
          await fn();
          out[name] = null;
        } catch (e) {
          out[name] = e instanceof Error ? e.message : String(e);
        }
      };
      await probe(raw.kind, async () => raw.getReference(await raw.defaultBranch()));
      // The embedded store's probe already covers the shared database; with Nessie it is separate.
      if (!raw.kind.startsWith('embedded')) await probe(`runs-${db.kind}`, () => db.query('SELECT 1'));
      if (pgBus) out['events-postgres'] = pgBus.status();
      if (rawMarts.kind === 'postgres') await probe('marts-postgres', () => rawMarts.list());
      if (rawObjects.probe) await probe(`object-store-${rawObjects.store.kind}`, rawObjects.probe);
      if (trino) await probe('trino', () => trino.check());
      return out;
    },
    close,
  };
}

async function openDatabase(config: Config): Promise<SqlDatabase> {
  const { openPglite, openPostgres } = await import('./sql/database.js');
  if (config.databaseUrl) return openPostgres(config.databaseUrl);
  const dir = path.join(config.home, 'catalog');
  await fs.mkdir(dir, { recursive: true });
  return openPglite(dir);
}

/** WAREHOUSE=s3://… → S3 (with a readiness probe of its bucket); a file:// URI or a path → the local filesystem. */
async function openObjectStore(config: Config, closers: (() => Promise<void>)[]): Promise<{ store: ObjectStore; probe?: () => Promise<void> }> {
  if (!config.warehouse.startsWith('s3://')) return { store: createLocalObjectStore(config.warehouse, config.locationAliases) };
  const { createS3ObjectStore } = await import('./object-store/s3/index.js');
  const store = createS3ObjectStore({ warehouse: config.warehouse, aliases: config.locationAliases, ...config.s3 });
  closers.push(async () => store.close());
  return { store, probe: () => store.probe() };
}

async function openTrino(config: Config, metrics: Metrics, closers: (() => Promise<void>)[]): Promise<CatalogQueryEngine> {
  const { createTrinoEngine } = await import('./catalog-query-engine/trino/index.js');
  const trino = withMetrics(createTrinoEngine(config.trino!), 'CatalogQueryEngine', metrics.backendCalls);
  closers.push(() => trino.close());
  return trino;
}

async function openMartStore(config: Config, db: SqlDatabase): Promise<MartStore> {
  const url = config.martsDatabaseUrl ?? config.databaseUrl;
  if (url) {
    const { createPostgresMartStore } = await import('./mart-store/postgres/index.js');
    return createPostgresMartStore(url);
  }
  const { createPgliteMartStore } = await import('./mart-store/pglite/index.js');
  return createPgliteMartStore(db);
}

async function openVersionStore(config: Config, db: SqlDatabase, closers: (() => Promise<void>)[]): Promise<VersionStore> {
  if (config.nessieUri) {
    const { createNessieVersionStore } = await import('./version-store/nessie/index.js');
    const store = await createNessieVersionStore({ uri: config.nessieUri });
    closers.push(() => store.close());
    return store;
  }
  const { createEmbeddedVersionStore } = await import('./version-store/embedded/index.js');
  // The database belongs to the backends (the run store shares it): the store must not close it.
  const store = await createEmbeddedVersionStore(db, { defaultBranch: config.defaultBranch, closeDatabase: false });
  closers.push(() => store.close());
  return store;
}

async function openPostgresBus(url: string, db: SqlDatabase, logger: Logger) {
  const { createPostgresEventBus } = await import('./event-bus/postgres/index.js');
  return createPostgresEventBus({ url, db, onError: (e) => logger.warn({ err: e }, 'event bus (LISTEN/NOTIFY)') });
}
