/**
 * Per-request DataLoaders, keyed by immutable coordinates (commit hash, metadata location), so a
 * cached value can never be stale and a page of N items costs a constant number of backend calls.
 * Each is created when a request first uses it.
 */
import DataLoader from 'dataloader';
import { NotFound } from '../src/domain/errors.js';
import type { CommitHash } from '../src/domain/refs.js';
import type { Commit, VersionStore } from '../src/ports/version-store.js';
import type { TableMetadata } from '../src/domain/iceberg/types.js';

export interface Loaders {
  commit: DataLoader<string, Commit | null>;
  /** Iceberg table metadata by metadata location (immutable files). */
  metadata: DataLoader<string, TableMetadata>;
}

export function rootCommit(hash: CommitHash): Commit {
  return {
    hash,
    parentHashes: [],
    message: '',
    author: '',
    authorTime: null,
    committer: null,
    commitTime: new Date(0),
    properties: {},
    operations: [],
  };
}

type LoaderServices = { store: VersionStore; tables: { metadata(location: string): Promise<TableMetadata> } };

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
    const store = this.services.store;
    return (this.#commit ??= new DataLoader(async (hashes) => {
      this.onBatch('commit');
      return Promise.all(
        hashes.map(async (h) => {
          if (h === store.noAncestorHash) return rootCommit(h as CommitHash);
          try {
            return await store.getCommit(h as CommitHash);
          } catch (e) {
            if (e instanceof NotFound) return null;
            throw e;
          }
        }),
      );
    }));
  }
}
