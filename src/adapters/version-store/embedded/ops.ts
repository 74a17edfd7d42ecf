/**
 * Nessie's commit rules, checked against the branch head's tree, turning operations into tree
 * edits, content rows and the operations recorded in the commit:
 *  - a key's parent namespace must exist after the commit          NotFound        NAMESPACE_ABSENT
 *    (like Nessie, the conflict names the missing namespace, not the key being put)
 *  - PUT of new content (no id) over an existing key                AlreadyExists   KEY_EXISTS
 *  - PUT with an id for a key that does not exist                   NotFound        KEY_DOES_NOT_EXIST
 *  - PUT with an id other than the existing content's id            ReferenceConflict VALUE_DIFFERS
 *    (the key was replaced since the caller read it; Nessie answers 409 as well)
 *  - PUT changing a key's content type (namespace <-> table)        InvalidInput
 *  - DELETE of a missing key                                        NotFound        KEY_DOES_NOT_EXIST
 *  - DELETE of a namespace that still has children after the commit InvalidInput   NAMESPACE_NOT_EMPTY
 * Every conflict of the commit is collected; the error class is the one of the first conflict.
 */
import { randomUUID } from 'node:crypto';
import { parentNamespace, type ContentType, type StoredContent } from '../../../domain/content.js';
import { AlreadyExists, InvalidInput, NotFound, ReferenceConflict, type Conflict } from '../../../domain/errors.js';
import type { CommitOperation, Operation } from '../../../ports/version-store.js';
import { hashOf } from './hashing.js';
import type { NodeSource } from './nodes.js';
import { childCount, lookupKey, lookupKeys, type KeyEdit, type KeyValue } from './tree.js';
import { checkOperationList, storedContent } from './validate.js';

export interface PreparedChange {
  edits: KeyEdit[];
  recorded: CommitOperation[];
  /** New content rows by content hash. */
  contents: Map<string, StoredContent>;
  addedContentIds: Record<string, string>;
}

export async function prepareOperations(
  src: NodeSource,
  headTree: string,
  operations: Operation[],
  cas: { expected: string | null; actual: string },
): Promise<PreparedChange> {
  checkOperationList(operations);
  const byKey = new Map(operations.map((op) => [op.key, op]));
  // Every key the checks below read (the keys and their parent namespaces), in one batched walk.
  const wanted = new Set<string>();
  for (const op of operations) {
    wanted.add(op.key);
    const parent = parentNamespace(op.key);
    if (parent !== null) wanted.add(parent);
  }
  const headValues = await lookupKeys(src, headTree, wanted);
  const head = async (key: string) => {
    if (!headValues.has(key)) headValues.set(key, await lookupKey(src, headTree, key));
    return headValues.get(key) ?? null;
  };
  const typeAfter = async (key: string): Promise<ContentType | null> => {
    const op = byKey.get(key);
    if (op) return op.type === 'PUT' ? op.content?.type ?? null : null;
    return (await head(key))?.type ?? null;
  };

  const out: PreparedChange = { edits: [], recorded: [], contents: new Map(), addedContentIds: {} };
  const conflicts: Conflict[] = [];
  const conflict = (key: string, type: Conflict['type'], message: string) => conflicts.push({ key, type, message });

  let childDelta: Map<string, number> | undefined;
  for (const op of operations) {
    const key = op.key;
    const cur = await head(key);
    if (op.type === 'PUT') {
      const givenId = op.content?.id;
      let id: string;
      if (givenId === undefined || givenId === null || givenId === '') {
        if (cur) {
          conflict(key, 'KEY_EXISTS', `key '${key}' already exists; pass its content id to update it`);
          continue;
        }
        id = randomUUID();
        out.addedContentIds[key] = id;
      } else {
        if (!cur) {
          conflict(key, 'KEY_DOES_NOT_EXIST', `key '${key}' does not exist, but the operation names content id ${givenId}`);
          continue;
        }
        if (cur.id !== givenId) {
          conflict(key, 'VALUE_DIFFERS', `key '${key}' holds content id ${cur.id}, not ${givenId}`);
          continue;
        }
        id = givenId;
      }
      const stored = storedContent(key, op.content, id);
      if (cur && cur.type !== stored.type) {
        throw new InvalidInput(`key '${key}' holds a ${cur.type}; it cannot be replaced by a ${stored.type}`, `operations[${key}].content.type`);
      }
      const parent = parentNamespace(key);
      if (parent !== null && (await typeAfter(parent)) !== 'NAMESPACE') {
        conflict(parent, 'NAMESPACE_ABSENT', `namespace '${parent}' must exist for '${key}'`);
        continue;
      }
      const hash = hashOf(stored);
      out.contents.set(hash, stored);
      out.edits.push({ key, value: { type: stored.type, id, content: hash } });
      out.recorded.push({ type: 'PUT', key, contentType: stored.type });
    } else {
      if (!cur) {
        conflict(key, 'KEY_DOES_NOT_EXIST', `key '${key}' does not exist`);
        continue;
      }
      if (cur.type === 'NAMESPACE') {
        childDelta ??= await childDeltas(operations, head);
        const remaining = (await childCount(src, headTree, key)) + (childDelta.get(key) ?? 0);
        if (remaining > 0) {
          conflict(key, 'NAMESPACE_NOT_EMPTY', `namespace '${key}' is not empty`);
          continue;
        }
      }
      out.edits.push({ key, value: null });
      out.recorded.push({ type: 'DELETE', key, contentType: cur.type });
    }
  }
  if (conflicts.length > 0) throw conflictError(conflicts, cas);
  return out;
}

/** How many direct children each namespace gains (new PUTs) or loses (DELETEs) in this commit. */
async function childDeltas(operations: Operation[], head: (key: string) => Promise<KeyValue | null>): Promise<Map<string, number>> {
  const delta = new Map<string, number>();
  for (const op of operations) {
    const parent = parentNamespace(op.key);
    if (parent === null) continue;
    const existed = (await head(op.key)) !== null;
    const d = op.type === 'DELETE' && existed ? -1 : op.type === 'PUT' && !existed ? 1 : 0;
    if (d !== 0) delta.set(parent, (delta.get(parent) ?? 0) + d);
  }
  return delta;
}

export function conflictError(conflicts: Conflict[], cas: { expected: string | null; actual: string }): Error {
  const first = conflicts[0]!;
  const msg = conflicts.map((c) => c.message).join('; ');
  switch (first.type) {
    case 'KEY_EXISTS':
      return new AlreadyExists(msg, conflicts);
    case 'VALUE_DIFFERS':
    case 'UNEXPECTED_HASH':
      return new ReferenceConflict(msg, cas.expected, cas.actual, conflicts);
    case 'NAMESPACE_NOT_EMPTY':
      return new InvalidInput(msg, 'operations', conflicts);
    default:
      return new NotFound(msg, conflicts);
  }
}
