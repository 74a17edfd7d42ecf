/**
 * The Playground view: GraphiQL with the explorer plugin, over the same /graphql endpoint, with the
 * console's token and role. GraphiQL and React are a bundle of their own (views/playground/graphiql-app.ts,
 * served as /console/playground.js and .css) loaded when this view first opens: the other views never
 * load them.
 */
import { errorState, h, show } from '../ui.js';
import type { PlaygroundHandle, PlaygroundModule } from './playground/types.js';
import type { View } from './view.js';

const DEFAULT_QUERY = `# Build a query in the explorer or type one;
# Ctrl+Enter runs it with your token and role.

{
  defaultBranch {
    name
    hash
    log(first: 5) {
      nodes { message author }
    }
  }
}
`;

/** The bundle's URL, not a module specifier: esbuild leaves the import to the browser. */
const BUNDLE = '/console/playground.js';
let loaded: Promise<PlaygroundModule> | undefined;

function loadPlayground(): Promise<PlaygroundModule> {
  if (!document.querySelector('link[data-playground]')) {
    document.head.append(h('link', { rel: 'stylesheet', href: '/console/playground.css', 'data-playground': '' }));
  }
  loaded ??= (import(/* @vite-ignore */ BUNDLE) as Promise<PlaygroundModule>).catch((e: unknown) => {
    loaded = undefined;
    throw e;
  });
  return loaded;
}

function currentTheme(): 'light' | 'dark' {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

export const playgroundView: View = {
  id: 'playground',
  title: 'Playground',
  render(root, _params, ctx) {
    const host = h('div', { class: 'playground-host' });
    const status = h('p', { class: 'state loading', role: 'status' }, 'Loading GraphiQL…');
    const who = ctx.viewer ? `${ctx.viewer.subject} · ${ctx.viewer.role ?? 'no role'}` : 'no caller yet (sign in at the top right)';
    show(
      root,
      h(
        'div',
        { class: 'toolbar playground-bar' },
        h('h1', {}, 'Playground'),
        h('span', { class: 'muted' }, `GraphiQL on this gateway's /graphql, as ${who}. Subscriptions run over graphql-ws.`),
      ),
      status,
      host,
    );
    let handle: PlaygroundHandle | undefined;
    let stopped = false;
    const themeWatch = new MutationObserver(() => handle?.setTheme(currentTheme()));
    themeWatch.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    loadPlayground().then(
      (m) => {
        if (stopped) return;
        status.remove();
        handle = m.mountPlayground(host, {
          token: ctx.api.session.token,
          role: ctx.api.session.role,
          theme: currentTheme(),
          defaultQuery: DEFAULT_QUERY,
        });
      },
      (e: unknown) => {
        if (stopped) return;
        status.replaceWith(errorState({ kind: 'network', message: `GraphiQL could not be loaded: ${(e as Error).message ?? e}` }));
      },
    );
    return () => {
      stopped = true;
      themeWatch.disconnect();
      handle?.unmount();
    };
  },
};
