/**
 * The one place errors become client-visible: domain errors keep their message and get
 * `extensions.code`; GraphQL validation errors pass; everything else is masked and logged.
 * In production, messages that pass are also scrubbed of file paths and URLs (a DuckDB or
 * filesystem message can name where the warehouse lives). Request ids are added to every error
 * afterwards (src/server/limits/request-id.ts and the graphql-ws wiring in src/server/app.ts).
 */
import { GraphQLError } from 'graphql';
import { ErrorCode, INTERNAL_ERROR_CODE, isDomainError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { scrubPaths, setProductionMessages } from '../util/public-message.js';


const BAD_REQUEST_CODES = new Set(['BAD_REQUEST', 'BAD_USER_INPUT', 'GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED']);

/** Yoga's errors for a body it cannot parse wrap the parser's SyntaxError; they are client errors. */
const isRequestParseError = (e: GraphQLError) => e.extensions?.code === 'BAD_REQUEST' && (e.extensions.http as { status?: number } | undefined)?.status === 400;



/**
 * The code a client sees for an error (as createMaskError sets it): a domain error's own code;
 * yoga's and graphql-js's request errors as INVALID_INPUT unless they carry a code of ours;
 * anything else INTERNAL_SERVER_ERROR.
 */
export function publicCode(error: unknown): string {
  const original = error instanceof GraphQLError ? error.originalError : error;
  if (isDomainError(original)) return original.code;
  if (error instanceof GraphQLError && (!original || original instanceof GraphQLError || isRequestParseError(error))) {
    const given = error.extensions?.code;
    return typeof given === 'string' && !BAD_REQUEST_CODES.has(given) ? given : ErrorCode.INVALID_INPUT;
  }
  return INTERNAL_ERROR_CODE;
}

export function createMaskError(logger: Logger, opts: { production?: boolean } = {}) {
  setProductionMessages(opts.production ?? false);
  const text = (m: string) => (opts.production ? scrubPaths(m) : m);
  return (error: unknown): GraphQLError => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (isDomainError(original)) {
      const gqlErr = error as GraphQLError;
      return new GraphQLError(text(original.message), {
        nodes: gqlErr.nodes,
        path: gqlErr.path,
        extensions: { code: original.code, ...('field' in original && original.field ? { field: original.field } : {}) },
      });
    }
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError || isRequestParseError(error))) {
      // Yoga's and graphql-js's own codes for a bad request all mean INVALID_INPUT here; the
      // parser's `originalError` (a JSON SyntaxError echoing the body) is not passed on.
      const code = publicCode(error);
      const { originalError: _dropped, ...extensions } = error.extensions ?? {};
      if (isRequestParseError(error)) extensions.http = { status: 400 }; // a bad body is a 400, whatever the Accept header
      return new GraphQLError(text(error.message), { nodes: error.nodes, path: error.path, extensions: { ...extensions, code } });
    }
    logger.error({ err: original }, 'unexpected error while executing an operation');
    return new GraphQLError('Unexpected error.', {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: INTERNAL_ERROR_CODE },
    });
  };
}
