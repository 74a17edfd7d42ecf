/**
 * ObjectStore: immutable objects (metadata JSON, Avro manifests, Parquet files) under the warehouse.
 * Locations are URIs (`file:///…` now, `s3://…` next), never local paths the caller opens itself:
 * everything goes through these methods. Every location the gateway reads or writes is first
 * mapped through LOCATION_ALIASES and must then lie under the warehouse root or an alias target;
 * anything else is InvalidInput (no path traversal, no reading arbitrary files).
 *
 * The store holds objects, not folders: a location either names an object or it does not, and
 * `list` finds objects by the string prefix of their location.
 *
 * Errors: NotFound (missing object), InvalidInput (location outside the allowed roots),
 * AlreadyExists (write with ifNotExists onto an existing object), BackendUnavailable.
 */
import type { Readable } from 'node:stream';

/** An object as `list` and `head` describe it. */
export interface ObjectInfo {
  /** The object's location, resolved (as `resolve` returns it). */
  location: string;
  size: number;
  lastModified: Date;
}

/** Marks a file stream whose file will not change again (see ObjectStore.put). */
export const UNCHANGING_FILE: unique symbol = Symbol.for('cascade.object-store.unchanging-file');

export interface ObjectStore {
  readonly kind: string;
  /** Warehouse root URI, without a trailing slash. */
  readonly root: string;
  /** Applies LOCATION_ALIASES, normalises, and checks confinement. Pure: touches no storage. */
  resolve(location: string): string;
  /** The whole object (metadata, manifests: small objects). */
  read(location: string): Promise<Uint8Array>;
  /**
   * The object's bytes as a stream (data files: any size). Rejects (NotFound, InvalidInput) before
   * the first byte when the object cannot be read.
   */
  readStream(location: string): Promise<Readable>;
  /**
   * Writes the whole object atomically (readers never see a partial object).
   * With ifNotExists, fails with AlreadyExists instead of overwriting.
   */
  write(location: string, bytes: Uint8Array, opts?: { ifNotExists?: boolean }): Promise<void>;
  /**
   * Streams `source` into the object, atomically as `write`: readers see the object whole or not at
   * all, and when the source fails nothing is left behind (an existing object stays as it was).
   * A file stream marked UNCHANGING_FILE (src/util/unchanging-file.ts) is a finished file nobody
   * writes again: a store on the same disk may take the file itself (a hard link) instead of a copy.
   */
  put(location: string, source: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts?: { ifNotExists?: boolean }): Promise<void>;
  /** Size and modification time of the object, or null when there is none at `location`. */
  head(location: string): Promise<{ size: number; lastModified: Date } | null>;
  /**
   * Every object whose resolved location starts with `prefix` (a plain string prefix, as S3 lists:
   * `…/t/da` finds `…/t/data/x` and `…/t/date`; end it with `/` for one folder's objects, nested
   * ones included), in ascending order of location. Objects still being written are not listed.
   */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Removes the object. Deleting a location with no object is not an error (as S3's DeleteObject). */
  delete(location: string): Promise<void>;
}
