/**
 * A run's steps as a timeline: one row per step (the pipeline's steps in order, then any step the
 * events name that the pipeline does not, such as publish_marts), each with its state and a bar from
 * its STEP_STARTED to the event that ended it, on a scale from the run's start to its end (or now).
 */
import { h, show } from '../../ui.js';
import { formatDuration } from './common.js';

export interface RunEvent {
  seq: number;
  at: string;
  type: string;
  step: string | null;
  level: string;
  message: string;
  data: Record<string, unknown> | null;
}

export type StepState = 'pending' | 'running' | 'succeeded' | 'warned' | 'failed' | 'canceled' | 'skipped';

export interface StepTiming {
  name: string;
  kind: string;
  state: StepState;
  start: number | null;
  end: number | null;
  detail: string;
}

/** Events that end a step, and the state each leaves it in. */
const ENDS: Record<string, (e: RunEvent) => StepState> = {
  STEP_SUCCEEDED: () => 'succeeded',
  STEP_FAILED: () => 'failed',
  AUDIT_PASSED: () => 'succeeded',
  AUDIT_FAILED: (e) => (e.data?.severity === 'warn' ? 'warned' : 'failed'),
  MERGED: () => 'succeeded',
  MARTS_PUBLISHED: () => 'succeeded',
};

/** The steps' states and times from the events seen so far. */
export function stepTimings(steps: { name: string; kind: string }[], events: RunEvent[], runStatus: string, runEnd: number | null): StepTiming[] {
  const byName = new Map<string, StepTiming>();
  const out: StepTiming[] = [];
  const add = (name: string, kind: string) => {
    let s = byName.get(name);
    if (!s) {
      s = { name, kind, state: 'pending', start: null, end: null, detail: '' };
      byName.set(name, s);
      out.push(s);
    }
    return s;
  };
  for (const s of steps) add(s.name, s.kind);
  for (const e of events) {
    if (!e.step) continue;
    const s = add(e.step, typeof e.data?.kind === 'string' ? e.data.kind : 'step');
    const t = Date.parse(e.at);
    if (e.type === 'STEP_STARTED') {
      s.state = 'running';
      s.start = t;
      s.end = null;
    } else if (e.type === 'STEP_PROGRESS') {
      s.detail = e.message;
    } else if (ENDS[e.type]) {
      s.state = ENDS[e.type]!(e);
      s.start ??= t;
      s.end = t;
      s.detail = e.message;
    }
  }
  const ended = ['SUCCEEDED', 'FAILED', 'CANCELED'].includes(runStatus);
  if (ended) {
    for (const s of out) {
      if (s.state === 'running') {
        s.state = runStatus === 'CANCELED' ? 'canceled' : 'failed';
        s.end = runEnd;
      } else if (s.state === 'pending') s.state = 'skipped';
    }
  }
  return out;
}

const STATE_TEXT: Record<StepState, string> = {
  pending: 'waiting',
  running: 'running',
  succeeded: 'done',
  warned: 'warning',
  failed: 'failed',
  canceled: 'canceled',
  skipped: 'not run',
};

/** Draws the timeline into `box` (called again as events arrive and, while running, as time passes). */
export function drawGantt(box: HTMLElement, timings: StepTiming[], runStart: number | null, runEnd: number | null, now = Date.now()): void {
  const t0 = runStart ?? Math.min(...timings.map((s) => s.start ?? Infinity));
  const t1 = Math.max(runEnd ?? now, ...timings.map((s) => s.end ?? 0), t0 + 1);
  const span = Number.isFinite(t0) ? t1 - t0 : 1;
  const ticks = Number.isFinite(t0) ? scaleTicks(span) : [];
  const scale = h(
    'div',
    { class: 'gantt-scale', 'aria-hidden': 'true' },
    h('span', {}),
    h('span', {}),
    h(
      'div',
      { class: 'gantt-axis' },
      ticks.map((ms) => {
        const tick = h('span', { class: 'gantt-tick' }, formatDuration(ms).replace(/\.0 s$/, ' s'));
        tick.style.left = `${(100 * ms) / span}%`;
        return tick;
      }),
    ),
    h('span', {}),
  );
  const rows = timings.map((s) => {
    const bar = h('div', { class: `gantt-bar ${s.state}` });
    if (s.start !== null && Number.isFinite(t0)) {
      const end = s.end ?? now;
      bar.style.left = `${(100 * (s.start - t0)) / span}%`;
      bar.style.width = `max(3px, ${(100 * Math.max(0, end - s.start)) / span}%)`;
    } else bar.hidden = true;
    const took = s.start !== null ? formatDuration((s.end ?? now) - s.start) : '';
    return h(
      'li',
      { class: `gantt-row ${s.state}`, 'data-step': s.name, 'data-state': s.state, title: s.detail || undefined },
      h('span', { class: 'gantt-name' }, s.name, h('small', { class: 'muted' }, ` ${s.kind}`)),
      h('span', { class: `badge step-state ${s.state}` }, STATE_TEXT[s.state]),
      h('div', { class: 'gantt-track', 'aria-hidden': 'true' }, bar),
      h('span', { class: 'gantt-took muted' }, took),
    );
  });
  show(box, scale, h('ol', { class: 'gantt', 'aria-label': 'Steps of the run' }, rows));
}

/** Round tick positions (ms from the start) for a span. */
function scaleTicks(span: number): number[] {
  const steps = [100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000];
  const step = steps.find((s) => span / s <= 8) ?? span / 8;
  const out: number[] = [];
  for (let t = 0; t <= span; t += step) out.push(t);
  return out;
}
