/**
 * The filter bar of a mart's rows: conditions (column, operator, value) that make the `where` of
 * Mart.rows — the operator objects of the API (`{ pct_low: { _gt: 0 } }`, several under `_and`).
 */
import { h, show } from '../../ui.js';
import type { MartColumn } from './chart.js';

const OPS: { op: string; label: string; value: 'one' | 'list' | 'none' }[] = [
  { op: '_eq', label: '=', value: 'one' },
  { op: '_neq', label: '≠', value: 'one' },
  { op: '_gt', label: '>', value: 'one' },
  { op: '_gte', label: '≥', value: 'one' },
  { op: '_lt', label: '<', value: 'one' },
  { op: '_lte', label: '≤', value: 'one' },
  { op: '_in', label: 'is one of', value: 'list' },
  { op: '_ilike', label: 'matches (% wildcard)', value: 'one' },
  { op: 'null', label: 'is empty', value: 'none' },
  { op: 'notnull', label: 'is not empty', value: 'none' },
];

/** A value as the API takes it for a column's type: numbers for int/float/double, strings for long/decimal (exact), booleans. */
function typed(type: string, raw: string): unknown {
  const v = raw.trim();
  if (/^(int|float|double)$/.test(type) && v !== '' && Number.isFinite(Number(v))) return Number(v);
  if (type === 'boolean' && (v === 'true' || v === 'false')) return v === 'true';
  return v; // the API says what is wrong with a value that does not fit
}

export interface FilterBar {
  element: HTMLElement;
  /** The where of the conditions filled in, or null for none. */
  where(): Record<string, unknown> | null;
}

export function filterBar(columns: MartColumn[], onApply: () => void): FilterBar {
  const list = h('div', { class: 'filters' });
  let n = 0;
  const rows: { column: HTMLSelectElement; op: HTMLSelectElement; value: HTMLInputElement; el: HTMLElement }[] = [];

  const addRow = () => {
    const i = n++;
    const column = h('select', { 'aria-label': `Filter ${i + 1}: column`, class: 'filter-column' }, columns.map((c) => h('option', { value: c.name }, c.name)));
    const op = h('select', { 'aria-label': `Filter ${i + 1}: operator`, class: 'filter-op' }, OPS.map((o) => h('option', { value: o.op }, o.label)));
    const value = h('input', { type: 'text', 'aria-label': `Filter ${i + 1}: value`, class: 'filter-value', placeholder: 'value' });
    const sync = () => {
      const kind = OPS.find((o) => o.op === op.value)!.value;
      value.hidden = kind === 'none';
      value.placeholder = kind === 'list' ? 'a, b, c' : 'value';
    };
    op.addEventListener('change', sync);
    const row = { column, op, value, el: h('div', { class: 'filter-row' }) };
    const remove = h('button', { type: 'button', class: 'ghost', 'aria-label': `Remove filter ${i + 1}`, onclick: () => {
      rows.splice(rows.indexOf(row), 1);
      row.el.remove();
      onApply();
    } }, '×');
    show(row.el, column, op, value, remove);
    rows.push(row);
    list.append(row.el);
    column.focus();
  };

  const where = (): Record<string, unknown> | null => {
    const conds = rows.flatMap(({ column, op, value }) => {
      const col = columns.find((c) => c.name === column.value)!;
      const spec = OPS.find((o) => o.op === op.value)!;
      if (spec.value === 'none') return [{ [col.name]: { _is_null: op.value === 'null' } }];
      if (value.value.trim() === '') return [];
      if (spec.value === 'list') return [{ [col.name]: { _in: value.value.split(',').map((s) => typed(col.type, s)).filter((s) => s !== '') } }];
      return [{ [col.name]: { [spec.op]: typed(col.type, value.value) } }];
    });
    return conds.length === 0 ? null : conds.length === 1 ? conds[0]! : { _and: conds };
  };

  const element = h(
    'form',
    {
      class: 'filter-bar',
      'aria-label': 'Filter rows',
      onsubmit: (e: Event) => {
        e.preventDefault();
        onApply();
      },
    },
    list,
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', class: 'secondary', onclick: addRow }, 'Add filter'),
      h('button', { type: 'submit' }, 'Apply'),
    ),
  );
  return { element, where };
}
