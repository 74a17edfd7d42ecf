/**
 * Helpers for the tables benchmark (bench/tables-run.ts): the gateway over HTTP (restartable on the
 * same home, multipart Parquet uploads, backend call counts from /metrics), deterministic readings
 * written as Parquet by DuckDB, interleaved timing, and the PyIceberg worker process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { openAsBlob } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { startGateway, type Gateway } from '../test/support/gateway.js';
import { ensurePyIceberg, PYICEBERG_VERSION } from '../test/support/python.js';
import { measure, summarize, type Summary } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** The readings table every scenario uses (all columns optional, so PyIceberg's Arrow schema matches). */
export const COLUMNS = [
  { name: 'id', type: 'long' },
  { name: 'sgv', type: 'int' },
  { name: 'direction', type: 'string' },
  { name: 'ts', type: 'timestamptz' },
];

/** Rows [start, start + count) of the readings: 8 directions, sgv 40..400, a reading every 5 minutes. */
export function readingsSql(start: number, count: number): string {
  return (
    `SELECT i::BIGINT AS id, (40 + (i * 7919) % 361)::INTEGER AS sgv, ` +
    `(['Flat', 'FortyFiveUp', 'FortyFiveDown', 'SingleUp', 'SingleDown', 'DoubleUp', 'DoubleDown', 'NOT COMPUTABLE'])[1 + (i % 8)::INTEGER] AS direction, ` +
    `TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i * 300000000) AS ts FROM range(${start}, ${start + count}) r(i)`
  );
}

