/**
 * Queries and mutations execute with graphql-js's own `execute`, so a response lists its fields in
 * the order the operation asked for them (GraphQL spec, 7.2.2 "Serialized Map Ordering").
 *
 * yoga's default executor (@graphql-tools/executor) writes the fields whose resolvers answer at once
 * before those that answer with a promise: `{ runs { … } defaultBranch { name } }` came back as
 * `{ defaultBranch, runs }` (pothos#1511). graphql-js keeps the order. Subscriptions stay with yoga's
 * executor (yoga calls `subscribe` for them, never `execute`); nothing here uses @defer or @stream,
 * which only the other executor supports.
 *
 * First among the plugins: the ones after it (the query timeout) wrap this execute.
 */
import { execute } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function executeInQueryOrder(): Plugin {
  return {
    onExecute({ setExecuteFn }) {
      setExecuteFn(execute);
    },
  };
}
