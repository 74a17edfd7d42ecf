/**
 * The form that makes a plan: planExpireSnapshots, planRemoveOrphanFiles or planCompaction with
 * their arguments. Planning needs the engineer role (shown disabled with the reason otherwise).
 */
import type { ApiError } from '../../api.js';
import { errorState, h, show, disableWithReason } from '../../ui.js';
import { refInput } from '../sql/ref-input.js';
import type { ViewContext } from '../view.js';
import { ERROR_FIELDS, KIND_NAMES, unionErrorBox, type Kind, type UnionError } from './common.js';

const MUTATIONS: Record<Kind, string> = {
  EXPIRE_SNAPSHOTS: `mutation ConsolePlanExpiry($branch: String!, $table: String!, $olderThan: DateTime, $retainLast: Int) {
    planExpireSnapshots(branch: $branch, table: $table, olderThan: $olderThan, retainLast: $retainLast) { __typename ... on MaintenancePlanSuccess { plan { id } } ${ERROR_FIELDS} } }`,
  REMOVE_ORPHAN_FILES: `mutation ConsolePlanOrphans($branch: String, $table: String!, $olderThan: DateTime) {
    planRemoveOrphanFiles(branch: $branch, table: $table, olderThan: $olderThan) { __typename ... on MaintenancePlanSuccess { plan { id } } ${ERROR_FIELDS} } }`,
  COMPACTION: `mutation ConsolePlanCompaction($branch: String!, $table: String!, $targetFileSizeBytes: BigInt, $minInputFiles: Int, $where: JSON) {
    planCompaction(branch: $branch, table: $table, targetFileSizeBytes: $targetFileSizeBytes, minInputFiles: $minInputFiles, where: $where) { __typename ... on MaintenancePlanSuccess { plan { id } } ${ERROR_FIELDS} } }`,
};

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('div', { class: 'form-row' }, h('label', { for: id }, label), input, hint !== undefined ? h('p', { class: 'hint muted', id: `${id}-hint` }, hint) : null);
}