/** Writes the readings as one Parquet file (DuckDB defaults: snappy, row groups of 122,880 rows). */
export async function writeReadings(conn: DuckDBConnection, file: string, start: number, count: number): Promise<void> {
  await conn.run(`COPY (${readingsSql(start, count)}) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
}

// ───────────────────────────── gateway ─────────────────────────────

export const GATEWAY_ENV = { LOG_LEVEL: 'silent', CASCADE_DEMO: '0' };

/** A gateway that can be restarted on the same home (empty in-process caches), removed by stop(). */
export class BenchGateway {
  private constructor(
    public g: Gateway,
    private readonly env: Record<string, string> = {},
  ) {}

  /** `env` adds to GATEWAY_ENV (e.g. WAREHOUSE=s3://… and the AWS_* variables); kept for restart(). */
  static async start(env: Record<string, string> = {}): Promise<BenchGateway> {
    return new BenchGateway(await startGateway({ ...GATEWAY_ENV, ...env }), env);
  }

  get url(): string {
    return this.g.url;
  }

  get warehouse(): string {
    return path.join(this.g.home, 'warehouse');
  }

  /** Stops the app (keeping its home) and starts a fresh one on the same home. */
  async restart(): Promise<void> {
    const home = this.g.home;
    await this.g.app.stop();
    this.g = await startGateway({ ...GATEWAY_ENV, ...this.env, CASCADE_HOME: home });
  }

  data<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
    return this.g.data<T>(query, variables);
  }

  /** A mutation whose result union must come back as `want` (else the run fails with its message). */
  async mutate(field: string, query: string, variables: Record<string, unknown>, want: string): Promise<any> {
    const out = (await this.data(query, variables))[field];
    if (out?.__typename !== want) throw new Error(`${field} returned ${JSON.stringify(out).slice(0, 500)}`);
    return out;
  }

  private uploader: UploadClient | undefined;

  /**
   * appendRows with a multipart upload of a local file (streamed from disk by fetch), sent from a
   * client process of its own (UploadClient) unless `inProcess`.
   */
  async appendFile(branch: string, table: string, file: string, opts: { inProcess?: boolean } = {}): Promise<{ addedRows: string }> {
    const query = `mutation($b: String!, $t: String!, $file: File) { appendRows(branch: $b, table: $t, file: $file) {
      __typename ... on WriteSuccess { addedRows } ... on Error { code message } } }`;
    const operations = { query, variables: { b: branch, t: table, file: null } };
    const map = { 0: ['variables.file'] };
    let body: { data?: { appendRows?: { __typename: string; addedRows: string } }; errors?: unknown[] };
    if (opts.inProcess) {
      const form = new FormData();
      form.append('operations', JSON.stringify(operations));
      form.append('map', JSON.stringify(map));
      form.append('0', await openAsBlob(file), path.basename(file));
      const res = await fetch(`${this.url}/graphql`, { method: 'POST', body: form });
      body = (await res.json()) as typeof body;
    } else {
      this.uploader ??= UploadClient.start();
      body = (await this.uploader.post(`${this.url}/graphql`, operations, map, { 0: file })).body as typeof body;
    }
    const out = body.data?.appendRows;
    if (body.errors?.length || out?.__typename !== 'WriteSuccess') throw new Error(`appendRows upload failed: ${JSON.stringify(body).slice(0, 500)}`);
    return out;
  }

  /**
   * cascade_backend_call_seconds_count by `Port.method` (outcomes summed; errors also as
   * `Port.method!error`), and the time spent in them (the histogram's _sum, in ms) as `Port.method@ms`.
   */
  async backendCalls(): Promise<Map<string, number>> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const out = new Map<string, number>();
    const add = (k: string, n: number) => out.set(k, (out.get(k) ?? 0) + n);
    for (const line of text.split('\n')) {
      const m = /^cascade_backend_call_seconds_(count|sum)\{([^}]*)\}\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
      const key = `${labels.port}.${labels.method}`;
      const n = Number(m[3]);
      if (m[1] === 'sum') {
        add(`${key}@ms`, n * 1000);
        continue;
      }
      add(key, n);
      if (labels.outcome === 'error') add(`${key}!error`, n);
    }
    return out;
  }

  /** Runs `fn` once between two /metrics scrapes: its wall time and the backend calls it made. */
  async profile(fn: () => Promise<unknown>): Promise<Breakdown> {
    const before = await this.backendCalls();
    const t0 = performance.now();
    await fn();
    const wallMs = performance.now() - t0;
    return { wallMs, calls: diffCalls(before, await this.backendCalls()) };
  }

  private stopped: Promise<void> | undefined;

  /** Stops the app and removes its home (once; later calls wait for the first). */
  stop(): Promise<void> {
    this.uploader?.close();
    this.uploader = undefined;
    this.stopped ??= this.g.stop();
    return this.stopped;
  }
}

export function diffCalls(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0) out[k] = k.endsWith('@ms') ? Math.round(d * 10) / 10 : d;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** One profiled request: wall time, and per `Port.method` its call count (and `Port.method@ms` time inside). */
export interface Breakdown {
  wallMs: number;
  calls: Record<string, number>;
}

/** Per call key, the lowest and highest count over several measured calls (absent = 0). */
export interface CallRange {
  min: number;
  max: number;
}

export function callRanges(samples: Record<string, number>[]): Record<string, CallRange> {
  const keys = [...new Set(samples.flatMap((s) => Object.keys(s)))].sort();
  return Object.fromEntries(keys.map((k) => [k, { min: Math.min(...samples.map((s) => s[k] ?? 0)), max: Math.max(...samples.map((s) => s[k] ?? 0)) }]));
}

// ───────────────────────────── timing ─────────────────────────────

export interface Contender {
  name: string;
  run: (i: number) => Promise<unknown>;
}

/**
 * Runs each contender warmup + iterations times, one call at a time, alternating which goes first
 * in each round so neither always runs on a machine the other just warmed (or tired).
 */
export async function interleaved(contenders: Contender[], warmup: number, iterations: number, onRound?: (done: number, total: number) => void): Promise<Map<string, Summary>> {
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  const total = warmup + iterations;
  for (let i = 0; i < total; i++) {
    const order = i % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const [ms] = await measure({ warmup: 0, iterations: 1, run: () => c.run(i) });
      if (i >= warmup) samples.get(c.name)!.push(ms!);
    }
    if (i >= warmup) onRound?.(i - warmup + 1, iterations);
  }
  return new Map([...samples].map(([k, v]) => [k, summarize(v)]));
}

/** A long-lived client process (bench/upload-client.mjs) sending multipart uploads, one at a time. */
export class UploadClient {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    child.stderr.on('data', (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-4000)));
  }

  static start(): UploadClient {
    return new UploadClient(spawn(process.execPath, [path.join(HERE, 'upload-client.mjs')], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  async post(url: string, operations: unknown, map: unknown, files: Record<string, string>): Promise<{ status: number; body: unknown }> {
    this.child.stdin.write(`${JSON.stringify({ url, operations, map, files })}\n`);
    const r = await this.lines.next();
    if (r.done) throw new Error(`the upload client exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const out = JSON.parse(r.value) as { status: number; body: unknown; error?: string };
    if (out.error) throw new Error(`upload client: ${out.error}`);
    return out;
  }

  close(): void {
    this.child.stdin.end();
    setTimeout(() => this.child.exitCode === null && this.child.kill(), 2000).unref();
  }
}

