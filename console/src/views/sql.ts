/**
 * The SQL view: an editor (Ctrl+Enter runs), the ref and engine to run at, the result as a table
 * with its row count and time, the API's error in words, and an export of the result.
 * Route: `#/sql` or `#/sql/<ref>`. The last query, ref and engine are kept in localStorage.
 */
import type { ApiError } from '../api.js';
import { disableWithReason, errorState, h, show } from '../ui.js';
import { refInput } from './sql/ref-input.js';
import { exportMenu } from '../export-menu.js';
import './sql/sql.css';
import type { View } from './view.js';

const QUERY_KEY = 'cascade.sql.query';
const REF_KEY = 'cascade.sql.ref';
const ENGINE_KEY = 'cascade.sql.engine';
const DEFAULT_QUERY = 'SELECT reading_date, reading_count, avg_glucose, pct_low, pct_high\nFROM marts.mrt_glucose_overview\nORDER BY reading_date';
/** Rows drawn in the page; the rest are counted and reachable through an export. */
const SHOWN_ROWS = 2_000;

export interface SqlResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  rowCount: number;
  elapsedMs: number;
  truncated: boolean;
}

const SQL_QUERY = `query ConsoleSql($ref: String!, $query: String!, $engine: SqlEngine) {
  sql(ref: $ref, query: $query, engine: $engine) { columns { name type } rows rowCount elapsedMs truncated }
}`;

export const sqlView: View = {
  id: 'sql',
  title: 'SQL',
  render(root, params, ctx) {
    let stopped = false;
    let runId = 0;
    const ref = refInput(ctx.api, { label: 'Ref', value: params[0] ?? localStorage.getItem(REF_KEY) ?? 'main', id: 'sql-ref' });
    ref.input.title = 'A branch, a tag, or a ref expression such as main~1 or main@<hash>';
    const engine = h('select', { id: 'sql-engine' }, h('option', { value: '' }, 'default engine'));
    const editor = h('textarea', {
      id: 'sql-editor',
      class: 'sql-editor',
      rows: 9,
      spellcheck: 'false',
      autocapitalize: 'off',
      'aria-describedby': 'sql-hint',
    });
    editor.value = localStorage.getItem(QUERY_KEY) ?? DEFAULT_QUERY;
    const runDenied = ctx.denied('analyst', 'Running SQL');
    const runButton = disableWithReason(h('button', { type: 'submit', id: 'sql-run' }, 'Run'), runDenied);
    const status = h('p', { class: 'sql-status muted', role: 'status', 'aria-live': 'polite' }, runDenied ?? '');
    const results = h('section', { class: 'sql-results', 'aria-label': 'Results' });
    let last: { result: SqlResult; ref: string; query: string; engine: string | null } | null = null;

    const exports = exportMenu(ctx, 'sql-export', 'Run a query first: Export downloads its result.', () => (last ? { ref: last.ref, sql: last.query, engine: last.engine } : null));

    void ctx.api
      .request<{ sqlEngines: { engine: string; isDefault: boolean; version: string }[] }>('{ sqlEngines { engine isDefault version } }')
      .then((d) => {
        const saved = localStorage.getItem(ENGINE_KEY);
        show(
          engine,
          d.sqlEngines.map((e) =>
            h('option', { value: e.engine, selected: saved ? saved === e.engine : e.isDefault }, `${engineName(e.engine)} ${e.version}${e.isDefault ? ' (default)' : ''}`),
          ),
        );
      })
      .catch(() => undefined); // the default engine still runs

    async function run(): Promise<void> {
      if (runDenied) return;
      const query = editor.value.trim();
      const at = ref.input.value.trim();
      if (!query) {
        show(results, h('div', { class: 'state error', role: 'alert' }, h('p', { class: 'state-title' }, 'Nothing to run'), h('p', {}, 'Write a SELECT or WITH query in the editor.')));
        editor.focus();
        return;
      }
      if (!at) {
        show(results, h('div', { class: 'state error', role: 'alert' }, h('p', { class: 'state-title' }, 'Which ref?'), h('p', {}, 'Name a branch, a tag or a ref expression (main, v1.0, main~1) to run the query at.')));
        ref.input.focus();
        return;
      }
      localStorage.setItem(QUERY_KEY, editor.value);
      localStorage.setItem(REF_KEY, at);
      localStorage.setItem(ENGINE_KEY, engine.value);
      const mine = ++runId;
      runButton.disabled = true;
      runButton.textContent = 'Running…';
      results.setAttribute('aria-busy', 'true');
      status.textContent = `Running at ${at}…`;
      try {
        const d = await ctx.api.request<{ sql: SqlResult }>(SQL_QUERY, { ref: at, query, engine: engine.value || null });
        if (stopped || mine !== runId) return;
        last = { result: d.sql, ref: at, query, engine: engine.value || null };
        status.textContent = summary(d.sql, at);
        show(results, resultTable(d.sql));
        exports.setEnabled(true);
      } catch (e) {
        if (stopped || mine !== runId) return;
        last = null;
        exports.setEnabled(false);
        status.textContent = 'The query failed.';
        show(results, queryError(e as ApiError));
      } finally {
        if (mine === runId) {
          runButton.disabled = runDenied !== null;
          runButton.textContent = 'Run';
          results.removeAttribute('aria-busy');
        }
      }
    }

    editor.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        if (!runDenied) void run();
      }
    });
    const form = h(
      'form',
      {
        class: 'sql-form panel',
        'aria-label': 'Query',
        onsubmit: (e: Event) => {
          e.preventDefault();
          void run();
        },
      },
      h('div', { class: 'toolbar' }, ref.field, h('span', { class: 'field' }, h('label', { for: 'sql-engine' }, 'Engine'), engine), h('span', { class: 'spacer' }), exports.element, runButton),
      h('label', { for: 'sql-editor', class: 'visually-hidden' }, 'SQL query'),
      editor,
      h('p', { id: 'sql-hint', class: 'muted hint' }, 'One SELECT or WITH; dotted names (raw.entries) are tables at the ref. ', h('kbd', {}, 'Ctrl'), '+', h('kbd', {}, 'Enter'), ' runs.'),
      exports.note,
    );
    show(
      root,
      h('h1', {}, 'SQL'),
      form,
      status,
      results,
    );
    show(results, h('div', { class: 'state empty' }, h('p', { class: 'state-title' }, 'No result yet'), h('p', {}, 'Run the query to see its rows here.')));
    editor.focus();
    return () => {
      stopped = true;
      exports.close();
    };
  },
};

