/**
 * The console's shell: the navigation, the token and role controls, the theme, and a hash router
 * (`#/<view>/<param>/…`) that renders one view at a time and stops the last one's subscriptions.
 */
import './styles.css';
import { Api, ApiError } from './api.js';
import { h, show } from './ui.js';
import { VIEWS } from './views/index.js';
import type { ViewContext, Viewer } from './views/view.js';

const ROLE_ORDER = ['viewer', 'analyst', 'engineer', 'admin'];
const THEME_KEY = 'cascade.theme';

const api = new Api();
let viewer: Viewer | null = null;
/** Why the caller cannot use the console at all (401: no or a bad token; 403: a role the token does not allow); null otherwise. */
let sessionProblem: ApiError | null = null;
let cleanup: (() => void) | undefined;

const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { 'aria-label': 'Views' }, h('ul', {}, VIEWS.map((v) => h('li', {}, h('a', { href: `#/${v.id}`, 'data-view': v.id }, v.title)))));
const who = h('span', { class: 'who', 'aria-live': 'polite' });
const tokenInput = h('input', { type: 'password', id: 'token', placeholder: 'Bearer token', autocomplete: 'off', 'aria-label': 'Token' });
const roleSelect = h('select', { id: 'role', 'aria-label': 'Role' });
const themeButton = h('button', { type: 'button', class: 'ghost', id: 'theme', 'aria-label': 'Switch between dark and light theme' }, '◐');

function applyTheme(theme: string): void {
  document.documentElement.dataset.theme = theme;
  localStorage.setItem(THEME_KEY, theme);
}

function context(): ViewContext {
  return {
    api,
    viewer,
    navigate: (view, ...params) => {
      location.hash = `#/${[view, ...params.map(encodeURIComponent)].join('/')}`;
    },
    denied: (role, action) => {
      const have = viewer?.role ?? null;
      if (have && ROLE_ORDER.indexOf(have) >= ROLE_ORDER.indexOf(role)) return null;
      return `${action} needs the ${role} role; ${have ? `yours is ${have}` : 'you have no role'}.`;
    },
  };
}

async function loadViewer(): Promise<void> {
  try {
    const data = await api.request<{ viewer: Viewer }>('{ viewer { subject role allowedRoles roleNames } }');
    viewer = data.viewer;
    sessionProblem = null;
    who.textContent = `${viewer.subject} · ${viewer.role ?? 'no role'}`;
  } catch (e) {
    viewer = null;
    const kind = (e as { kind?: string }).kind;
    sessionProblem = e instanceof ApiError && (kind === 'unauthenticated' || kind === 'forbidden') ? e : null;
    who.textContent = kind === 'unauthenticated' ? 'signed out' : kind === 'forbidden' ? 'role not allowed' : 'unknown caller';
  }
  const roles = viewer?.allowedRoles.length ? viewer.allowedRoles : [];
  // A role the token does not allow (403) stays listed, so the picker shows what is being sent.
  const stale = api.session.role && !roles.includes(api.session.role) ? [api.session.role] : [];
  show(roleSelect, h('option', { value: '' }, 'highest role'), [...roles, ...stale].map((r) => h('option', { value: r, selected: api.session.role === r }, r)));
}

/** The one page shown instead of every view while the gateway refuses the caller: 401 or 403, in words. */
function sessionState(e: ApiError): HTMLElement {
  if (e.kind === 'unauthenticated') {
    return h(
      'div',
      { class: 'state error sign-in', role: 'alert' },
      h('h1', {}, 'Sign in'),
      h('p', {}, 'This gateway needs a token. It answered 401: ', h('q', {}, e.message), '.'),
      h('p', {}, 'Paste your token (a JWT) in the token field at the top right and press Use, or sign in through your login page, which brings you back here signed in.'),
      h('button', { type: 'button', onclick: () => tokenInput.focus() }, 'Paste a token'),
    );
  }
  return h(
    'div',
    { class: 'state error forbidden', role: 'alert' },
    h('h1', {}, 'Your token does not allow this role'),
    h('p', {}, 'The gateway answered 403: ', h('q', {}, e.message), '.'),
    h('p', {}, 'Use the highest role your token allows, or ask for a token with this role.'),
    h('button', { type: 'button', onclick: () => api.setSession({ token: api.session.token, role: null }) }, 'Use my highest role'),
  );
}

function route(): void {
  const [id, ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.view === view.id) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${view.title} · Cascade console`;
  cleanup?.();
  cleanup = undefined;
  const root = h('div', { class: `view view-${view.id}` });
  show(main, root);
  if (sessionProblem) {
    show(root, sessionState(sessionProblem));
    return;
  }
  try {
    cleanup = view.render(root, params.filter((p) => p !== ''), context()) ?? undefined;
  } catch (e) {
    show(root, h('p', { class: 'state error', role: 'alert' }, `This view failed to open: ${(e as Error).message}`));
  }
}

function layout(): void {
  applyTheme(localStorage.getItem(THEME_KEY) ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  tokenInput.value = api.session.token ?? '';
  const form = h(
    'form',
    {
      class: 'session',
      onsubmit: (e: Event) => {
        e.preventDefault();
        api.setSession({ token: tokenInput.value.trim() || null, role: roleSelect.value || null });
      },
    },
    who,
    tokenInput,
    roleSelect,
    h('button', { type: 'submit' }, 'Use'),
  );
  roleSelect.addEventListener('change', () => api.setSession({ token: api.session.token, role: roleSelect.value || null }));
  themeButton.addEventListener('click', () => applyTheme(document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark'));
  const header = h('header', { class: 'top' }, h('a', { class: 'brand', href: '#/history' }, 'Cascade'), nav, form, themeButton);
  const skip = h('button', { type: 'button', class: 'skip', onclick: () => main.focus() }, 'Skip to content');
  document.body.append(skip, header, main);
}

layout();
api.onSessionChange(() => void loadViewer().then(route));
window.addEventListener('hashchange', route);
void loadViewer().then(route);
