/**
 * Snapshot history that a catalog kept in its commits rather than in the metadata file.
 *
 * Nessie's Iceberg REST catalog (0.99) writes a table's metadata JSON itself on every commit it
 * serves, and that file holds only the current snapshot: no earlier snapshots, no parent id, one
 * snapshot-log entry, an empty metadata-log. The earlier snapshots are still there, each current
 * in the metadata file of an earlier catalog commit of the table. These functions tell such a file
 * apart and put the history back together from the files of the earlier commits (newest first).
 */
import type { Snapshot, TableMetadata } from '../domain/iceberg/types.js';

/**
 * Whether the metadata lacks snapshots that came before its current one: following parent ids
 * from the current snapshot ends at a snapshot without a parent whose sequence number says it was
 * not the first (v2 numbers snapshots from 1). A chain that ends at a parent the file no longer
 * has (expired snapshots) is not truncated: Iceberg keeps the parent id when it expires.
 */
export function historyTruncated(m: TableMetadata): boolean {
  if (m.formatVersion < 2 || m.currentSnapshotId === null) return false;
  const byId = new Map(m.snapshots.map((s) => [s.snapshotId, s]));
  let s = byId.get(m.currentSnapshotId);
  const seen = new Set<string>();
  while (s && s.parentSnapshotId !== undefined && !seen.has(s.snapshotId)) {
    seen.add(s.snapshotId);
    const parent = byId.get(s.parentSnapshotId);
    if (!parent) return false;
    s = parent;
  }
  return s !== undefined && s.parentSnapshotId === undefined && s.sequenceNumber > 1;
}

export interface EarlierMetadata {
  /** Where the metadata file is. */
  location: string;
  metadata: TableMetadata;
}

/**
 * `newest` with the history of `earlier` (the metadata files of the table's earlier catalog
 * commits, newest first): every snapshot any of them has (the newest file's version of a snapshot
 * wins), snapshot-log and metadata-log entries in time order, and schemas, partition specs and sort
 * orders an earlier file had that the newest one lacks. A snapshot without a parent gets as parent
 * the snapshot that was current at the table's previous commit (the one the catalog's commit
 * checked), when that one is older. Current ids, properties and refs stay those of `newest`.
 */
export function withEarlierHistory(newest: TableMetadata, earlier: EarlierMetadata[]): TableMetadata {
  if (earlier.length === 0) return newest;
  const all = [newest, ...earlier.map((e) => e.metadata)];
  const snapshots = new Map<string, Snapshot>();
  for (const m of all) for (const s of m.snapshots) if (!snapshots.has(s.snapshotId)) snapshots.set(s.snapshotId, { ...s });

  // The current snapshot of each commit, newest first, without repeats of the same one.
  const currents: string[] = [];
  for (const m of all) if (m.currentSnapshotId !== null && currents.at(-1) !== m.currentSnapshotId) currents.push(m.currentSnapshotId);
  for (let i = 0; i + 1 < currents.length; i++) {
    const s = snapshots.get(currents[i]!);
    const before = snapshots.get(currents[i + 1]!);
    if (s && before && s.parentSnapshotId === undefined && before.sequenceNumber < s.sequenceNumber) s.parentSnapshotId = before.snapshotId;
  }

  const byId = <T>(lists: T[][], id: (t: T) => number): T[] => {
    const out = new Map<number, T>();
    for (const list of lists) for (const t of list) if (!out.has(id(t))) out.set(id(t), t);
    return [...out.values()].sort((a, b) => id(a) - id(b));
  };

  const snapshotLog = new Map<string, { timestampMs: number; snapshotId: string }>();
  for (const m of all) for (const e of m.snapshotLog) snapshotLog.set(`${e.timestampMs}|${e.snapshotId}`, e);
  // A file with snapshots but no log still had its current snapshot current from its time on.
  for (const m of all) {
    const s = m.currentSnapshotId === null ? undefined : snapshots.get(m.currentSnapshotId);
    if (s && m.snapshotLog.length === 0) snapshotLog.set(`${s.timestampMs}|${s.snapshotId}`, { timestampMs: s.timestampMs, snapshotId: s.snapshotId });
  }

  const metadataLog = new Map<string, { timestampMs: number; metadataFile: string }>();
  for (const m of all) for (const e of m.metadataLog) if (!metadataLog.has(e.metadataFile)) metadataLog.set(e.metadataFile, e);
  for (const e of earlier) if (!metadataLog.has(e.location)) metadataLog.set(e.location, { timestampMs: e.metadata.lastUpdatedMs, metadataFile: e.location });

  return {
    ...newest,
    lastSequenceNumber: Math.max(...all.map((m) => m.lastSequenceNumber)),
    lastColumnId: Math.max(...all.map((m) => m.lastColumnId)),
    lastPartitionId: Math.max(...all.map((m) => m.lastPartitionId)),
    schemas: byId(all.map((m) => m.schemas), (s) => s.schemaId),
    partitionSpecs: byId(all.map((m) => m.partitionSpecs), (s) => s.specId),
    sortOrders: byId(all.map((m) => m.sortOrders), (o) => o.orderId),
    snapshots: [...snapshots.values()].sort((a, b) => a.sequenceNumber - b.sequenceNumber || a.timestampMs - b.timestampMs),
    snapshotLog: [...snapshotLog.values()].sort((a, b) => a.timestampMs - b.timestampMs),
    metadataLog: [...metadataLog.values()].sort((a, b) => a.timestampMs - b.timestampMs),
  };
}
