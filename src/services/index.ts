/** The use-case services the GraphQL edge calls, built once per app. */
import type { EventBus } from '../ports/event-bus.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { VersionStore } from '../ports/version-store.js';
import { CatalogService } from './catalog.js';
import { TableService } from './table-writes.js';

export interface Services {
  catalog: CatalogService;
  tables: TableService;
  store: VersionStore;
  objects: ObjectStore;
  engine: QueryEngine;
  bus: EventBus;
}

export function createServices(deps: {
  store: VersionStore;
  objects: ObjectStore;
  engine: QueryEngine;
  bus: EventBus;
  protectedBranches: string[];
}): Services {
  const catalog = new CatalogService(deps.store, deps.protectedBranches);
  return {
    catalog,
    tables: new TableService(catalog, deps.store, deps.objects, deps.engine),
    store: deps.store,
    objects: deps.objects,
    engine: deps.engine,
    bus: deps.bus,
  };
}
