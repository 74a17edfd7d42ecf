/** The Tables view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const tablesView: View = {
  id: 'tables',
  title: 'Tables',
  render(root) {
    show(root, h('h1', {}, 'Tables'));
  },
};
