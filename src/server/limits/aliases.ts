/** Maximum number of aliases in an operation (graphql-armor max-aliases, fragments included). */
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

export function aliasLimit(n: number): Plugin {
  const rule = maxAliasesRule({
    n,
    propagateOnRejection: false,
    onReject: [(ctx) => ctx?.reportError(limitError(`the operation uses more than ${n} aliases`))],
  });
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}
