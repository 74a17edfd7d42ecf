/**
 * ObjectStore: immutable objects (metadata JSON, Avro manifests, Parquet files) under the warehouse.
 * Locations are URIs (`file:///…`, later `s3://…`). Every location the gateway reads or writes is
 * first mapped through LOCATION_ALIASES and must then lie under the warehouse root or an alias
 * target; anything else is InvalidInput (no path traversal, no reading arbitrary files).
 *
 * Errors: NotFound (missing object), InvalidInput (location outside the allowed roots),
 * AlreadyExists (write with ifNotExists onto an existing object), BackendUnavailable.
 */
export interface ObjectStore {
  readonly kind: string;
  /** Warehouse root URI, without a trailing slash. */
  readonly root: string;
  /** Applies LOCATION_ALIASES, normalises, and checks confinement. Pure: touches no storage. */
  resolve(location: string): string;
  read(location: string): Promise<Uint8Array>;
  /**
   * Writes the whole object atomically (readers never see a partial object).
   * With ifNotExists, fails with AlreadyExists instead of overwriting.
   */
  write(location: string, bytes: Uint8Array, opts?: { ifNotExists?: boolean }): Promise<void>;
  /** Moves a finished local file (e.g. Parquet DuckDB wrote) to `location`, atomically. */
  putFile(localPath: string, location: string): Promise<void>;
  exists(location: string): Promise<boolean>;
  size(location: string): Promise<number>;
  delete(location: string): Promise<void>;
  /**
   * A local filesystem path the query engine can open for `location` (the file itself for the
   * local adapter; a cached copy for remote stores — objects are immutable, so a cache never goes stale).
   */
  localPath(location: string): Promise<string>;
  /** A fresh local scratch directory for the engine to write into; removed by the returned cleanup. */
  scratchDir(): Promise<{ path: string; cleanup: () => Promise<void> }>;
}
