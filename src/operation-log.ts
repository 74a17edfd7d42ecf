/**
 * One log line and one timing per GraphQL operation (queries and mutations over HTTP and
 * graphql-ws), carrying the request id: `operation finished with errors` at info with the error
 * codes, else `operation finished` at debug; `cascade_graphql_operation_seconds` by operation name
 * and outcome. An operation refused because it does not validate is an `operation refused` line
 * at info.
 *
 * Cheap per operation: the label sets are made once per operation name (a bounded number of
 * them), and the request's logger (a lazy child, see logger.ts) is only touched when a line is
 * actually written.
 */
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { publicCode } from './graphql-errors.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

type Labels = { operation: string; type: string; outcome: string };

/** Label sets kept for this many operation names; further names get fresh ones each time. */
const MAX_LABEL_SETS = 1000;

export function useOperationLog(metrics: Metrics, logger: Logger): Plugin {
  const histogram = metrics.graphqlOperations;
  const labelSets = new Map<string, { ok: Labels; error: Labels }>();
  const labelsOf = (operation: string) => {
    let sets = labelSets.get(operation);
    if (!sets) {
      sets = {
        ok: { operation, type: 'query-or-mutation', outcome: 'ok' },
        error: { operation, type: 'query-or-mutation', outcome: 'error' },
      };
      if (labelSets.size < MAX_LABEL_SETS) labelSets.set(operation, sets);
    }
    return sets;
  };
  /**
   * An operation refused before it ran because it does not validate (the depth, cost and alias
   * limits included): one info line too. Syntax errors are not logged: yoga's parser cache answers
   * a known bad text before any plugin hears of it.
   */
  const refused = (context: unknown, errors: readonly unknown[]) => {
    const c = context as { requestId?: string; request?: { headers?: { get?: (h: string) => string | null } }; refusalsReportedByYoga?: boolean } | undefined;
    if (c?.refusalsReportedByYoga) return; // the direct POST path (src/graphql-post.ts) passes it on to yoga
    const requestId = c?.requestId ?? c?.request?.headers?.get?.('x-request-id') ?? undefined;
    logger.info({ requestId, errors: errors.map(publicCode) }, 'operation refused');
  };
  return {
    onValidate({ context }: { context: unknown }) {
      return ({ valid, result }: { valid: boolean; result: readonly unknown[] }) => {
        if (!valid) refused(context, result);
      };
    },
    onExecute({ args }: { args: ExecutionArgs }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }: { result: unknown }) {
          const elapsed = performance.now() - started;
          const op = args.operationName ?? 'anonymous';
          const errors = (result as { errors?: unknown[] }).errors;
          const failed = Array.isArray(errors) && errors.length > 0;
          const labels = labelsOf(op);
          histogram.observe(failed ? labels.error : labels.ok, elapsed / 1000);
          if (!failed && !logger.isLevelEnabled('debug')) return;
          const log = (args.contextValue as { logger: Logger }).logger;
          const ms = Math.round(elapsed * 10) / 10;
          if (failed) log.info({ operation: op, ms, errors: errors.map(publicCode) }, 'operation finished with errors');
          else log.debug({ operation: op, ms }, 'operation finished');
        },
      };
    },
  };
}
