/**
 * The Runs view: `#/runs` lists the pipelines (start a run) and the runs with live status;
 * `#/runs/<runId>` is one run: its steps as a timeline, its audits, its live event log, Cancel and Retry.
 */
import './runs/runs.css';
import { renderRunList } from './runs/list.js';
import { renderRunPage } from './runs/run-page.js';
import type { View } from './view.js';

export const runsView: View = {
  id: 'runs',
  title: 'Runs',
  render(root, params, ctx) {
    const [runId] = params;
    return runId ? renderRunPage(root, runId, ctx) : renderRunList(root, ctx);
  },
};
