/**
 * exportStream: a plan's rows (projection, `where`, orderBy) or a checked query's result, whole, as
 * CSV, Parquet or an Arrow IPC stream, in pieces the caller pulls. The producer runs only as fast as
 * the consumer takes pieces (Channel): nothing is spooled whole, in memory or on disk.
 *
 * - CSV and Parquet: DuckDB's COPY writes into a FIFO that is read as it is written. A reader that
 *   stops reading blocks DuckDB's writes (the pipe's buffer is the only one); a reader that goes
 *   away closes its end, so DuckDB's next write fails and the COPY ends, and the connection is
 *   interrupted. The FIFO sits in a private temporary folder, removed afterwards.
 * - Arrow: the query's result chunks (DuckDB's streaming result) are copied into record batches
 *   (export-arrow.ts); the next chunk is fetched only when the previous batch has been taken.
 *
 * Values: Parquet keeps DuckDB's types as they are; Arrow maps them (export-arrow.ts), with nested,
 * UUID and other types as text (nested as JSON); CSV has a header row, nested values as JSON, binary
 * as base64 and timestamps ISO-8601 with a `T` (`Z` on timestamptz), as the API writes them.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DuckDBTypeId, type DuckDBConnection, type DuckDBType, type DuckDBValue } from '@duckdb/node-api';
import { InvalidInput } from '../../../domain/errors.js';
import { whereToSql, type FilterValue, type Where } from '../../../domain/filters.js';
import type { ScanPlan } from '../../../domain/iceberg/types.js';
import type { ExportFormat, OrderBy } from '../../../ports/query-engine.js';
import { makeTempDir } from '../../../util/temp-dir.js';
import { ArrowStreamEncoder, arrowColumn, PiecePool } from './export-arrow.js';
import { userError } from './errors.js';
import type { LayoutCache } from './layout.js';
import { buildScan } from './scan-sql.js';
import { isNested, quoteIdent, sqlString } from './sql-text.js';

const run = promisify(execFile);

/** A query and its bound parameters. */
export interface BoundQuery {
  sql: string;
  params: DuckDBValue[];
}

/** The SELECT of a plan's rows: its columns (all, in schema order, by default), the filter and the order. */
export async function planSelect(
  conn: DuckDBConnection,
  layouts: LayoutCache,
  plan: ScanPlan,
  q: { columns?: string[]; where?: Where; orderBy?: OrderBy[] },
): Promise<BoundQuery> {
  const scan = await buildScan(conn, layouts, plan, { positions: false });
  const known = new Map(plan.schema.fields.map((f) => [f.name, f]));
  const field = (name: string, arg: string) => {
    const f = known.get(name);
    if (!f) throw new InvalidInput(`${arg}: unknown column '${name.slice(0, 100)}'`, arg);
    return f;
  };
  const columns = (q.columns ?? plan.schema.fields.map((f) => f.name)).map((c) => `s.${quoteIdent(field(c, 'columns').name)}`);
  const params: DuckDBValue[] = [];
  const where = q.where ? ` WHERE ${whereToSql(q.where, { column: (c) => `s.${quoteIdent(field(c, 'where').name)}`, value: (v: FilterValue) => (params.push(v), `$${params.length}`) })}` : '';
  const order = (q.orderBy ?? []).map((o) => {
    const f = field(o.column, 'orderBy');
    if (isNested(f.type)) throw new InvalidInput(`orderBy: column '${o.column}' is nested and cannot be sorted`, 'orderBy');
    return `s.${quoteIdent(f.name)} ${o.direction === 'DESC' ? 'DESC NULLS FIRST' : 'ASC NULLS LAST'}`;
  });
  return { sql: `SELECT ${columns.join(', ')} FROM (${scan.sql}) s${where}${order.length ? ` ORDER BY ${order.join(', ')}` : ''}`, params };
}

/** The column expression (over `c`) a format writes for a DuckDB type, or `c` itself. */
function exportExpr(format: ExportFormat, t: DuckDBType, c: string): string {
  const id = t.typeId;
  const nested = id === DuckDBTypeId.LIST || id === DuckDBTypeId.STRUCT || id === DuckDBTypeId.MAP || id === DuckDBTypeId.ARRAY || id === DuckDBTypeId.UNION;
  if (format === 'PARQUET') return c;
  if (nested) return `CAST(to_json(${c}) AS VARCHAR)`;
  if (format === 'ARROW') return arrowColumn(t) ? c : `CAST(${c} AS VARCHAR)`;
  // CSV: the API's text forms.
  if (id === DuckDBTypeId.BLOB) return `to_base64(${c})`;
  const iso = (ts: string) => `CASE WHEN epoch_us(${ts}) % 1000000 = 0 THEN strftime(${ts}, '%Y-%m-%dT%H:%M:%S') ELSE strftime(${ts}, '%Y-%m-%dT%H:%M:%S.%f') END`;
  if (id === DuckDBTypeId.TIMESTAMP) return `CASE WHEN isinf(${c}) THEN CAST(${c} AS VARCHAR) ELSE ${iso(c)} END`;
  if (id === DuckDBTypeId.TIMESTAMP_TZ) return `CASE WHEN isinf(${c}) THEN CAST(${c} AS VARCHAR) ELSE ${iso(`make_timestamp(epoch_us(${c}))`)} || 'Z' END`;
  return c;
}

