/** graphql-ws on the gateway's HTTP server and /graphql path. */
import { useServer } from 'graphql-ws/use/ws';
import type { WebSocketServer } from 'ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../schema/context.js';
import type { wsAuthHooks } from '../src/auth/ws.js';
import type { Logger } from '../src/logger.js';
import { resolveWsOperation, type AllowList } from '../src/limits/persisted.js';
import { resultWithRequestId, withRequestId } from '../src/limits/request-id.js';
import { sharedPayloadReplacer, spliceSharedPayloads } from './ws-shared-json.js';

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

/**
 * graphql-ws on the same server and path, executing through yoga's envelop so plugins apply. Each
 * operation gets a request id (its context and log lines carry it, and so does every error it gets).
 */
export function useGraphqlWs(wss: WebSocketServer, yoga: Yoga, auth: ReturnType<typeof wsAuthHooks>, logger: Logger, allowList: AllowList | undefined) {
  spliceSharedPayloads(wss);
  useServer(
    {
      // A payload shared by many subscribers is serialised once (subscriptions/ws-shared-json.ts).
      jsonMessageReplacer: sharedPayloadReplacer,
      onConnect: (ctx) => auth.onConnect(ctx),
      onNext: (_ctx, _id, _payload, args, result) => {
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        return requestId ? (resultWithRequestId(result as never, requestId, { ws: true }) as never) : result;
      },
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const requestId = randomUUID();
        const refuse = (errors: readonly unknown[]) => {
          logger.info({ requestId, errors: errors.map((e) => (e as GraphQLError).extensions?.code) }, 'graphql-ws operation refused');
          return errors.map((e) => withRequestId(e, requestId, { ws: true }));
        };
        const expired = auth.checkOperation(ctx);
        if (expired) return refuse(expired);
        if (allowList) {
          const allowed = resolveWsOperation(allowList, params);
          if ('error' in allowed) return refuse([allowed.error]);
          params = { ...params, query: allowed.query };
        }
        const { schema: s, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
          requestId,
        });
        let document;
        try {
          document = parse(params.query);
        } catch (e) {
          return refuse([e instanceof GraphQLError ? e : new GraphQLError('Syntax Error', { extensions: { code: 'INVALID_INPUT' } })]);
        }
        const errors = validate(s, document);
        if (errors.length > 0) return refuse(errors);
        return {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
      },
    },
    wss,
  );
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}
