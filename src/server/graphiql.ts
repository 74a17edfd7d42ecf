/**
 * GraphiQL's page from @graphql-yoga/render-graphiql (yoga's own renderer), whose script, styles,
 * fonts and favicon are inlined (data: URLs for the last two), so the page loads nothing from
 * outside the gateway and works with no internet; yoga's default page loads them from unpkg.
 * Version 5.15 (CodeMirror editors, no web workers) opens on the configured `defaultQuery`; 5.16 and
 * later, like yoga 5.20's own unpkg page (@graphql-yoga/graphiql 4.4), bundle the Monaco-based
 * GraphiQL, which ignores `defaultQuery` for the first tab and is 9 MB with Monaco's workers.
 */
import type { GraphiQLOptions } from 'graphql-yoga';

type Rendered = { options: string; page: Uint8Array<ArrayBuffer> };

/**
 * A renderer for yoga's `renderGraphiQL` option. The page is about 2 MB: the renderer's module is
 * imported on the first request for the page (starting the gateway does not load it), and the page
 * is rendered and encoded once per set of options (yoga passes equal options on every request).
 */
export function bundledGraphiQL(): (options: GraphiQLOptions) => Promise<Uint8Array<ArrayBuffer>> {
  let last: Rendered | undefined;
  return async (options) => {
    const key = JSON.stringify(options);
    if (last?.options !== key) {
      const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
      last = { options: key, page: new TextEncoder().encode(renderGraphiQL(options)) };
    }
    return last.page;
  };
}
