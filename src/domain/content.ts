/** Content keys and the content a catalog stores (Nessie's NAMESPACE and ICEBERG_TABLE shapes). */
import { InvalidInput } from './errors.js';

export type ContentType = 'NAMESPACE' | 'ICEBERG_TABLE';

export interface NamespaceContent {
  type: 'NAMESPACE';
  /** Assigned by the store on first PUT; must be given (unchanged) to update existing content. */
  id?: string;
  elements: string[];
  properties: Record<string, string>;
}

export interface IcebergTableContent {
  type: 'ICEBERG_TABLE';
  id?: string;
  metadataLocation: string;
  /** 64-bit Iceberg snapshot id as a decimal string ("-1" when the table has no snapshot). */
  snapshotId: string;
  schemaId: number;
  specId: number;
  sortOrderId: number;
}

export type Content = NamespaceContent | IcebergTableContent;

/** Content as read back from a store: it always has its id. */
export type StoredContent = Content & { id: string };

/** Dotted content key, e.g. `raw.entries`; each segment an identifier. */
export type ContentKey = string;

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_KEY_DEPTH = 16;

export function isValidKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) return false;
  const parts = key.split('.');
  return parts.length <= MAX_KEY_DEPTH && parts.every((p) => SEGMENT.test(p));
}

export function contentKey(key: string, field = 'key'): ContentKey {
  if (!isValidKey(key)) {
    const shown = String(key).slice(0, 80);
    throw new InvalidInput(
      `invalid key ${JSON.stringify(shown)}: dotted identifiers (letters, digits, '_'; not starting with a digit), at most ${MAX_KEY_DEPTH} segments`,
      field,
    );
  }
  return key;
}

export function keyElements(key: ContentKey): string[] {
  return key.split('.');
}

export function keyFromElements(elements: string[]): ContentKey {
  return elements.join('.');
}

/** Parent namespace of a key, or null for a top-level key. */
export function parentNamespace(key: ContentKey): ContentKey | null {
  const i = key.lastIndexOf('.');
  return i < 0 ? null : key.slice(0, i);
}

export function namespaceContent(key: ContentKey, properties: Record<string, string> = {}): NamespaceContent {
  return { type: 'NAMESPACE', elements: keyElements(key), properties };
}
