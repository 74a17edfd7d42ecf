/**
 * An Export menu (the SQL view's result, the Tables view's rows): a query or a table at a ref as CSV,
 * Parquet or an Arrow IPC stream. It asks Query.export for a short-lived signed link (`/exports/<token>`, every row, no row
 * cap) and downloads it with an `<a download>` click. A menu button: Enter, Space or ArrowDown opens
 * it, the arrows move, Escape closes it; it is disabled with the reason until there is a result, or
 * when the role may not export.
 */
import type { ApiError } from './api.js';
import { disableWithReason, h, show } from './ui.js';
import type { ViewContext } from './views/view.js';
import './export-menu.css';

/** What to export: a query, or a table with the where and orderBy of Table.rows. */
export type ExportSource =
  | { ref: string; sql: string; engine: string | null }
  | { ref: string; table: string; where: unknown; orderBy: unknown };

export interface ExportMenu {
  element: HTMLElement;
  /** What the last export did (preparing, downloading, its error), to place near the editor. */
  note: HTMLElement;
  /** On, or off with the reason shown (the default: nothing to export yet). */
  setEnabled(on: boolean, reason?: string): void;
  close(): void;
}

const FORMATS = [
  { format: 'CSV', label: 'CSV (with a header row)' },
  { format: 'PARQUET', label: 'Parquet' },
  { format: 'ARROW', label: 'Arrow IPC stream' },
] as const;

const EXPORT = `query ConsoleExport($ref: String!, $sql: String, $table: String, $where: JSON, $orderBy: [OrderByInput!], $format: ExportFormat!) {
  export(ref: $ref, sql: $sql, table: $table, where: $where, orderBy: $orderBy, format: $format) { url fileName commitHash expiresAt }
}`;

/**
 * `id` names the button (`<id>`) and its menu (`<id>-menu`); `noSource` is the reason shown while
 * there is nothing to export.
 */
export function exportMenu(ctx: ViewContext, id: string, noSource: string, source: () => ExportSource | null): ExportMenu {
  const button = h('button', { type: 'button', class: 'secondary', id, 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': `${id}-menu` }, 'Export ▾');
  const items = FORMATS.map((f) => h('button', { type: 'button', role: 'menuitem', tabindex: '-1', 'data-format': f.format }, f.label));
  const menu = h('div', { class: 'menu', role: 'menu', id: `${id}-menu`, 'aria-label': 'Export format', hidden: true }, items);
  const note = h('p', { class: 'export-note muted', role: 'status', 'aria-live': 'polite' });
  const element = h('span', { class: 'export-menu' }, button, menu);
  const roleReason = ctx.denied('analyst', 'Exporting');

  function setEnabled(on: boolean, reason?: string): void {
    button.disabled = false;
    button.removeAttribute('title');
    button.removeAttribute('aria-description');
    delete button.dataset.disabledReason;
    disableWithReason(button, roleReason ?? (on ? null : (reason ?? noSource)));
    if (button.disabled) close();
  }

  function open(focus: number): void {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    items[focus]?.focus();
  }

  function close(returnFocus = false): void {
    if (menu.hidden) return;
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (returnFocus) button.focus();
  }

  button.addEventListener('click', () => (menu.hidden ? open(0) : close()));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      open(e.key === 'ArrowDown' ? 0 : items.length - 1);
    }
  });
  menu.addEventListener('keydown', (e) => {
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]!.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1]!.focus();
    } else if (e.key === 'Tab') close();
  });
  element.addEventListener('focusout', (e) => {
    if (!element.contains(e.relatedTarget as Node | null)) close();
  });
  for (const item of items) item.addEventListener('click', () => void download(item.dataset.format!));

  async function download(format: string): Promise<void> {
    close(true);
    const src = source();
    if (!src) return;
    const label = format === 'ARROW' ? 'Arrow' : format === 'PARQUET' ? 'Parquet' : 'CSV';
    button.disabled = true;
    show(note, `Preparing the ${label} export…`);
    try {
      const vars = 'sql' in src ? { ref: src.ref, sql: src.sql, format } : { ref: src.ref, table: src.table, where: src.where, orderBy: src.orderBy, format };
      const d = await ctx.api.request<{ export: { url: string; fileName: string; commitHash: string } }>(EXPORT, vars);
      const a = h('a', { href: d.export.url, download: d.export.fileName, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      show(note, `Downloading ${d.export.fileName}${'sql' in src && src.engine === 'TRINO' ? ' (exports run on DuckDB)' : ''}.`);
    } catch (e) {
      const err = e as ApiError;
      show(note, h('span', { class: 'bad', role: 'alert' }, `Export failed: ${err.message}`, err.code ? ` (${err.code})` : ''));
    } finally {
      setEnabled(source() !== null);
    }
  }

  setEnabled(false);
  return { element, note, setEnabled, close: () => close() };
}
