/**
 * What a client may read of an error message. In production, messages are scrubbed of file paths
 * and URLs (a DuckDB or filesystem message can name where the warehouse lives). The error mask
 * (src/server/graphql-errors.ts) applies it to GraphQL errors; the error members of result unions
 * (`... on Error { message }`, resolvers/errors.ts) follow the same rule through this process-wide
 * switch, which the mask sets at start from NODE_ENV.
 */

/** Absolute paths (two segments or more) and URLs with a scheme. */
const PATHS = /(?<![\w.:/-])(?:[a-zA-Z][\w+.-]*:\/\/[^\s'"`),]+|~?(?:\/[\w.@~+-]+){2,}\/?)/g;

export function scrubPaths(message: string): string {
  return message.replace(PATHS, '<path>');
}

let productionMessages = false;

export function setProductionMessages(production: boolean): void {
  productionMessages = production;
}

export function publicMessage(message: string): string {
  return productionMessages ? scrubPaths(message) : message;
}
