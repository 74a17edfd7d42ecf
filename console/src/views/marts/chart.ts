/**
 * A time-series chart of a mart (uPlot, on a canvas): x is the mart's date or timestamp column, one
 * or two numeric columns as series, each on an axis of its own (left and right) since their units
 * differ. The chart element carries the uPlot instance (`uplot`) and `data-points`, the number of
 * x values it holds.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { h, show } from '../../ui.js';

export interface MartColumn {
  name: string;
  type: string;
  nullable: boolean;
}

const TIME_TYPES = /^(date|timestamp|timestamptz|timestamp_ns|timestamptz_ns)$/;
const NUMERIC_TYPES = /^(int|long|float|double|decimal\(\d+,\s*\d+\))$/;

export function timeColumn(columns: MartColumn[]): MartColumn | undefined {
  return columns.find((c) => TIME_TYPES.test(c.type));
}

export function numericColumns(columns: MartColumn[]): MartColumn[] {
  return columns.filter((c) => NUMERIC_TYPES.test(c.type));
}

/** The two series shown first: an average and a percent in range when the mart has them (the glucose overview), else the first two numbers. */
export function defaultSeries(columns: MartColumn[]): [string, string | null] {
  const nums = numericColumns(columns).map((c) => c.name);
  const first = nums.find((n) => /^avg_/.test(n)) ?? nums[0]!;
  const second = nums.find((n) => n === 'pct_in_range') ?? nums.find((n) => /^pct_/.test(n) && n !== first) ?? nums.find((n) => n !== first) ?? null;
  return [first, second];
}

/** Seconds since the epoch for a date (`YYYY-MM-DD`, at 00:00 UTC) or an ISO timestamp. */
export function toSeconds(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

const DAY = 86_400;
const DAY_INCRS = [DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 91 * DAY, 182 * DAY, 365 * DAY, 5 * 365 * DAY];
const DAY_LABEL = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', year: '2-digit', timeZone: 'UTC' });

export interface ChartHandle {
  element: HTMLElement;
  /** Draws these rows (ordered by the time column). */
  setRows(rows: Record<string, unknown>[], x: string, series: (string | null)[]): void;
  destroy(): void;
}

/** A chart that follows its box's width and the console's theme. */
export function martChart(label: string): ChartHandle {
  const element = h('div', { class: 'mart-chart', role: 'img', 'aria-label': label, 'data-points': '0' });
  let plot: uPlot | undefined;
  let last: { rows: Record<string, unknown>[]; x: string; series: (string | null)[] } | undefined;

  const draw = () => {
    plot?.destroy();
    plot = undefined;
    if (!last) return;
    const { rows, x, series } = last;
    const ys = series.filter((s): s is string => !!s);
    const points = rows.map((r) => ({ t: toSeconds(r[x]), r })).filter((p): p is { t: number; r: Record<string, unknown> } => p.t !== null);
    const data: uPlot.AlignedData = [points.map((p) => p.t), ...ys.map((y) => points.map((p) => num(p.r[y])))];
    const text = cssVar('--muted');
    const grid = cssVar('--border');
    const colors = [cssVar('--lane-0'), cssVar('--lane-3')];
    const isDate = rows.length > 0 && typeof rows[0]![x] === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(rows[0]![x] as string);
    const axis = (scale: string, side: 0 | 1 | 2 | 3, labelText: string, color: string): uPlot.Axis => ({
      scale,
      side,
      label: labelText,
      stroke: color,
      grid: { stroke: grid, width: 1, show: side === 3 || side === 2 },
      ticks: { stroke: grid, width: 1 },
      labelFont: '600 12px system-ui, sans-serif',
      font: '12px system-ui, sans-serif',
    });
    const opts: uPlot.Options = {
      width: Math.max(320, element.clientWidth || 900),
      height: 280,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, ...(ys[1] ? { y2: { auto: true } } : {}) },
      series: [
        { label: x, value: isDate ? '{YYYY}-{MM}-{DD}' : '{YYYY}-{MM}-{DD} {HH}:{mm}' },
        ...ys.map((y, i) => ({ label: y, scale: i === 0 ? 'y' : 'y2', stroke: colors[i], width: 2, points: { show: true, size: 6, fill: colors[i] } })),
      ],
      axes: [
        {
          ...axis('x', 2, x, text),
          grid: { stroke: grid, width: 1 },
          // A date column: ticks on whole days (never hours), as `Nov 10`.
          ...(isDate ? { incrs: DAY_INCRS, values: (_u: uPlot, splits: number[]) => splits.map((s) => DAY_LABEL.format(new Date(s * 1000))) } : {}),
        },
        ...ys.map((y, i) => axis(i === 0 ? 'y' : 'y2', i === 0 ? 3 : 1, y, colors[i]!))],
      legend: { show: true },
      cursor: { drag: { x: true, y: false } },
    };
    show(element);
    plot = new uPlot(opts, data, element);
    (element as HTMLElement & { uplot?: uPlot }).uplot = plot;
    element.dataset.points = String(plot.data[0].length);
    element.dataset.series = ys.join(',');
    element.setAttribute('aria-label', `${label}: ${ys.join(' and ')} by ${x}, ${plot.data[0].length} points`);
  };

  const resize = new ResizeObserver(() => {
    if (plot && element.clientWidth && Math.abs(plot.width - element.clientWidth) > 4) plot.setSize({ width: element.clientWidth, height: 280 });
  });
  resize.observe(element);
  const theme = new MutationObserver(() => draw());
  theme.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });

  return {
    element,
    setRows(rows, x, series) {
      last = { rows, x, series };
      draw();
    },
    destroy() {
      resize.disconnect();
      theme.disconnect();
      plot?.destroy();
    },
  };
}
