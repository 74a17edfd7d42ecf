/**
 * A ref field: free text (any ref expression: `main`, `main~1`, `v1.0`, `main@<hash>`) with the
 * branches and tags offered as suggestions. Used by the SQL and Maintenance views.
 */
import type { Api } from '../../api.js';
import { h } from '../../ui.js';

let seq = 0;

export interface RefInput {
  /** The label and the input, to place in a toolbar or form. */
  field: HTMLElement;
  input: HTMLInputElement;
}

/** `only: 'BRANCH'` suggests branches alone (for what must be a branch). */
export function refInput(api: Api, opts: { label: string; value: string; id?: string; only?: 'BRANCH'; required?: boolean }): RefInput {
  const id = opts.id ?? `ref-input-${++seq}`;
  const list = h('datalist', { id: `${id}-list` });
  const input = h('input', {
    id,
    type: 'text',
    list: `${id}-list`,
    value: opts.value,
    autocomplete: 'off',
    spellcheck: 'false',
    required: opts.required ?? true,
    class: 'ref-input',
  });
  void api
    .request<{ references: { nodes: { name: string; type: string }[] } }>(
      'query ConsoleRefs($type: ReferenceType) { references(first: 500, type: $type) { nodes { name type } } }',
      { type: opts.only ?? null },
    )
    .then((d) => {
      const refs = [...d.references.nodes].sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'BRANCH' ? -1 : 1));
      list.replaceChildren(...refs.map((r) => h('option', { value: r.name }, r.type === 'TAG' ? 'tag' : 'branch')));
    })
    .catch(() => undefined); // suggestions only: the field still takes any ref expression
  const field = h('span', { class: 'field' }, h('label', { for: id }, opts.label), input, list);
  return { field, input };
}
