/**
 * Statements on Trino through `trino-client`, with what the gateway needs from every one:
 *  - every JSON number read as its text (Trino sends bigint as a JSON number; JS numbers would lose
 *    digits past 2^53), by giving the client's axios a lossless parser;
 *  - the PARAMETRIC_DATETIME capability, so timestamps keep their microseconds (without it Trino
 *    rounds them to milliseconds);
 *  - the session in UTC, a run-time limit Trino enforces itself (`query_max_run_time`), and a cancel
 *    (DELETE of the query) when the gateway's own deadline passes first or enough rows were read;
 *  - errors as domain errors with Trino's message only: the client's errors carry the request,
 *    headers and credentials included, and none of that may reach a log or a caller.
 */
import { parse as parseLossless } from 'lossless-json';
import { BasicAuth, Trino, type QueryResult } from 'trino-client';
import { BackendUnavailable, DomainError, InvalidInput, LimitExceeded } from '../../../domain/errors.js';
import type { TrinoTypeSignature } from './values.js';

export interface TrinoClientConfig {
  url: string;
  user: string;
  password?: string;
}

export interface Column {
  name: string;
  typeSignature: TrinoTypeSignature;
}

export interface StatementOptions {
  /** The session's catalog: two-part names (`namespace.table`) resolve in it. */
  catalog?: string;
  timeoutMs: number;
  /** Called with each page of rows; return false to stop reading (the query is then cancelled). */
  onRows?: (columns: Column[], rows: unknown[][]) => boolean;
}

/** Trino's error names that mean "over a limit" rather than "bad query". */
const LIMIT_ERRORS = new Set(['EXCEEDED_TIME_LIMIT', 'EXCEEDED_CPU_LIMIT', 'EXCEEDED_GLOBAL_MEMORY_LIMIT', 'EXCEEDED_LOCAL_MEMORY_LIMIT', 'EXCEEDED_SCAN_LIMIT', 'EXCEEDED_OUTPUT_SIZE_LIMIT']);

interface TrinoError {
  message?: string;
  errorName?: string;
  errorType?: string;
}

export class TrinoSession {
  private readonly trino: Trino;

  constructor(private readonly config: TrinoClientConfig) {
    this.trino = Trino.create({
      server: config.url,
      source: 'cascade-gateway',
      auth: new BasicAuth(config.user, config.password),
      extraHeaders: { 'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME', 'X-Trino-Time-Zone': 'UTC' },
    });
    // trino-client 0.2.9 (pinned) keeps its axios settings on the client it made; JSON numbers as text.
    const client = (this.trino as unknown as { client: { clientConfig: Record<string, unknown> } }).client;
    client.clientConfig.transformResponse = [(raw: unknown) => (typeof raw === 'string' && raw.length > 0 ? parseLossless(raw, null, (text: string) => text) : raw)];
  }

  /** Runs one statement to its end (or until `onRows` says stop); returns its columns. */
  async run(statement: string, opts: StatementOptions): Promise<Column[]> {
    const runTime = Math.max(1, Math.ceil(opts.timeoutMs / 1000));
    let queryId: string | undefined;
    let columns: Column[] = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), opts.timeoutMs + 500);
    });
    const read = async (): Promise<'done' | 'stopped'> => {
      const iter = await this.trino.query({
        query: statement,
        catalog: opts.catalog,
        session: { query_max_run_time: `${runTime}s` },
      });
      for await (const page of iter as AsyncIterable<QueryResult>) {
        queryId ??= page.id;
        if (page.error) throw fromTrinoError(page.error as TrinoError);
        if (page.columns) columns = page.columns as unknown as Column[];
        if (page.data && opts.onRows && !opts.onRows(columns, page.data as unknown[][])) return 'stopped';
      }
      return 'done';
    };
    try {
      const outcome = await Promise.race([read(), deadline]);
      if (outcome === 'timeout') {
        await this.cancel(queryId);
        throw new LimitExceeded(`the query ran past its time limit (${opts.timeoutMs} ms) and was cancelled in Trino`);
      }
      if (outcome === 'stopped') await this.cancel(queryId);
      return columns;
    } catch (e) {
      if (e instanceof DomainError) throw e;
      throw new BackendUnavailable(`Trino at ${this.config.url}: ${describe(e)}`, 'trino');
    } finally {
      clearTimeout(timer);
    }
  }

  /** All rows of a statement (small answers: metadata, versions). */
  async rows(statement: string, opts: Omit<StatementOptions, 'onRows'>): Promise<unknown[][]> {
    const out: unknown[][] = [];
    await this.run(statement, { ...opts, onRows: (_c, rows) => (out.push(...rows), true) });
    return out;
  }

  private async cancel(queryId: string | undefined): Promise<void> {
    if (queryId) await this.trino.cancel(queryId).catch(() => undefined);
  }
}

function fromTrinoError(e: TrinoError): DomainError {
  const message = `Trino: ${e.message ?? e.errorName ?? 'query failed'}`;
  if (e.errorName && LIMIT_ERRORS.has(e.errorName)) return new LimitExceeded(message);
  if (e.errorType === 'USER_ERROR') return new InvalidInput(message, 'query');
  return new BackendUnavailable(message, 'trino');
}

/** What went wrong talking to Trino, without the request (headers, credentials) the client's errors carry. */
function describe(e: unknown): string {
  const err = e as { code?: string; response?: { status?: number }; message?: string };
  if (err.response?.status) return `HTTP ${err.response.status}`;
  if (err.code) return err.code;
  return String(err.message ?? e).split('\n')[0]!.slice(0, 200);
}
