/**
 * Every error a client sees carries `extensions.requestId`, the id the logs carry: over HTTP the
 * request's x-request-id (yoga result processing, including request-parse errors and SSE), over
 * graphql-ws the operation's context id (see src/server/app.ts).
 */
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, INTERNAL_ERROR_CODE } from '../../domain/errors.js';

/** graphql-js's and yoga's own codes for a request that cannot run all mean INVALID_INPUT here. */
const INVALID_INPUT_CODES = new Set(['BAD_REQUEST', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'OPERATION_RESOLUTION_FAILURE', 'PERSISTED_QUERY_NOT_FOUND']);

/**
 * The error as the client gets it: with the request id, a code from API.md's ErrorCode (INVALID_INPUT
 * for the transport's own codes), and no internals. `http` stays for yoga, which turns it into the
 * status and strips it; over graphql-ws (`ws: true`) it is dropped here.
 */
export function withRequestId(error: unknown, requestId: string, opts: { ws?: boolean } = {}): GraphQLError {
  if (error instanceof GraphQLError) {
    const { originalError: _o, http, code, ...rest } = error.extensions ?? {};
    const finalCode = typeof code !== 'string' || INVALID_INPUT_CODES.has(code) ? ErrorCode.INVALID_INPUT : code;
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      originalError: error.originalError,
      extensions: { ...rest, code: finalCode, requestId, ...(http && !opts.ws ? { http } : {}) },
    });
  }
  const message = error instanceof Error ? error.message : 'Unexpected error.';
  return new GraphQLError(message, { extensions: { code: INTERNAL_ERROR_CODE, requestId } });
}

export function resultWithRequestId<T extends ExecutionResult>(result: T, requestId: string, opts: { ws?: boolean } = {}): T {
  if (!result || !Array.isArray(result.errors) || result.errors.length === 0) return result;
  return { ...result, errors: result.errors.map((e) => withRequestId(e, requestId, opts)) };
}

async function* mapIterable(it: AsyncIterable<ExecutionResult>, requestId: string) {
  for await (const r of it) yield resultWithRequestId(r, requestId);
}

export function requestIdOnErrors(): Plugin {
  return {
    onResultProcess({ request, result, setResult }) {
      // A single result without errors (the common case) stays as it is: no header lookup.
      if (!Array.isArray(result) && !((result as ExecutionResult | undefined)?.errors?.length) && !isAsyncIterable(result)) return;
      const id = request.headers.get('x-request-id');
      if (!id) return;
      if (Array.isArray(result)) setResult(result.map((r) => resultWithRequestId(r, id)));
      else if (isAsyncIterable(result)) {
        setResult(mapIterable(result as AsyncIterable<ExecutionResult>, id) as never);
      } else setResult(resultWithRequestId(result as ExecutionResult, id));
    },
  };
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return !!v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
