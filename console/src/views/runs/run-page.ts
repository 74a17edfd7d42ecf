/**
 * One run: its facts, Cancel and Retry, a timeline of its steps, its audits, and its event log
 * streamed by the runEvents subscription. The log resumes where it stopped when the connection
 * drops: the subscription is asked again with `after` = the last sequence number shown (events
 * at or below it that arrive anyway are dropped), so no event is shown twice or missed.
 */
import { disableWithReason, emptyState, errorState, formatTime, h, loading, shortHash, show } from '../../ui.js';
import type { ApiError } from '../../api.js';
import type { ViewContext } from '../view.js';
import { CANCEL_RESULT, RUN_SUMMARY, START_RESULT, TERMINAL, runDuration, shortRunId, statusBadge, type RunMutationResult, type RunSummary } from './common.js';
import { drawGantt, stepTimings, type RunEvent } from './gantt.js';

interface Audit {
  name: string;
  table: string;
  check: string;
  severity: string;
  passed: boolean;
  failingRows: string | null;
  message: string | null;
}

interface RunDetail extends RunSummary {
  params: Record<string, unknown>;
  mergedHash: string | null;
  audits: Audit[];
  commits: { hash: string; message: string }[];
}

const RUN_QUERY = `query($id: ID!) { run(id: $id) { ${RUN_SUMMARY} params mergedHash audits { name table check severity passed failingRows message } commits { hash message } } }`;
const EVENTS_SUBSCRIPTION = 'subscription($runId: ID!, $after: Int) { runEvents(runId: $runId, after: $after) { seq at type step level message data } }';
const RUN_ENDS = ['RUN_SUCCEEDED', 'RUN_FAILED', 'RUN_CANCELED'];
/** Events after which the run's record (status, audits, merge) has changed. */
const REFETCH_ON = new Set(['RUN_STARTED', 'BRANCH_CREATED', 'MERGED', ...RUN_ENDS]);

