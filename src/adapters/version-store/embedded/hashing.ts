/**
 * Canonical bytes and hashes. Everything content-addressed in the embedded store (tree nodes,
 * contents, commits) is hashed as sha256 over canonical JSON: object keys sorted, no whitespace,
 * `undefined` members dropped, Dates as ISO-8601 strings. The same value always has the same hash.
 */
import { hash } from 'node:crypto';

/** Nessie's "no ancestor" hash: the empty commit every history starts from. */
export const NO_ANCESTOR_HASH = '2e1cfa82b035c26cbbbdae632cea070514eb8b773f616aaeaf668e2f0be8f10d';

export const FULL_HASH = /^[0-9a-f]{64}$/;

export function sha256Hex(data: string): string {
  // crypto.hash (Node >= 20.12): one-shot, several times faster than createHash for small inputs.
  return hash('sha256', data, 'hex');
}

/** Deterministic JSON: sorted object keys, no whitespace; rejects values JSON cannot represent. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let s = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          s += (i > 0 ? ',' : '') + canonicalJson(v === undefined ? null : v);
        }
        return `${s}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        s += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${s}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode ${typeof value}`);
  }
}

export function hashOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

const namePaths = new Map<string, { bytes: Buffer; hex: string }>();
const NAME_PATHS_MAX = 50_000;

function pathOf(name: string): { bytes: Buffer; hex: string } {
  let p = namePaths.get(name);
  if (p === undefined) {
    const bytes = hash('sha256', name, 'buffer');
    p = { bytes, hex: bytes.toString('hex') };
    if (namePaths.size >= NAME_PATHS_MAX) namePaths.clear();
    namePaths.set(name, p);
  }
  return p;
}

/**
 * Bytes of sha256(name), used as the hash-trie path of a name inside a directory. Memoised (the
 * same table and namespace names are hashed on every lookup and write); treat the result as
 * read-only.
 */
export function namePath(name: string): Buffer {
  return pathOf(name).bytes;
}

/** The same path as lowercase hex: sorts like the bytes, compared as a plain string. */
export function namePathHex(name: string): string {
  return pathOf(name).hex;
}

/** The 4-bit slot of `path` at trie depth `depth` (0-based; 64 slots per sha256). */
export function nibble(path: Buffer, depth: number): number {
  const byte = path[depth >> 1] ?? 0;
  return depth & 1 ? byte & 0x0f : byte >> 4;
}
