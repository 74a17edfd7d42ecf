/** The Maintenance view's first page: every plan, newest first (paged), and the form for a new one. */
import type { ApiError } from '../../api.js';
import { emptyState, errorState, formatBytes, formatTime, h, loading, show } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { KIND_NAMES, statusBadge, type PlanSummary } from './common.js';
import { planForm } from './form.js';

const PLANS = `query ConsoleMaintenancePlans($after: String) {
  maintenancePlans(first: 25, after: $after) { nodes { id kind status table branch createdAt createdBy fileCountToDelete bytesToReclaim deletedFiles } endCursor hasNextPage }
}`;

export function listPage(root: HTMLElement, ctx: ViewContext): () => void {
  let stopped = false;
  const list = h('section', { class: 'plans', 'aria-labelledby': 'plans-title' });
  const refresh = h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh');
  show(
    root,
    h('div', { class: 'toolbar' }, h('h1', {}, 'Maintenance'), h('span', { class: 'spacer' }), refresh),
    h('p', { class: 'muted lead' }, 'Plans to expire snapshots, remove orphan files or compact small files. Each lists what it would delete and what pins the files it keeps; nothing changes until it is executed.'),
    h('div', { class: 'columns maintenance-columns' }, planForm(ctx), list),
  );

  async function load(): Promise<void> {
    show(list, h('h2', { id: 'plans-title' }, 'Plans'), loading('Loading plans'));
    try {
      const rows: PlanSummary[] = [];
      let after: string | null = null;
      const page = async (): Promise<boolean> => {
        const d: { maintenancePlans: { nodes: PlanSummary[]; endCursor: string | null; hasNextPage: boolean } } = await ctx.api.request(PLANS, { after });
        rows.push(...d.maintenancePlans.nodes);
        after = d.maintenancePlans.endCursor;
        return d.maintenancePlans.hasNextPage;
      };
      let more = await page();
      if (stopped) return;
      const body = h('tbody');
      const draw = (from: number) => body.append(...rows.slice(from).map(row));
      draw(0);
      const moreButton = h('button', { type: 'button', class: 'secondary' }, 'Show older plans');
      moreButton.addEventListener('click', async () => {
        const from = rows.length;
        moreButton.disabled = true;
        more = await page().catch((e) => {
          moreButton.replaceWith(errorState(e as ApiError));
          return false;
        });
        draw(from);
        moreButton.disabled = false;
        moreButton.hidden = !more;
      });
      moreButton.hidden = !more;
      show(
        list,
        h('h2', { id: 'plans-title' }, 'Plans'),
        rows.length === 0
          ? emptyState('No maintenance plans yet', 'Make one with the form: a plan lists what it would do and changes nothing until it is executed.')
          : h(
              'div',
              { class: 'table-scroll' },
              h(
                'table',
                { class: 'data plans-table' },
                h('thead', {}, h('tr', {}, ['Plan', 'Status', 'Table', 'Branch', 'Files to delete', 'Bytes', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
                body,
              ),
            ),
        moreButton,
      );
    } catch (e) {
      if (!stopped) show(list, h('h2', { id: 'plans-title' }, 'Plans'), errorState(e as ApiError));
    }
  }

  function row(p: PlanSummary): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-plan': p.id },
      h('td', {}, h('a', { href: `#/maintenance/plan/${encodeURIComponent(p.id)}` }, KIND_NAMES[p.kind] ?? p.kind)),
      h('td', {}, statusBadge(p.status)),
      h('td', { class: 'mono' }, p.table),
      h('td', { class: 'mono' }, p.branch),
      h('td', { class: 'num' }, p.status === 'SUCCEEDED' && p.kind !== 'COMPACTION' ? `${p.deletedFiles} deleted` : String(p.fileCountToDelete)),
      h('td', { class: 'num' }, formatBytes(p.bytesToReclaim)),
      h('td', { class: 'created' }, formatTime(p.createdAt), h('span', { class: 'muted' }, ` by ${p.createdBy}`)),
    );
  }

  void load();
  return () => {
    stopped = true;
  };
}
