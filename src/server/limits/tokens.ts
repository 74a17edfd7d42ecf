/**
 * Maximum number of lexical tokens in a document, checked while parsing (graphql-armor max-tokens'
 * parser), so a huge document is refused before an AST is built.
 */
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import type { ParseOptions, Source } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

export function tokenLimit(n: number): Plugin {
  const parseLimited = (source: string | Source, options?: ParseOptions) => {
    let rejected = false;
    const parser = new MaxTokensParserWLexer(source, { ...options, n, onReject: [() => (rejected = true)], propagateOnRejection: true });
    try {
      return parser.parseDocument();
    } catch (e) {
      if (rejected) throw limitError(`the document has more than ${n} tokens`);
      // graphql-js parses recursively: a document nested thousands deep overflows the stack first
      if (e instanceof RangeError) throw limitError('the document is nested too deeply');
      throw e;
    }
  };
  return {
    onParse({ setParseFn }) {
      setParseFn(parseLimited as never);
    },
  };
}
