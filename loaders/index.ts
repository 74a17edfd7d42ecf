/**
 * Per-request DataLoaders, keyed by immutable coordinates (commit hash, metadata location), so a
 * cached value can never be stale and a page of N items costs a constant number of backend calls.
 * Each is created when a request first uses it.
 */
import DataLoader from 'dataloader';
import type { Commit } from '../src/ports/version-store.js';
import type { TableMetadata } from '../src/domain/iceberg/types.js';

export interface Loaders {
  commit: DataLoader<string, Commit | null>;
  /** Iceberg table metadata by metadata location (immutable files). */
  metadata: DataLoader<string, TableMetadata>;
}

/** What the loaders batch, from the services (src/services/catalog.ts, src/services/tables.ts). */
type LoaderServices = {
  catalog: { commitsByHash(hashes: readonly string[]): Promise<(Commit | null)[]> };
  tables: { metadata(location: string): Promise<TableMetadata> };
};

export function createLoaders(services: LoaderServices, onBatch: (loader: string) => void = () => {}): Loaders {
  return new RequestLoaders(services, onBatch);
}

/** Made on first use: most operations need none of them (and a class costs no closures per request). */
class RequestLoaders implements Loaders {
  #metadata: Loaders['metadata'] | undefined;
  #commit: Loaders['commit'] | undefined;

  constructor(
    private readonly services: LoaderServices,
    private readonly onBatch: (loader: string) => void,
  ) {}

  get metadata(): Loaders['metadata'] {
    return (this.#metadata ??= new DataLoader(async (locations) => {
      this.onBatch('metadata');
      return Promise.all(locations.map((l) => this.services.tables.metadata(l).catch((e: Error) => e)));
    }));
  }

  get commit(): Loaders['commit'] {
    return (this.#commit ??= new DataLoader(async (hashes) => {
      this.onBatch('commit');
      return this.services.catalog.commitsByHash(hashes);
    }));
  }
}
