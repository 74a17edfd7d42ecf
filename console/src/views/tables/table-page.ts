/**
 * One table at a ref, in sections (tabs): its schema with field ids, its snapshot timeline, its rows
 * (first N, where and orderBy as Table.rows takes them, at the head, a snapshot or a time), a
 * comparison of two versions (compareTable: schema by field id and data), and its health.
 */
import { h, show, loading, errorState, emptyState, dataTable, formatTime, formatBytes } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { exportMenu, type ExportSource } from '../../export-menu.js';

interface Field {
  id: number;
  name: string;
  type: string;
  required: boolean;
  doc: string | null;
}
interface Snapshot {
  snapshotId: string;
  parentSnapshotId: string | null;
  timestamp: string;
  operation: string;
  addedRows: string | null;
  totalRows: string | null;
  summary: Record<string, string>;
}
interface TableInfo {
  name: string;
  namespace: string;
  ref: string;
  commitHash: string;
  formatVersion: number;
  location: string;
  currentSnapshot: { snapshotId: string } | null;
  stats: { rowCount: string; fileCount: number; totalBytes: string };
  schema: { schemaId: number; fields: Field[] };
  snapshots: { nodes: Snapshot[]; pageInfo: { hasNextPage: boolean } };
}

const SECTIONS = [
  ['schema', 'Schema'],
  ['snapshots', 'Snapshots'],
  ['rows', 'Rows'],
  ['compare', 'Compare'],
  ['health', 'Health'],
] as const;
type Section = (typeof SECTIONS)[number][0];

const num = (v: string | number | null | undefined) => (v === null || v === undefined ? '—' : Number(v).toLocaleString('en-US'));

