/**
 * Query timeout: a query that has not finished after `ms` answers LIMIT_EXCEEDED. The deadline is
 * put on the context (`deadline`), so long-running work such as DuckDB `sql` is given it and
 * interrupted at the same moment instead of running on unseen. Mutations are not cut short: each
 * is one atomic catalog commit, and answering "timed out" while it still commits would mislead.
 *
 * Cheap per operation: a query that completes synchronously costs nothing more, and every other
 * one is watched by one shared timer (Deadlines) rather than a timer each.
 */
import { getOperationAST, type DocumentNode, type ExecutionArgs } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { Deadlines } from '../../util/deadline.js';
import { limitError } from './errors.js';

/** The timeout as a capability: the same `Deadlines` serve yoga's path and the direct POST path. */
export class QueryTimeout {
  private readonly deadlines = new Deadlines();
  constructor(readonly ms: number) {}

  /** Whether the operation is cut short at its deadline (queries; mutations are not). */
  appliesTo(document: DocumentNode, operationName: string | null | undefined): boolean {
    return isQuery(document, operationName);
  }

  /** The deadline of an operation starting now (performance.now() based, see util/deadline.ts). */
  deadline(): number {
    return performance.now() + this.ms;
  }

  /** The result, or LIMIT_EXCEEDED when a pending result is not there by `deadline`. */
  bound<T>(result: T | PromiseLike<T>, deadline: number): T | Promise<T> {
    return isPromiseLike(result) ? this.deadlines.race(result, deadline, () => this.timedOut() as T) : result;
  }

  private timedOut() {
    return { errors: [limitError(`the query took longer than ${this.ms} ms and was stopped`)] };
  }
}

export function queryTimeout(timeout: QueryTimeout): Plugin {
  return {
    onExecute({ args, executeFn, setExecuteFn, extendContext }) {
      if (!timeout.appliesTo(args.document, args.operationName)) return;
      const deadline = timeout.deadline();
      extendContext({ deadline } as never);
      setExecuteFn((a: ExecutionArgs) => timeout.bound(executeFn(a), deadline));
    },
  };
}

/** Operation kind by document and operation name (documents are cached by yoga's parser cache). */
const queries = new WeakMap<DocumentNode, Map<string, boolean>>();

function isQuery(document: DocumentNode, operationName: string | null | undefined): boolean {
  let byName = queries.get(document);
  if (!byName) queries.set(document, (byName = new Map()));
  const key = operationName ?? '';
  let query = byName.get(key);
  if (query === undefined) {
    query = getOperationAST(document, operationName)?.operation === 'query';
    // Operation names come from the request: keep the map small for a document sent with many.
    if (byName.size < 16) byName.set(key, query);
  }
  return query;
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as PromiseLike<unknown> | null)?.then === 'function';
}
