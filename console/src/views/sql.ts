/** The SQL view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const sqlView: View = {
  id: 'sql',
  title: 'SQL',
  render(root) {
    show(root, h('h1', {}, 'SQL'));
  },
};
