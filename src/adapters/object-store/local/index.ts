/**
 * ObjectStore on the local filesystem. Locations are `file:///…` URIs (bare absolute paths are
 * accepted too). LOCATION_ALIASES are applied first (longest prefix wins); the result must lie under
 * the warehouse root or under an alias target, so no location can reach any other file.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AlreadyExists, BackendUnavailable, DomainError, InvalidInput, NotFound } from '../../../domain/errors.js';
import type { ObjectStore } from '../../../ports/object-store.js';

export interface LocationAlias {
  prefix: string;
  replacement: string;
}

export function createLocalObjectStore(warehouse: string, aliases: LocationAlias[] = []): ObjectStore {
  const rootDir = toLocalPath(warehouse, 'WAREHOUSE');
  const sorted = [...aliases].sort((a, b) => b.prefix.length - a.prefix.length);
  const allowed = [rootDir, ...sorted.map((a) => toLocalPath(a.replacement, 'LOCATION_ALIASES'))];
  const scratchRoot = path.join(rootDir, '.scratch');

  const pathOf = (location: string): string => {
    if (typeof location !== 'string' || location.length === 0 || location.length > 4096 || location.includes('\0')) {
      throw new InvalidInput('invalid location', 'location');
    }
    const alias = sorted.find((a) => location.startsWith(a.prefix));
    const mapped = alias ? alias.replacement.replace(/\/*$/, '/') + location.slice(alias.prefix.length).replace(/^\/+/, '') : location;
    const p = toLocalPath(mapped, 'location');
    if (!allowed.some((dir) => p === dir || p.startsWith(dir + path.sep))) {
      throw new InvalidInput(`location ${JSON.stringify(location.slice(0, 200))} is outside the warehouse and every LOCATION_ALIASES target`, 'location');
    }
    return p;
  };

  const fail = (e: unknown, location: string): never => {
    if (e instanceof DomainError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFound(`object not found: ${location}`);
    if (code === 'EEXIST') throw new AlreadyExists(`object already exists: ${location}`);
    if (code === 'EISDIR') throw new InvalidInput(`location is a directory: ${location}`, 'location');
    throw new BackendUnavailable(`local object store failed: ${(e as Error).message}`, 'object-store');
  };

  /** Writes via a temp file in the target directory, then links (no clobber) or renames into place. */
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
    async write(location, bytes, opts = {}) {
      const target = pathOf(location);
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
        const tmp = `${target}.${randomUUID()}.tmp`;
        await fs.writeFile(tmp, bytes);
        await place(tmp, target, opts.ifNotExists ?? false);
      } catch (e) {
        fail(e, location);
      }
    },
    async putFile(localPath, location) {
      const target = pathOf(location);
      try {
        await fs.mkdir(path.dirname(target), { recursive: true });
        try {
          await fs.rename(localPath, target);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
          const tmp = `${target}.${randomUUID()}.tmp`;
          await fs.copyFile(localPath, tmp);
          await fs.rename(tmp, target);
          await fs.rm(localPath, { force: true });
        }
      } catch (e) {
        fail(e, location);
      }
    },
    async exists(location) {
      try {
        await fs.access(pathOf(location));
        return true;
      } catch (e) {
        if (e instanceof InvalidInput) throw e;
        return false;
      }
    },
    async size(location) {
      try {
        return (await fs.stat(pathOf(location))).size;
      } catch (e) {
        return fail(e, location);
      }
    },
    async delete(location) {
      await fs.rm(pathOf(location), { force: true });
    },
    async localPath(location) {
      return pathOf(location);
    },
    async scratchDir() {
      const dir = path.join(scratchRoot, randomUUID());
      await fs.mkdir(dir, { recursive: true });
      return { path: dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
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
