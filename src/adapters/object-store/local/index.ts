/**
 * ObjectStore on the local filesystem. Locations are `file:///…` URIs (bare absolute paths are
 * accepted too). LOCATION_ALIASES are applied first (longest prefix wins); the result must lie under
 * the warehouse root or under an alias target, so no location can reach any other file.
 *
 * Writes go to a temporary file beside the target (`<name>.<uuid>.tmp`, never listed), then are
 * renamed into place (or hard-linked, with ifNotExists, so an existing object is never replaced).
 * Folders are this adapter's business, not the port's: made as objects are written, removed once a
 * delete leaves them empty (a write racing that removal makes its folder again).
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants, ReadStream, type Dirent } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AlreadyExists, BackendUnavailable, DomainError, InvalidInput, NotFound } from '../../../domain/errors.js';
import { UNCHANGING_FILE, type ObjectInfo, type ObjectStore } from '../../../ports/object-store.js';

export interface LocationAlias {
  prefix: string;
  replacement: string;
}

/** A write's temporary file: `<target>.<uuid>.tmp`. */
const TEMP_FILE = /\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.tmp$/;

const errno = (e: unknown) => (e as NodeJS.ErrnoException | null)?.code;

/** An error of the source a put reads from: passed on as it is, not taken for the store's own. */
class SourceFailed {
  constructor(readonly cause: unknown) {}
}

async function* guarded(source: Readable | AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  try {
    for await (const chunk of source) yield chunk as Uint8Array;
  } catch (e) {
    throw new SourceFailed(e);
  }
}

export function createLocalObjectStore(warehouse: string, aliases: LocationAlias[] = []): ObjectStore {
  const rootDir = toLocalPath(warehouse, 'WAREHOUSE');
  const sorted = [...aliases].sort((a, b) => b.prefix.length - a.prefix.length);
  const allowed = [rootDir, ...sorted.map((a) => toLocalPath(a.replacement, 'LOCATION_ALIASES'))];
  const isAllowed = (p: string) => allowed.some((dir) => p === dir || p.startsWith(dir + path.sep));

  const pathOf = (location: string): string => {
    if (typeof location !== 'string' || location.length === 0 || location.length > 4096 || location.includes('\0')) {
      throw new InvalidInput('invalid location', 'location');
    }
    const alias = sorted.find((a) => location.startsWith(a.prefix));
    const mapped = alias ? alias.replacement.replace(/\/*$/, '/') + location.slice(alias.prefix.length).replace(/^\/+/, '') : location;
    const p = toLocalPath(mapped, 'location');
    if (!isAllowed(p)) {
      throw new InvalidInput(`location ${JSON.stringify(location.slice(0, 200))} is outside the warehouse and every LOCATION_ALIASES target`, 'location');
    }
    return p;
  };

  const fail = (e: unknown, location: string): never => {
    if (e instanceof DomainError) throw e;
    const code = errno(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFound(`object not found: ${location}`);
    if (code === 'EEXIST') throw new AlreadyExists(`object already exists: ${location}`);
    if (code === 'EISDIR') throw new InvalidInput(`location is a directory: ${location}`, 'location');
    throw new BackendUnavailable(`local object store failed: ${(e as Error).message}`, 'object-store');
  };

  /** A new temporary file beside `target`, its folder made (again, should a delete remove it meanwhile). */
  const openTemp = async (target: string): Promise<{ tmp: string; fh: FileHandle }> => {
    const tmp = `${target}.${randomUUID()}.tmp`;
    for (let attempt = 1; ; attempt++) {
      await fs.mkdir(path.dirname(target), { recursive: true });
      try {
        return { tmp, fh: await fs.open(tmp, 'wx') };
      } catch (e) {
        if (errno(e) !== 'ENOENT' || attempt === 3) throw e;
      }
    }
  };

  /** Links (no clobber) or renames the finished temporary file into place. */
  const place = async (tmp: string, target: string, ifNotExists: boolean) => {
    if (ifNotExists) {
      try {
        await fs.link(tmp, target);
      } finally {
        await fs.rm(tmp, { force: true });
      }
    } else {
      await fs.rename(tmp, target);
    }
  };

  const put = async (location: string, source: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts: { ifNotExists?: boolean } = {}) => {
    const target = pathOf(location);
    let tmp: string | null = null;
    try {
      const open = await openTemp(target);
      tmp = open.tmp;
      const file = unreadFileStream(source);
      if (file) {
        // A whole local file: an unchanging one is linked (no bytes move), any other copied by the
        // kernel (a reflink where the file system has them), never piped through JavaScript.
        await open.fh.close();
        (source as ReadStream).destroy();
        if (!((source as Partial<Record<typeof UNCHANGING_FILE, boolean>>)[UNCHANGING_FILE] && (await linked(file, open.tmp)))) {
          await fs.copyFile(file, open.tmp, fsConstants.COPYFILE_FICLONE);
        }
      } else if (source instanceof Uint8Array) {
        try {
          await open.fh.writeFile(source);
        } finally {
          await open.fh.close();
        }
      } else {
        await pipeline(guarded(source), open.fh.createWriteStream());
      }
      await place(tmp, target, opts.ifNotExists ?? false);
      tmp = null;
    } catch (e) {
      if (tmp) await fs.rm(tmp, { force: true });
      if (e instanceof SourceFailed) throw e.cause;
      fail(e, location);
    }
  };

  /** Removes `dir` and its parents while they are empty, up to (not including) an allowed root. */
  const prune = async (dir: string) => {
    while (!allowed.includes(dir) && isAllowed(dir)) {
      try {
        await fs.rmdir(dir);
      } catch {
        return;
      }
      dir = path.dirname(dir);
    }
  };

  /** The objects of `dir` (nested), in ascending order of location; `keep` filters its own entries. */
  async function* walk(dir: string, keep: (name: string, full: string) => boolean): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return;
      throw e;
    }
    const items: { key: string; full: string; folder: boolean }[] = [];
    for (const d of entries) {
      const full = path.join(dir, d.name);
      if (!keep(d.name, full) || TEMP_FILE.test(d.name)) continue;
      // Folders sort as their objects' locations do: by name plus '/'.
      const href = pathToFileURL(full).href;
      if (d.isDirectory()) items.push({ key: `${href}/`, full, folder: true });
      else items.push({ key: href, full, folder: false });
    }
    items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const item of items) {
      if (item.folder) {
        yield* walk(item.full, () => true);
        continue;
      }
      let st;
      try {
        st = await fs.stat(item.full); // follows a symlink to a file; anything else is no object
      } catch {
        continue;
      }
      if (st.isFile()) yield { location: item.key, size: st.size, lastModified: st.mtime };
    }
  }

  return {
    kind: 'local',
    root: pathToFileURL(rootDir).href,
    resolve: (location) => pathToFileURL(pathOf(location)).href,
    async read(location) {
      try {
        return new Uint8Array(await fs.readFile(pathOf(location)));
      } catch (e) {
        return fail(e, location);
      }
    },
    async readStream(location) {
      let fh: FileHandle | undefined;
      try {
        fh = await fs.open(pathOf(location), 'r');
        if ((await fh.stat()).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      } catch (e) {
        await fh?.close();
        return fail(e, location);
      }
      return fh.createReadStream();
    },
    write: (location, bytes, opts) => put(location, bytes, opts),
    put,
    async head(location) {
      try {
        const st = await fs.stat(pathOf(location));
        return st.isFile() ? { size: st.size, lastModified: st.mtime } : null;
      } catch (e) {
        if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
        return fail(e, location);
      }
    },
    async *list(prefix) {
      const p = pathOf(prefix);
      try {
        if (prefix.endsWith('/')) {
          yield* walk(p, () => true);
        } else {
          // A plain prefix: the entries of the parent folder whose names start with the last part.
          const start = path.basename(p);
          yield* walk(path.dirname(p), (name, full) => name.startsWith(start) && isAllowed(full));
        }
      } catch (e) {
        fail(e, prefix);
      }
    },
    async delete(location) {
      const p = pathOf(location);
      try {
        await fs.unlink(p);
      } catch (e) {
        const code = errno(e);
        // No object there (nothing, or a folder: EISDIR, or EPERM on macOS): nothing to delete.
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return;
        if (code === 'EPERM' && (await fs.stat(p).then((st) => st.isDirectory(), () => false))) return;
        fail(e, location);
      }
      await prune(path.dirname(p));
    },
  };
}

