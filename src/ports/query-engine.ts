/**
 * QueryEngine: reads and writes the data files of Iceberg snapshots. It never touches the catalog:
 * callers hand it ScanPlans (files already resolved to local paths) and get rows, SQL results or
 * written Parquet files back. Columns are matched to files by Iceberg field id, so renamed, added
 * and dropped columns read correctly; delete files are applied by sequence number per the spec.
 *
 * Errors: InvalidInput (bad SQL, non-SELECT SQL, forbidden functions, unknown columns, bad cursor),
 * SchemaMismatch (input rows or files that do not fit the schema), LimitExceeded (timeout),
 * BackendUnavailable.
 */
import type { DataFile, PartitionSpec, ScanPlan, Schema } from '../domain/iceberg/types.js';
import type { Where } from '../domain/filters.js';

/** A ScanPlan whose file paths are local paths the engine can open. */
export type LocalScanPlan = ScanPlan;

export interface OrderBy {
  column: string;
  direction: 'ASC' | 'DESC';
}

export interface RowQuery {
  /** Top-level column names, in output order; all columns of the plan's schema when absent. */
  columns?: string[];
  where?: Where;
  orderBy?: OrderBy[];
  first: number;
  /** Opaque keyset cursor from a previous page. */
  after?: string;
  /** Also count all matching rows. */
  withTotal?: boolean;
}

/** JSON-safe values: 64-bit integers and decimals as strings, timestamps ISO-8601, binary base64. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface RowPage {
  columns: string[];
  rows: Record<string, JsonValue>[];
  totalCount: bigint | null;
  /** Where the next page starts; null when there is none, or the page is empty (`first: 0`). */
  nextCursor: string | null;
  /** Whether rows follow this page (also with `first: 0`, which returns none). */
  hasMore: boolean;
}

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: JsonValue[][];
  truncated: boolean;
  elapsedMs: number;
}

export type WriteInput =
  | { kind: 'rows'; rows: Record<string, unknown>[] }
  /** A local file, or a glob of files of one format (trusted callers only: pipelines, uploads in scratch). */
  | {
      kind: 'file';
      localPath: string;
      format: 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET';
      /**
       * The caller owns this one Parquet file and lets the engine keep it as the data file as it is
       * (WrittenFile.localPath is then this path, its footer possibly trimmed) when it matches the
       * target exactly (unpartitioned, same column names, exact types, values consistent with the
       * footer's statistics); otherwise it is rewritten as usual. The file has no field ids, so the
       * table must read it through its name mapping (see WrittenFile.passedThrough).
       */
      passThrough?: boolean;
    }
  /**
   * The result of a read-only query (checked as `sql` checks it) in which each dotted name in
   * `tables` reads that plan: written straight from the engine to Parquet, never through JS rows.
   */
  | { kind: 'query'; sql: string; tables: Map<string, LocalScanPlan>; timeoutMs?: number };

/** A column of an input as the engine sees it; `type` is an Iceberg type as the API writes it (`long`, `list<string>`). */
export interface ColumnDescription {
  name: string;
  type: string;
}

/** A Parquet file the engine wrote, with what a manifest entry needs (bounds as typed values). */
export interface WrittenFile {
  localPath: string;
  recordCount: number;
  fileSizeInBytes: number;
  partition: Record<string, unknown>;
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  /** Typed min/max per leaf field id (JS values: number, bigint, string, boolean, Date, Uint8Array…). */
  lowerBounds: Map<number, unknown>;
  upperBounds: Map<number, unknown>;
  /** The input file kept as it is (WriteInput passThrough): its columns are found by name, not field id. */
  passedThrough?: boolean;
}

/** Where exportCsv writes. */
export interface CsvExportTarget {
  /** A file or FIFO written once from start to end; with `splitBytes`, a directory the engine creates. */
  path: string;
  /** Split into files `data_<n>.csv` of about this many bytes inside `path`. */
  splitBytes?: number;
  /** Append a 1-based row number as the last column. */
  rowNumber?: boolean;
}

export interface DataComparison {
  fromRows: bigint;
  toRows: bigint;
  rowsAdded: bigint;
  rowsRemoved: bigint;
  sampleAdded: Record<string, JsonValue>[];
  sampleRemoved: Record<string, JsonValue>[];
}

export interface QueryEngine {
  readonly kind: string;

  rows(plan: LocalScanPlan, q: RowQuery): Promise<RowPage>;

  /** Dotted table names a read-only query refers to. @throws InvalidInput for anything but one SELECT/WITH. */
  referencedTables(query: string): Promise<string[]>;

  /**
   * Runs a read-only query in which each dotted name in `tables` reads that plan: at most `maxRows`
   * rows (then `truncated`); LimitExceeded past `timeoutMs` or once the rows would be more than
   * `maxBytes` of JSON; the engine's own memory for it is held to `maxMemoryBytes`, if given.
   */
  sql(query: string, tables: Map<string, LocalScanPlan>, opts: { maxRows: number; timeoutMs: number; maxBytes: number; maxMemoryBytes?: number }): Promise<SqlResult>;

  /**
   * Writes input rows as Parquet (with Iceberg field ids) into `dir`, one file per partition of
   * `spec` (split further when large). @throws SchemaMismatch when the input does not fit `schema`.
   */
  writeDataFiles(input: WriteInput, target: { schema: Schema; spec: PartitionSpec; dir: string }): Promise<WrittenFile[]>;

  /**
   * The columns the input would have (a query's result columns, a file's or rows' inferred
   * columns) as Iceberg types; reads at most a sample. @throws InvalidInput (unreadable input, bad SQL).
   */
  describe(input: WriteInput): Promise<ColumnDescription[]>;

  /**
   * For an overwrite with a filter: which data files of `plan` hold rows matching `where`, and
   * new files holding their rows that do not match (copy-on-write).
   */
  rewriteWithout(plan: LocalScanPlan, where: Where, target: { schema: Schema; spec: PartitionSpec; dir: string }): Promise<{ replaced: DataFile[]; written: WrittenFile[]; deletedRows: number }>;

  /**
   * Writes the plan's rows (top-level columns in schema order) as headerless CSV that PostgreSQL's
   * `COPY … (FORMAT csv)` reads back exactly: NULL an unquoted empty field, empty string `""`,
   * binary `\x<hex>`, nested values JSON text, everything else in a text form PostgreSQL parses to
   * the same value. Never passes rows through JS. Resolves with the number of rows written.
   */
  exportCsv(plan: LocalScanPlan, target: CsvExportTarget): Promise<number>;

  /** Row-level difference of two plans over the columns (field ids) they share, computed in the engine. */
  compare(from: LocalScanPlan, to: LocalScanPlan, sampleSize: number): Promise<DataComparison>;

  close(): Promise<void>;
}
