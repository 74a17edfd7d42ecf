/** The console's views, in the order of the navigation. */
import { historyView } from './history.js';
import { tablesView } from './tables.js';
import { runsView } from './runs.js';
import { martsView } from './marts.js';
import { sqlView } from './sql.js';
import { maintenanceView } from './maintenance.js';
import { playgroundView } from './playground.js';
import type { View } from './view.js';

export const VIEWS: View[] = [historyView, tablesView, runsView, martsView, sqlView, maintenanceView, playgroundView];