/**
 * The query wrapped so that each column is written in the format's form. Columns are taken by
 * position (a query may name two columns alike) and keep their names.
 */
export async function exportableSelect(conn: DuckDBConnection, q: BoundQuery, format: ExportFormat): Promise<BoundQuery> {
  let probe;
  try {
    probe = await conn.run(`SELECT * FROM (${q.sql}) LIMIT 0`, q.params);
  } catch (e) {
    throw userError(e, 'query');
  }
  const names = probe.columnNames();
  const types = probe.columnTypes();
  const alias = names.map((_n, i) => `__cg_c${i}`);
  const select = types.map((t, i) => `${exportExpr(format, t, alias[i]!)} AS ${quoteIdent(names[i]!)}`);
  return { sql: `SELECT ${select.join(', ')} FROM (${q.sql}) AS __cg_q(${alias.join(', ')})`, params: q.params };
}

/**
 * DuckDB's streaming_buffer_size for an export's connection: how much of a streamed result (Arrow)
 * DuckDB's threads make ahead of the chunks taken (its default, ~1 MB, keeps them waiting on the
 * encoder: 10M rows were fetched in 0.8 s with it, 0.35 s with 16 MB).
 */
export const EXPORT_STREAMING_BUFFER = '16MB';

/** Calls `push` with the export's bytes, piece by piece; resolves when the export is complete. */
export async function produceExport(conn: DuckDBConnection, q: BoundQuery, format: ExportFormat, push: Push, scratchParent?: string): Promise<void> {
  // A reader that goes away interrupts the query at once, even while it is busy making the next piece.
  push.whenCancelled?.(() => conn.interrupt());
  const query = await exportableSelect(conn, q, format);
  if (format === 'ARROW') return produceArrow(conn, query, push);
  return produceCopy(conn, query, format, push, scratchParent);
}

async function produceArrow(conn: DuckDBConnection, q: BoundQuery, push: Push): Promise<void> {
  let result;
  try {
    result = await conn.stream(q.sql, q.params);
  } catch (e) {
    throw userError(e, 'query');
  }
  const encoder = new ArrowStreamEncoder(result.columnNames(), result.columnTypes(), new PiecePool(push.released));
  // One piece per message (a record batch's metadata and body buffers joined): one write each, not dozens.
  for (const piece of encoder.start()) await push(piece);
  // The next chunk is asked for before this one is encoded and handed over, so DuckDB (its own
  // threads) makes it meanwhile; one fetch at a time, so chunks keep their order.
  // It never rejects (a failure is its value), so one failing while the previous piece waits for
  // the reader is not an unhandled rejection.
  const fetchNext = () => result.fetchChunk().then((chunk) => ({ chunk }), (error: unknown) => ({ chunk: null, error }));
  let next: ReturnType<typeof fetchNext> | null = fetchNext();
  try {
    for (;;) {
      const got = await next;
      next = null;
      if ('error' in got) throw userError(got.error, 'query');
      const chunk = got.chunk;
      if (!chunk || chunk.rowCount === 0) break;
      next = fetchNext();
      for (const piece of encoder.add(chunk)) await push(piece);
    }
  } catch (e) {
    conn.interrupt(); // the reader went away (or the query failed): stop the rest of the result
    // A fetch still running would outlive its connection (closed by the caller): let it end first.
    await next;
    throw e;
  }
  for (const piece of encoder.end()) await push(piece);
}

