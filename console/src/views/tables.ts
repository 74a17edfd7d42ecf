/**
 * The Tables view: a ref selector, the namespaces and tables at that ref as a tree, and the chosen
 * table's page (tables/table-page.ts: schema, snapshots, rows, compare, health).
 * Route: `#/tables/<ref>/<table>/<section>`.
 */
import { h, show, loading, errorState, emptyState } from '../ui.js';
import type { View } from './view.js';
import { tablePage } from './tables/table-page.js';
import './tables/tables.css';

interface TableNode {
  name: string;
  namespace: string;
}

export const tablesView: View = {
  id: 'tables',
  title: 'Tables',
  render(root, params, ctx) {
    let stopped = false;
    let cleanupPage: (() => void) | undefined;
    const [refParam, tableParam, section] = params;
    const refInput = h('input', { type: 'text', id: 'tables-ref', list: 'tables-refs', autocomplete: 'off', spellcheck: 'false', value: refParam ?? '', placeholder: 'main, dev, v1.0, main~3, main*2026-01-01T00:00:00Z' });
    const refList = h('datalist', { id: 'tables-refs' });
    const tree = h('div', { role: 'navigation', class: 'table-tree', 'aria-label': 'Namespaces and tables' }, loading('Loading the tables'));
    const page = h('div', { class: 'table-page' });
    const form = h(
      'form',
      {
        class: 'toolbar',
        onsubmit: (e: Event) => {
          e.preventDefault();
          const ref = refInput.value.trim();
          if (ref) ctx.navigate('tables', ref, ...(tableParam ? [tableParam] : []));
        },
      },
      h('label', { for: 'tables-ref' }, 'Ref'),
      refInput,
      refList,
      h('button', { type: 'submit', class: 'secondary' }, 'Show'),
    );
    show(root, h('div', { class: 'toolbar head' }, h('h1', {}, 'Tables'), form), h('div', { class: 'columns tables-columns' }, tree, page));

    void (async () => {
      let ref = refParam;
      try {
        const refs = await ctx.api.request<{ defaultBranch: { name: string }; references: { nodes: { name: string; type: string }[] } }>(
          '{ defaultBranch { name } references(first: 1000) { nodes { name type } } }',
        );
        if (stopped) return;
        show(refList, refs.references.nodes.map((r) => h('option', { value: r.name }, r.type === 'TAG' ? 'tag' : 'branch')));
        if (!ref) {
          ref = refs.defaultBranch.name;
          refInput.value = ref;
        }
      } catch (e) {
        if (!ref) {
          show(tree, errorState(e));
          return;
        }
      }
      const tables: TableNode[] = [];
      try {
        let after: string | null = null;
        for (;;) {
          const d: { tables: { nodes: TableNode[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await ctx.api.request(
            'query TablesAt($ref: String, $after: String) { tables(ref: $ref, first: 1000, after: $after) { nodes { name namespace } pageInfo { hasNextPage endCursor } } }',
            { ref, after },
          );
          tables.push(...d.tables.nodes);
          if (!d.tables.pageInfo.hasNextPage) break;
          after = d.tables.pageInfo.endCursor;
        }
      } catch (e) {
        if (!stopped) {
          show(tree, errorState(e));
          show(page);
        }
        return;
      }
      if (stopped) return;
      const key = (t: TableNode) => `${t.namespace}.${t.name}`;
      const byNs = new Map<string, TableNode[]>();
      for (const t of tables.sort((a, b) => key(a).localeCompare(key(b)))) byNs.set(t.namespace, [...(byNs.get(t.namespace) ?? []), t]);
      if (!tables.length) {
        show(tree, emptyState(`No tables at ${ref}.`, 'Create one with createTable, or pick another ref.'));
        show(page);
        return;
      }
      const href = (name: string) => `#/tables/${encodeURIComponent(ref!)}/${encodeURIComponent(name)}`;
      show(
        tree,
        h(
          'ul',
          { class: 'tree' },
          [...byNs].map(([ns, ts]) =>
            h(
              'li',
              {},
              h('span', { class: 'ns' }, ns),
              h('ul', {}, ts.map((t) => h('li', {}, h('a', { href: href(key(t)), 'aria-current': key(t) === tableParam ? 'page' : null }, t.name)))),
            ),
          ),
        ),
      );
      if (tableParam) {
        cleanupPage = tablePage(page, ref!, tableParam, section ?? 'schema', ctx);
      } else show(page, emptyState('Pick a table on the left.', `${tables.length} table${tables.length === 1 ? '' : 's'} in ${byNs.size} namespace${byNs.size === 1 ? '' : 's'} at ${ref}.`));
    })();

    return () => {
      stopped = true;
      cleanupPage?.();
    };
  },
};
