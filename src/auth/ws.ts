/**
 * Authentication for graphql-ws: the token comes in the `connection_init` payload
 * (`{ Authorization: 'Bearer …' }`, `{ authorization }` or `{ headers: { Authorization } }`; the
 * upgrade request's own Authorization header is used when the payload has none), and so does the
 * role choice. A bad token closes the socket with 4401, a role the token does not allow with 4403.
 * Once the token has expired, the connection takes no new operations (4401).
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import { ErrorCode, Forbidden } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import type { HttpAuthGate } from './http-gate.js';

interface WsCtx {
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: { request: IncomingMessage; socket: { close(code?: number, reason?: string): void } };
}

export function wsAuthHooks(gate: HttpAuthGate, logger: Logger) {
  return {
    async onConnect(ctx: WsCtx): Promise<boolean> {
      if (!gate.auth.enabled) return true;
      try {
        gate.remember(ctx.extra.request, await gate.auth.authenticate(wsCredentials(gate, ctx)));
        return true;
      } catch (e) {
        const forbidden = e instanceof Forbidden;
        if (!forbidden) logger.debug({ err: e }, 'graphql-ws connection refused');
        ctx.extra.socket.close(forbidden ? 4403 : 4401, forbidden ? 'Forbidden' : 'Unauthorized');
        return false;
      }
    },
    /** Errors to answer a subscribe message with, when the connection's token has expired. */
    checkOperation(ctx: WsCtx): GraphQLError[] | null {
      const exp = gate.actorOf(ctx.extra.request).expiresAt;
      if (exp == null || exp > Date.now()) return null;
      ctx.extra.socket.close(4401, 'Unauthorized: the token has expired');
      return [new GraphQLError('the token has expired', { extensions: { code: ErrorCode.UNAUTHENTICATED } })];
    },
  };
}

function wsCredentials(gate: HttpAuthGate, ctx: WsCtx) {
  const params = ctx.connectionParams ?? {};
  const nested = params.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  const pick = (names: readonly string[]): string | undefined => {
    for (const source of [params, nested]) {
      for (const [k, v] of Object.entries(source)) if (typeof v === 'string' && names.includes(k.toLowerCase())) return v;
    }
    return undefined;
  };
  const fromUpgrade = gate.credentials(ctx.extra.request.headers);
  return {
    authorization: pick(['authorization']) ?? fromUpgrade.authorization,
    role: pick(gate.auth.roleHeaders) ?? fromUpgrade.role,
  };
}
