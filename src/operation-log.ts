/**
 * One log line and one timing per GraphQL operation (queries and mutations over HTTP and
 * graphql-ws), carrying the request id: `operation finished with errors` at info with the error
 * codes, else `operation finished` at debug; `cascade_graphql_operation_seconds` by operation name
 * and outcome.
 *
 * Cheap per operation: the label sets are made once per operation name (a bounded number of
 * them), and the request's logger (a lazy child, see logger.ts) is only touched when a line is
 * actually written.
 */
import type { ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { isDomainError } from './domain/errors.js';
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
  return {
    onExecute({ args }: { args: ExecutionArgs }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }: { result: unknown }) {
          const elapsed = performance.now() - started;
          const op = args.operationName ?? 'anonymous';
          const errors = (result as { errors?: { extensions?: { code?: unknown }; originalError?: unknown }[] }).errors;
          const failed = Array.isArray(errors) && errors.length > 0;
          const labels = labelsOf(op);
          histogram.observe(failed ? labels.error : labels.ok, elapsed / 1000);
          if (!failed && !logger.isLevelEnabled('debug')) return;
          const log = (args.contextValue as { logger: Logger }).logger;
          const ms = Math.round(elapsed * 10) / 10;
          if (failed) log.info({ operation: op, ms, errors: errors.map(codeOf) }, 'operation finished with errors');
          else log.debug({ operation: op, ms }, 'operation finished');
        },
      };
    },
  };
}

/** The code the client will see: errors are not masked yet here (src/graphql-errors.ts does that later). */
function codeOf(e: { extensions?: { code?: unknown }; originalError?: unknown }): unknown {
  if (e.extensions?.code !== undefined) return e.extensions.code;
  if (isDomainError(e.originalError)) return e.originalError.code;
  return e.originalError ? 'INTERNAL_SERVER_ERROR' : 'INVALID_INPUT';
}
