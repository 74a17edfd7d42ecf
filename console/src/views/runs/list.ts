/**
 * The Runs view's first page: the pipelines (each with a form that starts a run) and the runs,
 * newest first, with their status kept live by the runUpdated subscription.
 */
import { disableWithReason, emptyState, errorState, formatTime, h, loading, show } from '../../ui.js';
import type { ViewContext } from '../view.js';
import { RUN_SUMMARY, START_RESULT, runDuration, shortRunId, statusBadge, type RunMutationResult, type RunStatus, type RunSummary } from './common.js';

interface ParamSpec {
  type: 'Int' | 'Float' | 'String' | 'Boolean';
  default?: unknown;
  description?: string;
  min?: number;
  max?: number;
}

interface PipelineInfo {
  name: string;
  description: string | null;
  target: string;
  params: Record<string, ParamSpec>;
  steps: { name: string }[];
  lastRun: RunSummary | null;
}

const PAGE = 25;
const STATUSES: RunStatus[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'];

export function renderRunList(root: HTMLElement, ctx: ViewContext): () => void {
  const pipelinesBox = h('div', { class: 'pipelines' }, loading('Loading pipelines'));
  const runsBox = h('div', { class: 'runs' }, loading('Loading runs'));
  const statusFilter = h('select', { id: 'runs-status', 'aria-label': 'Show runs with status' }, h('option', { value: '' }, 'any status'), STATUSES.map((s) => h('option', { value: s }, s.toLowerCase())));
  const pipelineFilter = h('select', { id: 'runs-pipeline', 'aria-label': 'Show runs of pipeline' }, h('option', { value: '' }, 'every pipeline'));
  const liveNote = h('span', { class: 'muted live-note', role: 'status' }, '');
  show(
    root,
    h('h1', {}, 'Runs'),
    h('section', { 'aria-labelledby': 'pipelines-h' }, h('h2', { id: 'pipelines-h' }, 'Pipelines'), pipelinesBox),
    h(
      'section',
      { 'aria-labelledby': 'runs-h' },
      h('h2', { id: 'runs-h' }, 'Runs'),
      h('div', { class: 'toolbar' }, h('label', { for: 'runs-status' }, 'Status'), statusFilter, h('label', { for: 'runs-pipeline' }, 'Pipeline'), pipelineFilter, liveNote),
      runsBox,
    ),
  );

  let runs: RunSummary[] = [];
  let endCursor: string | null = null;
  let hasNext = false;
  let pipelines: PipelineInfo[] = [];
  let stopped = false;

  const filters = () => ({ status: statusFilter.value ? [statusFilter.value] : null, pipeline: pipelineFilter.value || null });
  const matches = (r: RunSummary) => {
    const f = filters();
    return (!f.status || f.status.includes(r.status)) && (!f.pipeline || f.pipeline === r.pipeline);
  };

  /** The branches a run may merge into, offered in the target fields. */
  const branches = h('datalist', { id: 'run-target-branches' });
  root.append(branches);
  void ctx.api
    .request<{ references: { nodes: { name: string }[] } }>('{ references(type: BRANCH, first: 200) { nodes { name } } }')
    .then(({ references }) => show(branches, references.nodes.filter((b) => !b.name.startsWith('runs/')).map((b) => h('option', { value: b.name }))))
    .catch(() => undefined); // typing a branch name works without the suggestions

  async function loadPipelines(): Promise<void> {
    try {
      const data = await ctx.api.request<{ pipelines: PipelineInfo[] }>(`{ pipelines { name description target params steps { name } lastRun { ${RUN_SUMMARY} } } }`);
      pipelines = data.pipelines;
      show(pipelineFilter, h('option', { value: '' }, 'every pipeline'), pipelines.map((p) => h('option', { value: p.name }, p.name)));
      drawPipelines();
    } catch (e) {
      show(pipelinesBox, errorState(e));
    }
  }

  function drawPipelines(): void {
    if (!pipelines.length) {
      show(pipelinesBox, emptyState('No pipelines are loaded', 'Put a pipeline file in the gateway’s pipelines folder (PIPELINES_DIR) and restart it.'));
      return;
    }
    show(pipelinesBox, pipelines.map(pipelineCard));
  }

  function pipelineCard(p: PipelineInfo): HTMLElement {
    const fields: { name: string; spec: ParamSpec; input: HTMLInputElement }[] = [];
    const message = h('p', { class: 'form-message', role: 'status' });
    const inputs = Object.entries(p.params ?? {}).map(([name, spec]) => {
      const id = `param-${p.name}-${name}`;
      const input =
        spec.type === 'Boolean'
          ? h('input', { id, name, type: 'checkbox', checked: spec.default === true })
          : h('input', { id, name, type: spec.type === 'String' ? 'text' : 'number', step: spec.type === 'Int' ? 1 : 'any', min: spec.min, max: spec.max, value: spec.default === undefined ? '' : String(spec.default), class: 'param' });
      fields.push({ name, spec, input });
      return h('div', { class: 'field' }, h('label', { for: id, title: spec.description ?? '' }, name), input, spec.description ? h('small', { class: 'muted' }, spec.description) : null);
    });
    const targetId = `target-${p.name}`;
    const target = h('input', { id: targetId, name: 'target', type: 'text', value: p.target, class: 'target', autocomplete: 'off', list: 'run-target-branches' });
    const startButton = disableWithReason(h('button', { type: 'submit' }, 'Start run'), ctx.denied('engineer', 'Starting a run'));
    const form = h(
      'form',
      {
        class: 'start-run',
        'aria-label': `Start a run of ${p.name}`,
        onsubmit: async (e: Event) => {
          e.preventDefault();
          if (startButton.disabled) return;
          const params: Record<string, unknown> = {};
          for (const f of fields) {
            if (f.spec.type === 'Boolean') params[f.name] = f.input.checked;
            else if (f.input.value === '') continue; // the declared default
            else if (f.spec.type === 'String') params[f.name] = f.input.value;
            else params[f.name] = Number(f.input.value);
          }
          startButton.disabled = true;
          show(message, 'Starting…');
          message.className = 'form-message';
          try {
            const data = await ctx.api.request<{ startRun: RunMutationResult }>(`mutation($pipeline: String!, $params: JSON, $target: String) { startRun(pipeline: $pipeline, params: $params, target: $target) { ${START_RESULT} } }`, {
              pipeline: p.name,
              params,
              target: target.value.trim() || null,
            });
            const r = data.startRun;
            if (r.run) {
              ctx.navigate('runs', r.run.runId);
              return;
            }
            show(message, r.message ?? 'The run was not started.', r.code ? h('code', {}, ` ${r.code}`) : null);
            message.className = 'form-message bad';
          } catch (err) {
            show(message, errorState(err));
          }
          startButton.disabled = false;
        },
      },
      h('div', { class: 'fields' }, inputs, h('div', { class: 'field' }, h('label', { for: targetId, title: 'The branch the run merges into' }, 'target'), target, h('small', { class: 'muted' }, 'Branch the run merges into'))),
      h('div', { class: 'toolbar' }, startButton, startButton.dataset.disabledReason ? h('span', { class: 'muted' }, startButton.dataset.disabledReason) : null),
      message,
    );
    return h(
      'article',
      { class: 'panel pipeline', 'data-pipeline': p.name },
      h(
        'div',
        { class: 'pipeline-head' },
        h('h3', {}, p.name),
        h('span', { class: 'muted' }, `${p.steps.length} steps · merges into `, h('code', {}, p.target)),
        lastRun(p),
      ),
      p.description ? h('p', { class: 'muted' }, p.description) : null,
      form,
    );
  }

  function lastRun(p: PipelineInfo): HTMLElement {
    const last = p.lastRun;
    return last
      ? h('span', { class: 'last-run' }, 'last run ', statusBadge(last.status), ' ', h('a', { href: `#/runs/${last.runId}` }, shortRunId(last.runId)), ` ${formatTime(last.queuedAt)}`)
      : h('span', { class: 'last-run muted' }, 'never run');
  }

  async function loadRuns(more = false): Promise<void> {
    if (!more) show(runsBox, loading('Loading runs'));
    try {
      const f = filters();
      const data = await ctx.api.request<{ runs: { nodes: RunSummary[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } }>(
        `query($first: Int, $after: String, $status: [RunStatus!], $pipeline: String) { runs(first: $first, after: $after, status: $status, pipeline: $pipeline) { nodes { ${RUN_SUMMARY} } pageInfo { endCursor hasNextPage } } }`,
        { first: PAGE, after: more ? endCursor : null, status: f.status, pipeline: f.pipeline },
      );
      runs = more ? [...runs, ...data.runs.nodes.filter((n) => !runs.some((r) => r.runId === n.runId))] : data.runs.nodes;
      endCursor = data.runs.pageInfo.endCursor;
      hasNext = data.runs.pageInfo.hasNextPage;
      drawRuns();
    } catch (e) {
      show(runsBox, errorState(e));
    }
  }

  function drawRuns(): void {
    if (!runs.length) {
      const filtered = statusFilter.value || pipelineFilter.value;
      show(runsBox, emptyState(filtered ? 'No runs match these filters' : 'No runs yet', filtered ? 'Pick another status or pipeline.' : 'Start a run of a pipeline above; it shows here as it goes.'));
      return;
    }
    const rows = runs.map((r) =>
      h(
        'tr',
        { 'data-run': r.runId, 'data-status': r.status },
        h('td', {}, statusBadge(r.status)),
        h('td', {}, h('a', { href: `#/runs/${r.runId}`, class: 'mono', 'aria-label': `Run ${r.runId}` }, shortRunId(r.runId)), r.retryOf ? h('span', { class: 'muted' }, ' retry') : null),
        h('td', {}, r.pipeline),
        h('td', {}, h('code', {}, r.target)),
        h('td', {}, r.startedBy),
        h('td', {}, formatTime(r.queuedAt)),
        h('td', { class: 'num' }, runDuration(r)),
        h('td', { class: 'error-cell', title: r.error ?? undefined }, r.error ?? ''),
      ),
    );
    show(
      runsBox,
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'data runs-table' },
          h('caption', { class: 'sr-only' }, 'Runs, newest first'),
          h('thead', {}, h('tr', {}, ['Status', 'Run', 'Pipeline', 'Target', 'Started by', 'Queued', 'Duration', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, rows),
        ),
      ),
      hasNext ? h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'secondary', onclick: () => void loadRuns(true) }, 'Load older runs')) : null,
    );
  }

  // Live: every change of a run's status; a new run that fits the filters goes on top.
  let unsubscribe: () => void = () => undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const subscribe = (attempt = 0) => {
    unsubscribe = ctx.api.subscribe<{ runUpdated: RunSummary }>(
      `subscription { runUpdated { ${RUN_SUMMARY} } }`,
      {},
      ({ runUpdated: r }) => {
        liveNote.textContent = 'live';
        const i = runs.findIndex((x) => x.runId === r.runId);
        if (i >= 0) runs[i] = r;
        else if (matches(r)) runs.unshift(r);
        if (i >= 0 && !matches(r)) runs.splice(i, 1);
        drawRuns();
        const p = pipelines.find((x) => x.name === r.pipeline);
        if (p && (!p.lastRun || p.lastRun.runId === r.runId || Date.parse(r.queuedAt) >= Date.parse(p.lastRun.queuedAt))) {
          p.lastRun = r;
          const card = pipelinesBox.querySelector(`[data-pipeline="${CSS.escape(p.name)}"] .last-run`);
          if (card) card.replaceWith(lastRun(p));
        }
      },
      (e) => {
        if (stopped) return;
        liveNote.textContent = e.kind === 'network' ? 'live updates lost; reconnecting…' : `live updates stopped: ${e.message}`;
        if (e.kind === 'network') retry = setTimeout(() => subscribe(attempt + 1), Math.min(30_000, 1000 * 2 ** attempt));
      },
    );
    liveNote.textContent = 'live';
  };

  statusFilter.addEventListener('change', () => void loadRuns());
  pipelineFilter.addEventListener('change', () => void loadRuns());
  void loadPipelines();
  void loadRuns();
  subscribe();
  // Durations of running runs tick.
  const tick = setInterval(() => {
    for (const r of runs) {
      if (r.status !== 'RUNNING') continue;
      const cell = runsBox.querySelector(`tr[data-run="${CSS.escape(r.runId)}"] td.num`);
      if (cell) cell.textContent = runDuration(r);
    }
  }, 1000);
  return () => {
    stopped = true;
    clearInterval(tick);
    clearTimeout(retry);
    unsubscribe();
  };
}
