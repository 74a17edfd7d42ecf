/** The Marts view's first page: every published mart with its size and where it was published from, kept live by martUpdated. */
import { emptyState, errorState, formatTime, h, loading, shortHash, show } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { timeColumn, type MartColumn } from './chart.js';

interface MartSummary {
  name: string;
  rowCount: string;
  columns: MartColumn[];
  publishedFrom: { ref: string; commitHash: string; table: string; publishedAt: string };
}

const FIELDS = 'name rowCount columns { name type nullable } publishedFrom { ref commitHash table publishedAt }';

export function renderMartList(root: HTMLElement, ctx: ViewContext): () => void {
  let stopped = false;
  const box = h('div', {}, loading('Loading marts'));
  show(root, h('h1', {}, 'Marts'), h('p', { class: 'muted' }, 'Tables of the marts namespace, published to PostgreSQL for dashboards. Open one for its lineage, a chart and its rows.'), box);

  const load = async () => {
    try {
      const { marts } = await ctx.api.request<{ marts: MartSummary[] }>(`{ marts { ${FIELDS} } }`);
      if (stopped) return;
      if (!marts.length) {
        show(box, emptyState('No marts are published yet', 'Publish the tables of the marts namespace with the publishMarts mutation, or run a pipeline that publishes them.'));
        return;
      }
      show(
        box,
        h(
          'table',
          { class: 'data marts-table' },
          h('caption', { class: 'sr-only' }, 'Published marts'),
          h('thead', {}, h('tr', {}, ['Mart', 'Rows', 'Columns', 'Time series by', 'Published from', 'Commit', 'Published'].map((c) => h('th', { scope: 'col' }, c)))),
          h(
            'tbody',
            {},
            marts.map((m) =>
              h(
                'tr',
                { 'data-mart': m.name },
                h('td', {}, h('a', { href: `#/marts/${encodeURIComponent(m.name)}` }, m.name)),
                h('td', { class: 'num' }, m.rowCount),
                h('td', { class: 'num' }, String(m.columns.length)),
                h('td', {}, timeColumn(m.columns)?.name ?? h('span', { class: 'muted' }, 'not a time series')),
                h('td', {}, h('code', {}, m.publishedFrom.ref), ' ', h('span', { class: 'muted' }, m.publishedFrom.table)),
                h('td', {}, h('code', { title: m.publishedFrom.commitHash }, shortHash(m.publishedFrom.commitHash))),
                h('td', {}, formatTime(m.publishedFrom.publishedAt)),
              ),
            ),
          ),
        ),
      );
    } catch (e) {
      if (!stopped) show(box, errorState(e));
    }
  };
  void load();
  const unsubscribe = ctx.api.subscribe('subscription { martUpdated { name } }', {}, () => void load(), () => undefined);
  return () => {
    stopped = true;
    unsubscribe();
  };
}
