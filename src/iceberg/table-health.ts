/**
 * A table's health at its current snapshot, by Iceberg's own rewrite defaults: a data file is small
 * below 75% of the target file size (`write.target-file-size-bytes`, default 512 MiB), and the table
 * needs compaction once it has at least `min-input-files` (5) small files, or any delete file.
 */
import type { ScanPlan, TableMetadata } from '../domain/iceberg/types.js';

export const DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024;
export const MIN_INPUT_FILES = 5;

export interface TableHealth {
  dataFileCount: number;
  smallFileCount: number;
  deleteFileCount: number;
  snapshotCount: number;
  oldestSnapshotAt: Date | null;
  averageFileSizeBytes: number;
  needsCompaction: boolean;
}

export function targetFileSize(m: TableMetadata): number {
  const v = Number(m.properties['write.target-file-size-bytes']);
  return Number.isSafeInteger(v) && v > 0 ? v : DEFAULT_TARGET_FILE_SIZE;
}

export function tableHealth(m: TableMetadata, current: ScanPlan): TableHealth {
  const small = targetFileSize(m) * 0.75;
  const sizes = current.dataFiles.map((f) => f.fileSizeInBytes);
  const smallFileCount = sizes.filter((s) => s < small).length;
  const oldest = m.snapshots.reduce<number | null>((min, s) => (min === null || s.timestampMs < min ? s.timestampMs : min), null);
  return {
    dataFileCount: sizes.length,
    smallFileCount,
    deleteFileCount: current.deleteFiles.length,
    snapshotCount: m.snapshots.length,
    oldestSnapshotAt: oldest === null ? null : new Date(oldest),
    averageFileSizeBytes: sizes.length === 0 ? 0 : Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
    needsCompaction: smallFileCount >= MIN_INPUT_FILES || current.deleteFiles.length > 0,
  };
}