// ───────────────────────────── PyIceberg ─────────────────────────────

export interface PyAppend {
  /** pyarrow.parquet.read_table of the input file. */
  readMs: number;
  /** table.append(arrow_table): Parquet write, manifest, manifest list, metadata, SQLite catalog commit. */
  appendMs: number;
  /** CPU time of the Python process (every thread) during table.append. */
  appendCpuMs: number;
  addedRows: number;
}

/** One Parquet file as pyarrow sees it. */
export interface ParquetFacts {
  bytes: number;
  rows: number;
  rowGroups: number;
  codecs: string[];
  createdBy: string;
  fieldIds: boolean;
}

/** A long-lived Python process (bench/tables-pyiceberg.py) so interpreter start and imports are not timed. */
export class PyIcebergWorker {
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    rl: Interface,
  ) {
    this.lines = rl[Symbol.asyncIterator]();
    child.stderr.on('data', (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-4000)));
  }

  /**
   * `rest`: load Nessie's Iceberg REST catalog at `uri` (`…/iceberg/main`) with these s3.* properties
   * instead of the SQLite catalog with a local warehouse under `root`.
   */
  static async start(root: string, rest?: { uri: string; properties: Record<string, string> }): Promise<{ worker: PyIcebergWorker; version: string }> {
    const python = await ensurePyIceberg();
    await mkdir(root, { recursive: true });
    const args = [path.join(HERE, 'tables-pyiceberg.py'), root, ...(rest ? [JSON.stringify(rest)] : [])];
    const child = spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const worker = new PyIcebergWorker(child, createInterface({ input: child.stdout }));
    const hello = await worker.next<{ ready: boolean; pyiceberg: string; pyarrow: string }>();
    return { worker, version: `PyIceberg ${hello.pyiceberg} (pinned ${PYICEBERG_VERSION}), pyarrow ${hello.pyarrow}` };
  }

  private async next<T>(): Promise<T> {
    const r = await this.lines.next();
    if (r.done) throw new Error(`the PyIceberg worker exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const out = JSON.parse(r.value) as T & { error?: string };
    if (out.error) throw new Error(`PyIceberg: ${out.error}`);
    return out;
  }

  /** Creates table bench.<name> (untimed) from the file's schema, then reads and appends the file. */
  async append(name: string, file: string): Promise<PyAppend> {
    this.child.stdin.write(`${JSON.stringify({ op: 'append', name, path: file })}\n`);
    return this.next<PyAppend>();
  }

  /** The data files of bench.<name>'s current snapshot. */
  async files(name: string): Promise<string[]> {
    this.child.stdin.write(`${JSON.stringify({ op: 'files', name })}\n`);
    return (await this.next<{ paths: string[] }>()).paths;
  }

  /** What is in Parquet files (read by pyarrow): size, rows, row groups, codecs, writer, field ids. */
  async parquet(paths: string[]): Promise<ParquetFacts[]> {
    this.child.stdin.write(`${JSON.stringify({ op: 'parquet', paths })}\n`);
    return (await this.next<{ files: ParquetFacts[] }>()).files;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((res) => this.child.once('exit', res));
    this.child.stdin.end();
    await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
    if (this.child.exitCode === null) this.child.kill();
  }
}
