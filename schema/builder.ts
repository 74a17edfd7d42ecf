/** The one Pothos SchemaBuilder, with the relay, errors, scope-auth and dataloader plugins. */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ErrorsPlugin from '@pothos/plugin-errors';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { authScopesFor, deniedError, type AuthScopes } from '../src/auth/scopes.js';
import type { Context } from './context.js';

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
  // Order matters: the errors plugin wraps scope-auth, so a Forbidden thrown by a denied scope
  // becomes the Forbidden member of a mutation's result union (relay first so node ids are parsed).
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
    nodeQueryOptions: { authScopes: { role: 'analyst' } },
  },
  errors: {
    directResult: true,
  },
});

// Every operation needs at least the viewer role; fields ask for more where they need it.
builder.queryType({ authScopes: { role: 'viewer' } });
builder.mutationType({ authScopes: { role: 'viewer' } });
builder.subscriptionType({ authScopes: { role: 'viewer' } });
