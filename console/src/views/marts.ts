/**
 * The Marts view: `#/marts` lists the published marts; `#/marts/<name>` shows one: where it was
 * published from, a uPlot chart when it is a time series, and its rows with filters.
 */
import './marts/marts.css';
import { renderMartList } from './marts/list.js';
import { renderMartPage } from './marts/mart-page.js';
import type { View } from './view.js';

export const martsView: View = {
  id: 'marts',
  title: 'Marts',
  render(root, params, ctx) {
    const [name] = params;
    return name ? renderMartPage(root, name, ctx) : renderMartList(root, ctx);
  },
};
