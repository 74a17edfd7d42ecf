/**
 * The steps every GraphQL operation goes through, in order, owned here once. Two paths run them:
 *
 * - yoga (GET, uploads, SSE, batches, persisted operations, graphql-ws, and everything the direct
 *   path passes on) gets them all as envelop plugins: `yogaPlugins()`;
 * - the direct POST path (src/server/graphql-post.ts) answers a plain JSON query or mutation whose
 *   document envelop already parsed and validated once (every parse- and validate-time step below
 *   ran then), and runs the execute-time steps itself, with the same objects, in the same order:
 *   `runDirect()`. That skips envelop's per-request machinery, which cost more than a small query.
 *
 * The steps, in order:
 *   1. the schema of the moment (the static schema and the typed mart fields);
 *   2. graphql-js `execute`, so fields come back in the order asked (execute-in-order.ts; first, so
 *      the steps after it wrap it);
 *   3. subscriptions: ended at token expiry, and one execution per event for subscribers of the same
 *      document, variables and role;
 *   4. GraphiQL's page CSP, and the request id on every error;
 *   5. the limits: persisted operations, upload sizes, tokens, depth, aliases, introspection, the
 *      rate limit (HTTP takes its token when the request arrives), then at execution the cost limit
 *      and the query timeout (its deadline on the context);
 *   6. the operation log (one line and one timing per operation);
 *   7. the error mask (yoga's `maskedErrors`; `runDirect` applies it to the result).
 *
 * test/e2e/graphql-post.test.ts sends every kind of request both ways and requires the same answer.
 */
import { execute, type DocumentNode, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../../schema/context.js';
import { useSharedSubscriptionExecution } from '../../subscriptions/shared-execution.js';
import { useSubscriptionsEndAtExpiry } from '../auth/expiry.js';
import { executeInQueryOrder } from './execute-in-order.js';
import { costLimit, costCheck, type CostCheck } from './limits/cost.js';
import { limitPlugins, type Limits, type LimitPluginDeps } from './limits/index.js';
import { requestIdOnErrors } from './limits/request-id.js';
import { QueryTimeout, queryTimeout } from './limits/timeout.js';
import { useOperationLog, type OperationLog } from './operation-log.js';
import { graphiqlCsp } from './security/headers.js';

/** An operation the direct path runs: its document already parsed and validated for `schema`. */
export interface DirectOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | null | undefined;
  context: Context;
}

export class OperationSteps {
  /** Absent when set to 0. */
  private readonly cost: CostCheck | undefined;
  private readonly timeout: QueryTimeout | undefined;

  constructor(
    private readonly limits: Limits,
    private readonly deps: LimitPluginDeps & {
      operationLog: OperationLog;
      maskError: (error: unknown) => GraphQLError;
      /** The schema operations run against now. */
      currentSchema: () => GraphQLSchema;
    },
  ) {
    this.cost = limits.maxCost > 0 ? costCheck(limits.maxCost) : undefined;
    this.timeout = limits.queryTimeoutMs > 0 ? new QueryTimeout(limits.queryTimeoutMs) : undefined;
  }

  get maskError(): (error: unknown) => GraphQLError {
    return this.deps.maskError;
  }

  /** Every step as yoga's plugins, in order (the error mask is yoga's `maskedErrors` option). */
  yogaPlugins(): Plugin[] {
    const { currentSchema, operationLog } = this.deps;
    return [
      executeInQueryOrder(),
      { onEnveloped: ({ setSchema }: { setSchema: (s: GraphQLSchema) => void }) => setSchema(currentSchema()) },
      useSubscriptionsEndAtExpiry(),
      useSharedSubscriptionExecution(),
      graphiqlCsp(),
      requestIdOnErrors(),
      ...limitPlugins(this.limits, this.deps),
      ...(this.cost ? [costLimit(this.cost)] : []),
      ...(this.timeout ? [queryTimeout(this.timeout)] : []),
      useOperationLog(operationLog),
    ];
  }

  /** The execute-time steps for a document envelop validated: cost, execute under the timeout, log, mask. */
  async runDirect(op: DirectOperation): Promise<ExecutionResult> {
    const { schema, document, operationName, variables: variableValues, context } = op;
    const refused = this.cost?.({ schema, document, operationName, variableValues });
    if (refused) return { errors: [refused] };
    const timeout = this.timeout?.appliesTo(document, operationName) ? this.timeout : undefined;
    const deadline = timeout?.deadline();
    if (deadline !== undefined) context.deadline = deadline;
    const started = performance.now();
    const executed = execute({ schema, document, contextValue: context, variableValues, operationName });
    const result = await (timeout ? timeout.bound(executed, deadline!) : executed);
    this.deps.operationLog.finished(operationName, started, result, context.logger);
    return result.errors?.length ? { ...result, errors: result.errors.map((e) => this.deps.maskError(e)) } : result;
  }
}
