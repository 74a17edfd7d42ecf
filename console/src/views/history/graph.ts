/** Draws a laid-out commit graph as SVG: one coloured lane per line, merge edges dashed, commits as dots. */
import type { Layout, GraphCommit } from './layout.js';

export const ROW = 36;
export const LANE = 16;
const PAD = 12;

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export function graphWidth(laneCount: number): number {
  return PAD * 2 + (laneCount - 1) * LANE;
}

const x = (lane: number) => PAD + lane * LANE;
const y = (row: number) => row * ROW + ROW / 2;
const color = (lane: number) => `var(--lane-${lane % 6})`;

/** A vertical S-curve between two points. */
function curve(x1: number, y1: number, x2: number, y2: number): string {
  if (x1 === x2) return `L ${x2} ${y2}`;
  const m = (y1 + y2) / 2;
  return `C ${x1} ${m}, ${x2} ${m}, ${x2} ${y2}`;
}

/**
 * `more`: older history exists (an edge to a parent not shown runs off the bottom); otherwise such an
 * edge is a short stub (a parent the role may not read).
 */
export function drawGraph<C extends GraphCommit>(layout: Layout<C>, selected: string | null, more: boolean): SVGSVGElement {
  const height = Math.max(ROW, layout.rows.length * ROW);
  const width = graphWidth(layout.laneCount);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true', class: 'commit-graph', focusable: 'false' });
  const edges = svg('g', { fill: 'none', 'stroke-width': 2 });
  for (const e of layout.edges) {
    const x0 = x(e.fromLane);
    const y0 = y(e.fromRow);
    let d = `M ${x0} ${y0}`;
    if (e.toRow === null) {
      const bottom = more ? height : y0 + ROW * 0.7;
      const turn = Math.min(bottom, y(e.fromRow + 1));
      d += ` ${curve(x0, y0, x(e.via), turn)} L ${x(e.via)} ${bottom}`;
    } else if (e.toRow === e.fromRow + 1) {
      d += ` ${curve(x0, y0, x(e.toLane), y(e.toRow))}`;
    } else {
      d += ` ${curve(x0, y0, x(e.via), y(e.fromRow + 1))} L ${x(e.via)} ${y(e.toRow - 1)} ${curve(x(e.via), y(e.toRow - 1), x(e.toLane), y(e.toRow))}`;
    }
    const path = svg('path', { d, stroke: color(e.via), class: e.merge ? 'edge merge' : 'edge' });
    if (e.merge) path.setAttribute('stroke-dasharray', '5 3');
    if (e.toRow === null && !more) path.setAttribute('stroke-opacity', '0.45');
    edges.append(path);
  }
  root.append(edges);
  const dots = svg('g', {});
  layout.rows.forEach(({ commit, lane }, r) => {
    const isMerge = commit.parentHashes.length > 1;
    if (commit.hash === selected) dots.append(svg('circle', { cx: x(lane), cy: y(r), r: 9, fill: 'none', stroke: 'var(--focus)', 'stroke-width': 2 }));
    dots.append(
      svg('circle', {
        cx: x(lane),
        cy: y(r),
        r: isMerge ? 5 : 4.5,
        fill: isMerge ? 'var(--panel)' : color(lane),
        stroke: color(lane),
        'stroke-width': isMerge ? 3 : 1.5,
        'data-hash': commit.hash,
      }),
    );
  });
  root.append(dots);
  return root;
}
