/** Errors raised by the limits: a GraphQL error with a code and, over HTTP, a status and headers. */
import { GraphQLError, type ASTNode } from 'graphql';
import { ErrorCode } from '../../domain/errors.js';

/** The codes the limits answer with, from the domain's list (src/domain/errors.ts). */
export type LimitCode = typeof ErrorCode.LIMIT_EXCEEDED | typeof ErrorCode.INVALID_INPUT | typeof ErrorCode.FORBIDDEN;

export function limitError(
  message: string,
  opts: { code?: LimitCode; status?: number; headers?: Record<string, string>; nodes?: ASTNode | readonly ASTNode[] } = {},
): GraphQLError {
  const http = opts.status ? { http: { status: opts.status, ...(opts.headers ? { headers: opts.headers } : {}) } } : {};
  return new GraphQLError(message, { nodes: opts.nodes, extensions: { code: opts.code ?? ErrorCode.LIMIT_EXCEEDED, ...http } });
}

/** A JSON error body for responses written before GraphQL is involved (413 on the body size). */
export function errorBody(message: string, code: LimitCode, requestId: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code, requestId } }] });
}
