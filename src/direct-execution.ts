/**
 * How the direct POST path (src/graphql-post.ts) runs a query or mutation: what yoga's envelop does
 * around `execute`, done by the same objects in the same order, without building envelop's
 * per-request machinery (an orchestrated context, rule lists and promise-wrapped hooks for every
 * operation), which cost more than executing a small query:
 *
 *   1. the cost limit: LIMIT_EXCEEDED before anything runs;
 *   2. graphql-js `execute` (fields in the order asked, as src/execute-in-order.ts gives yoga), a
 *      query bounded by the query timeout, with its deadline on the context;
 *   3. the operation log (timing and log line) of the result as executed;
 *   4. the error mask (src/graphql-errors.ts) on every error.
 *
 * The rate limit was taken when the request arrived, and documents were parsed and validated by
 * envelop (every limit rule included) once for the schema of the moment: ValidatedDocuments keeps
 * them. test/e2e/graphql-post.test.ts sends every kind of request both ways and compares the answers.
 */
import { execute, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Context } from '../schema/context.js';
import type { ExecutionLimits } from './limits/index.js';
import type { OperationLog } from './operation-log.js';
import { Lru } from './util/lru.js';

export interface DirectOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | null | undefined;
  context: Context;
}

export class DirectExecutor {
  constructor(
    private readonly limits: ExecutionLimits,
    private readonly log: OperationLog,
    private readonly maskError: (error: unknown) => GraphQLError,
  ) {}

  async run(op: DirectOperation): Promise<ExecutionResult> {
    const { schema, document, operationName, variables: variableValues, context } = op;
    const refused = this.limits.cost?.({ schema, document, operationName, variableValues });
    if (refused) return { errors: [refused] };
    const timeout = this.limits.timeout?.appliesTo(document, operationName) ? this.limits.timeout : undefined;
    const deadline = timeout?.deadline();
    if (deadline !== undefined) context.deadline = deadline;
    const started = performance.now();
    const executed = execute({ schema, document, contextValue: context, variableValues, operationName });
    const result = await (timeout ? timeout.bound(executed, deadline!) : executed);
    this.log.finished(operationName, started, result, context.logger);
    return result.errors?.length ? { ...result, errors: result.errors.map((e) => this.maskError(e)) } : result;
  }
}

/** Query texts that parsed and validated for a schema, with their documents (a bounded number per schema). */
export class ValidatedDocuments {
  private readonly bySchema = new WeakMap<GraphQLSchema, Lru<string, DocumentNode>>();
  constructor(private readonly perSchema = 1024) {}

  get(schema: GraphQLSchema, query: string): DocumentNode | undefined {
    return this.bySchema.get(schema)?.get(query);
  }

  add(schema: GraphQLSchema, query: string, document: DocumentNode): void {
    let known = this.bySchema.get(schema);
    if (!known) this.bySchema.set(schema, (known = new Lru(this.perSchema)));
    known.set(query, document);
  }
}
