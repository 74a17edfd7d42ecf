/** The Marts view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const martsView: View = {
  id: 'marts',
  title: 'Marts',
  render(root) {
    show(root, h('h1', {}, 'Marts'));
  },
};
