/**
 * MartStore: business-ready marts copied from Iceberg tables into a PostgreSQL schema `marts` (a real
 * PostgreSQL, or PGlite embedded), with where their rows came from, and typed reads over them.
 *
 * A mart is named as its Iceberg table without the `marts.` namespace (`mrt_glucose_overview`). Its
 * rows live in `marts."<name>"`: one column per Iceberg column (types mapped exactly, see
 * adapters/mart-store/sql.ts) plus the hidden `__cascade_row bigint` primary key (an identity numbering
 * the rows 1… in load order), the unique tiebreaker of keyset paging. Publication records live in
 * `marts_meta.publications`.
 *
 * Reads take the caller's `where` / `orderBy` as data and validate them against the mart's columns
 * (src/domain/mart-filters.ts) before any SQL runs: identifiers come from the catalog and are quoted,
 * values are bound parameters.
 *
 * Errors: NotFound (no such mart), InvalidInput (bad where/orderBy/columns/cursor/first, bad mart or
 * column names at publish, a CSV that does not fit), BackendUnavailable (database unreachable).
 */
import type { RowPage } from './query-engine.js';

export interface MartColumn {
  name: string;
  /** Iceberg type as the API writes it: `long`, `decimal(10,2)`, `timestamptz`, `list<string>`. */
  type: string;
  nullable: boolean;
}

/** Where a mart's rows came from. */
export interface MartSource {
  /** The ref name (or expression) the publish read. */
  ref: string;
  commitHash: string;
  /** Dotted Iceberg table key, e.g. `marts.mrt_glucose_overview`. */
  table: string;
  /** The table snapshot copied, 64-bit decimal string ('-1' for a table without snapshots). */
  snapshotId: string;
}

export interface Publication extends MartSource {
  publishedAt: Date;
}

export interface PublishedMart {
  name: string;
  columns: MartColumn[];
  rowCount: bigint;
  publishedFrom: Publication;
}

/** Where the rows of one mart are to be written as CSV (see MartPublishInput.writeCsv). */
export interface CsvSink {
  /** A file or a FIFO, written once from start to end; with `splitBytes`, a directory (created by the writer). */
  path: string;
  /** Split the output into files `data_<n>.csv` of about this many bytes inside `path`. */
  splitBytes?: number;
}

export interface MartPublishInput {
  name: string;
  columns: MartColumn[];
  source: MartSource;
  /**
   * Writes the mart's rows as headerless CSV that PostgreSQL's `COPY … (FORMAT csv)` reads back
   * exactly: one field per `columns` entry in order; NULL is an
   * unquoted empty field, an empty string is `""`; binary as `\x<hex>`, nested values as JSON text,
   * timestamptz with its offset. Resolves with the number of rows written.
   */
  writeCsv(sink: CsvSink): Promise<number>;
}

export interface PublishOutcome {
  mart: PublishedMart;
  /** False when this snapshot (same table, same columns) was already published: nothing was done. */
  changed: boolean;
}

export interface MartOrderBy {
  column: string;
  direction?: 'ASC' | 'DESC' | null;
}

export interface MartRowQuery {
  /** Hasura-style filter object (validated here). */
  where?: unknown;
  /** Sort keys; ASC sorts NULLs last, DESC first. Paging always ends with the hidden row number. */
  orderBy?: MartOrderBy[] | null;
  /** Page size, 0..1000 (default 50). */
  first?: number | null;
  /** Cursor from a previous page's `nextCursor` (same orderBy). */
  after?: string | null;
  /** Columns to return, in order; all when absent. */
  columns?: string[] | null;
  /** Also count every matching row (`totalCount`); without `where` this is free. */
  withTotal?: boolean;
}

/**
 * `{ count, <numericColumn>: { sum, avg, min, max } }` over the rows matching `where`: count and
 * integer/decimal results as decimal strings, float/double results as numbers (NaN/±Infinity as
 * strings), null over no rows.
 */
export type MartAggregate = { count: string } & Record<string, unknown>;

export interface MartStore {
  readonly kind: 'postgres' | 'pglite';

  /**
   * Publishes every mart of `batch` all-or-nothing: each is loaded into a fresh staging table with
   * COPY, then ONE transaction swaps all of them into `marts` and records their publications, so a
   * reader sees either every old mart or every new one, never a missing, empty or partial one. A
   * mart whose recorded publication has the same table, snapshot and columns is left alone
   * (`changed: false`). Returns one outcome per input, in order.
   * @throws InvalidInput (bad or duplicate names, a hidden column name, rows that do not fit); on any
   *   error nothing is changed.
   */
  publish(batch: MartPublishInput[]): Promise<PublishOutcome[]>;

  /** Every published mart, by name. */
  list(): Promise<PublishedMart[]>;

  /**
   * The mart, or null when none is published under that name. With `cached`, the answer may come
   * from the read cache the row queries use (at most a second old; dropped by a publish here and
   * renewed by list(), which the live schema calls on every martUpdated notice).
   */
  get(name: string, opts?: { cached?: boolean }): Promise<PublishedMart | null>;

  /**
   * A page of rows (JSON-safe values as API.md says: 64-bit and decimals as strings, timestamps
   * ISO-8601, timestamptz with Z, binary base64, nested as JSON), keyset-paged.
   * @throws NotFound (no such mart), InvalidInput (where, orderBy, columns, first, after)
   */
  rows(name: string, q: MartRowQuery): Promise<RowPage>;

  /** @throws NotFound, InvalidInput (where) */
  aggregate(name: string, where?: unknown): Promise<MartAggregate>;

  close(): Promise<void>;
}
