/** Mapping between the domain's shapes and Nessie REST API v2 JSON (keys, content, commits, refs). */
import { BackendUnavailable, CONFLICT_TYPES, type Conflict, type ConflictType } from '../../../domain/errors.js';
import type { Content, ContentKey, ContentType, StoredContent } from '../../../domain/content.js';
import type { CommitHash, RefName, ReferenceType } from '../../../domain/refs.js';
import type { Commit, CommitMeta, CommitOperation, Operation, Reference } from '../../../ports/version-store.js';

// ───────── wire types (only the fields we use) ─────────

export interface NKey {
  elements: string[];
}
export interface NReference {
  type: 'BRANCH' | 'TAG' | 'DETACHED';
  name?: string;
  hash?: string | null;
}
export type NContent =
  | { type: 'NAMESPACE'; id?: string; elements: string[]; properties?: Record<string, string> }
  | {
      type: 'ICEBERG_TABLE';
      id?: string;
      metadataLocation: string;
      snapshotId: string;
      schemaId: number;
      specId: number;
      sortOrderId: number;
    }
  | { type: string; id?: string };
export interface NCommitMeta {
  hash?: string;
  message: string;
  author?: string;
  authors?: string[];
  committer?: string | null;
  commitTime?: string;
  authorTime?: string | null;
  properties?: Record<string, string>;
  allProperties?: Record<string, string[]>;
  parentCommitHashes?: string[];
}
export interface NOperation {
  type: 'PUT' | 'DELETE' | 'UNCHANGED';
  key: NKey;
  content?: NContent | null;
}
export interface NLogEntry {
  commitMeta: NCommitMeta;
  parentCommitHash?: string | null;
  additionalParents?: string[] | null;
  operations?: NOperation[] | null;
}
export interface NConflict {
  conflictType?: string;
  key?: NKey | null;
  message?: string;
}

const BACKEND = 'nessie';

// ───────── keys ─────────

export function toNessieKey(key: ContentKey): NKey {
  return { elements: key.split('.') };
}

export function fromNessieKey(k: NKey | null | undefined): ContentKey {
  return (k?.elements ?? []).join('.');
}

/**
 * A key in a URL path or query parameter (Nessie spec 2.0 "path form"): elements joined with '.'.
 * Our keys are dotted identifiers ([A-Za-z0-9_] per element), so no element contains '.', '{',
 * '}' or control characters and Nessie's element escaping never applies; the result is then
 * percent-encoded for the URL.
 */
export function keyPathParam(key: ContentKey): string {
  return encodeURIComponent(key);
}

/** A ref spec in a URL path: the name percent-encoded ('/' becomes %2F), then `@hash` and relative parts. */
export function refPath(name: string | undefined, hash?: string, relative = ''): string {
  return `${name ? encodeURIComponent(name) : ''}${hash ? `@${hash}` : ''}${relative}`;
}

// ───────── content ─────────

export function toNessieContent(c: Content): NContent {
  if (c.type === 'NAMESPACE') {
    return { type: 'NAMESPACE', ...(c.id ? { id: c.id } : {}), elements: c.elements, properties: c.properties };
  }
  return {
    type: 'ICEBERG_TABLE',
    ...(c.id ? { id: c.id } : {}),
    metadataLocation: c.metadataLocation,
    snapshotId: c.snapshotId,
    schemaId: c.schemaId,
    specId: c.specId,
    sortOrderId: c.sortOrderId,
  };
}

