/** graphql-ws on the gateway's HTTP server and /graphql path. */
import type { IncomingMessage } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type Context as WsContext, type ServerOptions } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { randomUUID } from 'node:crypto';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Context } from '../../schema/context.js';
import type { wsAuthHooks } from '../auth/ws.js';
import { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { resolveWsOperation, type AllowList } from './limits/persisted.js';
import { resultWithRequestId, withRequestId } from './limits/request-id.js';
import { nextMessages, sharedPayloadReplacer, withSharedPayload } from './ws-shared-json.js';
import { DIRECT_SINK, type DirectSink } from '../../subscriptions/shared-execution.js';

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

/**
 * graphql-ws on the same server and path, executing through yoga's envelop so plugins apply. Each
 * operation gets a request id (its context and log lines carry it, and so does every error it gets).
 */
export function useGraphqlWs(wss: WebSocketServer, yoga: Yoga, auth: ReturnType<typeof wsAuthHooks>, logger: Logger, allowList: AllowList | undefined) {
  serve(
    wss,
    logger,
    {
      // A payload shared by many subscribers is serialised once (src/server/ws-shared-json.ts).
      jsonMessageReplacer: sharedPayloadReplacer,
      onConnect: (ctx) => auth.onConnect(ctx),
      onNext: (_ctx, _id, _payload, args, result) => {
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        return requestId ? (resultWithRequestId(result as never, requestId, { ws: true }) as never) : result;
      },
      execute: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args: ExecutionArgs) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onSubscribe: async (ctx, id, params) => {
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
          return refuse([e instanceof GraphQLError ? e : new GraphQLError('Syntax Error', { extensions: { code: ErrorCode.INVALID_INPUT } })]);
        }
        const errors = validate(s, document);
        if (errors.length > 0) return refuse(errors);
        return {
          schema: s,
          operationName: params.operationName,
          document,
          variableValues: params.variables,
          contextValue: withDirectSink(await contextFactory(), ctx, id),
          rootValue: { execute, subscribe } satisfies EnvelopedRoot,
        };
      },
    },
  );
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

type Extra = { socket: WebSocket; request: IncomingMessage };

/**
 * The operation's context with a direct sink (subscriptions/shared-execution.ts): a result without
 * errors is sent as graphql-ws's own loop would send it (same message; onNext adds nothing to a
 * result without errors), while the subscription is open, its socket keeps up and the caller's
 * token is valid; otherwise the sink refuses and the result takes graphql-ws's loop.
 */
export function withDirectSink<C extends object>(context: C, ctx: Pick<WsContext<Record<string, unknown>, Extra>, 'subscriptions' | 'extra'>, id: string): C {
  const socket = ctx.extra.socket;
  const expiresAt = (context as Partial<Context>).actor?.expiresAt;
  const message = nextMessages(id);
  const sink: DirectSink = (result) => {
    if (!(id in ctx.subscriptions) || !keepsUp(socket)) return false;
    if (expiresAt != null && Date.now() >= expiresAt) return false;
    socket.send(message(result));
    return true;
  };
  return Object.assign(context, { [DIRECT_SINK]: sink });
}

/** Bytes a socket may have waiting to be written before a send waits for its write (a slow client). */
const SEND_BACKLOG = 256 * 1024;

/** The socket is open and writes as fast as it is sent to: a send need not wait for its write. */
function keepsUp(socket: WebSocket): boolean {
  return socket.readyState === socket.OPEN && socket.bufferedAmount < SEND_BACKLOG;
}
/** As graphql-ws/use/ws: a ping every 12 s, and a socket that does not answer within the next 12 s is dropped. */
const KEEP_ALIVE_MS = 12_000;

/**
 * graphql-ws's server on `wss`: what graphql-ws/use/ws does (subprotocol check, keep-alive, errors
 * close the socket with 1011), except how a message is sent. use/ws waits for every message's write
 * callback (a promise and a callback per subscriber per event, the hot path of a fan-out); here a
 * send returns at once while the socket keeps up, and waits for the write only once a backlog builds
 * up, so a slow client's subscriptions are still paced by its socket. The send also splices shared
 * payload JSON into the message (src/server/ws-shared-json.ts).
 */
function serve(wss: WebSocketServer, logger: Logger, options: ServerOptions<Record<string, unknown>, Extra>) {
  const server = makeServer(options);
  wss.options.handleProtocols = handleProtocols;
  wss.once('error', (err) => {
    logger.error({ err }, 'graphql-ws: the WebSocket server failed');
    for (const client of wss.clients) client.close(CloseCode.InternalServerError, 'Internal server error');
  });
  wss.on('connection', (socket, request) => {
    socket.once('error', (err) => {
      logger.debug({ err }, 'graphql-ws: socket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
      socket.once('pong', () => {
        if (pongWait) clearTimeout(pongWait);
        pongWait = null;
      });
      socket.ping();
    }, KEEP_ALIVE_MS);
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          const message = withSharedPayload(data) as string;
          if (socket.readyState !== socket.OPEN) return;
          if (keepsUp(socket)) return void socket.send(message);
          return new Promise<void>((resolve, reject) => socket.send(message, (err) => (err ? reject(err) : resolve())));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              logger.error({ err }, 'graphql-ws: handling a message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      clearInterval(pingInterval);
      void closed(code, String(reason));
    });
  });
}