export function tablePage(root: HTMLElement, ref: string, name: string, initial: string, ctx: ViewContext): () => void {
  let stopped = false;
  show(root, loading(`Loading ${name}`));
  void (async () => {
    let t: TableInfo | null;
    try {
      const d = await ctx.api.request<{ table: TableInfo | null }>(
        `query TablePage($name: String!, $ref: String) { table(name: $name, ref: $ref) {
          name namespace ref commitHash formatVersion location currentSnapshot { snapshotId }
          stats { rowCount fileCount totalBytes } schema { schemaId fields { id name type required doc } }
          snapshots(first: 1000) { nodes { snapshotId parentSnapshotId timestamp operation addedRows totalRows summary } pageInfo { hasNextPage } } } }`,
        { name, ref },
      );
      t = d.table;
    } catch (e) {
      if (!stopped) show(root, errorState(e));
      return;
    }
    if (stopped) return;
    if (!t) {
      show(root, emptyState(`There is no table ${name} at ${ref}.`, 'It may have been dropped, or created on another branch: pick another ref or table.'));
      return;
    }
    render(t);
  })();

  function render(t: TableInfo): void {
    const full = `${t.namespace}.${t.name}`;
    const panels = new Map<Section, HTMLElement>();
    const tabs = new Map<Section, HTMLButtonElement>();
    const built = new Set<Section>();
    const tablist = h('div', { role: 'tablist', 'aria-label': `${full} sections`, class: 'tabs' });
    const select = (s: Section, focus = false) => {
      for (const [id, tab] of tabs) {
        const on = id === s;
        tab.setAttribute('aria-selected', String(on));
        tab.tabIndex = on ? 0 : -1;
        panels.get(id)!.hidden = !on;
      }
      if (!built.has(s)) {
        built.add(s);
        builders[s](panels.get(s)!);
      }
      if (focus) tabs.get(s)!.focus();
      history.replaceState(null, '', `#/tables/${encodeURIComponent(ref)}/${encodeURIComponent(name)}/${s}`);
    };
    for (const [id, label] of SECTIONS) {
      const tab = h('button', { type: 'button', role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, class: 'tab' }, label);
      tab.addEventListener('click', () => select(id));
      tab.addEventListener('keydown', (e) => {
        const i = SECTIONS.findIndex(([s]) => s === id);
        const to = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? SECTIONS.length - 1 : null;
        if (to === null) return;
        e.preventDefault();
        select(SECTIONS[(to + SECTIONS.length) % SECTIONS.length]![0], true);
      });
      tabs.set(id, tab);
      tablist.append(tab);
      panels.set(id, h('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, class: 'tab-panel', hidden: true }));
    }

    const rowsApi = rowsSection(t, ctx);
    const builders: Record<Section, (el: HTMLElement) => void> = {
      schema: (el) =>
        show(
          el,
          h('p', { class: 'muted' }, `Schema ${t.schema.schemaId} · ${t.schema.fields.length} fields · Iceberg format v${t.formatVersion}`),
          dataTable(
            ['field id', 'name', 'type', 'required', 'doc'],
            t.schema.fields.map((f) => ({ 'field id': f.id, name: f.name, type: f.type, required: f.required ? 'required' : 'optional', doc: f.doc ?? '' })),
            `Columns of ${full}`,
          ),
        ),
      snapshots: (el) => show(el, snapshotTimeline(t, (id) => {
        select('rows');
        rowsApi.showAt(id);
      })),
      rows: (el) => show(el, rowsApi.el),
      compare: (el) => show(el, compareSection(t, ref, name, ctx)),
      health: (el) => show(el, healthSection(ref, name, ctx)),
    };

    show(
      root,
      h(
        'header',
        { class: 'table-head' },
        h('h2', {}, full, ' ', h('span', { class: 'badge' }, `at ${t.ref}`)),
        h(
          'p',
          { class: 'muted' },
          `${num(t.stats.rowCount)} rows · ${t.stats.fileCount} files · ${formatBytes(t.stats.totalBytes)} · ${t.snapshots.nodes.length}${t.snapshots.pageInfo.hasNextPage ? '+' : ''} snapshots · commit `,
          h('code', {}, t.commitHash.slice(0, 12)),
        ),
      ),
      tablist,
      [...panels.values()],
    );
    select(SECTIONS.some(([s]) => s === initial) ? (initial as Section) : 'schema');
  }

  return () => {
    stopped = true;
  };
}

function snapshotTimeline(t: TableInfo, showRows: (snapshotId: string) => void): HTMLElement {
  if (!t.snapshots.nodes.length) return emptyState('This table has no snapshots yet.', 'Append rows to it and each write appears here.');
  const current = t.currentSnapshot?.snapshotId;
  return h(
    'div',
    {},
    h('p', { class: 'muted' }, `${t.snapshots.nodes.length}${t.snapshots.pageInfo.hasNextPage ? '+' : ''} snapshots, newest first.`),
    h(
      'ol',
      { class: 'timeline', 'aria-label': 'Snapshots, newest first' },
      t.snapshots.nodes.map((s) => {
        const summary = ['deleted-records', 'added-data-files', 'removed-data-files', 'total-data-files', 'added-files-size']
          .filter((k) => s.summary[k] !== undefined)
          .map((k) => `${k} ${k.endsWith('size') ? formatBytes(s.summary[k]!) : num(s.summary[k])}`)
          .join(' · ');
        return h(
          'li',
          { 'data-snapshot-id': s.snapshotId },
          h('span', { class: `dot${s.snapshotId === current ? ' current' : ''}`, 'aria-hidden': 'true' }),
          h(
            'div',
            { class: 'snap' },
            h('div', {}, h('span', { class: 'badge op' }, s.operation), ' ', h('code', {}, s.snapshotId), s.snapshotId === current ? h('span', { class: 'badge ok' }, 'current') : null, ' ', h('time', { datetime: s.timestamp, class: 'muted' }, formatTime(s.timestamp))),
            h('div', { class: 'muted small' }, `${num(s.totalRows)} rows${s.addedRows ? ` (+${num(s.addedRows)})` : ''}${summary ? ` · ${summary}` : ''}`),
          ),
          h('button', { type: 'button', class: 'ghost small', 'aria-label': `Rows at snapshot ${s.snapshotId}`, onclick: () => showRows(s.snapshotId) }, 'Rows'),
        );
      }),
    ),
  );
}

let fieldIds = 0;
function field(label: string, control: HTMLElement, cls = ''): HTMLElement {
  const id = (control.id ||= `tables-f${++fieldIds}`);
  return h('span', { class: `field ${cls}` }, h('label', { for: id }, label), control);
}

function rowsSection(t: TableInfo, ctx: ViewContext): { el: HTMLElement; showAt(snapshotId: string): void } {
  const full = `${t.namespace}.${t.name}`;
  const at = h('select', {}, h('option', { value: 'head' }, `the head of ${t.ref}`), h('option', { value: 'snapshot' }, 'a snapshot'), h('option', { value: 'time' }, 'a time'));
  const snap = h(
    'select',
    {},
    t.snapshots.nodes.map((s) => h('option', { value: s.snapshotId }, `${s.snapshotId} · ${formatTime(s.timestamp)} · ${num(s.totalRows)} rows`)),
  );
  const time = h('input', { type: 'datetime-local', step: '1' });
  const snapField = field('Snapshot', snap, 'when-snapshot');
  const timeField = field('Time (yours)', time, 'when-time');
  const where = h('textarea', { rows: 2, spellcheck: 'false', placeholder: '{ "sgv": { "_lt": 70 } }  (the where of Table.rows; empty: every row)' });
  const orderCol = h('select', {}, h('option', { value: '' }, '(table order)'), t.schema.fields.map((f) => h('option', { value: f.name }, f.name)));
  const orderDir = h('select', {}, h('option', { value: 'ASC' }, 'ascending'), h('option', { value: 'DESC' }, 'descending'));
  const first = h('input', { type: 'number', min: 1, max: 1000, value: 50, class: 'narrow' });
  const out = h('div', { class: 'rows-out', 'aria-live': 'polite' });
  const run = h('button', { type: 'submit' }, 'Show rows');
  const sync = () => {
    snapField.hidden = at.value !== 'snapshot';
    timeField.hidden = at.value !== 'time';
  };
  at.addEventListener('change', sync);
  sync();

  let pages: (string | null)[] = [null];
  let latest = 0;
  // Export takes what the rows shown were read with (every row, not just the page), at the head only:
  // a link is pinned to the commit and snapshot the ref has when it is made.
  let exportable: ExportSource | null = null;
  const exports = exportMenu(ctx, 'rows-export', 'Show rows first: Export downloads every row that matches.', () => exportable);
  const load = async (after: string | null) => {
    const mine = ++latest;
    let whereValue: unknown = undefined;
    if (where.value.trim()) {
      try {
        whereValue = JSON.parse(where.value);
      } catch (e) {
        show(out, h('p', { class: 'state error', role: 'alert' }, `The filter is not JSON: ${(e as Error).message}. Write it as the where of Table.rows, e.g. { "sgv": { "_lt": 70 } }.`));
        where.focus();
        return;
      }
    }
    const n = Number(first.value);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      show(out, h('p', { class: 'state error', role: 'alert' }, 'Rows to show must be a whole number from 1 to 1,000.'));
      first.focus();
      return;
    }
    let asOf: string | null = null;
    if (at.value === 'time') {
      const d = new Date(time.value);
      if (!time.value || Number.isNaN(d.getTime())) {
        show(out, h('p', { class: 'state error', role: 'alert' }, 'Pick the time to read the table at.'));
        time.focus();
        return;
      }
      asOf = d.toISOString();
    }
    const vars = {
      name: full,
      ref: t.ref,
      first: n,
      after,
      where: whereValue ?? null,
      orderBy: orderCol.value ? [{ column: orderCol.value, direction: orderDir.value }] : null,
      snapshotId: at.value === 'snapshot' ? snap.value : null,
      asOf,
    };
    show(out, loading('Reading rows'));
    try {
      const d = await ctx.api.request<{ table: { rows: { columns: string[]; rows: Record<string, unknown>[]; totalCount: string | null; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } | null }>(
        `query TableRows($name: String!, $ref: String, $first: Int, $after: String, $where: JSON, $orderBy: [OrderByInput!], $snapshotId: BigInt, $asOf: DateTime) {
          table(name: $name, ref: $ref) { rows(first: $first, after: $after, where: $where, orderBy: $orderBy, snapshotId: $snapshotId, asOf: $asOf) { columns rows totalCount pageInfo { hasNextPage endCursor } } } }`,
        vars,
      );
      if (mine !== latest) return; // a newer request is on its way
      const page = d.table?.rows;
      exportable = page && at.value === 'head' ? { ref: t.ref, table: full, where: vars.where, orderBy: vars.orderBy } : null;
      exports.setEnabled(exportable !== null, page ? `Export reads the head of ${t.ref}: choose “the head of ${t.ref}” under At to export.` : undefined);
      if (!page) {
        show(out, emptyState(`${full} is not at ${t.ref} any more.`));
        return;
      }
      const atText = at.value === 'snapshot' ? `at snapshot ${snap.value}` : at.value === 'time' ? `as of ${formatTime(asOf)}` : `at the head of ${t.ref}`;
      const index = pages.indexOf(after);
      const prevCursor = index > 0 ? pages[index - 1]! : null;
      const caption = page.rows.length
        ? `Rows ${index * n + 1}–${index * n + page.rows.length}${page.totalCount !== null ? ` of ${num(page.totalCount)}` : ''} ${atText}`
        : `No rows ${atText}`;
      const nav = h('div', { class: 'toolbar' });
      if (index > 0) nav.append(h('button', { type: 'button', class: 'secondary', onclick: () => void load(prevCursor) }, 'Previous page'));
      if (page.pageInfo.hasNextPage)
        nav.append(
          h('button', {
            type: 'button',
            class: 'secondary',
            onclick: () => {
              pages = [...pages.slice(0, index + 1), page.pageInfo.endCursor];
              void load(page.pageInfo.endCursor);
            },
          }, 'Next page'),
        );
      show(
        out,
        h('p', { class: 'rows-caption', role: 'status' }, caption),
        page.rows.length
          ? h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Rows' }, dataTable(page.columns, page.rows))
          : emptyState('No rows match.', whereValue ? 'Loosen the filter, or read another version.' : 'This version of the table is empty.'),
        nav,
      );
    } catch (e) {
      if (mine !== latest) return;
      show(out, errorState(e));
      exportable = null;
      exports.setEnabled(false);
    }
  };

  const form = h(
    'form',
    {
      class: 'rows-form',
      onsubmit: (e: Event) => {
        e.preventDefault();
        pages = [null];
        void load(null);
      },
    },
    h('div', { class: 'toolbar' }, field('At', at), snapField, timeField, field('Order by', orderCol), field('Direction', orderDir), field('First', first), run, exports.element),
    field('Where', where, 'wide'),
  );
  where.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  return {
    el: h('div', {}, form, exports.note, out),
    showAt(snapshotId) {
      at.value = 'snapshot';
      snap.value = snapshotId;
      sync();
      form.requestSubmit();
    },
  };
}

function compareSection(t: TableInfo, ref: string, name: string, ctx: ViewContext): HTMLElement {
  const oldest = t.snapshots.nodes[t.snapshots.nodes.length - 1];
  const from = h('input', { type: 'text', spellcheck: 'false', value: oldest ? `${ref}#${oldest.snapshotId}` : `${ref}~1` });
  const to = h('input', { type: 'text', spellcheck: 'false', value: ref });
  const sample = h('input', { type: 'number', min: 0, max: 100, value: 5, class: 'narrow' });
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    {
      class: 'toolbar',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        show(out, loading('Comparing'));
        try {
          const d = await ctx.api.request<{
            compareTable: {
              schema: { addedColumns: Field[]; removedColumns: Field[]; renamedColumns: { id: number; from: string; to: string }[]; typeChanges: { id: number; name: string; from: string; to: string }[] };
              data: { fromRows: string; toRows: string; rowsAdded: string; rowsRemoved: string; sampleAdded: Record<string, unknown>[]; sampleRemoved: Record<string, unknown>[] };
            };
          }>(
            `query Compare($name: String!, $from: String!, $to: String!, $n: Int) { compareTable(name: $name, from: $from, to: $to, sampleSize: $n) {
              schema { addedColumns { id name type required doc } removedColumns { id name type required doc } renamedColumns { id from to } typeChanges { id name from to } }
              data { fromRows toRows rowsAdded rowsRemoved sampleAdded sampleRemoved } } }`,
            { name, from: from.value.trim(), to: to.value.trim(), n: Number(sample.value) || 0 },
          );
          const { schema: s, data } = d.compareTable;
          const schemaChanges = [
            ...s.addedColumns.map((c) => ({ change: 'added', 'field id': c.id, column: c.name, detail: c.type })),
            ...s.removedColumns.map((c) => ({ change: 'removed', 'field id': c.id, column: c.name, detail: c.type })),
            ...s.renamedColumns.map((c) => ({ change: 'renamed', 'field id': c.id, column: c.to, detail: `was ${c.from}` })),
            ...s.typeChanges.map((c) => ({ change: 'type', 'field id': c.id, column: c.name, detail: `${c.from} → ${c.to}` })),
          ];
          show(
            out,
            h('h3', {}, 'Schema'),
            schemaChanges.length ? dataTable(['change', 'field id', 'column', 'detail'], schemaChanges) : h('p', { class: 'muted' }, 'The same columns (by field id) in both.'),
            h('h3', {}, 'Data'),
            h(
              'dl',
              { class: 'figures' },
              [['rows before', data.fromRows], ['rows after', data.toRows], ['added', data.rowsAdded], ['removed', data.rowsRemoved]].map(([k, v]) => h('div', {}, h('dt', {}, k!), h('dd', {}, num(v)))),
            ),
            data.sampleAdded.length ? [h('h3', {}, 'Some added rows'), h('div', { class: 'table-scroll short' }, dataTable(Object.keys(data.sampleAdded[0]!), data.sampleAdded))] : null,
            data.sampleRemoved.length ? [h('h3', {}, 'Some removed rows'), h('div', { class: 'table-scroll short' }, dataTable(Object.keys(data.sampleRemoved[0]!), data.sampleRemoved))] : null,
          );
        } catch (e) {
          show(out, errorState(e));
        }
      },
    },
    field('From', from),
    field('To', to),
    field('Sample rows', sample),
    h('button', { type: 'submit' }, 'Compare'),
  );
  return h('div', {}, h('p', { class: 'muted' }, 'Two versions: ref expressions (main~3, v1.0, dev*2026-01-01T00:00:00Z) or <ref>#<snapshot id>.'), form, out);
}

