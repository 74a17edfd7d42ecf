/** Small DOM helpers shared by the views: element building, states for people, formatting. */
import type { ApiError } from './api.js';

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/** `h('button', { class: 'primary', onclick: fn }, 'Save')`: attributes, `on…` listeners, children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces what `el` shows. */
export function show(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

export function loading(what = 'Loading'): HTMLElement {
  return h('p', { class: 'state loading', role: 'status' }, `${what}…`);
}

/** What a view shows when there is nothing yet: what it is and what to do. */
export function emptyState(title: string, hint?: string): HTMLElement {
  return h('div', { class: 'state empty' }, h('p', { class: 'state-title' }, title), hint ? h('p', {}, hint) : null);
}

/** An error in words, with what to do for sign-in and role problems. */
export function errorState(e: unknown): HTMLElement {
  const err = e as Partial<ApiError> & { message?: string };
  const kind = err.kind;
  const title =
    kind === 'unauthenticated' ? 'Sign in to see this' : kind === 'forbidden' ? 'Your role may not see this' : kind === 'network' ? 'The gateway cannot be reached' : 'Something went wrong';
  const hint =
    kind === 'unauthenticated'
      ? 'Paste a token in the field at the top right (401 from the gateway).'
      : kind === 'forbidden'
        ? 'Ask for a higher role, or pick another role at the top right (403 from the gateway).'
        : null;
  return h(
    'div',
    { class: `state error ${kind ?? ''}`, role: 'alert' },
    h('p', { class: 'state-title' }, title),
    h('p', {}, err.message ?? String(e), err.code ? h('code', { class: 'code' }, ` ${err.code}`) : null),
    hint ? h('p', {}, hint) : null,
  );
}

/** A button the role may not use: disabled, with the reason as its tooltip and text for screen readers. */
export function disableWithReason(button: HTMLButtonElement, reason: string | null): HTMLButtonElement {
  if (reason) {
    button.disabled = true;
    button.title = reason;
    button.setAttribute('aria-description', reason);
    button.dataset.disabledReason = reason;
  }
  return button;
}

/** A table of records; cells are text (null shows as an empty, marked cell). */
export function dataTable(columns: string[], rows: Record<string, unknown>[], caption?: string): HTMLTableElement {
  return h(
    'table',
    { class: 'data' },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      rows.map((r) => h('tr', {}, columns.map((c) => cell(r[c])))),
    ),
  );
}

function cell(v: unknown): HTMLTableCellElement {
  if (v === null || v === undefined) return h('td', { class: 'null' }, 'null');
  return h('td', {}, typeof v === 'object' ? JSON.stringify(v) : String(v));
}

export function formatBytes(n: number | string): string {
  let v = Number(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function shortHash(hash: string): string {
  return hash.slice(0, 12);
}
