/**
 * One log line and one timing per GraphQL operation (queries and mutations over HTTP and
 * graphql-ws), carrying the request id: `operation finished with errors` at info with the error
 * codes, else `operation finished` at debug; `cascade_graphql_operation_seconds` by operation name
 * and outcome. An operation refused because it does not validate is an `operation refused` line
 * at info.
 *
 * Cheap per operation: the histogram's children are looked up once per operation name (a bounded
 * number of them), and the request's logger (a lazy child, see logger.ts) is only touched when a line is
 * actually written.
 */
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { publicCode } from './graphql-errors.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

type Timer = { observe(seconds: number): void };


/** Histogram children kept for this many operation names; further names look theirs up each time. */
const MAX_LABEL_SETS = 1000;

/** The log line and timing of finished operations, for yoga's path (the plugin below) and the direct POST path. */
export class OperationLog {
  private readonly histogram: Metrics['graphqlOperations'];
  /** By outcome, then operation name. */
  private readonly timers = { ok: new Map<string, Timer>(), error: new Map<string, Timer>() };

  constructor(
    metrics: Metrics,
    private readonly logger: Logger,
  ) {
    this.histogram = metrics.graphqlOperations;
  }

  /** An operation that started at `started` (performance.now()) finished with `result`; `log` is its request's logger. */
  finished(operationName: string | null | undefined, started: number, result: unknown, log: Logger): void {
    const elapsed = performance.now() - started;
    const op = operationName ?? 'anonymous';
    const errors = (result as { errors?: unknown[] } | null | undefined)?.errors;
    const failed = Array.isArray(errors) && errors.length > 0;
    this.timerOf(op, failed ? 'error' : 'ok').observe(elapsed / 1000);
    if (!failed && !this.logger.isLevelEnabled('debug')) return;
    const ms = Math.round(elapsed * 10) / 10;
    if (failed) log.info({ operation: op, ms, errors: errors.map(publicCode) }, 'operation finished with errors');
    else log.debug({ operation: op, ms }, 'operation finished');
  }

  /**
   * An operation refused before it ran because it does not validate (the depth, cost and alias
   * limits included): one info line too. Syntax errors are not logged: yoga's parser cache answers
   * a known bad text before any plugin hears of it.
   */
  refused(context: unknown, errors: readonly unknown[]): void {
    const c = context as { requestId?: string; request?: { headers?: { get?: (h: string) => string | null } }; refusalsReportedByYoga?: boolean } | undefined;
    if (c?.refusalsReportedByYoga) return; // the direct POST path (src/server/graphql-post.ts) passes it on to yoga
    const requestId = c?.requestId ?? c?.request?.headers?.get?.('x-request-id') ?? undefined;
    this.logger.info({ requestId, errors: errors.map(publicCode) }, 'operation refused');
  }

  /** The histogram's child of an operation name and outcome (a child observes without hashing its labels). */
  private timerOf(operation: string, outcome: 'ok' | 'error'): Timer {
    const known = this.timers[outcome];
    let timer = known.get(operation);
    if (!timer) {
      timer = this.histogram.labels({ operation, type: 'query-or-mutation', outcome });
      if (known.size < MAX_LABEL_SETS) known.set(operation, timer);
    }
    return timer;
  }
}

export function useOperationLog(log: OperationLog): Plugin {
  return {
    onValidate({ context }: { context: unknown }) {
      return ({ valid, result }: { valid: boolean; result: readonly unknown[] }) => {
        if (!valid) log.refused(context, result);
      };
    },
    onExecute({ args }: { args: ExecutionArgs }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }: { result: unknown }) {
          log.finished(args.operationName, started, result, (args.contextValue as { logger: Logger }).logger);
        },
      };
    },
  };
}
