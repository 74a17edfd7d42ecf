/** The History view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const historyView: View = {
  id: 'history',
  title: 'History',
  render(root) {
    show(root, h('h1', {}, 'History'));
  },
};
