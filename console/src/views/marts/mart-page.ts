/**
 * One mart: where it was published from (ref, commit, table, snapshot, and the run whose merge
 * commit it is), a chart when it is a time series (a date or timestamp column and numbers), and its
 * rows with filters and an order. The chart and the table show the same filtered rows. A new
 * publish (martUpdated) reloads the page's data.
 */
import { dataTable, emptyState, errorState, formatTime, h, loading, shortHash, show } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { defaultSeries, martChart, numericColumns, timeColumn, type ChartHandle, type MartColumn } from './chart.js';
import { filterBar } from './filters.js';

interface Publication {
  ref: string;
  commitHash: string;
  table: string;
  snapshotId: string;
  publishedAt: string;
}

interface MartInfo {
  name: string;
  rowCount: string;
  columns: MartColumn[];
  publishedFrom: Publication;
}

type Row = Record<string, unknown>;
interface RowPage {
  rows: Row[];
  totalCount: string | null;
  pageInfo: { endCursor: string | null; hasNextPage: boolean };
}

const PAGE = 100;
/** The chart reads at most this many rows (pages of 1,000). */
const CHART_MAX = 10_000;
const ROWS_QUERY = 'query($name: String!, $where: JSON, $orderBy: [OrderByInput!], $first: Int, $after: String) { mart(name: $name) { rows(where: $where, orderBy: $orderBy, first: $first, after: $after) { rows totalCount pageInfo { endCursor hasNextPage } } } }';

