/** The one Pothos SchemaBuilder, with the relay, errors, scope-auth and dataloader plugins. */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin, { decodeGlobalID } from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { authScopesFor, deniedError, type AuthScopes } from '../src/auth/scopes.js';
import { InvalidInput } from '../src/domain/errors.js';
import type { Context } from './context.js';

/** The types that implement Node (test/unit/schema.test.ts checks this against the schema). */
export const NODE_TYPES: ReadonlySet<string> = new Set(['Branch', 'Tag', 'Commit', 'Table', 'Snapshot', 'Mart', 'PipelineRun']);

/** Pothos's decoding, and an id naming any other type is refused in our words, not Pothos's ("X has not been implemented"). */
function decodeNodeId(globalID: string): { typename: string; id: string } {
  const decoded = decodeGlobalID(globalID);
  if (!NODE_TYPES.has(decoded.typename)) {
    throw new InvalidInput(`'${globalID.slice(0, 100)}' is not the id of a node: ids name a ${[...NODE_TYPES].join(', ')}`, 'id');
  }
  return decoded;
}

export const builder = new SchemaBuilder<{
  Context: Context;
  AuthScopes: AuthScopes;
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
    BigInt: { Input: string; Output: string | bigint | number };
    File: { Input: File; Output: never };
  };
}>({
  // Result unions are made by resolvers/result-union.ts (wrapOrThrow, and scope-auth's denial as the
  // Forbidden member through unauthorizedResolver); the errors plugin unwraps those wrapped errors
  // for the error types' isTypeOf. Relay before scope-auth so node ids are parsed.
  plugins: [ErrorsPlugin, RelayPlugin, ScopeAuthPlugin, DataloaderPlugin],
  scopeAuth: {
    // Subscriptions are checked when they start, not per event.
    authorizeOnSubscribe: true,
    authScopes: authScopesFor,
    unauthorizedError: (_parent, _ctx, _info, result) => deniedError(result),
  },
  defaultFieldNullability: false,
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    nodesOnConnection: true,
    nodesQueryOptions: false,
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // Node ids name commits and refs directly, so fetching by id is an analyst's read.
    nodeQueryOptions: { authScopes: { analyst: true } },
    decodeGlobalID: decodeNodeId,
  },
  errors: {
    directResult: true,
  },
});

// Every operation needs at least the viewer role; fields ask for more where they need it.
builder.queryType({ authScopes: { viewer: true } });
builder.mutationType({ authScopes: { viewer: true } });
builder.subscriptionType({ authScopes: { viewer: true } });
