/**
 * Local copies of the warehouse objects DuckDB reads when their locations are not local files
 * (`s3://…`): data and delete files of plans are fetched through the ObjectStore (`readStream`), so
 * DuckDB only ever opens local files and never sees the network or a credential.
 *
 * - Key: the location plus the size the manifest gives (objects are immutable, so a cached copy
 *   never goes stale). File name `<sha-256 of the location, 40 hex>-<size><ext>` in the cache's own
 *   folder; the size in the name lets a restart check each file it finds.
 * - Filling: into `<name>.<uuid>.part`, synced, its size checked against the manifest's, then renamed
 *   into place: a partial file is never visible under a cached name, and a failed download leaves
 *   nothing. Concurrent requests for one object share one download; at most `downloads` at once.
 * - Pinning: `acquire` pins the file until its `release`; a pinned file is never removed.
 * - Bound: past `maxBytes`, the least recently used unpinned files are removed. Pinned files do not
 *   wait for room: while running queries need more at once the bound is exceeded, and the excess is
 *   removed as they release their files (`maxBytes` 0: only files in use are kept).
 * - Restarts: the folder is indexed when first needed (least recently used by modification time,
 *   which a use refreshes at most once a minute); leftover `.part` files and files whose size does
 *   not match their name are removed.
 * One process per folder: another process's removals would not respect this one's pins.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rename, rm, stat, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BackendUnavailable, DomainError } from '../../../domain/errors.js';
import type { ObjectStore } from '../../../ports/object-store.js';

export interface ObjectCacheOptions {
  /** The cache's own folder (default: a fresh one under the OS temp folder, removed on close). */
  dir?: string;
  /** Bytes of cached files kept (default 4 GiB); see the file comment. */
  maxBytes?: number;
  /** Downloads at once (default 8). */
  downloads?: number;
}

export const DEFAULT_OBJECT_CACHE_BYTES = 4096 * 1024 * 1024;

/** A cached file in use: its local path stays until `release` (idempotent). */
export interface CachedFile {
  path: string;
  release(): void;
}

export interface ObjectCacheStats {
  /** Files cached and their bytes (pinned ones included). */
  files: number;
  bytes: number;
  /** Files in use now. */
  pinned: number;
  hits: number;
  downloads: number;
  evictions: number;
}

interface Entry {
  name: string;
  path: string;
  size: number;
  pins: number;
  /** When the file's modification time was last set (ms). */
  touched: number;
}

const NAME = /^[0-9a-f]{40}-(\d+|u)(\.[A-Za-z0-9]{1,12})?$/;
const PART = /\.part$/;
const TOUCH_EVERY_MS = 60_000;

/** The cache file name of a location (and its size, when known). */
export function cacheName(location: string, size?: number): string {
  const hash = createHash('sha256').update(location).digest('hex').slice(0, 40);
  const last = location.slice(location.lastIndexOf('/') + 1);
  const dot = last.lastIndexOf('.');
  const ext = dot > 0 && /^\.[A-Za-z0-9]{1,12}$/.test(last.slice(dot)) ? last.slice(dot) : '';
  const known = size !== undefined && Number.isSafeInteger(size) && size >= 0;
  return `${hash}-${known ? size : 'u'}${ext}`;
}

const isKnownSize = (size: number | undefined): size is number => size !== undefined && Number.isSafeInteger(size) && size >= 0;

/** Flushes the file to disk (so a crash cannot leave a renamed file without its data); its size. */
async function synced(file: string): Promise<number> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
    return (await fh.stat()).size;
  } finally {
    await fh.close();
  }
}

export class ObjectCache {
  /** Cached files in least-recently-used order (oldest first). */
  private readonly entries = new Map<string, Entry>();
  /** Downloads under way by name, with the number of callers waiting for each. */
  private readonly loading = new Map<string, { waiters: number; done: Promise<Entry> }>();
  /** Removals under way by name: a new download of the same name is renamed into place after them. */
  private readonly removing = new Map<string, Promise<void>>();
  private total = 0;
  private readonly counts = { hits: 0, downloads: 0, evictions: 0 };
  private opened: Promise<string> | null = null;
  private ownDir = false;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly maxBytes: number;
  private readonly maxDownloads: number;

  constructor(
    private readonly objects: ObjectStore,
    private readonly opts: ObjectCacheOptions = {},
  ) {
    this.maxBytes = Math.max(0, opts.maxBytes ?? DEFAULT_OBJECT_CACHE_BYTES);
    this.maxDownloads = Math.max(1, opts.downloads ?? 8);
  }

  /** The local file of the object at `location` (of `size` bytes, when known), pinned until released. */
  async acquire(location: string, size?: number): Promise<CachedFile> {
    await this.open();
    const name = cacheName(location, isKnownSize(size) ? size : undefined);
    const hit = this.entries.get(name);
    if (hit) {
      this.counts.hits++;
      return this.pin(hit);
    }
    let load = this.loading.get(name);
    if (!load) {
      const started = { waiters: 0 } as { waiters: number; done: Promise<Entry> };
      started.done = this.download(name, location, isKnownSize(size) ? size : undefined).then(
        (entry) => {
          // Every caller waiting for it is pinned before any of them resumes, so none can lose it.
          this.loading.delete(name);
          entry.pins = started.waiters;
          this.entries.set(name, entry);
          this.total += entry.size;
          this.evict();
          return entry;
        },
        (e: unknown) => {
          this.loading.delete(name);
          throw e;
        },
      );
      this.loading.set(name, started);
      load = started;
    }
    load.waiters++;
    const entry = await load.done;
    return this.handle(entry);
  }

