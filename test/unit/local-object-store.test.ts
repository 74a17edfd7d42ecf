/**
 * What the local ObjectStore does beyond the port (test/contract/object-store.contract.ts runs the
 * port's behaviour on it): temporary files beside the target, never left behind, and folders that
 * come and go with their objects.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { AlreadyExists } from '../../src/domain/errors.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

describe('local object store', () => {
  let dir: string;
  let store: ObjectStore;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-os-'));
    await fs.mkdir(path.join(dir, 'wh'));
    store = createLocalObjectStore(`file://${dir}/wh`);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const temps = async (folder: string) => (await fs.readdir(path.join(dir, 'wh', folder))).filter((f) => f.endsWith('.tmp'));

  it('writes through a temporary file beside the target and leaves none behind', async () => {
    const loc = `${store.root}/t/metadata/00001.metadata.json`;
    await store.write(loc, new TextEncoder().encode('{"a":1}'), { ifNotExists: true });
    await expect(store.write(loc, new Uint8Array([1]), { ifNotExists: true })).rejects.toBeInstanceOf(AlreadyExists);
    expect(await temps('t/metadata')).toEqual([]);
    expect(await fs.readFile(path.join(dir, 'wh', 't', 'metadata', '00001.metadata.json'), 'utf8')).toBe('{"a":1}');
  });

  it('removes the temporary file of a put whose source fails', async () => {
    const failing = (async function* () {
      yield new Uint8Array(1000);
      throw new Error('gone');
    })();
    await expect(store.put(`${store.root}/u/x.bin`, failing)).rejects.toThrow('gone');
    expect(await temps('u')).toEqual([]);
  });

  it('removes folders a delete leaves empty, up to the warehouse root, and makes them again on write', async () => {
    await store.write(`${store.root}/p/q/r/one`, new Uint8Array([1]));
    await store.write(`${store.root}/p/keep`, new Uint8Array([2]));
    await store.delete(`${store.root}/p/q/r/one`);
    await expect(fs.stat(path.join(dir, 'wh', 'p', 'q'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.stat(path.join(dir, 'wh', 'p'))).isDirectory()).toBe(true);
    await store.delete(`${store.root}/p/keep`);
    await expect(fs.stat(path.join(dir, 'wh', 'p'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect((await fs.stat(path.join(dir, 'wh'))).isDirectory()).toBe(true);
    await store.write(`${store.root}/p/q/r/one`, new Uint8Array([3]));
    expect([...(await store.read(`${store.root}/p/q/r/one`))]).toEqual([3]);
  });
});
