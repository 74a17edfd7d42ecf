import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { AlreadyExists, InvalidInput, NotFound } from '../../src/domain/errors.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

describe('local object store', () => {
  let dir: string;
  let store: ObjectStore;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-os-'));
    await fs.mkdir(path.join(dir, 'wh'));
    await fs.mkdir(path.join(dir, 'copy', 'bunnies'), { recursive: true });
    await fs.writeFile(path.join(dir, 'copy', 'bunnies', 'a.txt'), 'hello');
    await fs.writeFile(path.join(dir, 'secret.txt'), 'no');
    store = createLocalObjectStore(`file://${dir}/wh`, [
      { prefix: 's3a://bucket/spark/bunnies', replacement: `file://${dir}/copy/bunnies` },
      { prefix: 'lineitem_iceberg/', replacement: `file://${dir}/copy/bunnies/` },
    ]);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('writes atomically, reads back and refuses to overwrite with ifNotExists', async () => {
    const loc = `${store.root}/t/metadata/00001.metadata.json`;
    await store.write(loc, new TextEncoder().encode('{"a":1}'), { ifNotExists: true });
    expect(new TextDecoder().decode(await store.read(loc))).toBe('{"a":1}');
    await expect(store.write(loc, new Uint8Array([1]), { ifNotExists: true })).rejects.toBeInstanceOf(AlreadyExists);
    expect(new TextDecoder().decode(await store.read(loc))).toBe('{"a":1}');
    expect((await fs.readdir(path.join(dir, 'wh', 't', 'metadata'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await expect(store.read(`${store.root}/nope`)).rejects.toBeInstanceOf(NotFound);
  });

  it('maps aliases (longest prefix) and confines every location', async () => {
    expect(new TextDecoder().decode(await store.read('s3a://bucket/spark/bunnies/a.txt'))).toBe('hello');
    expect(new TextDecoder().decode(await store.read('lineitem_iceberg/a.txt'))).toBe('hello');
    for (const bad of [`file://${dir}/secret.txt`, `${store.root}/../secret.txt`, 's3a://bucket/spark/bunnies/../../../secret.txt', '/etc/passwd', 'http://x/y', 'relative/path', `${store.root}/a\0b`]) {
      expect(() => store.resolve(bad), bad).toThrow(InvalidInput);
      await expect(store.read(bad)).rejects.toBeInstanceOf(InvalidInput);
    }
  });
});