  stats(): ObjectCacheStats {
    let pinned = 0;
    for (const e of this.entries.values()) if (e.pins > 0) pinned++;
    return { files: this.entries.size, bytes: this.total, pinned, ...this.counts };
  }

  /** The cache's folder (made, and indexed, on first use). */
  dir(): Promise<string> {
    return this.open();
  }

  /** Resolves once the files removed so far are gone from the folder. */
  async settled(): Promise<void> {
    while (this.removing.size > 0) await Promise.all(this.removing.values());
  }

  /** Removes the folder if the cache made it itself (a configured folder is kept for the next start). */
  async close(): Promise<void> {
    const opened = this.opened;
    if (!opened || !this.ownDir) return;
    const dir = await opened.catch(() => null);
    if (dir) await rm(dir, { recursive: true, force: true });
  }

  private open(): Promise<string> {
    this.opened ??= this.index().catch((e: unknown) => {
      this.opened = null;
      throw new BackendUnavailable(`the object cache folder could not be opened: ${(e as Error).message}`, 'duckdb');
    });
    return this.opened;
  }

  /** Makes the folder, or takes stock of what an earlier start left in it. */
  private async index(): Promise<string> {
    if (!this.opts.dir) {
      this.ownDir = true;
      return mkdtemp(join(tmpdir(), 'cg-objects-'));
    }
    const dir = this.opts.dir;
    await mkdir(dir, { recursive: true });
    const found: (Entry & { mtime: number })[] = [];
    const names = await readdir(dir);
    for (let i = 0; i < names.length; i += 64) {
      await Promise.all(
        names.slice(i, i + 64).map(async (name) => {
          const path = join(dir, name);
          if (PART.test(name)) return rm(path, { force: true });
          const m = NAME.exec(name);
          if (!m) return; // not the cache's: left alone
          const st = await stat(path).catch(() => null);
          if (!st?.isFile()) return;
          if (m[1] !== 'u' && Number(m[1]) !== st.size) return rm(path, { force: true });
          found.push({ name, path, size: st.size, pins: 0, touched: st.mtimeMs, mtime: st.mtimeMs });
        }),
      );
    }
    found.sort((a, b) => a.mtime - b.mtime || (a.name < b.name ? -1 : 1));
    for (const e of found) {
      this.entries.set(e.name, e);
      this.total += e.size;
    }
    this.evict();
    await this.settled();
    return dir;
  }

  private pin(entry: Entry): CachedFile {
    entry.pins++;
    return this.handle(entry);
  }

  /** The handle of a pinned entry; using it makes it the most recently used. */
  private handle(entry: Entry): CachedFile {
    this.use(entry);
    let released = false;
    return {
      path: entry.path,
      release: () => {
        if (released) return;
        released = true;
        entry.pins--;
        this.use(entry);
        this.evict();
      },
    };
  }

  private use(entry: Entry): void {
    if (this.entries.get(entry.name) !== entry) return;
    this.entries.delete(entry.name);
    this.entries.set(entry.name, entry);
    const now = Date.now();
    if (now - entry.touched >= TOUCH_EVERY_MS) {
      entry.touched = now;
      const t = new Date(now);
      void utimes(entry.path, t, t).catch(() => undefined);
    }
  }

  /** Removes least recently used unpinned files until the cache is within its bound. */
  private evict(): void {
    if (this.total <= this.maxBytes) return;
    for (const e of this.entries.values()) {
      if (this.total <= this.maxBytes) break;
      if (e.pins > 0) continue;
      this.entries.delete(e.name);
      this.total -= e.size;
      this.counts.evictions++;
      const gone: Promise<void> = unlink(e.path)
        .catch(() => undefined)
        .finally(() => {
          if (this.removing.get(e.name) === gone) this.removing.delete(e.name);
        });
      this.removing.set(e.name, gone);
    }
  }

  private async download(name: string, location: string, size: number | undefined): Promise<Entry> {
    const dir = await this.open();
    await this.slot();
    const path = join(dir, name);
    const tmp = `${path}.${randomUUID()}.part`;
    try {
      this.counts.downloads++;
      const source = await this.objects.readStream(location);
      await pipeline(source, createWriteStream(tmp, { flags: 'wx' }));
      const bytes = await synced(tmp);
      if (size !== undefined && bytes !== size) {
        throw new BackendUnavailable(`the object at ${location} has ${bytes} bytes where its manifest says ${size}`, 'object-store');
      }
      await this.removing.get(name);
      await rename(tmp, path);
      return { name, path, size: bytes, pins: 0, touched: Date.now() };
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      if (e instanceof DomainError) throw e;
      throw new BackendUnavailable(`reading ${location} into the local object cache failed: ${(e as Error)?.message ?? String(e)}`, 'object-store');
    } finally {
      this.unslot();
    }
  }

  private slot(): Promise<void> {
    if (this.active < this.maxDownloads) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.queue.push(resolve));
  }

  private unslot(): void {
    const next = this.queue.shift();
    if (next) next(); // the slot passes straight to the next download
    else this.active--;
  }
}
