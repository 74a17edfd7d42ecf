/**
 * The one place errors become client-visible: domain errors keep their message and get
 * `extensions.code`; GraphQL validation errors pass; everything else is masked and logged.
 */
import { GraphQLError } from 'graphql';
import { isDomainError } from './domain/errors.js';
import type { Logger } from './logger.js';

export function createMaskError(logger: Logger) {
  return (error: unknown): Error => {
    const original = error instanceof GraphQLError ? error.originalError : error;
    if (isDomainError(original)) {
      const gqlErr = error as GraphQLError;
      return new GraphQLError(original.message, {
        nodes: gqlErr.nodes,
        path: gqlErr.path,
        extensions: { code: original.code, ...('field' in original && original.field ? { field: original.field } : {}) },
      });
    }
    if (error instanceof GraphQLError && (!original || original instanceof GraphQLError)) {
      const code = error.extensions?.code ?? 'INVALID_INPUT';
      return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions: { ...error.extensions, code } });
    }
    logger.error({ err: original }, 'unexpected error while executing an operation');
    return new GraphQLError('Unexpected error.', {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  };
}
