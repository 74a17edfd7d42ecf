/**
 * The snapshots of a table metadata file, and only what says which files each reads: for expiry
 * planning, which reads the metadata of every commit of every ref (thousands of files, each with
 * every snapshot of its history). The engine's own JSON.parse, without parseJsonExact's pass over
 * the text and without building schemas, specs or summaries: a snapshot is named by its manifest
 * list, which is a string. A file with v1 snapshots that embed `manifests` (no manifest list) is
 * read by the full parser, so their 64-bit snapshot ids stay exact.
 */
import { gunzipSync } from 'node:zlib';
import { InvalidInput } from '../domain/errors.js';
import type { Snapshot } from '../domain/iceberg/types.js';
import { parseTableMetadata } from './metadata-json.js';

/** What a snapshot reads: its manifest list, or (v1) the manifests it lists itself. */
export type SnapshotSource = Pick<Snapshot, 'snapshotId' | 'manifestList' | 'manifests'>;

type Json = Record<string, unknown>;

/** Metadata file bytes (plain or GZIP) → each snapshot's manifest list (or v1 manifests). @throws InvalidInput */
export function metadataSnapshotSources(bytes: Uint8Array, location: string): SnapshotSource[] {
  const plain = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  const text = new TextDecoder().decode(plain);
  let j: Json;
  try {
    j = JSON.parse(text) as Json;
  } catch (e) {
    throw new InvalidInput(`${location} is not valid Iceberg table metadata: not valid JSON: ${(e as Error).message}`, 'metadataLocation');
  }
  if (j === null || typeof j !== 'object' || (j['format-version'] !== 1 && j['format-version'] !== 2)) {
    throw new InvalidInput(`${location} is not valid Iceberg table metadata: unsupported format version ${String(j?.['format-version'])}`, 'metadataLocation');
  }
  const snapshots = j.snapshots ?? [];
  if (!Array.isArray(snapshots)) throw new InvalidInput(`${location} is not valid Iceberg table metadata: snapshots is not a list`, 'metadataLocation');
  const out: SnapshotSource[] = [];
  for (const s of snapshots as Json[]) {
    const list = s?.['manifest-list'];
    if (typeof list !== 'string') return exact(text, location);
    // The id is not used to find files when there is a manifest list (it may have lost digits here).
    out.push({ snapshotId: String(s['snapshot-id']), manifestList: list });
  }
  return out;
}

function exact(text: string, location: string): SnapshotSource[] {
  try {
    return parseTableMetadata(text).snapshots.map((s) => ({ snapshotId: s.snapshotId, manifestList: s.manifestList, manifests: s.manifests }));
  } catch (e) {
    throw new InvalidInput(`${location} is not valid Iceberg table metadata: ${(e as Error).message}`, 'metadataLocation');
  }
}
