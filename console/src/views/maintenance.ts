/**
 * The Maintenance view: table maintenance plans (snapshot expiry, orphan file removal, compaction).
 * `#/maintenance` lists the plans and makes new ones; `#/maintenance/plan/<id>` shows a plan — its
 * files to delete, what pins each kept file — executes it after a confirmation and follows its
 * progress live (maintenanceEvents).
 */
import { listPage } from './maintenance/list.js';
import { planPage } from './maintenance/plan.js';
import './maintenance/maintenance.css';
import type { View } from './view.js';

export const maintenanceView: View = {
  id: 'maintenance',
  title: 'Maintenance',
  render(root, params, ctx) {
    if (params[0] === 'plan' && params[1]) return planPage(root, params[1], ctx);
    return listPage(root, ctx);
  },
};