function healthSection(ref: string, name: string, ctx: ViewContext): HTMLElement {
  const el = h('div', {}, loading('Reading the table’s files'));
  void ctx.api
    .request<{ table: { health: { dataFileCount: number; smallFileCount: number; deleteFileCount: number; snapshotCount: number; oldestSnapshotAt: string | null; averageFileSizeBytes: string; needsCompaction: boolean } } | null }>(
      'query Health($name: String!, $ref: String) { table(name: $name, ref: $ref) { health { dataFileCount smallFileCount deleteFileCount snapshotCount oldestSnapshotAt averageFileSizeBytes needsCompaction } } }',
      { name, ref },
    )
    .then((d) => {
      const hl = d.table?.health;
      if (!hl) return show(el, emptyState(`There is no table ${name} at ${ref}.`));
      show(
        el,
        h(
          'p',
          {},
          hl.needsCompaction
            ? h('span', { class: 'badge warn' }, 'needs compaction')
            : h('span', { class: 'badge ok' }, 'healthy'),
          ' ',
          hl.needsCompaction ? 'Five or more small files, or delete files: plan a compaction in Maintenance.' : 'Few small files and no delete files.',
        ),
        h(
          'dl',
          { class: 'figures' },
          (
            [
              ['data files', num(hl.dataFileCount)],
              ['small files', num(hl.smallFileCount)],
              ['delete files', num(hl.deleteFileCount)],
              ['average file size', formatBytes(hl.averageFileSizeBytes)],
              ['snapshots', num(hl.snapshotCount)],
              ['oldest snapshot', formatTime(hl.oldestSnapshotAt) || '—'],
            ] as const
          ).map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, v))),
        ),
        h('p', { class: 'muted small' }, 'Counted at the current snapshot by Iceberg’s rewrite defaults: a file is small below 75% of write.target-file-size-bytes.'),
      );
    })
    .catch((e) => show(el, errorState(e)));
  return el;
}
