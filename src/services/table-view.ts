/** What the GraphQL edge holds for a table: where it was read (ref, commit) and its catalog content. */
import type { IcebergTableContent } from '../domain/content.js';

export interface TableView {
  /** Reference name the table was read through, or null for a detached `@hash`. */
  refName: string | null;
  commitHash: string;
  /** Dotted content key, e.g. `raw.entries`. */
  key: string;
  content: IcebergTableContent & { id: string };
}

export function tableName(key: string): string {
  return key.slice(key.lastIndexOf('.') + 1);
}

export function tableNamespace(key: string): string {
  const i = key.lastIndexOf('.');
  return i < 0 ? '' : key.slice(0, i);
}
