/**
 * Which snapshots of one table's metadata an expiry removes, and the metadata without them.
 *
 * Kept: the current snapshot and its `retainLast` newest ancestors (the table's lineage), every
 * snapshot newer than `olderThan`, and every snapshot a table ref (tag or branch of the table's own
 * metadata) points at, unless that ref is older than its max-ref-age (then the ref goes too).
 * Without arguments the table's properties apply, with Iceberg's defaults:
 * history.expire.max-snapshot-age-ms (5 days), history.expire.min-snapshots-to-keep (1),
 * history.expire.max-ref-age-ms (forever). With `retainLast` alone, everything past it goes.
 */
import { InvalidInput } from '../domain/errors.js';
import type { Snapshot, SnapshotRef, TableMetadata } from '../domain/iceberg/types.js';

const FIVE_DAYS_MS = 5 * 24 * 3600 * 1000;

export interface ExpiryDecision {
  expired: Snapshot[];
  /** The metadata after the expiry (unchanged when nothing expires). */
  after: TableMetadata;
  /** Kept snapshot id → the table refs that point at it. */
  refsOf: Map<string, string[]>;
}

function intProperty(m: TableMetadata, key: string): number | null {
  const v = m.properties[key];
  return v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

export function chooseExpired(m: TableMetadata, args: { olderThan: Date | null; retainLast: number | null }, now = Date.now()): ExpiryDecision {
  if (args.retainLast !== null && (!Number.isInteger(args.retainLast) || args.retainLast < 1 || args.retainLast > 100_000)) {
    throw new InvalidInput('retainLast must be 1..100000 (the current snapshot always stays)', 'retainLast');
  }
  if (args.olderThan !== null && Number.isNaN(args.olderThan.getTime())) throw new InvalidInput('olderThan is not a time', 'olderThan');
  const byDefault = args.olderThan === null && args.retainLast === null;
  const cutoff = byDefault ? now - (intProperty(m, 'history.expire.max-snapshot-age-ms') ?? FIVE_DAYS_MS) : (args.olderThan?.getTime() ?? now);
  const retain = args.retainLast ?? Math.max(1, intProperty(m, 'history.expire.min-snapshots-to-keep') ?? 1);
  const maxRefAge = intProperty(m, 'history.expire.max-ref-age-ms');
  const byId = new Map(m.snapshots.map((s) => [s.snapshotId, s]));

  // Table refs past their age go, with the pin they held (main never does).
  const refs: Record<string, SnapshotRef> = {};
  for (const [name, ref] of Object.entries(m.refs)) {
    const age = ref.maxRefAgeMs ?? (name === 'main' ? undefined : (maxRefAge ?? undefined));
    const s = byId.get(ref.snapshotId);
    if (name !== 'main' && age !== undefined && s && s.timestampMs + age < now) continue;
    refs[name] = ref;
  }

  const keep = new Set<string>();
  for (let id = m.currentSnapshotId, n = 0; id && n < retain; n++) {
    keep.add(id);
    id = byId.get(id)?.parentSnapshotId ?? null;
  }
  for (const s of m.snapshots) if (s.timestampMs >= cutoff) keep.add(s.snapshotId);
  const refsOf = new Map<string, string[]>();
  for (const [name, ref] of Object.entries(refs)) {
    keep.add(ref.snapshotId);
    refsOf.set(ref.snapshotId, [...(refsOf.get(ref.snapshotId) ?? []), name]);
  }
  const expired = m.snapshots.filter((s) => !keep.has(s.snapshotId));
  if (expired.length === 0 && Object.keys(refs).length === Object.keys(m.refs).length) return { expired, after: m, refsOf };
  const after: TableMetadata = {
    ...m,
    lastUpdatedMs: Math.max(now, m.lastUpdatedMs),
    snapshots: m.snapshots.filter((s) => keep.has(s.snapshotId)),
    snapshotLog: m.snapshotLog.filter((e) => keep.has(e.snapshotId)),
    refs,
  };
  return { expired, after, refsOf };
}
