/** Errors raised by the limits: a GraphQL error with a code and, over HTTP, a status and headers. */
import { GraphQLError, type ASTNode } from 'graphql';

export type LimitCode = 'LIMIT_EXCEEDED' | 'INVALID_INPUT' | 'FORBIDDEN';

export function limitError(
  message: string,
  opts: { code?: LimitCode; status?: number; headers?: Record<string, string>; nodes?: ASTNode | readonly ASTNode[] } = {},
): GraphQLError {
  const http = opts.status ? { http: { status: opts.status, ...(opts.headers ? { headers: opts.headers } : {}) } } : {};
  return new GraphQLError(message, { nodes: opts.nodes, extensions: { code: opts.code ?? 'LIMIT_EXCEEDED', ...http } });
}

/** A JSON error body for responses written before GraphQL is involved (413 on the body size). */
export function errorBody(message: string, code: LimitCode, requestId: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] });
}