export function planForm(ctx: ViewContext): HTMLElement {
  const kind = h(
    'select',
    { id: 'plan-kind' },
    (Object.keys(KIND_NAMES) as Kind[]).map((k) => h('option', { value: k }, KIND_NAMES[k])),
  );
  const branch = refInput(ctx.api, { label: 'Branch', value: 'main', id: 'plan-branch', only: 'BRANCH' });
  const tableList = h('datalist', { id: 'plan-table-list' });
  const table = h('input', { id: 'plan-table', type: 'text', list: 'plan-table-list', required: true, placeholder: 'namespace.table', autocomplete: 'off', spellcheck: 'false' });
  const olderThan = h('input', { id: 'plan-older-than', type: 'datetime-local', step: '1', 'aria-describedby': 'plan-older-than-hint' });
  const retainLast = h('input', { id: 'plan-retain-last', type: 'number', min: '1', step: '1', inputmode: 'numeric', 'aria-describedby': 'plan-retain-last-hint' });
  const targetSize = h('input', { id: 'plan-target-size', type: 'number', min: '1', step: '1', inputmode: 'numeric', 'aria-describedby': 'plan-target-size-hint' });
  const minInputs = h('input', { id: 'plan-min-inputs', type: 'number', min: '1', step: '1', inputmode: 'numeric', 'aria-describedby': 'plan-min-inputs-hint' });
  const where = h('textarea', { id: 'plan-where', rows: 3, spellcheck: 'false', placeholder: '{ "day": { "_lt": "2026-01-01" } }', 'aria-describedby': 'plan-where-hint' });
  const submit = h('button', { type: 'submit', id: 'plan-submit' }, 'Make plan');
  disableWithReason(submit, ctx.denied('engineer', 'Planning maintenance'));
  const outcome = h('div', { class: 'plan-outcome', 'aria-live': 'polite' });

  const olderRow = field('plan-older-than', 'Older than (your local time)', olderThan, '');
  const retainRow = field('plan-retain-last', 'Retain last', retainLast, 'Snapshots to keep on the branch, newest first.');
  const targetRow = field('plan-target-size', 'Target file size (bytes)', targetSize, "Default: the table's write.target-file-size-bytes (512 MiB).");
  const minRow = field('plan-min-inputs', 'Minimum input files', minInputs, 'Per partition; default 5.');
  const whereRow = field('plan-where', 'Only files matching (rows where, JSON)', where, 'Optional: the filter language of rows(where:).');

  function kindChanged(): void {
    const k = kind.value as Kind;
    const olderHint = olderRow.querySelector('.hint')!;
    olderRow.hidden = k === 'COMPACTION';
    retainRow.hidden = k !== 'EXPIRE_SNAPSHOTS';
    for (const r of [targetRow, minRow, whereRow]) r.hidden = k !== 'COMPACTION';
    olderHint.textContent =
      k === 'EXPIRE_SNAPSHOTS'
        ? "Leave both empty to apply the table's retention properties."
        : 'Only objects last modified before this; default 3 days ago, so writes in flight are safe.';
    branch.input.required = k !== 'REMOVE_ORPHAN_FILES';
  }
  kind.addEventListener('change', kindChanged);
  kindChanged();

  let tablesFor = '';
  async function loadTables(): Promise<void> {
    const at = branch.input.value.trim() || 'main';
    if (at === tablesFor) return;
    tablesFor = at;
    try {
      const d = await ctx.api.request<{ tables: { nodes: { namespace: string; name: string }[] } }>(
        'query ConsoleMaintTables($ref: String) { tables(ref: $ref, first: 500) { nodes { namespace name } } }',
        { ref: at },
      );
      show(tableList, d.tables.nodes.map((t) => h('option', { value: `${t.namespace}.${t.name}` })));
    } catch {
      show(tableList); // an unknown branch: the plan says so when made
    }
  }
  branch.input.addEventListener('change', () => void loadTables());
  table.addEventListener('focus', () => void loadTables());
  void loadTables();

  function variables(k: Kind): Record<string, unknown> | string {
    const v: Record<string, unknown> = { table: table.value.trim(), branch: branch.input.value.trim() || null };
    if (!v.table) return 'Name the table (namespace.table).';
    if (k !== 'REMOVE_ORPHAN_FILES' && !v.branch) return 'Name the branch.';
    if (k !== 'COMPACTION' && olderThan.value) {
      const d = new Date(olderThan.value);
      if (Number.isNaN(d.getTime())) return 'Older than is not a date and time.';
      v.olderThan = d.toISOString();
    }
    if (k === 'EXPIRE_SNAPSHOTS' && retainLast.value) v.retainLast = Number(retainLast.value);
    if (k === 'COMPACTION') {
      if (targetSize.value) v.targetFileSizeBytes = targetSize.value;
      if (minInputs.value) v.minInputFiles = Number(minInputs.value);
      if (where.value.trim()) {
        try {
          v.where = JSON.parse(where.value);
        } catch {
          return 'The filter is not JSON.';
        }
      }
    }
    return v;
  }

  const form = h(
    'form',
    {
      class: 'panel plan-form',
      'aria-labelledby': 'plan-form-title',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        if (submit.disabled) return;
        const k = kind.value as Kind;
        const vars = variables(k);
        if (typeof vars === 'string') {
          show(outcome, unionErrorBox('Check the form', { message: vars }));
          return;
        }
        submit.disabled = true;
        submit.textContent = 'Planning…';
        show(outcome, h('p', { class: 'muted', role: 'status' }, 'Planning: reading the table and every ref that pins its files…'));
        try {
          const d = await ctx.api.request<Record<string, { plan?: { id: string } } & UnionError>>(MUTATIONS[k], vars);
          const r = Object.values(d)[0]!;
          if (r.plan) {
            ctx.navigate('maintenance', 'plan', r.plan.id);
            return;
          }
          show(outcome, unionErrorBox('No plan was made', r));
        } catch (err) {
          show(outcome, errorState(err as ApiError));
        } finally {
          submit.disabled = false;
          submit.textContent = 'Make plan';
          disableWithReason(submit, ctx.denied('engineer', 'Planning maintenance'));
        }
      },
    },
    h('h2', { id: 'plan-form-title' }, 'New plan'),
    field('plan-kind', 'Kind', kind),
    h('div', { class: 'form-row' }, branch.field),
    field('plan-table', 'Table', h('span', {}, table, tableList)),
    olderRow,
    retainRow,
    targetRow,
    minRow,
    whereRow,
    h('div', { class: 'toolbar' }, submit, submit.disabled ? h('span', { class: 'muted reason' }, submit.title) : null),
    h('p', { class: 'hint muted' }, 'A plan changes nothing: review it, then execute it from its page.'),
    outcome,
  );
  return form;
}
