/** The use-case services the GraphQL edge calls, built once per app. */
import type { EventBus } from '../ports/event-bus.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { CatalogQueryEngine } from '../ports/catalog-query-engine.js';
import type { SqlEngineName } from './sql-engines.js';
import type { VersionStore } from '../ports/version-store.js';
import type { RunStore } from '../ports/run-store.js';
import type { MartStore } from '../ports/mart-store.js';
import type { Logger } from '../logger.js';
import type { PipelineRegistry } from '../pipelines/registry.js';
import type { RunQueueSignal } from '../runs/queue-signal.js';
import { RunService } from './runs.js';
import { CatalogService } from './catalog.js';
import { MartService } from './marts.js';
import { TableService } from './table-writes.js';
import { MaintenanceService } from './maintenance.js';
import type { MaintenanceStore } from '../ports/maintenance-store.js';
import { ExportService, type ExportsOptions } from './exports.js';

export interface Services {
  catalog: CatalogService;
  tables: TableService;
  runs: RunService;
  marts: MartService;
  maintenance: MaintenanceService;
  exports: ExportService;
}

export function createServices(deps: {
  store: VersionStore;
  objects: ObjectStore;
  engine: QueryEngine;
  trino: CatalogQueryEngine | null;
  sqlEngine: SqlEngineName;
  bus: EventBus;
  protectedBranches: string[];
  runs: RunStore;
  maintenance: MaintenanceStore;
  maintenanceHistoryMs: number | null;
  marts: MartStore;
  pipelines: PipelineRegistry;
  logger: Logger;
  /** Told of each run queued through RunService (the run engine listens). */
  runQueue: RunQueueSignal;
  /** Export links: their key and the bytes a download may have per role (default: links signed with a key for open gateways, no byte limit). */
  exports?: ExportsOptions;
}): Services {
  const catalog = new CatalogService(deps.store, deps.protectedBranches, deps.bus);
  const tables = new TableService(catalog, deps.store, deps.objects, deps.engine, { trino: deps.trino, default: deps.sqlEngine });
  return {
    catalog,
    tables,
    marts: new MartService(catalog, tables, deps.engine, deps.marts, deps.bus),
    maintenance: new MaintenanceService(catalog, deps.store, deps.objects, tables, deps.maintenance, { historyMs: deps.maintenanceHistoryMs }, deps.logger),
    exports: new ExportService(catalog, tables, deps.engine, deps.exports ?? { authEnabled: false, maxBytes: { viewer: 0, analyst: 0, engineer: 0, admin: 0 } }),
    runs: new RunService(deps.pipelines, deps.runs, deps.bus, catalog, deps.store, deps.logger, deps.runQueue),
  };
}
