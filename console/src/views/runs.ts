/** The Runs view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const runsView: View = {
  id: 'runs',
  title: 'Runs',
  render(root) {
    show(root, h('h1', {}, 'Runs'));
  },
};