/** COPY into a FIFO read while it is written; the reader's pace is the writer's. */
async function produceCopy(conn: DuckDBConnection, q: BoundQuery, format: 'CSV' | 'PARQUET', push: (bytes: Uint8Array) => Promise<void>, scratchParent?: string): Promise<void> {
  const dir = await makeTempDir('export-', scratchParent);
  const fifo = join(dir.path, format === 'CSV' ? 'export.csv' : 'export.parquet');
  let reader: Socket | undefined;
  let keeper: number | undefined;
  const closeKeeper = () => {
    if (keeper !== undefined) closeSync(keeper);
    keeper = undefined;
  };
  try {
    await run('mkfifo', ['-m', '600', fifo]);
    // Our read end first (non-blocking: no writer yet), then a write end of our own, so the reader
    // sees no end of file before DuckDB has opened the FIFO; it is closed once the COPY is over,
    // and the reader then ends when DuckDB has closed its end too.
    const fd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    keeper = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    reader = new Socket({ fd, readable: true, writable: false });
    const options = format === 'CSV' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet, COMPRESSION zstd';
    const settled = conn.run(`COPY (${q.sql}) TO ${sqlString(fifo)} (${options}, USE_TMP_FILE false)`, q.params).then(
      () => null,
      (e: unknown) => e ?? new Error('COPY failed'),
    );
    void settled.then(closeKeeper);
    try {
      for await (const piece of reader.iterator({ destroyOnReturn: false })) await push(piece as Buffer);
    } catch (e) {
      // The consumer went away: DuckDB is interrupted, and what it still writes is read and
      // dropped until its COPY has ended (closing the pipe instead could leave it blocked opening it).
      conn.interrupt();
      reader.on('data', () => undefined);
      reader.resume();
      await settled;
      throw e;
    }
    const failure = await settled;
    if (failure !== null) throw userError(failure, 'query');
  } finally {
    closeKeeper();
    reader?.destroy();
    await dir.cleanup();
  }
}

/**
 * Hands a piece to the reader (resolves once taken); `whenCancelled` registers what stops the
 * producer when the reader goes away; `released(i)`: whether the reader is done with the i-th
 * piece pushed (counting from 0), so its buffer may be reused.
 */
export type Push = ((bytes: Uint8Array) => Promise<void>) & { whenCancelled?: (fn: () => void) => void; released?: (seq: number) => boolean };

/**
 * A one-slot hand-over between a producer and the consumer pulling an async iterable: `push`
 * resolves when the consumer has taken the piece, so the producer never runs ahead by more than
 * one piece. When the consumer stops (return/throw on the iterator), the next push rejects.
 */
export class Channel {
  private queue: Uint8Array[] = [];
  private waitingConsumer: (() => void) | null = null;
  private waitingProducer: (() => void) | null = null;
  private done = false;
  private error: unknown = null;
  private cancelled = false;
  private readonly onCancel: (() => void)[] = [];
  /** Calls of next(): the consumer asks for piece i+1 (call i+2) once it is done with piece i. */
  private asked = 0;

  /** Whether the consumer is done with the i-th piece pushed: it has asked for the next one, or stopped. */
  released(seq: number): boolean {
    return this.cancelled || this.asked >= seq + 2;
  }

  /** Runs `fn` when the consumer stops (at once if it has): e.g. interrupting a query waiting on the engine. */
  whenCancelled(fn: () => void): void {
    if (this.cancelled) fn();
    else this.onCancel.push(fn);
  }

  push = async (bytes: Uint8Array): Promise<void> => {
    if (this.cancelled) throw new ExportCancelled();
    this.queue.push(bytes);
    this.wakeConsumer();
    if (this.queue.length >= 2) await new Promise<void>((r) => (this.waitingProducer = r));
    if (this.cancelled) throw new ExportCancelled();
  };

  end(error?: unknown): void {
    this.done = true;
    if (error !== undefined) this.error = error;
    this.wakeConsumer();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.queue = [];
    this.wakeProducer();
    for (const fn of this.onCancel.splice(0)) fn();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    this.asked++;
    for (;;) {
      const piece = this.queue.shift();
      if (piece) {
        if (this.queue.length < 2) this.wakeProducer();
        return { value: piece, done: false };
      }
      if (this.done) {
        if (this.error !== null) throw this.error;
        return { value: undefined, done: true };
      }
      await new Promise<void>((r) => (this.waitingConsumer = r));
    }
  }

  private wakeConsumer() {
    const w = this.waitingConsumer;
    this.waitingConsumer = null;
    w?.();
  }

  private wakeProducer() {
    const w = this.waitingProducer;
    this.waitingProducer = null;
    w?.();
  }
}

/** What a push throws once the consumer has stopped: the producer unwinds and frees its resources. */
export class ExportCancelled extends Error {
  constructor() {
    super('the export was cancelled by its reader');
  }
}

/**
 * An async iterable over what `produce` pushes; `produce` starts at the first pull. Stopping the
 * iteration early cancels it: its next push throws ExportCancelled, and the iterator's return waits
 * until `produce` has finished unwinding.
 */
export function exportIterable(produce: (push: Push) => Promise<void>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const channel = new Channel();
      let running: Promise<void> | null = null;
      const start = () => {
        const push: Push = Object.assign(channel.push, { whenCancelled: (fn: () => void) => channel.whenCancelled(fn), released: (seq: number) => channel.released(seq) });
        running ??= produce(push).then(
          () => channel.end(),
          (e) => channel.end(e instanceof ExportCancelled ? undefined : e),
        );
      };
      return {
        next: () => {
          start();
          return channel.next();
        },
        return: async () => {
          channel.cancel();
          await running;
          return { value: undefined, done: true };
        },
      };
    },
  };
}
