/**
 * A maintenance plan's page: what it would do (snapshots to expire, files to delete with sizes, files
 * kept with the refs that pin them, compaction groups), Execute after a confirmation (disabled with
 * the reason when the role may not), and its progress live from maintenanceEvents, resumed with
 * `after` from the last event seen when the connection drops.
 */
import type { ApiError } from '../../api.js';
import { disableWithReason, emptyState, errorState, formatBytes, formatTime, h, loading, shortHash, show } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { ERROR_FIELDS, filePath, KIND_NAMES, statusBadge, unionErrorBox, type Kind, type PlanSummary, type Status, type UnionError } from './common.js';

const PAGE = 100;

interface Plan extends PlanSummary {
  baseHash: string;
  resultHash: string | null;
  finishedAt: string | null;
  error: string | null;
  snapshotsToExpire: string[];
  rewriteGroups: { partition: string; inputFiles: number; deleteFiles: number; inputBytes: string; outputFilesEstimate: number }[];
}

interface MaintenanceEvent {
  seq: number;
  type: string;
  at: string;
  message: string;
  data: { deleted?: number; total?: number; hash?: string } | null;
}

const PLAN_FIELDS = `id kind status table branch createdAt createdBy baseHash resultHash finishedAt error snapshotsToExpire fileCountToDelete bytesToReclaim deletedFiles
  rewriteGroups { partition inputFiles deleteFiles inputBytes outputFilesEstimate }`;
const PLAN = `query ConsoleMaintenancePlan($id: ID!) { maintenancePlan(id: $id) { ${PLAN_FIELDS} } }`;
const TO_DELETE = `query ConsolePlanDeletes($id: ID!, $after: String) { maintenancePlan(id: $id) { filesToDelete(first: ${PAGE}, after: $after) { path sizeBytes } } }`;
const KEPT = `query ConsolePlanKept($id: ID!, $after: String) { maintenancePlan(id: $id) { filesKept(first: ${PAGE}, after: $after) { path pinnedBy } } }`;
const EXECUTE = `mutation ConsoleExecutePlan($id: ID!) { executeMaintenancePlan(id: $id) { __typename ... on MaintenancePlanSuccess { plan { id status } } ${ERROR_FIELDS} } }`;
const EVENTS = `subscription ConsoleMaintenanceEvents($id: ID!, $after: Int) { maintenanceEvents(planId: $id, after: $after) { seq type at message data } }`;

