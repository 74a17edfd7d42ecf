/**
 * CatalogQueryEngine: an SQL engine with its own connector to the catalog (Trino's Iceberg connector
 * on Nessie's REST catalog), as opposed to the QueryEngine, which is handed the files to read. It
 * reads the tables of one catalog commit by the names a query uses (`namespace.table`), and writes a
 * query's result as a table on a branch, committing to the catalog itself.
 *
 * Queries reach it already checked by the gateway (one read-only SELECT/WITH over tables that exist
 * at that commit); it still runs them with nothing but that commit's tables in reach.
 *
 * Errors: InvalidInput (the engine refuses the query), LimitExceeded (over its time or size limit;
 * the query is cancelled in the engine), BackendUnavailable (the engine cannot be reached or failed).
 */
import type { ContentKey } from '../domain/content.js';
import type { CommitHash, RefName } from '../domain/refs.js';
import type { SqlResult } from './query-engine.js';

/** A commit of the catalog, and a branch or tag it can be read through (the engine's catalogs need one). */
export interface CatalogCommit {
  ref: RefName;
  hash: CommitHash;
}

export interface CatalogQueryEngine {
  /** `trino`. */
  readonly kind: string;

  /** The engine's version, as it reports it. */
  version(): Promise<string>;

  /** At most `maxRows` rows (then `truncated`); LimitExceeded past `timeoutMs` or `maxBytes` of JSON. */
  sql(query: string, at: CatalogCommit, limits: { maxRows: number; timeoutMs: number; maxBytes: number }): Promise<SqlResult>;

  /**
   * Replaces (or creates) `table` on `branch` with the rows of `query`, read at the branch's head:
   * the engine commits to the catalog itself, one commit on the branch. Resolves once committed.
   */
  createTableAs(branch: RefName, table: ContentKey, query: string, timeoutMs: number): Promise<void>;

  /** Reachable, and its catalog on the same Nessie answers: for /readyz. */
  check(): Promise<void>;

  close(): Promise<void>;
}
