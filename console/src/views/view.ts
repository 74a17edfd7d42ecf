/** What every view of the console is: a route, a title, and a render that returns its cleanup. */
import type { Api } from '../api.js';

export interface Viewer {
  subject: string;
  /** The role in effect; null: no access. */
  role: string | null;
  allowedRoles: string[];
  roleNames: string[];
}

export interface ViewContext {
  api: Api;
  viewer: Viewer | null;
  /** Changes the route (`navigate('tables', 'main', 'raw.entries')` → `#/tables/main/raw.entries`). */
  navigate(view: string, ...params: string[]): void;
  /** Why the caller's role may not do something that needs `role`, or null when it may. */
  denied(role: 'viewer' | 'analyst' | 'engineer' | 'admin', action: string): string | null;
}

export interface View {
  /** The route's first segment: `#/<id>/…`. */
  id: string;
  title: string;
  /** Draws into `root` for the route's parameters; returns what stops its subscriptions and timers. */
  render(root: HTMLElement, params: string[], ctx: ViewContext): void | (() => void);
}
