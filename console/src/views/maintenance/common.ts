/** What the Maintenance pages share: names for kinds and statuses, result-union errors, file paths. */
import { h } from '../../ui.js';

export type Kind = 'EXPIRE_SNAPSHOTS' | 'REMOVE_ORPHAN_FILES' | 'COMPACTION';
export type Status = 'PLANNED' | 'EXECUTING' | 'SUCCEEDED' | 'FAILED';

/** A plan as the list shows it; the plan's page reads more of it. */
export interface PlanSummary {
  id: string;
  kind: Kind;
  status: Status;
  table: string;
  branch: string;
  createdAt: string;
  createdBy: string;
  fileCountToDelete: number;
  bytesToReclaim: string;
  deletedFiles: number;
}

export const KIND_NAMES: Record<Kind, string> = {
  EXPIRE_SNAPSHOTS: 'Expire snapshots',
  REMOVE_ORPHAN_FILES: 'Remove orphan files',
  COMPACTION: 'Compact small files',
};

const STATUS_CLASS: Record<Status, string> = { PLANNED: '', EXECUTING: 'warn', SUCCEEDED: 'ok', FAILED: 'bad' };

export function statusBadge(status: Status): HTMLElement {
  return h('span', { class: `badge status ${STATUS_CLASS[status] ?? ''}`, 'data-status': status }, status.toLowerCase());
}

/** The error member of a result union (`… on Error { code message } … on InvalidInput { field }`). */
export interface UnionError {
  __typename: string;
  code?: string;
  message?: string;
  field?: string | null;
}

export const ERROR_FIELDS = '... on Error { code message } ... on InvalidInput { field }';

/** A typed error of the API, in words: what failed, the message and its code (and field). */
export function unionErrorBox(title: string, e: { code?: string; message?: string; field?: string | null }): HTMLElement {
  return h(
    'div',
    { class: 'state error', role: 'alert' },
    h('p', { class: 'state-title' }, title, ' ', e.code ? h('code', { class: 'badge bad' }, e.code) : null),
    h('p', {}, e.message ?? 'The gateway refused it.', e.field ? h('span', { class: 'muted' }, ` (field: ${e.field})`) : null),
  );
}

/** A file's path, shortened to its folder and name within the table's location; the full path as a tooltip. */
export function filePath(path: string): HTMLElement {
  const parts = path.split('/');
  const short = parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : path;
  return h('span', { class: 'mono path', title: path }, short);
}
