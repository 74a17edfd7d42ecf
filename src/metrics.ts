/** Prometheus metrics (prom-client), one registry per app so tests can run several apps. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { droppedLogLines } from './logger.js';

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  graphqlOperations: Histogram<'operation' | 'type' | 'outcome'>;
  backendCalls: Histogram<'port' | 'method' | 'outcome'>;
  loaderBatches: Counter<'loader'>;
  /** GraphQL POSTs by who answered them: `direct` (src/server/graphql-post.ts) or `yoga`. */
  graphqlPosts: Counter<'path'>;
  /** Log lines stdout's reader did not take in time (src/log-destination.ts); one count for the process. */
  logLinesDropped: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cascade_' });
  return {
    registry,
    httpRequests: new Counter({
      name: 'cascade_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    graphqlOperations: new Histogram({
      name: 'cascade_graphql_operation_seconds',
      help: 'GraphQL operation duration',
      labelNames: ['operation', 'type', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    }),
    backendCalls: new Histogram({
      name: 'cascade_backend_call_seconds',
      help: 'Calls into backend ports',
      labelNames: ['port', 'method', 'outcome'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    loaderBatches: new Counter({
      name: 'cascade_loader_batches_total',
      help: 'DataLoader batch loads (one backend round of work each)',
      labelNames: ['loader'],
      registers: [registry],
    }),
    graphqlPosts: new Counter({
      name: 'cascade_graphql_posts_total',
      help: 'GraphQL POST requests by path: answered directly, or handed to yoga (uploads, CORS, SSE, errors before execution, ...)',
      labelNames: ['path'],
      registers: [registry],
    }),
    logLinesDropped: new Counter({
      name: 'cascade_log_lines_dropped_total',
      help: 'Log lines dropped because the reader of stdout was not keeping up',
      registers: [registry],
      // Read when scraped: the count lives with stdout, shared by every app of the process.
      collect() {
        this.reset();
        this.inc(droppedLogLines());
      },
    }),
  };
}

/** Table health per table on the default branch, as it was at most `maxAgeMs` ago: read when scraped. */
export function registerTableHealthGauges(
  registry: Registry,
  read: () => Promise<{ table: string; health: { dataFileCount: number; smallFileCount: number; deleteFileCount: number; snapshotCount: number; oldestSnapshotAt: Date | null; averageFileSizeBytes: number; needsCompaction: boolean } }[]>,
  maxAgeMs = 60_000,
): void {
  let cached: { at: number; rows: Promise<Awaited<ReturnType<typeof read>>> } | null = null;
  const rows = () => {
    if (!cached || Date.now() - cached.at > maxAgeMs) {
      const next = read().catch(() => []);
      cached = { at: Date.now(), rows: next };
    }
    return cached.rows;
  };
  const figures: [string, string, (h: Awaited<ReturnType<typeof read>>[number]['health']) => number | null][] = [
    ['cascade_table_data_files', 'Data files at the current snapshot, per table on the default branch', (h) => h.dataFileCount],
    ['cascade_table_small_files', 'Data files below 75% of the target file size', (h) => h.smallFileCount],
    ['cascade_table_delete_files', 'Delete files at the current snapshot', (h) => h.deleteFileCount],
    ['cascade_table_snapshots', 'Snapshots in the table metadata', (h) => h.snapshotCount],
    ['cascade_table_oldest_snapshot_timestamp_seconds', 'Time of the oldest snapshot kept', (h) => (h.oldestSnapshotAt ? h.oldestSnapshotAt.getTime() / 1000 : null)],
    ['cascade_table_average_file_size_bytes', 'Average data file size', (h) => h.averageFileSizeBytes],
    ['cascade_table_needs_compaction', '1 when the table has 5 or more small files, or delete files', (h) => (h.needsCompaction ? 1 : 0)],
  ];
  for (const [name, help, value] of figures) {
    new Gauge({
      name,
      help,
      labelNames: ['table'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const r of await rows()) {
          const v = value(r.health);
          if (v !== null) this.set({ table: r.table }, v);
        }
      },
    });
  }
}
