/**
 * The selected commit: its details, and what can be done from it — diff against a ref, a branch or
 * tag created at it, a cherry-pick onto a branch, and a merge (dry run first, then a confirm).
 * Every action the role may not do is disabled with the reason; every error is shown in words.
 */
import { h, show, dataTable, errorState, formatTime, shortHash, loading, emptyState } from '../../ui.js';
import type { ViewContext } from '../view.js';
import type { HistoryCommit, HistoryData, Ref } from './data.js';

type Role = 'viewer' | 'analyst' | 'engineer' | 'admin';

interface Failure {
  __typename: string;
  code?: string;
  message?: string;
  conflicts?: { key: string; type: string; message: string }[];
}

/** Enables the button, or disables it with the reason (and says why to screen readers). */
function allow(button: HTMLButtonElement, reason: string | null): void {
  button.disabled = reason !== null;
  if (reason) {
    button.title = reason;
    button.setAttribute('aria-description', reason);
    button.dataset.disabledReason = reason;
  } else {
    button.removeAttribute('title');
    button.removeAttribute('aria-description');
    delete button.dataset.disabledReason;
  }
}

let ids = 0;
function field(label: string, control: HTMLElement): HTMLElement {
  const id = (control.id ||= `hist-f${++ids}`);
  return h('span', { class: 'field' }, h('label', { for: id }, label), control);
}

function refOptions(refs: Ref[], selected?: string): HTMLOptionElement[] {
  return refs.map((r) => h('option', { value: r.name, selected: r.name === selected }, `${r.name}${r.type === 'TAG' ? ' (tag)' : ''}`));
}

function failure(result: Failure): HTMLElement {
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('p', { class: 'state-title' }, result.message ?? result.__typename),
    result.code ? h('p', {}, h('code', { class: 'code' }, result.code)) : null,
  );
}

function done(text: string): HTMLElement {
  return h('p', { class: 'ok result', role: 'status' }, text);
}

export interface PanelHooks {
  select(hash: string): void;
  /** Something changed refs: reload them. */
  changed(): Promise<void>;
}

