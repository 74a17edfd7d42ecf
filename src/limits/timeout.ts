/**
 * Query timeout: a query that has not finished after `ms` answers LIMIT_EXCEEDED. Execution runs
 * under that deadline (src/util/deadline.ts), so long-running work such as DuckDB `sql` is
 * interrupted at the same moment instead of running on unseen. Mutations are not cut short: each
 * is one atomic catalog commit, and answering "timed out" while it still commits would mislead.
 */
import { getOperationAST, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { withDeadline } from '../util/deadline.js';
import { limitError } from './errors.js';

export function queryTimeout(ms: number): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      if (getOperationAST(args.document, args.operationName)?.operation !== 'query') return;
      const deadline = Date.now() + ms;
      setExecuteFn(async (a: ExecutionArgs) => {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise((resolve) => {
          timer = setTimeout(() => resolve({ errors: [limitError(`the query took longer than ${ms} ms and was stopped`)] }), ms);
        });
        try {
          return await Promise.race([withDeadline(deadline, () => executeFn(a)), timedOut]);
        } finally {
          clearTimeout(timer);
        }
      });
    },
  };
}