export function renderRunPage(root: HTMLElement, runId: string, ctx: ViewContext): () => void {
  let stopped = false;
  let run: RunDetail | null = null;
  let steps: { name: string; kind: string }[] = [];
  const events: RunEvent[] = [];
  let lastSeq = 0;
  let streamEnded = false;
  let unsubscribe: () => void = () => undefined;
  let reconnect: ReturnType<typeof setTimeout> | undefined;
  let attempts = 0;

  const header = h('div', { class: 'run-header' });
  const actions = h('div', { class: 'toolbar run-actions' });
  const actionMessage = h('p', { class: 'form-message', role: 'status' });
  const facts = h('div', { class: 'run-facts' });
  const ganttBox = h('div', { class: 'gantt-box panel' }, loading('Loading steps'));
  const auditsBox = h('div', { class: 'audits' });
  const showDebug = h('input', { type: 'checkbox', id: 'log-debug' });
  const streamState = h('span', { class: 'badge stream-state', role: 'status', 'data-stream': 'connecting' }, 'connecting');
  const log = h('ol', { class: 'event-log', 'aria-label': 'Events, oldest first', tabindex: '0' });

  show(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs'), ' / ', h('span', { class: 'mono' }, shortRunId(runId))),
    header,
    actions,
    actionMessage,
    facts,
    h('section', { 'aria-labelledby': 'steps-h' }, h('h2', { id: 'steps-h' }, 'Steps'), ganttBox),
    h('section', { 'aria-labelledby': 'audits-h' }, h('h2', { id: 'audits-h' }, 'Audits'), auditsBox),
    h(
      'section',
      { 'aria-labelledby': 'log-h' },
      h('div', { class: 'log-head' }, h('h2', { id: 'log-h' }, 'Event log'), streamState, h('label', { for: 'log-debug', class: 'check' }, showDebug, ' show progress events')),
      h('div', { class: 'panel log-panel', role: 'log', 'aria-label': 'Event log' }, log),
    ),
  );
  showDebug.addEventListener('change', () => log.classList.toggle('show-debug', showDebug.checked));

  async function loadRun(): Promise<boolean> {
    try {
      const data = await ctx.api.request<{ run: RunDetail | null }>(RUN_QUERY, { id: runId });
      if (stopped) return false;
      if (!data.run) {
        show(root, h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs')), emptyState(`There is no run ${runId}`, 'It may have been typed wrong; the list of runs has every run.'));
        return false;
      }
      run = data.run;
      drawRun();
      return true;
    } catch (e) {
      if (!stopped) show(root, h('p', { class: 'crumbs' }, h('a', { href: '#/runs' }, 'Runs')), errorState(e));
      return false;
    }
  }

  let refetch: ReturnType<typeof setTimeout> | undefined;
  const refetchSoon = () => {
    clearTimeout(refetch);
    refetch = setTimeout(() => void loadRun(), 100);
  };

  function drawRun(): void {
    if (!run) return;
    const r = run;
    show(header, h('h1', {}, `Run of ${r.pipeline} `, h('span', { class: 'mono muted' }, shortRunId(r.runId)), ' ', statusBadge(r.status)));
    const ended = TERMINAL.includes(r.status);
    const cancel = h('button', { type: 'button', class: 'danger', onclick: () => void act('cancel') }, 'Cancel run');
    disableWithReason(cancel, ctx.denied('engineer', 'Canceling a run') ?? (ended ? `The run already ended (${r.status.toLowerCase()}).` : null));
    const retry = h('button', { type: 'button', class: 'secondary', onclick: () => void act('retry') }, 'Retry run');
    disableWithReason(retry, ctx.denied('engineer', 'Retrying a run') ?? (ended ? null : 'A run can be retried once it has ended.'));
    show(actions, cancel, retry, [cancel, retry].map((b) => (b.dataset.disabledReason ? h('span', { class: 'muted reason' }, `${b.textContent}: ${b.dataset.disabledReason}`) : null)));
    const fact = (label: string, ...value: (Node | string | null)[]) => [h('dt', {}, label), h('dd', {}, ...value)];
    show(
      facts,
      h(
        'dl',
        { class: 'facts' },
        fact('Run', h('span', { class: 'mono' }, r.runId)),
        fact('Target', h('code', {}, r.target)),
        fact('Branch', r.branch ? h('code', {}, r.branch) : h('span', { class: 'muted' }, 'not created yet')),
        fact('Started by', r.startedBy),
        fact('Queued', formatTime(r.queuedAt)),
        fact('Started', r.startedAt ? formatTime(r.startedAt) : h('span', { class: 'muted' }, 'waiting')),
        fact('Finished', r.finishedAt ? formatTime(r.finishedAt) : h('span', { class: 'muted' }, ended ? '' : 'not yet')),
        fact('Duration', h('span', { class: 'run-duration' }, runDuration(r))),
        fact('Params', h('code', {}, JSON.stringify(r.params))),
        r.mergedHash ? fact('Merged as', h('code', { title: r.mergedHash }, shortHash(r.mergedHash))) : null,
        r.retryOf ? fact('Retry of', h('a', { href: `#/runs/${r.retryOf}`, class: 'mono' }, shortRunId(r.retryOf))) : null,
        fact('Commits', String(r.commits.length)),
      ),
      r.error ? h('div', { class: 'state error run-error', role: 'alert' }, h('p', { class: 'state-title' }, 'Why the run failed'), h('p', {}, r.error)) : null,
    );
    drawAudits();
    drawSteps();
  }

  function drawAudits(): void {
    if (!run) return;
    if (!run.audits.length) {
      show(auditsBox, emptyState(TERMINAL.includes(run.status) ? 'No audits ran' : 'Audits run after the models', TERMINAL.includes(run.status) ? 'The run ended before its audits.' : 'Their results show here when they are done.'));
      return;
    }
    const passed = run.audits.filter((a) => a.passed).length;
    show(
      auditsBox,
      h('p', { class: 'muted' }, `${passed} of ${run.audits.length} passed`),
      h(
        'table',
        { class: 'data audits-table' },
        h('thead', {}, h('tr', {}, ['Result', 'Audit', 'Check', 'Table', 'Severity', 'Failing rows', 'Message'].map((c) => h('th', { scope: 'col' }, c)))),
        h(
          'tbody',
          {},
          run.audits.map((a) =>
            h(
              'tr',
              { 'data-audit': a.name, 'data-passed': String(a.passed) },
              h('td', {}, h('span', { class: `badge ${a.passed ? 'ok' : a.severity === 'warn' ? 'warn' : 'bad'}` }, a.passed ? 'pass' : 'fail')),
              h('td', {}, a.name),
              h('td', {}, h('code', {}, a.check)),
              h('td', {}, h('code', {}, a.table)),
              h('td', {}, a.severity),
              h('td', { class: 'num failing-rows' }, a.failingRows ?? ''),
              h('td', {}, a.message ?? ''),
            ),
          ),
        ),
      ),
    );
  }

  function drawSteps(): void {
    if (!run) return;
    const end = run.finishedAt ? Date.parse(run.finishedAt) : null;
    const start = run.startedAt ? Date.parse(run.startedAt) : null;
    const timings = stepTimings(steps, events, run.status, end);
    if (!timings.length) {
      show(ganttBox, emptyState('No steps yet', 'The run has not started a step.'));
      return;
    }
    drawGantt(ganttBox, timings, start, end);
  }

  function logLine(e: RunEvent): HTMLElement {
    return h(
      'li',
      { class: `event level-${e.level.toLowerCase()}`, 'data-seq': e.seq, 'data-type': e.type },
      h('span', { class: 'seq muted' }, String(e.seq)),
      h('time', { datetime: e.at }, new Date(e.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false })),
      h('span', { class: `badge level ${e.level.toLowerCase()}` }, e.level),
      h('span', { class: 'etype' }, e.type),
      e.step ? h('code', { class: 'estep' }, e.step) : h('span', {}),
      h('span', { class: 'emsg' }, e.message),
    );
  }

  let stepsDirty: ReturnType<typeof requestAnimationFrame> | undefined;
  function onEvent(e: RunEvent): void {
    if (e.seq <= lastSeq) return; // already shown (a replay after a reconnect)
    lastSeq = e.seq;
    variables.after = lastSeq; // graphql-ws re-sends this payload when it reconnects by itself
    attempts = 0;
    events.push(e);
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 30;
    log.append(logLine(e));
    if (atBottom) log.scrollTop = log.scrollHeight;
    if (run && e.type === 'RUN_STARTED' && run.status === 'QUEUED') run.status = 'RUNNING';
    if (REFETCH_ON.has(e.type)) refetchSoon();
    if (RUN_ENDS.includes(e.type)) streamEnded = true;
    stepsDirty ??= requestAnimationFrame(() => {
      stepsDirty = undefined;
      drawSteps();
    });
  }

  function setStream(state: 'connecting' | 'live' | 'reconnecting' | 'ended' | 'stopped', text?: string): void {
    streamState.dataset.stream = state;
    streamState.className = `badge stream-state ${state}`;
    streamState.textContent = text ?? state;
  }

  const variables: { runId: string; after: number | null } = { runId, after: null };
  function connect(): void {
    variables.after = lastSeq > 0 ? lastSeq : null;
    setStream(lastSeq > 0 ? 'reconnecting' : 'connecting');
    unsubscribe = ctx.api.subscribe<{ runEvents: RunEvent }>(
      EVENTS_SUBSCRIPTION,
      variables,
      (d) => {
        if (streamState.dataset.stream !== 'live') setStream('live');
        onEvent(d.runEvents);
      },
      (e: ApiError) => {
        if (stopped) return;
        if (e.kind !== 'network') {
          setStream('stopped', `stopped: ${e.message}`);
          return;
        }
        retryLater();
      },
      () => {
        if (stopped) return;
        // The stream completes after the run's last event; before that, the connection was closed.
        if (streamEnded) setStream('ended', 'complete');
        else retryLater();
      },
    );
  }
  function retryLater(): void {
    setStream('reconnecting', 'connection lost; resuming…');
    clearTimeout(reconnect);
    reconnect = setTimeout(connect, Math.min(15_000, 500 * 2 ** attempts++));
  }

  async function act(kind: 'cancel' | 'retry'): Promise<void> {
    show(actionMessage, kind === 'cancel' ? 'Canceling…' : 'Starting a retry…');
    actionMessage.className = 'form-message';
    try {
      const data =
        kind === 'cancel'
          ? (await ctx.api.request<{ cancelRun: RunMutationResult }>(`mutation($id: ID!) { cancelRun(id: $id) { ${CANCEL_RESULT} } }`, { id: runId })).cancelRun
          : (await ctx.api.request<{ retryRun: RunMutationResult }>(`mutation($id: ID!) { retryRun(id: $id) { ${START_RESULT} } }`, { id: runId })).retryRun;
      if (data.run) {
        if (kind === 'retry') ctx.navigate('runs', data.run.runId);
        else {
          show(actionMessage, 'Cancel requested: a running run stops at its next step.');
          refetchSoon();
        }
        return;
      }
      show(actionMessage, data.message ?? 'Not done.', data.code ? h('code', {}, ` ${data.code}`) : null);
      actionMessage.className = 'form-message bad';
    } catch (e) {
      show(actionMessage, errorState(e));
    }
  }

  void (async () => {
    if (!(await loadRun())) return;
    const loaded = run as RunDetail | null;
    if (!loaded) return;
    try {
      const data = await ctx.api.request<{ pipeline: { steps: { name: string; kind: string }[] } | null }>('query($name: String!) { pipeline(name: $name) { steps { name kind } } }', { name: loaded.pipeline });
      steps = data.pipeline?.steps ?? [];
    } catch {
      steps = []; // the pipeline is gone: the steps come from the events alone
    }
    if (stopped) return;
    drawSteps();
    connect();
  })();

  // While the run goes on, its timeline and duration grow.
  const tick = setInterval(() => {
    if (!run || TERMINAL.includes(run.status) || !run.startedAt) return;
    drawSteps();
    const d = facts.querySelector('.run-duration');
    if (d) d.textContent = runDuration(run);
  }, 500);

  return () => {
    stopped = true;
    clearInterval(tick);
    clearTimeout(reconnect);
    clearTimeout(refetch);
    if (stepsDirty !== undefined) cancelAnimationFrame(stepsDirty);
    unsubscribe();
  };
}
