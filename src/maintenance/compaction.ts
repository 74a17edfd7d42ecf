/**
 * Which data files a compaction rewrites: per partition (spec and values), the small files (below
 * 75% of the target size, Iceberg's rewrite default), when there are at least `minInputFiles` of
 * them; a partition with delete files is rewritten whole, its delete files dropped (the new files
 * hold the rows with the deletes applied).
 *
 * With `selected` (the files a `where` may match, iceberg/file-filter.ts) only those are inputs;
 * every other file stays as it is. A partition with delete files then has its selected files
 * rewritten (deletes applied), and its delete files are dropped only when every data file of the
 * partition is among them (the others still need them).
 */
import { InvalidInput } from '../domain/errors.js';
import type { DataFile, ScanPlan } from '../domain/iceberg/types.js';
import { MIN_INPUT_FILES } from '../iceberg/table-health.js';

export interface RewriteGroup {
  /** The partition, as `specId:JSON of values`. */
  partition: string;
  /** Data files to rewrite, by path (as the scan plan has them). */
  inputFiles: string[];
  /** Delete files the rewrite makes unneeded: removed with the inputs (every live delete file is applied). */
  deleteFiles: string[];
  inputBytes: number;
  outputFilesEstimate: number;
}

const partitionKey = (f: DataFile) => `${f.specId}:${JSON.stringify(f.partition ?? {}, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`;

export function planRewriteGroups(plan: ScanPlan, targetFileSizeBytes: number, minInputFiles = MIN_INPUT_FILES, selected?: ReadonlySet<DataFile>): RewriteGroup[] {
  if (!Number.isSafeInteger(targetFileSizeBytes) || targetFileSizeBytes < 1024 * 1024) throw new InvalidInput('targetFileSizeBytes must be at least 1 MiB', 'targetFileSizeBytes');
  if (!Number.isInteger(minInputFiles) || minInputFiles < 2 || minInputFiles > 100_000) throw new InvalidInput('minInputFiles must be 2..100000', 'minInputFiles');
  const small = targetFileSizeBytes * 0.75;
  const byPartition = new Map<string, { data: DataFile[]; deletes: DataFile[] }>();
  const slot = (k: string) => byPartition.get(k) ?? byPartition.set(k, { data: [], deletes: [] }).get(k)!;
  for (const f of plan.dataFiles) slot(partitionKey(f)).data.push(f);
  for (const d of plan.deleteFiles) slot(partitionKey(d)).deletes.push(d);
  const groups: RewriteGroup[] = [];
  for (const [partition, { data, deletes }] of [...byPartition].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const chosen = selected ? data.filter((f) => selected.has(f)) : data;
    const inputs = deletes.length > 0 ? chosen : chosen.filter((f) => f.fileSizeInBytes < small);
    if (inputs.length === 0 || (deletes.length === 0 && inputs.length < minInputFiles)) continue;
    const dropped = inputs.length === data.length ? deletes : [];
    const inputBytes = inputs.reduce((n, f) => n + f.fileSizeInBytes, 0);
    groups.push({
      partition,
      inputFiles: inputs.map((f) => f.filePath).sort(),
      deleteFiles: dropped.map((d) => d.filePath).sort(),
      inputBytes,
      outputFilesEstimate: Math.max(1, Math.ceil(inputBytes / targetFileSizeBytes)),
    });
  }
  return groups;
}