function engineName(e: string): string {
  return e === 'DUCKDB' ? 'DuckDB' : e === 'TRINO' ? 'Trino' : e;
}

function summary(r: SqlResult, ref: string): string {
  const rows = `${r.rowCount.toLocaleString()} ${r.rowCount === 1 ? 'row' : 'rows'}`;
  const time = r.elapsedMs < 1000 ? `${Math.round(r.elapsedMs)} ms` : `${(r.elapsedMs / 1000).toFixed(2)} s`;
  return `${rows}${r.truncated ? ' (truncated at the row limit)' : ''} · ${time} · at ${ref}`;
}

function resultTable(r: SqlResult): HTMLElement {
  if (r.columns.length === 0 || r.rowCount === 0) {
    return h('div', { class: 'state empty' }, h('p', { class: 'state-title' }, 'No rows'), h('p', {}, 'The query ran and returned no rows.'));
  }
  const shown = r.rows.slice(0, SHOWN_ROWS);
  const table = h(
    'table',
    { class: 'data sql-table' },
    h('thead', {}, h('tr', {}, r.columns.map((c) => h('th', { scope: 'col' }, c.name, h('span', { class: 'col-type' }, c.type))))),
    h(
      'tbody',
      {},
      shown.map((row) => h('tr', {}, row.map((v) => cell(v)))),
    ),
  );
  return h(
    'div',
    {},
    h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': 'Result rows' }, table),
    r.rows.length > SHOWN_ROWS ? h('p', { class: 'muted' }, `Showing the first ${SHOWN_ROWS.toLocaleString()} of ${r.rowCount.toLocaleString()} rows; export the result to get them all.`) : null,
  );
}

function cell(v: unknown): HTMLTableCellElement {
  if (v === null || v === undefined) return h('td', { class: 'null' }, 'null');
  if (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v))) return h('td', { class: 'num' }, String(v));
  return h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v));
}

/** The API's error as it is: its message (DuckDB's point at the position) and code. */
function queryError(e: ApiError): HTMLElement {
  if (e.kind !== 'graphql') return errorState(e);
  const title =
    e.code === 'INVALID_INPUT' ? 'The query was refused' : e.code === 'NOT_FOUND' ? 'Not found' : e.code === 'LIMIT_EXCEEDED' ? 'The query went past a limit' : 'The query failed';
  return h(
    'div',
    { class: 'state error sql-error', role: 'alert' },
    h('p', { class: 'state-title' }, title, e.code ? h('code', { class: 'code badge bad' }, e.code) : null),
    h('pre', { class: 'sql-error-message' }, e.message),
  );
}
