/** The Playground view (being built: see the console section of the README). */
import { h, show } from '../ui.js';
import type { View } from './view.js';

export const playgroundView: View = {
  id: 'playground',
  title: 'Playground',
  render(root) {
    show(root, h('h1', {}, 'Playground'));
  },
};
