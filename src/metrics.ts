/** Prometheus metrics (prom-client), one registry per app so tests can run several apps. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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
