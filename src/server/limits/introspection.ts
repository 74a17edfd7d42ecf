/** Introspection off: `__schema` and `__type` are refused (FORBIDDEN) and field suggestions are hidden. */
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import type { ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../../domain/errors.js';
import { limitError } from './errors.js';

const noIntrospection: ValidationRule = (context) => ({
  Field(node) {
    if (node.name.value === '__schema' || node.name.value === '__type') {
      context.reportError(limitError('introspection is disabled on this gateway', { code: ErrorCode.FORBIDDEN, nodes: node }));
    }
  },
});

export function disableIntrospection(): Plugin[] {
  return [
    {
      onValidate({ addValidationRule }) {
        addValidationRule(noIntrospection);
      },
    },
    blockFieldSuggestionsPlugin() as Plugin,
  ];
}