export function planPage(root: HTMLElement, id: string, ctx: ViewContext): () => void {
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let lastSeq = 0;
  let plan: Plan | null = null;

  const back = h('a', { href: '#/maintenance', class: 'back' }, '← All plans');
  const header = h('div', { class: 'plan-header' });
  const summary = h('div', { class: 'plan-summary' });
  const actions = h('div', { class: 'plan-actions panel', 'aria-label': 'Execution' });
  const progress = h('section', { class: 'plan-progress panel', 'aria-labelledby': 'progress-title' });
  const details = h('div', { class: 'plan-details' });
  const eventList = h('ol', { class: 'event-log', 'aria-label': 'Events', tabindex: '0' });
  const counts = h('p', { class: 'progress-counts', role: 'status', 'aria-live': 'polite' });
  const bar = h('progress', { max: 1, value: 0, 'aria-label': 'Files deleted' });
  show(root, back, loading('Loading the plan'));

  async function loadPlan(): Promise<void> {
    const d = await ctx.api.request<{ maintenancePlan: Plan | null }>(PLAN, { id });
    if (stopped) return;
    plan = d.maintenancePlan;
    if (!plan) {
      show(root, back, emptyState('No such plan', `There is no maintenance plan ${id}. It may have been made on another gateway's database; go back to the list.`));
      return;
    }
    drawHeader(plan);
    drawActions(plan);
  }

  function drawHeader(p: Plan): void {
    document.title = `${KIND_NAMES[p.kind]} · ${p.table} · Cascade console`;
    show(
      header,
      h('h1', {}, `${KIND_NAMES[p.kind]}: `, h('span', { class: 'mono' }, p.table), ' on ', h('span', { class: 'mono' }, p.branch), ' ', statusBadge(p.status)),
    );
    const stat = (label: string, value: string, cls = '') => h('div', { class: `stat ${cls}` }, h('dt', {}, label), h('dd', {}, value));
    show(
      summary,
      h(
        'dl',
        { class: 'stats' },
        p.kind === 'COMPACTION'
          ? [
              stat('Groups', String(p.rewriteGroups.length)),
              stat('Files to rewrite', String(p.rewriteGroups.reduce((n, g) => n + g.inputFiles, 0))),
              stat('Bytes to rewrite', formatBytes(p.rewriteGroups.reduce((n, g) => n + Number(g.inputBytes), 0))),
            ]
          : [
              stat('Files to delete', p.fileCountToDelete.toLocaleString()),
              stat('Bytes to reclaim', formatBytes(p.bytesToReclaim)),
              p.kind === 'EXPIRE_SNAPSHOTS' ? stat('Snapshots to expire', p.snapshotsToExpire.length.toLocaleString()) : null,
              stat('Files deleted', p.deletedFiles.toLocaleString()),
            ],
      ),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Created'),
        h('dd', {}, formatTime(p.createdAt), ` by ${p.createdBy}`),
        h('dt', {}, 'Made at'),
        h('dd', { class: 'mono', title: p.baseHash }, shortHash(p.baseHash)),
        p.resultHash ? [h('dt', {}, 'Result commit'), h('dd', { class: 'mono', title: p.resultHash }, shortHash(p.resultHash))] : null,
        p.finishedAt ? [h('dt', {}, 'Finished'), h('dd', {}, formatTime(p.finishedAt))] : null,
        p.error ? [h('dt', {}, 'Error'), h('dd', { class: 'bad' }, p.error)] : null,
      ),
    );
  }

  function executeDenied(p: Plan): string | null {
    const role = ctx.denied(p.kind === 'COMPACTION' ? 'engineer' : 'admin', p.kind === 'COMPACTION' ? 'Executing a compaction' : 'Executing an expiry or an orphan removal');
    if (role) return role;
    if (p.status === 'SUCCEEDED') return 'This plan has been executed.';
    if (p.status === 'EXECUTING') return 'This plan is being executed.';
    return null;
  }

  function drawActions(p: Plan): void {
    const button = h('button', { type: 'button', class: 'danger', id: 'plan-execute' }, p.status === 'FAILED' ? 'Execute again…' : 'Execute…');
    const reason = executeDenied(p);
    disableWithReason(button, reason);
    button.addEventListener('click', () => confirmExecute(p));
    show(
      actions,
      h('div', { class: 'toolbar' }, button, reason ? h('span', { class: 'muted reason' }, reason) : h('span', { class: 'muted' }, whatExecutes(p))),
      h('div', { class: 'execute-outcome', 'aria-live': 'polite' }),
    );
  }

  function whatExecutes(p: Plan): string {
    if (p.kind === 'COMPACTION') return `Rewrites ${p.rewriteGroups.reduce((n, g) => n + g.inputFiles, 0)} files as one replace snapshot on ${p.branch}; the rows stay the same.`;
    const files = `deletes ${p.fileCountToDelete.toLocaleString()} ${p.fileCountToDelete === 1 ? 'file' : 'files'} (${formatBytes(p.bytesToReclaim)})`;
    return p.kind === 'EXPIRE_SNAPSHOTS'
      ? `Expires ${p.snapshotsToExpire.length} snapshots of ${p.table} on ${p.branch}, then ${files}. It is planned again first and refused if anything changed.`
      : `Planned again, then ${files} that no commit of any ref reads.`;
  }

  function confirmExecute(p: Plan): void {
    const cancel = h('button', { type: 'button', class: 'secondary', autofocus: true }, 'Cancel');
    const ok = h('button', { type: 'button', class: p.kind === 'COMPACTION' ? '' : 'danger' }, p.kind === 'COMPACTION' ? 'Compact' : `Delete ${p.fileCountToDelete.toLocaleString()} ${p.fileCountToDelete === 1 ? 'file' : 'files'}`);
    const dialog = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title', 'aria-describedby': 'confirm-text' },
      h('h2', { id: 'confirm-title' }, `Execute this plan?`),
      h('p', { id: 'confirm-text' }, whatExecutes(p), p.kind === 'COMPACTION' ? '' : ' Deleted files cannot be restored.'),
      h('div', { class: 'toolbar end' }, cancel, ok),
    );
    const close = () => {
      dialog.close();
      dialog.remove();
    };
    cancel.addEventListener('click', close);
    dialog.addEventListener('cancel', () => dialog.remove());
    ok.addEventListener('click', () => {
      close();
      void execute(p);
    });
    root.append(dialog);
    dialog.showModal();
    cancel.focus();
  }

  async function execute(p: Plan): Promise<void> {
    const button = actions.querySelector<HTMLButtonElement>('#plan-execute')!;
    const outcome = actions.querySelector('.execute-outcome')!;
    button.disabled = true;
    button.textContent = 'Executing…';
    show(outcome);
    subscribe(); // make sure the progress is live (a plan's stream ends at SUCCEEDED or FAILED)
    try {
      const d = await ctx.api.request<{ executeMaintenancePlan: { plan?: { status: Status } } & UnionError }>(EXECUTE, { id: p.id });
      if (stopped) return;
      const r = d.executeMaintenancePlan;
      await loadPlan();
      if (!r.plan) show(actions.querySelector('.execute-outcome')!, unionErrorBox('The plan was not executed', r));
    } catch (e) {
      if (stopped) return;
      await loadPlan().catch(() => undefined);
      show(actions.querySelector('.execute-outcome')!, errorState(e as ApiError));
    }
  }

  function onEvent(e: MaintenanceEvent): void {
    if (e.seq <= lastSeq) return; // replayed after a reconnect
    lastSeq = e.seq;
    eventList.append(
      h(
        'li',
        { 'data-type': e.type, 'data-seq': String(e.seq) },
        h('time', { datetime: e.at }, formatTime(e.at)),
        ' ',
        h('span', { class: `badge event ${e.type === 'FAILED' ? 'bad' : e.type === 'SUCCEEDED' ? 'ok' : ''}` }, e.type.replace(/_/g, ' ').toLowerCase()),
        ' ',
        e.message,
      ),
    );
    if (e.type === 'FILES_DELETED' && e.data && typeof e.data.total === 'number') {
      bar.max = Math.max(1, e.data.total);
      bar.value = e.data.deleted ?? 0;
      counts.textContent = `${(e.data.deleted ?? 0).toLocaleString()} of ${e.data.total.toLocaleString()} files deleted`;
    } else if (e.type === 'EXECUTION_STARTED') counts.textContent = 'Executing…';
    else if (e.type === 'COMMITTED') counts.textContent = `Committed ${e.data?.hash ? shortHash(e.data.hash) : ''}; deleting files…`;
    else if (e.type === 'SUCCEEDED') {
      bar.value = bar.max;
      counts.textContent = `Succeeded: ${e.message}`;
    } else if (e.type === 'FAILED') counts.textContent = `Failed: ${e.message}`;
    if (e.type === 'SUCCEEDED' || e.type === 'FAILED' || e.type === 'COMMITTED') void loadPlan().catch(() => undefined);
  }

  let live = false;
  function subscribe(): void {
    if (live || stopped) return;
    live = true;
    // graphql-ws subscribes again with this same object when it reconnects by itself, so keeping
    // `after` at the last event seen makes its resubscription resume there instead of replaying.
    const variables = { id, after: lastSeq };
    unsubscribe = ctx.api.subscribe<{ maintenanceEvents: MaintenanceEvent }>(
      EVENTS,
      variables,
      (d) => {
        onEvent(d.maintenanceEvents);
        variables.after = lastSeq;
      },
      (err) => {
        live = false;
        if (stopped) return;
        if (err.kind === 'network') {
          // The connection dropped: resume after the last event seen.
          counts.textContent = 'The live connection dropped; reconnecting…';
          retry = setTimeout(subscribe, 1000);
        } else counts.textContent = `Live progress stopped: ${err.message}`;
      },
      () => {
        live = false;
      },
    );
  }

  function pagedTable(
    title: string,
    query: string,
    pick: (d: { maintenancePlan: Record<string, unknown> | null }) => Record<string, unknown>[],
    columns: string[],
    cells: (r: Record<string, unknown>) => HTMLElement[],
    empty: string,
  ): HTMLElement {
    const titleId = `${title.toLowerCase().replace(/\W+/g, '-')}-title`;
    const section = h('section', { class: 'plan-files', 'aria-labelledby': titleId });
    const body = h('tbody');
    const more = h('button', { type: 'button', class: 'secondary' }, `Show ${PAGE} more`);
    let after: string | null = null;
    let shown = 0;
    const heading = h('h2', { id: titleId }, title);
    async function next(): Promise<void> {
      more.disabled = true;
      try {
        const d = await ctx.api.request<{ maintenancePlan: Record<string, unknown> | null }>(query, { id, after });
        const rows = pick(d);
        shown += rows.length;
        body.append(...rows.map((r) => h('tr', {}, cells(r))));
        after = rows.length ? String(rows[rows.length - 1]!.path) : after;
        more.hidden = rows.length < PAGE;
        if (shown === 0) show(section, heading, emptyState(empty));
      } catch (e) {
        more.replaceWith(errorState(e as ApiError));
      } finally {
        more.disabled = false;
      }
    }
    more.addEventListener('click', () => void next());
    show(
      section,
      heading,
      h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': titleId }, h('table', { class: 'data' }, h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))), body)),
      more,
    );
    void next();
    return section;
  }

  function drawDetails(p: Plan): void {
    const parts: HTMLElement[] = [];
    if (p.kind === 'COMPACTION') {
      parts.push(
        h(
          'section',
          { class: 'plan-files', 'aria-labelledby': 'groups-title' },
          h('h2', { id: 'groups-title' }, 'Rewrite groups'),
          p.rewriteGroups.length === 0
            ? emptyState('Nothing to compact', 'No partition has enough small files (or delete files) for a rewrite.')
            : h(
                'div',
                { class: 'table-scroll' },
                h(
                  'table',
                  { class: 'data' },
                  h('thead', {}, h('tr', {}, ['Partition', 'Input files', 'Delete files', 'Input bytes', 'Files it should make'].map((c) => h('th', { scope: 'col' }, c)))),
                  h(
                    'tbody',
                    {},
                    p.rewriteGroups.map((g) =>
                      h('tr', {}, h('td', { class: 'mono' }, g.partition), h('td', { class: 'num' }, String(g.inputFiles)), h('td', { class: 'num' }, String(g.deleteFiles)), h('td', { class: 'num' }, formatBytes(g.inputBytes)), h('td', { class: 'num' }, String(g.outputFilesEstimate))),
                    ),
                  ),
                ),
              ),
        ),
      );
    } else {
      parts.push(
        pagedTable(
          'Files to delete',
          TO_DELETE,
          (d) => (d.maintenancePlan?.filesToDelete as Record<string, unknown>[]) ?? [],
          ['File', 'Size'],
          (r) => [h('td', {}, filePath(String(r.path))), h('td', { class: 'num' }, formatBytes(String(r.sizeBytes)))],
          p.kind === 'EXPIRE_SNAPSHOTS' ? 'No file to delete: every file of the expired snapshots is still read by a ref (see the files kept).' : 'No orphan file: every object under the table is read by a commit, or is too recent.',
        ),
      );
    }
    if (p.kind === 'EXPIRE_SNAPSHOTS') {
      parts.push(
        pagedTable(
          'Files kept, and what pins them',
          KEPT,
          (d) => (d.maintenancePlan?.filesKept as Record<string, unknown>[]) ?? [],
          ['File', 'Pinned by'],
          (r) => [h('td', { class: 'file' }, filePath(String(r.path))), h('td', { class: 'pins' }, (r.pinnedBy as string[]).map((pin) => h('span', { class: 'badge pin mono' }, pin)))],
          'No file of the expired snapshots is kept.',
        ),
        h(
          'details',
          { class: 'snapshots' },
          h('summary', {}, `Snapshots to expire (${p.snapshotsToExpire.length})`),
          p.snapshotsToExpire.length ? h('ul', { class: 'mono snapshot-ids' }, p.snapshotsToExpire.map((s) => h('li', {}, s))) : h('p', { class: 'muted' }, 'None: the retention keeps every snapshot.'),
        ),
      );
    }
    show(details, ...parts);
  }

  void loadPlan()
    .then(() => {
      if (stopped || !plan) return;
      show(root, back, header, h('div', { class: 'plan-layout' }, h('div', { class: 'plan-side' }, summary, actions, progress), details));
      counts.textContent = plan.status === 'PLANNED' ? 'Not executed yet.' : plan.status === 'EXECUTING' ? 'Executing…' : '';
      show(progress, h('h2', { id: 'progress-title' }, 'Progress'), h('div', { class: 'progress-line' }, bar, counts), eventList);
      drawDetails(plan);
      subscribe();
    })
    .catch((e) => {
      if (!stopped) show(root, back, errorState(e as ApiError));
    });

  return () => {
    stopped = true;
    clearTimeout(retry);
    unsubscribe?.();
  };
}