/** file:// URI or absolute path → normalised absolute path; anything else is InvalidInput. */
function toLocalPath(location: string, field: string): string {
  let p: string;
  if (location.startsWith('file:')) {
    try {
      p = fileURLToPath(location.startsWith('file://') ? location : `file://${location.slice(5)}`);
    } catch {
      throw new InvalidInput(`invalid file URI ${JSON.stringify(location.slice(0, 200))}`, field);
    }
  } else if (location.startsWith('/')) {
    p = location;
  } else {
    throw new InvalidInput(`unsupported location ${JSON.stringify(location.slice(0, 200))}: expected file:// (or an alias from LOCATION_ALIASES)`, field);
  }
  return path.resolve(p);
}

/** The path of a file stream made by createReadStream(path) that has not been read from, else null. */
function unreadFileStream(source: unknown): string | null {
  if (!(source instanceof ReadStream) || typeof source.path !== 'string') return null;
  const s = source as ReadStream & { start?: number; end?: number };
  // createReadStream(path) leaves start undefined and sets end to Infinity: the whole file.
  return source.bytesRead === 0 && s.start === undefined && (s.end === undefined || s.end === Infinity) ? source.path : null;
}

/** Replaces `tmp` (an empty file just made) with a hard link to `file`; false where links cannot be made (another file system). */
async function linked(file: string, tmp: string): Promise<boolean> {
  await fs.rm(tmp, { force: true });
  try {
    await fs.link(file, tmp);
    return true;
  } catch (e) {
    if (['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errno(e) ?? '')) return false;
    throw e;
  }
}
