/**
 * Locations ⇄ the local files DuckDB works with. Reading: a plan's file:// URIs (bare absolute
 * paths too) are opened where they are; other schemes are not supported yet (BackendUnavailable).
 * Writing: DuckDB writes Parquet into a local staging folder of the engine's own (one per write,
 * removed afterwards), then each finished file is put into the ObjectStore at its location, which
 * makes it appear whole (for the local store: a rename into place).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BackendUnavailable, InvalidInput } from '../../../domain/errors.js';
import type { DataFile, ScanPlan } from '../../../domain/iceberg/types.js';
import type { ObjectStore } from '../../../ports/object-store.js';
import { unchangingFile } from '../../../util/unchanging-file.js';

/** The local path DuckDB opens for a plan's file location. */
export function localPathOf(location: string): string {
  if (location.startsWith('/')) return location;
  if (location.startsWith('file:')) {
    try {
      return fileURLToPath(location);
    } catch {
      throw new InvalidInput(`invalid file URI ${JSON.stringify(location.slice(0, 200))}`, 'location');
    }
  }
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(location)?.[0] ?? location.slice(0, 20);
  throw new BackendUnavailable(`the DuckDB engine reads file:// locations only; ${scheme} is not supported yet`, 'duckdb');
}

/** The plan with local paths DuckDB opens; deletes keep matching the recorded paths. */
export function localPlan(plan: ScanPlan): ScanPlan {
  const local = (f: DataFile): DataFile => {
    const p = localPathOf(f.filePath);
    return p === f.filePath ? f : { ...f, filePath: p, recordedPath: f.recordedPath ?? f.filePath };
  };
  return { ...plan, dataFiles: plan.dataFiles.map(local), deleteFiles: plan.deleteFiles.map(local) };
}

/** One write's local staging folder, and the store its finished files go to. */
export interface Staging {
  /** The only folder the write's DuckDB statements write into (a query input's sandbox may write nowhere else). */
  dir: string;
  objects: ObjectStore;
}

/** Runs `fn` with a fresh staging folder under `root` (default: the OS temp folder), removed afterwards. */
export async function withStaging<T>(objects: ObjectStore, root: string | undefined, fn: (s: Staging) => Promise<T>): Promise<T> {
  const base = root ?? tmpdir();
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'cg-write-'));
  try {
    return await fn({ dir, objects });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The location of a new data file: `<prefix>/<partition path>/<name>`. A partition path with
 * percent-escapes (values beyond letters, digits and `.-*_`) is left out and the file lies in the
 * prefix itself: file:// URIs would decode the escapes while other readers take them literally.
 */
export function dataFileLocation(prefix: string, partitionPath: string, name: string): string {
  const base = prefix.replace(/\/+$/, '');
  return partitionPath && !partitionPath.includes('%') ? `${base}/${partitionPath}/${name}` : `${base}/${name}`;
}

/** Puts finished local files to their locations, a few at a time; after a failure no more are started. */
export async function putFiles(objects: ObjectStore, files: { file: string; location: string }[], concurrency = 4): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < files.length) {
      const f = files[next++]!;
      try {
        await objects.put(f.location, unchangingFile(f.file));
      } catch (e) {
        failed = true;
        throw e;
      }
    }
  };
  // Settled, not Promise.all: no put may still be reading a staged file when the caller removes it.
  const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  const failure = results.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
}
