/** The Maintenance view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const maintenanceView: View = {
  id: 'maintenance',
  title: 'Maintenance',
  render(root) {
    show(root, h('h1', {}, 'Maintenance'));
  },
};
