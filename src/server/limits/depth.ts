/** Maximum query depth (graphql-armor max-depth; fragments do not add a level, introspection is not counted). */
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

export function depthLimit(n: number): Plugin {
  const rule = maxDepthRule({
    n,
    flattenFragments: true,
    ignoreIntrospection: true,
    propagateOnRejection: false,
    onReject: [(ctx) => ctx?.reportError(limitError(`query depth exceeds the limit of ${n}`))],
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
