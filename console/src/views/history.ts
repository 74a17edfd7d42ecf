/**
 * The History view: the commit graph of every branch and tag (lanes per line of first parents, merge
 * edges from the merged commit into the merge commit, refs as labels), paged with "Load more", live
 * through referenceUpdated; a selected commit shows its details and actions (history/commit-panel.ts).
 */
import { h, show, loading, errorState, emptyState, formatTime, shortHash } from '../ui.js';
import type { View, ViewContext } from './view.js';
import { HistoryData, type HistoryCommit, type Ref } from './history/data.js';
import { layoutGraph } from './history/layout.js';
import { drawGraph, graphWidth, ROW } from './history/graph.js';
import { commitPanel, refLabels } from './history/commit-panel.js';
import './history/history.css';

const PAGE = 40;

export const historyView: View = {
  id: 'history',
  title: 'History',
  render(root, params, ctx) {
    let stopped = false;
    let selected: string | null = params[0] ?? null;
    const canReadAll = ctx.denied('analyst', 'Reading every branch') === null;
    const data: HistoryData = new HistoryData(ctx.api, PAGE, canReadAll, (r: Ref): boolean => canReadAll || r.type === 'TAG' || r.name === data.defaultBranch);

    const summary = h('p', { class: 'muted summary', 'aria-live': 'polite' });
    const live = h('span', { class: 'badge live', title: 'Reference moves arrive over the live connection' }, 'live');
    const graphBox = h('div', { class: 'graph-box' }, loading('Loading the history'));
    const panel = h('aside', { class: 'commit-side', 'aria-label': 'Selected commit' });
    const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Load more');
    const note = canReadAll ? null : h('p', { class: 'muted' }, `${ctx.denied('analyst', 'Reading other branches')} You see the default branch and tags.`);
    show(
      root,
      h('div', { class: 'toolbar head' }, h('h1', {}, 'History'), live, summary),
      note,
      h('div', { class: 'history-columns' }, h('div', { class: 'graph-col' }, graphBox, h('div', { class: 'toolbar' }, more)), panel),
    );

    let list: HTMLUListElement | null = null;
    const refsAt = (hash: string): Ref[] => data.refs.filter((r) => r.hash === hash);

    const select = (hash: string, focus = false) => {
      selected = hash;
      draw();
      const c = data.commits.get(hash);
      if (c) show(panel, commitPanel(c, data, ctx, { select: (p) => select(p, true), changed: reloadRefs }));
      if (focus) list?.focus();
      history.replaceState(null, '', `#/history/${encodeURIComponent(hash)}`);
    };

    function draw(): void {
      const commits = data.visible();
      if (!commits.length) {
        show(graphBox, emptyState('No commits to show yet.', 'Create a namespace or a table on a branch, and its commits appear here.'));
        return;
      }
      const main = data.refs.find((r) => r.name === data.defaultBranch);
      const layout = layoutGraph(commits, main ? [main.hash] : []);
      const width = graphWidth(layout.laneCount);
      const svg = drawGraph(layout, selected, data.hasMore);
      const ul = h('ul', { role: 'listbox', 'aria-label': 'Commits, newest first', tabindex: '0', class: 'commit-list' });
      ul.style.paddingLeft = `${width + 6}px`;
      for (const { commit, lane } of layout.rows) ul.append(row(commit, lane));
      ul.addEventListener('keydown', (e) => {
        const i = layout.rows.findIndex((r) => r.commit.hash === selected);
        const to = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? layout.rows.length - 1 : null;
        if (to === null) return;
        e.preventDefault();
        const next = layout.rows[Math.max(0, Math.min(layout.rows.length - 1, to))];
        if (next) select(next.commit.hash, true);
      });
      if (selected && layout.rows.some((r) => r.commit.hash === selected)) ul.setAttribute('aria-activedescendant', `commit-${selected}`);
      const scrollTop = graphBox.scrollTop;
      show(graphBox, h('div', { class: 'graph', style: `min-height:${layout.rows.length * ROW}px` }, svg, ul));
      graphBox.scrollTop = scrollTop;
      list = ul;
      more.hidden = !data.hasMore;
      const branches = data.refs.filter((r) => r.type === 'BRANCH').length;
      summary.textContent = `${commits.length} commits · ${branches} branch${branches === 1 ? '' : 'es'} · ${data.refs.length - branches} tag${data.refs.length - branches === 1 ? '' : 's'}${data.hasMore ? ' · older history not loaded' : ''}`;
    }

    function row(c: HistoryCommit, lane: number): HTMLLIElement {
      const refs = refsAt(c.hash);
      const li = h(
        'li',
        { role: 'option', id: `commit-${c.hash}`, 'aria-selected': c.hash === selected ? 'true' : 'false', 'data-hash': c.hash, class: c.hash === selected ? 'selected' : '' },
        h(
          'span',
          { class: 'refs' },
          refs.map((r) => h('span', { class: `ref ${r.type.toLowerCase()}${r.name === data.defaultBranch ? ' default' : ''}`, 'data-ref': r.name, style: `--ref-color: var(--lane-${lane % 6})` }, r.name)),
        ),
        h('span', { class: 'msg' }, c.message.split('\n')[0] ?? ''),
        h('span', { class: 'meta' }, h('span', { class: 'author' }, c.author), h('time', { datetime: c.commitTime }, formatTime(c.commitTime)), h('code', {}, shortHash(c.hash))),
      );
      li.style.height = `${ROW}px`;
      li.addEventListener('click', () => select(c.hash, true));
      return li;
    }

    async function reloadRefs(): Promise<void> {
      await data.loadRefs();
      await data.fill();
      if (stopped) return;
      draw();
      if (selected && data.commits.has(selected)) {
        // The refs changed: the panel's lists of refs too (its results stay where they are shown).
        const labels = panel.querySelector('.refs-here');
        if (labels) show(labels, refLabels(refsAt(selected)));
      }
    }

    more.addEventListener('click', async () => {
      more.disabled = true;
      more.textContent = 'Loading…';
      try {
        await data.loadMore();
        if (!stopped) draw();
      } catch (e) {
        graphBox.append(errorState(e));
      } finally {
        more.disabled = false;
        more.textContent = 'Load more';
      }
    });

    // Live: every reference move reloads the refs (debounced: a run moves several at once).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const unsubscribe = ctx.api.subscribe(
      'subscription HistoryLive { referenceUpdated { kind name type hash } }',
      {},
      () => {
        live.textContent = 'live';
        clearTimeout(timer);
        timer = setTimeout(() => void reloadRefs().catch((e) => !stopped && graphBox.prepend(errorState(e))), 150);
      },
      (e) => {
        live.textContent = 'not live';
        live.className = 'badge warn live';
        live.title = `Live updates stopped: ${e.message}`;
      },
    );

    void (async () => {
      try {
        await data.loadRefs();
        await data.fill();
        if (stopped) return;
        const first = selected && data.commits.has(selected) ? selected : (data.refs.find((r) => r.name === data.defaultBranch)?.hash ?? data.visible()[0]?.hash ?? null);
        if (first) select(first);
        else draw();
      } catch (e) {
        if (!stopped) show(graphBox, errorState(e));
      }
    })();

    return () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    };
  },
};