export function renderMartPage(root: HTMLElement, name: string, ctx: ViewContext): () => void {
  let stopped = false;
  let chart: ChartHandle | undefined;
  let unsubscribe: () => void = () => undefined;
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: '#/marts' }, 'Marts'), ' / ', name);
  show(root, crumbs, loading(`Loading ${name}`));

  async function load(): Promise<void> {
    let mart: MartInfo | null;
    try {
      mart = (await ctx.api.request<{ mart: MartInfo | null }>('query($name: String!) { mart(name: $name) { name rowCount columns { name type nullable } publishedFrom { ref commitHash table snapshotId publishedAt } } }', { name })).mart;
    } catch (e) {
      if (!stopped) show(root, crumbs, errorState(e));
      return;
    }
    if (stopped) return;
    if (!mart) {
      show(root, crumbs, emptyState(`There is no mart named ${name}`, 'Marts are the tables of the marts namespace, published with publishMarts or by a pipeline run; the list has every published one.'));
      return;
    }
    draw(mart);
  }

  function draw(mart: MartInfo): void {
    chart?.destroy();
    chart = undefined;
    const updated = h('span', { class: 'muted live-note', role: 'status' });
    const lineage = h('div', { class: 'panel lineage' });
    drawLineage(lineage, mart.publishedFrom);

    const x = timeColumn(mart.columns);
    const nums = numericColumns(mart.columns);
    const chartBox = h('section', { 'aria-labelledby': 'chart-h', class: 'chart-section' });
    let chartControls: { left: HTMLSelectElement; right: HTMLSelectElement } | undefined;
    if (x && nums.length) {
      const [first, second] = defaultSeries(mart.columns);
      const left = h('select', { id: 'chart-left', class: 'chart-left' }, nums.map((c) => h('option', { value: c.name, selected: c.name === first }, c.name)));
      const right = h('select', { id: 'chart-right', class: 'chart-right' }, h('option', { value: '' }, 'none'), nums.map((c) => h('option', { value: c.name, selected: c.name === second }, c.name)));
      chartControls = { left, right };
      chart = martChart(`Chart of ${mart.name}`);
      const status = h('p', { class: 'muted chart-status', role: 'status' });
      show(
        chartBox,
        h('h2', { id: 'chart-h' }, 'Over time'),
        h('div', { class: 'toolbar' }, h('label', { for: 'chart-left' }, 'Left axis'), left, h('label', { for: 'chart-right' }, 'Right axis'), right, status),
        h('div', { class: 'panel' }, chart.element),
      );
      left.addEventListener('change', () => void loadChart());
      right.addEventListener('change', () => void loadChart());
    }

    const orderColumn = h('select', { id: 'order-column' }, mart.columns.map((c) => h('option', { value: c.name, selected: c.name === (x?.name ?? mart.columns[0]?.name) }, c.name)));
    const orderDirection = h('select', { id: 'order-direction', 'aria-label': 'Order direction' }, h('option', { value: 'ASC' }, 'ascending'), h('option', { value: 'DESC' }, 'descending'));
    const filters = filterBar(mart.columns, () => void reload());
    const whereNote = h('p', { class: 'muted where-note' });
    const tableBox = h('div', { class: 'mart-rows' });
    orderColumn.addEventListener('change', () => void loadRows());
    orderDirection.addEventListener('change', () => void loadRows());

    show(
      root,
      crumbs,
      h('div', { class: 'mart-head' }, h('h1', {}, mart.name), h('span', { class: 'muted' }, `${mart.rowCount} rows · ${mart.columns.length} columns`), updated),
      h('section', { 'aria-labelledby': 'lineage-h' }, h('h2', { id: 'lineage-h' }, 'Published from'), lineage),
      chartControls ? chartBox : null,
      h(
        'section',
        { 'aria-labelledby': 'rows-h' },
        h('h2', { id: 'rows-h' }, 'Rows'),
        filters.element,
        h('div', { class: 'toolbar' }, h('label', { for: 'order-column' }, 'Order by'), orderColumn, orderDirection),
        whereNote,
        tableBox,
      ),
    );

    let rows: Row[] = [];
    let endCursor: string | null = null;
    let seq = 0;

    async function loadRows(more = false): Promise<void> {
      const mine = ++seq;
      const where = filters.where();
      whereNote.replaceChildren('where: ', h('code', { class: 'where-json' }, where ? JSON.stringify(where) : 'none (every row)'));
      if (!more) show(tableBox, loading('Loading rows'));
      try {
        const page = (await ctx.api.request<{ mart: { rows: RowPage } | null }>(ROWS_QUERY, { name, where, orderBy: [{ column: orderColumn.value, direction: orderDirection.value }], first: PAGE, after: more ? endCursor : null })).mart?.rows;
        if (stopped || mine !== seq) return;
        if (!page) {
          show(tableBox, emptyState('This mart is gone', 'It was not in the last publish.'));
          return;
        }
        rows = more ? [...rows, ...page.rows] : page.rows;
        endCursor = page.pageInfo.endCursor;
        const total = page.totalCount;
        if (!rows.length) {
          show(tableBox, emptyState(where ? 'No rows match these filters' : 'This mart has no rows', where ? 'Change or remove a filter.' : undefined));
          return;
        }
        show(
          tableBox,
          h('p', { class: 'muted row-count', 'data-total': total ?? '' }, total !== null ? `${total} row${total === '1' ? '' : 's'}${where ? ' match' : ''}; showing ${rows.length}` : `showing ${rows.length}`),
          h('div', { class: 'table-scroll' }, dataTable(mart.columns.map((c) => c.name), rows, `Rows of ${mart.name}`)),
          page.pageInfo.hasNextPage ? h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'secondary', onclick: () => void loadRows(true) }, `Load ${PAGE} more`)) : null,
        );
      } catch (e) {
        if (!stopped && mine === seq) show(tableBox, errorState(e));
      }
    }

    let chartSeq = 0;
    async function loadChart(): Promise<void> {
      if (!chart || !x || !chartControls) return;
      const mine = ++chartSeq;
      const status = chartBox.querySelector<HTMLElement>('.chart-status')!;
      status.textContent = 'Loading…';
      try {
        const all: Row[] = [];
        let after: string | null = null;
        do {
          const page: RowPage | undefined = (await ctx.api.request<{ mart: { rows: RowPage } | null }>(ROWS_QUERY, { name, where: filters.where(), orderBy: [{ column: x.name, direction: 'ASC' }], first: 1000, after })).mart?.rows;
          if (!page) break;
          all.push(...page.rows);
          after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
        } while (after && all.length < CHART_MAX);
        if (stopped || mine !== chartSeq) return;
        chart.setRows(all, x.name, [chartControls.left.value, chartControls.right.value || null]);
        status.textContent = all.length ? `${all.length} points${after ? ` (the first ${CHART_MAX})` : ''}` : 'No rows to draw';
      } catch (e) {
        if (!stopped && mine === chartSeq) status.textContent = `The chart could not load: ${(e as Error).message}`;
      }
    }

    function reload(): Promise<unknown> {
      return Promise.all([loadRows(), loadChart()]);
    }
    void reload();

    unsubscribe();
    unsubscribe = ctx.api.subscribe<{ martUpdated: MartInfo }>(
      'subscription($name: String) { martUpdated(name: $name) { name rowCount columns { name type nullable } publishedFrom { ref commitHash table snapshotId publishedAt } } }',
      { name },
      ({ martUpdated: m }) => {
        if (stopped) return;
        const sameColumns = JSON.stringify(m.columns) === JSON.stringify(mart.columns);
        mart = m;
        if (!sameColumns) return draw(m); // the filters and chart depend on the columns
        drawLineage(lineage, m.publishedFrom);
        root.querySelector('.mart-head > .muted')!.textContent = `${m.rowCount} rows · ${m.columns.length} columns`;
        updated.textContent = `republished ${formatTime(m.publishedFrom.publishedAt)}`;
        void reload();
      },
      () => undefined, // live updates are a convenience here; the page still works without them
    );
  }

  function drawLineage(box: HTMLElement, p: Publication): void {
    const runSlot = h('dd', { class: 'lineage-run' }, h('span', { class: 'muted' }, 'looking…'));
    show(
      box,
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Reference'),
        h('dd', {}, h('code', { class: 'lineage-ref' }, p.ref)),
        h('dt', {}, 'Commit'),
        h('dd', {}, h('code', { class: 'lineage-commit', title: p.commitHash }, shortHash(p.commitHash))),
        h('dt', {}, 'Table'),
        h('dd', {}, h('a', { href: `#/tables/${encodeURIComponent(`${p.ref}@${p.commitHash}`)}/${encodeURIComponent(p.table)}`, class: 'lineage-table' }, p.table)),
        h('dt', {}, 'Snapshot'),
        h('dd', {}, h('code', {}, p.snapshotId)),
        h('dt', {}, 'Published'),
        h('dd', {}, formatTime(p.publishedAt)),
        h('dt', {}, 'Run'),
        runSlot,
      ),
    );
    // A pipeline run's merge commit names the run (run_id) in its properties.
    void ctx.api
      .request<{ commit: { message: string; author: string; properties: Record<string, string> } | null }>('query($hash: String!) { commit(hash: $hash) { message author properties } }', { hash: p.commitHash })
      .then(({ commit }) => {
        const runId = commit?.properties?.run_id;
        show(
          runSlot,
          runId
            ? h('a', { href: `#/runs/${runId}`, class: 'mono' }, `${commit!.properties.pipeline ?? 'run'} ${runId.slice(0, 8)}`)
            : h('span', { class: 'muted' }, commit ? `none: published by hand (${commit.message})` : 'unknown (the commit is not readable)'),
        );
      })
      .catch(() => show(runSlot, h('span', { class: 'muted' }, 'unknown (the commit is not readable)')));
  }

  void load();
  return () => {
    stopped = true;
    chart?.destroy();
    unsubscribe();
  };
}
