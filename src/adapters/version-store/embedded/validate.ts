/**
 * Input validation for commits: metadata limits and the shape of content, producing the stored
 * (normalised, id-carrying) form of each content. Key-level rules that need the tree are in ops.ts.
 */
import { contentKey, keyElements, type Content, type StoredContent } from '../../../domain/content.js';
import { InvalidInput } from '../../../domain/errors.js';
import type { CommitMeta } from '../../../ports/version-store.js';
import type { StoredMeta } from './repo.js';

export const LIMITS = {
  message: 16_384,
  author: 512,
  properties: 100,
  propertyKey: 256,
  propertyValue: 4_096,
  operations: 10_000,
  metadataLocation: 4_096,
  namespaceProperties: 1_000,
} as const;

function str(v: unknown, field: string, max: number, allowEmpty = true): string {
  if (typeof v !== 'string') throw new InvalidInput(`${field} must be a string`, field);
  if (!allowEmpty && v.length === 0) throw new InvalidInput(`${field} must not be empty`, field);
  if (v.length > max) throw new InvalidInput(`${field} is longer than ${max} characters`, field);
  return v;
}

function props(v: unknown, field: string, maxCount: number): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidInput(`${field} must be an object of strings`, field);
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > maxCount) throw new InvalidInput(`${field} has more than ${maxCount} entries`, field);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    str(k, `${field} key`, LIMITS.propertyKey, false);
    out[k] = str(val, `${field}.${k}`, LIMITS.propertyValue);
  }
  return out;
}

/** Validates commit metadata against the limits and returns its stored form. */
export function storedMeta(meta: CommitMeta | undefined): StoredMeta {
  if (!meta || typeof meta !== 'object') throw new InvalidInput('commit metadata is required', 'meta');
  let authorTime: string | null = null;
  if (meta.authorTime !== undefined && meta.authorTime !== null) {
    const t = meta.authorTime instanceof Date ? meta.authorTime : new Date(meta.authorTime as unknown as string);
    if (Number.isNaN(t.getTime())) throw new InvalidInput('authorTime is not a valid time', 'meta.authorTime');
    authorTime = t.toISOString();
  }
  return {
    message: str(meta.message ?? '', 'meta.message', LIMITS.message),
    author: str(meta.author ?? '', 'meta.author', LIMITS.author),
    authorTime,
    committer: meta.committer === undefined || meta.committer === null ? null : str(meta.committer, 'meta.committer', LIMITS.author),
    properties: props(meta.properties, 'meta.properties', LIMITS.properties),
  };
}

function int(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new InvalidInput(`${field} must be an integer`, field);
  return v;
}

/**
 * Checks a PUT's content for `key` and returns it normalised with the given id (only the known
 * fields, so the stored bytes and hash do not depend on extra properties a caller passed).
 */
export function storedContent(key: string, content: Content, id: string): StoredContent {
  const field = `operations[${key}].content`;
  if (!content || typeof content !== 'object') throw new InvalidInput('content is required', field);
  if (content.type === 'NAMESPACE') {
    const els = content.elements;
    const expected = keyElements(key);
    if (!Array.isArray(els) || els.length !== expected.length || els.some((e, i) => e !== expected[i])) {
      throw new InvalidInput(`namespace elements ${JSON.stringify(els)} do not match key '${key}'`, `${field}.elements`);
    }
    return { type: 'NAMESPACE', id, elements: [...expected], properties: props(content.properties, `${field}.properties`, LIMITS.namespaceProperties) };
  }
  if (content.type === 'ICEBERG_TABLE') {
    const snapshotId = content.snapshotId as unknown;
    const snap = typeof snapshotId === 'number' && Number.isSafeInteger(snapshotId) ? String(snapshotId) : snapshotId;
    if (typeof snap !== 'string' || !/^-?\d{1,20}$/.test(snap)) {
      throw new InvalidInput('snapshotId must be a 64-bit integer as a decimal string', `${field}.snapshotId`);
    }
    return {
      type: 'ICEBERG_TABLE',
      id,
      metadataLocation: str(content.metadataLocation, `${field}.metadataLocation`, LIMITS.metadataLocation, false),
      snapshotId: snap,
      schemaId: int(content.schemaId, `${field}.schemaId`),
      specId: int(content.specId, `${field}.specId`),
      sortOrderId: int(content.sortOrderId, `${field}.sortOrderId`),
    };
  }
  throw new InvalidInput(`unknown content type ${JSON.stringify((content as { type?: unknown }).type)}`, `${field}.type`);
}

/** Validates the operation list's shape: count, key syntax, no key twice. */
export function checkOperationList(operations: unknown): void {
  if (!Array.isArray(operations)) throw new InvalidInput('operations must be a list', 'operations');
  if (operations.length > LIMITS.operations) {
    throw new InvalidInput(`a commit holds at most ${LIMITS.operations} operations`, 'operations');
  }
  const seen = new Set<string>();
  for (const op of operations as { type?: unknown; key?: unknown }[]) {
    if (!op || (op.type !== 'PUT' && op.type !== 'DELETE')) throw new InvalidInput('operation type must be PUT or DELETE', 'operations');
    const key = contentKey(op.key as string, 'operations.key');
    if (seen.has(key)) {
      throw new InvalidInput(`key '${key}' appears in more than one operation of this commit`, 'operations');
    }
    seen.add(key);
  }
}
