/** The use-case services the GraphQL edge calls, built once per app. */
import type { EventBus } from '../ports/event-bus.js';
import type { VersionStore } from '../ports/version-store.js';
import { CatalogService } from './catalog.js';

export interface Services {
  catalog: CatalogService;
  store: VersionStore;
  bus: EventBus;
}

export function createServices(deps: { store: VersionStore; bus: EventBus; protectedBranches: string[] }): Services {
  return {
    catalog: new CatalogService(deps.store, deps.protectedBranches),
    store: deps.store,
    bus: deps.bus,
  };
}
