/**
 * Per-request DataLoaders, keyed by immutable coordinates (commit hash, metadata location), so a
 * cached value can never be stale and a page of N items costs a constant number of backend calls.
 * Each is created when a request first uses it.
 */
import DataLoader from 'dataloader';
import type { Commit } from '../src/ports/version-store.js';
import type { TableMetadata } from '../src/domain/iceberg/types.js';
import type { TableView } from '../src/services/table-view.js';

export interface Loaders {
  commit: DataLoader<string, Commit | null>;
  /**
   * A table's Iceberg metadata, with the history its catalog kept in earlier commits
   * (TableReads.tableMetadata), cached by metadata location (immutable files).
   */
  metadata: DataLoader<TableView, TableMetadata, string>;
}

/** What the loaders batch, from the services (src/services/catalog.ts, src/services/tables.ts). */
type LoaderServices = {
  catalog: { commitsByHash(hashes: readonly string[]): Promise<(Commit | null)[]> };
  tables: { tableMetadata(view: TableView): Promise<TableMetadata> };
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
    return (this.#metadata ??= new DataLoader(
      async (views) => {
        this.onBatch('metadata');
        return Promise.all(views.map((v) => this.services.tables.tableMetadata(v).catch((e: Error) => e)));
      },
      { cacheKeyFn: (v) => v.content.metadataLocation },
    ));
  }

  get commit(): Loaders['commit'] {
    return (this.#commit ??= new DataLoader(async (hashes) => {
      this.onBatch('commit');
      return this.services.catalog.commitsByHash(hashes);
    }));
  }
}