export function commitPanel(commit: HistoryCommit, data: HistoryData, ctx: ViewContext, hooks: PanelHooks): HTMLElement {
  const expr = data.expression(commit.hash);
  const here = data.refs.filter((r) => r.hash === commit.hash);
  const branches = data.refs.filter((r) => r.type === 'BRANCH');
  const denied = (role: Role, action: string) => ctx.denied(role, action);
  const protectedReason = (b: Ref | undefined, action: string) =>
    b?.protected ? ctx.denied('admin', `${action} the protected branch ${b.name}`) : null;

  // Details
  const operations = h('div', { class: 'ops' }, loading('Loading the changes'));
  void ctx.api
    .request<{ commit: { operations: { type: string; key: string; contentType: string }[] } | null }>(
      'query CommitOps($hash: String!) { commit(hash: $hash) { operations { type key contentType } } }',
      { hash: commit.hash },
    )
    .then((d) => {
      const ops = d.commit?.operations ?? [];
      show(operations, ops.length ? dataTable(['type', 'key', 'contentType'], ops.slice(0, 50)) : h('p', { class: 'muted' }, 'No content changes (a merge or an empty commit).'));
      if (ops.length > 50) operations.append(h('p', { class: 'muted' }, `and ${ops.length - 50} more`));
    })
    .catch((e) => show(operations, errorState(e)));
  const props = Object.entries(commit.properties ?? {});

  const details = h(
    'section',
    { class: 'panel details', 'aria-labelledby': 'hist-commit-title' },
    h('h2', { id: 'hist-commit-title' }, commit.message.split('\n')[0] ?? '(no message)'),
    h(
      'dl',
      { class: 'meta-list' },
      h('dt', {}, 'Hash'),
      h('dd', {}, h('code', { class: 'hash-full' }, commit.hash)),
      h('dt', {}, 'Author'),
      h('dd', {}, commit.author || '—'),
      h('dt', {}, 'Committed'),
      h('dd', {}, formatTime(commit.commitTime)),
      h('dt', {}, 'Parents'),
      h(
        'dd',
        {},
        commit.parentHashes.length
          ? commit.parentHashes.map((p, i) =>
              data.commits.has(p)
                ? h('button', { type: 'button', class: 'ghost small', onclick: () => hooks.select(p), title: i ? 'The merged commit' : 'The first parent' }, `${i ? 'merged ' : ''}${shortHash(p)}`)
                : h('code', { title: 'Not loaded (older history, or not readable)' }, `${i ? 'merged ' : ''}${shortHash(p)}`),
            )
          : '—',
      ),
      h('dt', {}, 'Refs here'),
      h('dd', { class: 'refs-here' }, refLabels(here)),
      props.length ? [h('dt', {}, 'Properties'), h('dd', {}, props.map(([k, v]) => h('div', {}, h('code', {}, k), ' ', String(v))))] : null,
    ),
    h('h3', {}, 'Changes'),
    operations,
  );

  // Diff against a ref
  const diffRef = h('select', {}, refOptions(data.refs, here[0] ? data.refs.find((r) => r.hash !== commit.hash)?.name : data.defaultBranch));
  const diffOut = h('div', { 'aria-live': 'polite' });
  const diffButton = h('button', { type: 'button', class: 'secondary' }, 'Show diff');
  diffButton.addEventListener('click', async () => {
    show(diffOut, loading('Comparing'));
    try {
      const d = await ctx.api.request<{ diff: { entries: { key: string; change: string; contentType: string }[] } }>(
        'query CommitDiff($from: String!, $to: String!) { diff(from: $from, to: $to) { entries { key change contentType } } }',
        { from: diffRef.value, to: expr },
      );
      const entries = d.diff.entries;
      show(
        diffOut,
        entries.length
          ? h('div', { class: 'table-scroll small' }, dataTable(['change', 'key', 'contentType'], entries, `From ${diffRef.value} to ${shortHash(commit.hash)}: ${entries.length} change${entries.length === 1 ? '' : 's'}`))
          : emptyState(`No differences between ${diffRef.value} and this commit.`),
      );
    } catch (e) {
      show(diffOut, errorState(e));
    }
  });
  const diffSection = h('section', { class: 'panel', 'aria-labelledby': 'hist-diff' }, h('h3', { id: 'hist-diff' }, 'Diff'), h('div', { class: 'toolbar' }, field('Against', diffRef), diffButton), diffOut);

  // Branch or tag at this commit
  const newName = h('input', { type: 'text', placeholder: 'e.g. fix/late-readings', autocomplete: 'off', spellcheck: 'false' });
  const createOut = h('div', { 'aria-live': 'polite' });
  const createBranch = h('button', { type: 'button' }, 'Create branch');
  const createTag = h('button', { type: 'button', class: 'secondary' }, 'Create tag');
  allow(createBranch, denied('engineer', 'Creating a branch'));
  allow(createTag, denied('engineer', 'Creating a tag'));
  const create = async (kind: 'branch' | 'tag') => {
    const name = newName.value.trim();
    if (!name) {
      show(createOut, h('p', { class: 'bad', role: 'alert' }, `Give the new ${kind} a name.`));
      newName.focus();
      return;
    }
    show(createOut, loading(`Creating the ${kind}`));
    const m =
      kind === 'branch'
        ? 'mutation NewBranch($name: String!, $from: String!) { r: createBranch(name: $name, from: $from) { __typename ... on CreateBranchSuccess { branch { name hash } } ... on Error { code message } } }'
        : 'mutation NewTag($name: String!, $from: String!) { r: createTag(name: $name, from: $from) { __typename ... on CreateTagSuccess { tag { name hash } } ... on Error { code message } } }';
    try {
      const { r } = await ctx.api.request<{ r: Failure }>(m, { name, from: expr });
      if (r.__typename === 'CreateBranchSuccess' || r.__typename === 'CreateTagSuccess') {
        newName.value = '';
        await hooks.changed();
        show(createOut, done(`${kind === 'branch' ? 'Branch' : 'Tag'} ${name} now points at ${shortHash(commit.hash)}.`));
      } else show(createOut, failure(r));
    } catch (e) {
      show(createOut, errorState(e));
    }
  };
  createBranch.addEventListener('click', () => void create('branch'));
  createTag.addEventListener('click', () => void create('tag'));
  const createSection = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'hist-create' },
    h('h3', { id: 'hist-create' }, 'New branch or tag here'),
    h('div', { class: 'toolbar' }, field('Name', newName), createBranch, createTag),
    createOut,
  );

  // Cherry-pick onto a branch
  const pickInto = h('select', {}, refOptions(branches, branches.find((b) => b.hash !== commit.hash && !b.protected)?.name));
  const pickOut = h('div', { 'aria-live': 'polite' });
  const pickButton = h('button', { type: 'button' }, 'Cherry-pick');
  const pickReason = () => {
    const b = branches.find((x) => x.name === pickInto.value);
    allow(pickButton, denied('engineer', 'Cherry-picking') ?? protectedReason(b, 'Cherry-picking onto') ?? (b?.hash === commit.hash ? 'This commit is already the head of that branch.' : null));
  };
  pickInto.addEventListener('change', pickReason);
  pickReason();
  pickButton.addEventListener('click', async () => {
    const into = pickInto.value;
    show(pickOut, loading('Cherry-picking'));
    try {
      const { r } = await ctx.api.request<{ r: Failure & { hash?: string } }>(
        'mutation Pick($hashes: [String!]!, $into: String!) { r: cherryPick(hashes: $hashes, into: $into) { __typename ... on MergeSuccess { hash } ... on MergeConflict { conflicts { key type message } } ... on Error { code message } } }',
        { hashes: [commit.hash], into },
      );
      if (r.__typename === 'MergeSuccess') {
        await hooks.changed();
        show(pickOut, done(`Picked onto ${into}: its head is now ${shortHash(r.hash ?? '')}.`));
      } else show(pickOut, conflictsOrFailure(r));
    } catch (e) {
      show(pickOut, errorState(e));
    }
  });
  const pickSection = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'hist-pick' },
    h('h3', { id: 'hist-pick' }, 'Cherry-pick this commit'),
    h('div', { class: 'toolbar' }, field('Onto', pickInto), pickButton),
    pickOut,
  );

  // Merge: dry run, then confirm
  const fromOptions = [
    ...here.map((r) => h('option', { value: r.name }, `${r.name}${r.type === 'TAG' ? ' (tag)' : ''}`)),
    h('option', { value: expr }, `this commit (${shortHash(commit.hash)})`),
    ...data.refs.filter((r) => r.hash !== commit.hash).map((r) => h('option', { value: r.name }, `${r.name}${r.type === 'TAG' ? ' (tag)' : ''}`)),
  ];
  const mergeFrom = h('select', {}, fromOptions);
  const mergeInto = h('select', {}, refOptions(branches, branches.find((b) => b.hash !== commit.hash)?.name ?? data.defaultBranch));
  const mergeOut = h('div', { 'aria-live': 'polite' });
  const dryRun = h('button', { type: 'button', class: 'secondary' }, 'Dry run');
  const confirm = h('button', { type: 'button', hidden: true }, 'Merge');
  let planned: { from: string; into: string; previousHash: string } | null = null;
  const mergeReason = () => {
    planned = null;
    confirm.hidden = true;
    const b = branches.find((x) => x.name === mergeInto.value);
    allow(dryRun, denied('engineer', 'Merging') ?? protectedReason(b, 'Merging into') ?? (mergeFrom.value === mergeInto.value ? 'Pick two different references.' : null));
  };
  mergeFrom.addEventListener('change', () => {
    mergeReason();
    show(mergeOut);
  });
  mergeInto.addEventListener('change', () => {
    mergeReason();
    show(mergeOut);
  });
  mergeReason();
  const runMerge = async (dry: boolean) => {
    const from = dry ? mergeFrom.value : planned!.from;
    const into = dry ? mergeInto.value : planned!.into;
    show(mergeOut, loading(dry ? 'Trying the merge' : 'Merging'));
    confirm.hidden = true;
    try {
      const { r } = await ctx.api.request<{ r: Failure & { hash?: string; previousHash?: string; fastForward?: boolean; changedKeys?: string[]; applied?: boolean } }>(
        `mutation Merge($from: String!, $into: String!, $dry: Boolean, $expected: String) { r: merge(from: $from, into: $into, dryRun: $dry, expectedHash: $expected) {
          __typename ... on MergeSuccess { hash previousHash fastForward applied changedKeys } ... on MergeConflict { conflicts { key type message } } ... on Error { code message } } }`,
        { from, into, dry, expected: dry ? null : planned!.previousHash },
      );
      if (r.__typename !== 'MergeSuccess') {
        planned = null;
        show(mergeOut, conflictsOrFailure(r));
        return;
      }
      const keys = r.changedKeys ?? [];
      const label = from.includes('@') ? `commit ${shortHash(commit.hash)}` : from;
      if (dry) {
        planned = { from, into, previousHash: r.previousHash! };
        confirm.textContent = `Merge ${label} into ${into}`;
        confirm.hidden = false;
        show(
          mergeOut,
          h(
            'div',
            { class: 'dry-run', role: 'status' },
            h('p', { class: 'state-title' }, `Dry run: ${label} merges into ${into} cleanly${r.fastForward ? ' (a fast-forward)' : ''}.`),
            keys.length ? h('p', {}, `${keys.length} key${keys.length === 1 ? '' : 's'} would change: `, keys.slice(0, 20).flatMap((k, i) => [i ? ', ' : '', h('code', {}, k)]), keys.length > 20 ? ` and ${keys.length - 20} more` : '') : h('p', {}, 'No content would change.'),
            h('p', { class: 'muted' }, `Nothing has changed yet. Confirm to merge; it is refused if ${into} moves meanwhile.`),
          ),
        );
      } else {
        planned = null;
        await hooks.changed();
        show(mergeOut, done(`Merged ${label} into ${into}: its head is now ${shortHash(r.hash ?? '')}.`));
      }
    } catch (e) {
      planned = null;
      show(mergeOut, errorState(e));
    }
  };
  dryRun.addEventListener('click', () => void runMerge(true));
  confirm.addEventListener('click', () => void runMerge(false));
  const mergeSection = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'hist-merge' },
    h('h3', { id: 'hist-merge' }, 'Merge'),
    h('div', { class: 'toolbar' }, field('From', mergeFrom), field('Into', mergeInto), dryRun, confirm),
    mergeOut,
  );

  return h('div', { class: 'commit-panel' }, details, diffSection, createSection, pickSection, mergeSection);
}

/** The labels of the refs at a commit (also refreshed by the view when refs move). */
export function refLabels(refs: Ref[]): (HTMLElement | string)[] {
  return refs.length ? refs.map((r) => h('span', { class: `ref ${r.type.toLowerCase()}` }, r.name)) : ['none'];
}

function conflictsOrFailure(r: Failure): HTMLElement {
  if (r.__typename === 'MergeConflict' && r.conflicts) {
    return h(
      'div',
      { class: 'state error', role: 'alert' },
      h('p', { class: 'state-title' }, `${r.conflicts.length} conflict${r.conflicts.length === 1 ? '' : 's'}: nothing was merged.`),
      h('div', { class: 'table-scroll small' }, dataTable(['key', 'type', 'message'], r.conflicts)),
    );
  }
  return failure(r);
}
