/**
 * Locations ⇄ the local files DuckDB works with. Reading: a plan's file:// URIs (bare absolute
 * paths too) are opened where they are; any other location (`s3://…`) is read through the
 * ObjectStore into the engine's local object cache (object-cache.ts) and opened there, pinned for
 * the duration of the engine call (PlanFiles). Writing: DuckDB writes Parquet into a local staging
 * folder of the engine's own (one per write, removed afterwards), then each finished file is put
 * into the ObjectStore at its location, which makes it appear whole (for the local store: a rename
 * into place).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidInput } from '../../../domain/errors.js';
import type { DataFile, ScanPlan } from '../../../domain/iceberg/types.js';
import type { ObjectStore } from '../../../ports/object-store.js';
import { unchangingFile } from '../../../util/unchanging-file.js';
import type { CachedFile, ObjectCache } from './object-cache.js';

/** Whether DuckDB opens the location where it is (file:// URIs and bare absolute paths). */
export function isLocalLocation(location: string): boolean {
  return location.startsWith('/') || location.startsWith('file:');
}

/** The local path of a file:// location (or a bare absolute path). */
export function localPathOf(location: string): string {
  if (location.startsWith('/')) return location;
  try {
    return fileURLToPath(location);
  } catch {
    throw new InvalidInput(`invalid file URI ${JSON.stringify(location.slice(0, 200))}`, 'location');
  }
}

/**
 * The local files of the plans one engine call reads: file:// locations where they are, others from
 * the object cache, each pinned until `release` (call it once the call's DuckDB work is done, also
 * on failure). Files of a plan are fetched concurrently (the cache bounds downloads).
 */
export class PlanFiles {
  private readonly pins: CachedFile[] = [];
  private released = false;

  constructor(private readonly cache: ObjectCache) {}

  /** The plan with local paths DuckDB opens; deletes keep matching the recorded locations. */
  async local(plan: ScanPlan): Promise<ScanPlan> {
    const keyOf = (f: DataFile) => `${f.fileSizeInBytes} ${f.filePath}`;
    const remote = new Map<string, DataFile>();
    for (const f of [...plan.dataFiles, ...plan.deleteFiles]) if (!isLocalLocation(f.filePath)) remote.set(keyOf(f), f);
    const paths = new Map<string, string>();
    if (remote.size > 0) {
      const files = [...remote];
      // Settled, not Promise.all: every file pinned must be recorded for release, even after a failure.
      const got = await Promise.allSettled(files.map(([, f]) => this.cache.acquire(f.filePath, f.fileSizeInBytes)));
      let failure: PromiseRejectedResult | undefined;
      for (let i = 0; i < got.length; i++) {
        const r = got[i]!;
        if (r.status === 'rejected') failure ??= r;
        else {
          this.keep(r.value);
          paths.set(files[i]![0], r.value.path);
        }
      }
      if (failure) throw failure.reason;
    }
    const local = (f: DataFile): DataFile => {
      const p = isLocalLocation(f.filePath) ? localPathOf(f.filePath) : paths.get(keyOf(f))!;
      return p === f.filePath ? f : { ...f, filePath: p, recordedPath: f.recordedPath ?? f.filePath };
    };
    return { ...plan, dataFiles: plan.dataFiles.map(local), deleteFiles: plan.deleteFiles.map(local) };
  }

  /** Unpins every cached file this call used. */
  release(): void {
    this.released = true;
    for (const p of this.pins.splice(0)) p.release();
  }

  private keep(file: CachedFile): void {
    if (this.released) file.release();
    else this.pins.push(file);
  }
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
