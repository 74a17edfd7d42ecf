/**
 * Three-way key merge from a common base, shared by merge and cherry-pick. Only keys the source
 * changed since the base are looked at (a diff that skips equal sub-trees), each compared with the
 * target's value for that key:
 *   target already equal to the source          nothing to do
 *   target still equal to the base              take the source's change
 *   otherwise                                   conflict, unless the key's behaviour is FORCE
 *                                               (take the source) or DROP (keep the target)
 * Namespaces never conflict with namespaces (as in Nessie): when both sides added or changed the
 * same namespace, the source's version wins.
 * Conflict types: both added the key → KEY_EXISTS; one side deleted it and the other changed it →
 * KEY_DOES_NOT_EXIST; both changed it differently → VALUE_DIFFERS. A DROP behaviour ignores the
 * source's change for its key in every case.
 */
import { parentNamespace } from '../../../domain/content.js';
import type { Conflict } from '../../../domain/errors.js';
import type { CommitOperation, MergeBehavior } from '../../../ports/version-store.js';
import type { DirEntry, NodeSource } from './nodes.js';
import { diffTrees, diffTreesUpTo, lookupEntries, sameValue, valueOf, type KeyChange, type KeyEdit, type KeyValue } from './tree.js';

export interface ThreeWay {
  /** The merge as edits of the target: the source's changes it takes. */
  edits: KeyEdit[];
  recorded: CommitOperation[];
  conflicts: Conflict[];
  /** Keys whose source change was ignored because of a DROP behaviour. */
  dropped: string[];
  /**
   * The same merge result as edits of the source (the target's changes since the base, and the
   * target's values of dropped keys), when asked for and the target changed no more keys since the
   * base than the source did. Trees are canonical (one shape per key state), so applying these to
   * the source gives the very tree `edits` give on the target, while rewriting far fewer nodes when
   * the target moved only a little (a long-lived branch merged into a busy target is the other way
   * round, and then this is absent).
   */
  sourceEdits?: KeyEdit[];
}

export async function threeWay(
  src: NodeSource,
  base: string,
  source: string,
  target: string,
  behaviorOf: (key: string) => MergeBehavior,
  opts: { sourceEdits?: boolean } = {},
): Promise<ThreeWay> {
  const out: ThreeWay = { edits: [], recorded: [], conflicts: [], dropped: [] };
  const changes = await diffTrees(src, base, source);
  // The target's value of every changed key: from the target's own changes since the base when
  // they are few (and the source-side result is wanted), else one batched walk of the target.
  let targetChanges: Map<string, KeyChange> | null = null;
  if (opts.sourceEdits && target !== base) {
    const tc = await diffTreesUpTo(src, base, target, changes.length);
    if (tc) targetChanges = new Map(tc.map((c) => [c.key, c]));
  }
  const sourceEdits: KeyEdit[] | undefined = opts.sourceEdits && (target === base || targetChanges) ? [] : undefined;
  const inTarget = target === base || targetChanges ? null : await lookupEntries(src, target, changes.map((c) => c.key));
  const targetValue = (c: KeyChange): KeyValue | null => {
    if (targetChanges) return targetChanges.has(c.key) ? targetChanges.get(c.key)!.to : c.from;
    return inTarget ? valueOf(inTarget.get(c.key) ?? null) : c.from;
  };
  for (const c of changes) {
    const t = targetValue(c);
    if (sameValue(t, c.to)) continue;
    const behavior = behaviorOf(c.key);
    if (behavior === 'DROP') {
      out.dropped.push(c.key);
      sourceEdits?.push({ key: c.key, value: t });
      continue;
    }
    const bothNamespaces = t?.type === 'NAMESPACE' && c.to?.type === 'NAMESPACE';
    if (behavior === 'FORCE' || bothNamespaces || sameValue(t, c.from)) {
      out.edits.push({ key: c.key, value: c.to });
      out.recorded.push(
        c.to
          ? { type: 'PUT', key: c.key, contentType: c.to.type }
          : { type: 'DELETE', key: c.key, contentType: (t ?? c.from)?.type ?? null },
      );
      continue;
    }
    if (c.from === null && t !== null) {
      out.conflicts.push({ key: c.key, type: 'KEY_EXISTS', message: `key '${c.key}' was added on both sides with different content` });
    } else if (c.to === null || t === null) {
      const which = c.to === null ? 'deleted on the source and changed on the target' : 'changed on the source and deleted on the target';
      out.conflicts.push({ key: c.key, type: 'KEY_DOES_NOT_EXIST', message: `key '${c.key}' was ${which}` });
    } else {
      out.conflicts.push({ key: c.key, type: 'VALUE_DIFFERS', message: `key '${c.key}' was changed on both sides` });
    }
  }
  if (sourceEdits && targetChanges) {
    // Keys only the target changed keep the target's value.
    const bySource = new Set(changes.map((c) => c.key));
    for (const tc of targetChanges.values()) if (!bySource.has(tc.key)) sourceEdits.push({ key: tc.key, value: tc.to });
  }
  if (sourceEdits) out.sourceEdits = sourceEdits;
  return out;
}

/**
 * Namespace rules on a merge result: every key a merge put must sit in an existing namespace, and a
 * namespace it deleted (or replaced by a table) must have no children left. `known`: entries of the
 * result already known (applyKeyEdits' results); the others are looked up in `tree`.
 */
export async function namespaceConflicts(src: NodeSource, tree: string, edits: KeyEdit[], known?: Map<string, DirEntry | null>): Promise<Conflict[]> {
  const out: Conflict[] = [];
  const keys = new Set<string>();
  for (const e of edits) {
    keys.add(e.key);
    const parent = parentNamespace(e.key);
    if (e.value && parent !== null) keys.add(parent);
  }
  const looked = await lookupEntries(src, tree, known ? [...keys].filter((k) => !known.has(k)) : keys);
  const entryOf = (k: string): DirEntry | null => (known?.has(k) ? known.get(k)! : looked.get(k)) ?? null;
  for (const e of edits) {
    const parent = parentNamespace(e.key);
    if (e.value && parent !== null && valueOf(entryOf(parent))?.type !== 'NAMESPACE') {
      out.push({ key: parent, type: 'NAMESPACE_ABSENT', message: `namespace '${parent}' does not exist on the target for '${e.key}'` });
      continue;
    }
    if (e.value?.type === 'NAMESPACE') continue;
    const entry = entryOf(e.key);
    if (entry?.sub) {
      const what = valueOf(entry) ? 'replaced by a table' : 'deleted';
      out.push({ key: e.key, type: 'NAMESPACE_NOT_EMPTY', message: `namespace '${e.key}' is ${what} but still has children on the target` });
    }
  }
  return out;
}