export function fromNessieContent(c: NContent, key?: ContentKey): StoredContent {
  if (!c.id) throw new BackendUnavailable(`Nessie returned content without an id${key ? ` for ${key}` : ''}`, BACKEND);
  if (c.type === 'NAMESPACE' && 'elements' in c) {
    return { type: 'NAMESPACE', id: c.id, elements: [...c.elements], properties: { ...(c.properties ?? {}) } };
  }
  if (c.type === 'ICEBERG_TABLE' && 'metadataLocation' in c) {
    return {
      type: 'ICEBERG_TABLE',
      id: c.id,
      metadataLocation: c.metadataLocation,
      snapshotId: String(c.snapshotId ?? '-1'),
      schemaId: c.schemaId ?? 0,
      specId: c.specId ?? 0,
      sortOrderId: c.sortOrderId ?? 0,
    };
  }
  throw new BackendUnavailable(`Nessie returned content of unsupported type ${c.type}${key ? ` for ${key}` : ''}`, BACKEND);
}

export function contentType(type: string | undefined): ContentType | null {
  return type === 'NAMESPACE' || type === 'ICEBERG_TABLE' ? type : null;
}

// ───────── commits ─────────

export function toNessieMeta(meta: Partial<CommitMeta>): NCommitMeta {
  return {
    message: meta.message ?? '',
    ...(meta.author !== undefined ? { author: meta.author } : {}),
    ...(meta.committer !== undefined ? { committer: meta.committer } : {}),
    ...(meta.authorTime ? { authorTime: meta.authorTime.toISOString() } : {}),
    properties: meta.properties ?? {},
  };
}

export function toNessieOperation(op: Operation): NOperation {
  return op.type === 'PUT'
    ? { type: 'PUT', key: toNessieKey(op.key), content: toNessieContent(op.content) }
    : { type: 'DELETE', key: toNessieKey(op.key) };
}

export function fromNessieLogEntry(e: NLogEntry): Commit {
  const m = e.commitMeta;
  if (!m.hash || !m.commitTime) throw new BackendUnavailable('Nessie returned a log entry without hash or commit time', BACKEND);
  const parents = m.parentCommitHashes?.length
    ? m.parentCommitHashes
    : [e.parentCommitHash, ...(e.additionalParents ?? [])].filter((h): h is string => !!h);
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.allProperties ?? {})) if (v.length) properties[k] = v[v.length - 1]!;
  for (const [k, v] of Object.entries(m.properties ?? {})) properties[k] ??= v;
  const operations: CommitOperation[] = (e.operations ?? [])
    .filter((o) => o.type === 'PUT' || o.type === 'DELETE')
    .map((o) => ({
      type: o.type as 'PUT' | 'DELETE',
      key: fromNessieKey(o.key),
      contentType: o.type === 'PUT' ? contentType(o.content?.type) : null,
    }));
  return {
    hash: m.hash as CommitHash,
    parentHashes: parents as CommitHash[],
    message: m.message ?? '',
    author: m.authors?.[0] ?? m.author ?? '',
    authorTime: m.authorTime ? new Date(m.authorTime) : null,
    committer: m.committer ? m.committer : null,
    commitTime: new Date(m.commitTime),
    properties,
    operations,
  };
}

// ───────── references ─────────

export function fromNessieReference(r: NReference): Reference {
  if ((r.type !== 'BRANCH' && r.type !== 'TAG') || !r.name || !r.hash) {
    throw new BackendUnavailable(`Nessie returned an unexpected reference ${JSON.stringify(r)}`, BACKEND);
  }
  return { name: r.name as RefName, type: r.type as ReferenceType, hash: r.hash as CommitHash };
}

export function detached(hash: string): NReference {
  return { type: 'DETACHED', hash };
}

// ───────── conflicts ─────────

const KNOWN_CONFLICT_TYPES: ReadonlySet<string> = new Set<ConflictType>(CONFLICT_TYPES);

/** Nessie conflicts as domain conflicts; Nessie-only types (KEY_CONFLICT, UNKNOWN, …) become VALUE_DIFFERS. */
export function fromNessieConflict(c: NConflict): Conflict {
  const type = (c.conflictType && KNOWN_CONFLICT_TYPES.has(c.conflictType) ? c.conflictType : 'VALUE_DIFFERS') as ConflictType;
  return { key: fromNessieKey(c.key), type, message: c.message ?? type };
}
