/**
 * QueryEngine: reads and writes the data files of Iceberg snapshots. It never touches the catalog:
 * callers hand it ScanPlans (data and delete files by location: URIs, resolved through
 * ObjectStore.resolve) and get rows, SQL results or written Parquet files back. Data files are
 * written to a target location (a URI prefix in the warehouse); how the engine gets at the objects
 * (straight from their URIs, a local staging folder, its own connector) is the adapter's business.
 * Columns are matched to files by Iceberg field id, so renamed, added and dropped columns read
 * correctly; delete files are applied by sequence number per the spec.
 *
 * Errors: InvalidInput (bad SQL, non-SELECT SQL, forbidden functions, unknown columns, bad cursor),
 * SchemaMismatch (input rows or files that do not fit the schema), LimitExceeded (timeout),
 * BackendUnavailable (also for a location scheme the engine cannot read yet). A write target the
 * ObjectStore refuses is InvalidInput, before anything is written.
 */
import type { DataFile, PartitionSpec, ScanPlan, Schema } from '../domain/iceberg/types.js';
import type { Where } from '../domain/filters.js';

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
  /**
   * A local file, or a glob of files of one format: input, not a warehouse object (trusted callers
   * only: pipeline data files, uploads and spools in the gateway's own temporary folders).
   */
  | {
      kind: 'file';
      localPath: string;
      format: 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET';
      /**
       * The caller owns this one Parquet file and lets the engine keep it as the data file as it is
       * (the engine puts it, its footer possibly trimmed in place, to a location under the target)
       * when it matches the target exactly (unpartitioned, same column names, exact types, values
       * consistent with the footer's statistics); otherwise it is rewritten as usual. The file has
       * no field ids, so the table must read it through its name mapping (see WrittenFile.passedThrough).
       */
      passThrough?: boolean;
    }
  /**
   * The result of a read-only query (checked as `sql` checks it) in which each dotted name in
   * `tables` reads that plan: written straight from the engine to Parquet, never through JS rows.
   */
  | { kind: 'query'; sql: string; tables: Map<string, ScanPlan>; timeoutMs?: number };

/** A column of an input as the engine sees it; `type` is an Iceberg type as the API writes it (`long`, `list<string>`). */
export interface ColumnDescription {
  name: string;
  type: string;
}

/** Where writeDataFiles and rewriteWithout write. */
export interface WriteTarget {
  schema: Schema;
  spec: PartitionSpec;
  /**
   * URI prefix the new files go under (the table's data folder, e.g. `<table location>/data`):
   * each file gets a fresh name there (in a partition folder when the spec partitions). Must lie
   * where the ObjectStore may write; the engine never writes anywhere else.
   */
  location: string;
  /** Unpartitioned writes start a new file past about this many bytes (a compaction's target size); default 512 MiB. */
  targetFileSizeBytes?: number;
}

/** A Parquet file the engine wrote, with what a manifest entry needs (bounds as typed values). */
export interface WrittenFile {
  /** Where the file now is (an object under WriteTarget.location, complete: put atomically). */
  location: string;
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

/** Where exportCsv writes: local output of the gateway (a mart publish's pipe or spool), not a warehouse object. */
export interface CsvExportTarget {
  /** A local file or FIFO written once from start to end; with `splitBytes`, a directory the engine creates. */
  path: string;
  /** Split into files `data_<n>.csv` of about this many bytes inside `path`. */
  splitBytes?: number;
  /** Append a 1-based row number as the last column. */
  rowNumber?: boolean;
}

/** The formats of exportStream. */
export type ExportFormat = 'CSV' | 'PARQUET' | 'ARROW';

/** What exportStream writes: a plan's rows (like rows(), without paging) or a read-only query's result (like sql()). */
export type ExportSource =
  | { kind: 'plan'; plan: ScanPlan; columns?: string[]; where?: Where; orderBy?: OrderBy[] }
  | {
      kind: 'query';
      sql: string;
      tables: Map<string, ScanPlan>;
      /** The query is stopped (LimitExceeded) after this long, however slowly its reader reads. */
      timeoutMs: number;
    };

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

  /** The engine's version, as it reports it. */
  version(): Promise<string>;

  rows(plan: ScanPlan, q: RowQuery): Promise<RowPage>;

  /** Dotted table names a read-only query refers to. @throws InvalidInput for anything but one SELECT/WITH. */
  referencedTables(query: string): Promise<string[]>;

  /**
   * Runs a read-only query in which each dotted name in `tables` reads that plan: at most `maxRows`
   * rows (then `truncated`); LimitExceeded past `timeoutMs` or once the rows would be more than
   * `maxBytes` of JSON; the engine's own memory for it is held to `maxMemoryBytes`, if given.
   */
  sql(query: string, tables: Map<string, ScanPlan>, opts: { maxRows: number; timeoutMs: number; maxBytes: number; maxMemoryBytes?: number }): Promise<SqlResult>;

  /**
   * Writes input rows as Parquet (with Iceberg field ids) under `target.location`, one file per
   * partition of `spec` (split further when large); every file is complete once it resolves.
   * @throws SchemaMismatch when the input does not fit `schema`.
   */
  writeDataFiles(input: WriteInput, target: WriteTarget): Promise<WrittenFile[]>;

  /**
   * The columns the input would have (a query's result columns, a file's or rows' inferred
   * columns) as Iceberg types; reads at most a sample. @throws InvalidInput (unreadable input, bad SQL).
   */
  describe(input: WriteInput): Promise<ColumnDescription[]>;

  /**
   * For an overwrite with a filter: which data files of `plan` hold rows matching `where`, and
   * new files holding their rows that do not match (copy-on-write).
   */
  rewriteWithout(plan: ScanPlan, where: Where, target: WriteTarget): Promise<{ replaced: DataFile[]; written: WrittenFile[]; deletedRows: number }>;

  /**
   * Writes the plan's rows (top-level columns in schema order) as headerless CSV that PostgreSQL's
   * `COPY … (FORMAT csv)` reads back exactly: NULL an unquoted empty field, empty string `""`,
   * binary `\x<hex>`, nested values JSON text, everything else in a text form PostgreSQL parses to
   * the same value. Never passes rows through JS. Resolves with the number of rows written.
   */
  exportCsv(plan: ScanPlan, target: CsvExportTarget): Promise<number>;

  /**
   * Every row of `source` (no row cap) as one file of `format`, in pieces made as the caller pulls
   * them: a caller that reads slowly slows the engine, and one that stops iterating (`return`)
   * stops it. CSV has a header row; Arrow is an IPC stream. Errors before the first piece (a bad
   * query) are InvalidInput; a failure later ends the iteration with the error. A piece is the
   * caller's until it asks for the next one (its buffer may then be reused): write it out first,
   * or copy it to keep it.
   */
  exportStream(source: ExportSource, format: ExportFormat): AsyncIterable<Uint8Array>;

  /** Row-level difference of two plans over the columns (field ids) they share, computed in the engine. */
  compare(from: ScanPlan, to: ScanPlan, sampleSize: number): Promise<DataComparison>;

  close(): Promise<void>;
}
