/**
 * The engines `sql` can run on: DuckDB (always; the gateway hands it the files of each table) and
 * Trino (with TRINO_URL; it reads the catalog commit through its own Iceberg connector).
 */
import type { CatalogQueryEngine } from '../ports/catalog-query-engine.js';

export type SqlEngineName = 'DUCKDB' | 'TRINO';

export interface SqlEngines {
  trino: CatalogQueryEngine | null;
  /** SQL_ENGINE: the engine of a query that names none. */
  default: SqlEngineName;
}

/** DuckDB only: the embedded default. */
export const DUCKDB_ONLY: SqlEngines = { trino: null, default: 'DUCKDB' };

export interface SqlEngineInfo {
  engine: SqlEngineName;
  version: string;
  isDefault: boolean;
}
