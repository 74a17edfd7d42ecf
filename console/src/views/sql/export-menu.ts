/** The SQL view's Export menu (CSV, Parquet, Arrow) — waits for the API's export field. */
import { h } from '../../ui.js';
import type { ViewContext } from '../view.js';

export interface ExportSource {
  ref: string;
  sql: string;
  engine: string | null;
}

export interface ExportMenu {
  element: HTMLElement;
  setEnabled(on: boolean): void;
  close(): void;
}

export function exportMenu(_ctx: ViewContext, _source: () => ExportSource | null): ExportMenu {
  const element = h('span', { class: 'export-menu' });
  return { element, setEnabled: () => undefined, close: () => undefined };
}
