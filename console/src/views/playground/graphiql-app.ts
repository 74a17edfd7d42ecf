/**
 * The Playground's own bundle (/console/playground.js and .css, built by src/server/console.ts as a
 * second entry and loaded only when the Playground view opens): GraphiQL 3 (CodeMirror 5 editors, no
 * workers, no eval) with the explorer plugin, over the same /graphql endpoint as the rest of the console
 * — queries and mutations by HTTP POST, subscriptions over graphql-ws — with the console's token and role.
 */
import 'graphiql/graphiql.min.css';
import '@graphiql/plugin-explorer/dist/style.css';
import './graphiql-app.css';
import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createClient } from 'graphql-ws';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import type { PlaygroundHandle, PlaygroundOptions } from './types.js';

/**
 * GraphiQL 3 and the explorer leave their editors' textareas and the explorer's inputs without a name
 * (axe: label, select-name); each gets one as it appears (the explorer adds inputs as fields open).
 */
function nameOf(el: HTMLElement): string {
  if (el.closest('.graphiql-query-editor')) return 'Query editor';
  if (el.closest('.graphiql-response')) return 'Response';
  const tool = el.closest('.graphiql-editor-tool');
  if (tool) return el.closest('.graphiql-editor') === tool.querySelectorAll('.graphiql-editor')[1] ? 'Request headers editor' : 'Variables editor';
  if (el.tagName === 'SELECT') return 'Kind of operation to add';
  if (el.closest('.graphiql-operation-title-bar')) return 'Operation name';
  const arg = [...(el.parentElement?.parentElement?.classList ?? [])].find((c) => c.startsWith('graphiql-explorer-'));
  return arg ? `Value of the argument ${arg.slice('graphiql-explorer-'.length)}` : 'GraphiQL field';
}

function nameUnnamedFields(root: HTMLElement): MutationObserver {
  const pass = () => {
    for (const el of root.querySelectorAll<HTMLInputElement>('input:not([aria-label]), textarea:not([aria-label]), select:not([aria-label])')) {
      if (!el.labels?.length) el.setAttribute('aria-label', nameOf(el));
    }
  };
  const observer = new MutationObserver(pass);
  observer.observe(root, { childList: true, subtree: true });
  return observer;
}

export function mountPlayground(el: HTMLElement, options: PlaygroundOptions): PlaygroundHandle {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.role) headers['x-cascade-role'] = options.role;
  const wsClient = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    lazy: true,
    retryAttempts: 0,
    connectionParams: { ...headers },
  });
  const fetcher = createGraphiQLFetcher({ url: '/graphql', headers, wsClient, enableIncrementalDelivery: false });
  const explorer = explorerPlugin({ showAttribution: false });
  const root = createRoot(el);
  const naming = nameUnnamedFields(el);
  const render = (theme: 'light' | 'dark') =>
    root.render(
      createElement(GraphiQL, {
        fetcher,
        plugins: [explorer],
        visiblePlugin: explorer,
        defaultQuery: options.defaultQuery,
        forcedTheme: theme,
        shouldPersistHeaders: false,
        isHeadersEditorEnabled: true,
      }),
    );
  render(options.theme);
  return {
    setTheme: render,
    unmount() {
      naming.disconnect();
      root.unmount();
      void wsClient.dispose();
      document.body.classList.remove('graphiql-light', 'graphiql-dark');
    },
  };
}
