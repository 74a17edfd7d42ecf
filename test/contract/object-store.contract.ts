/**
 * The ObjectStore contract: one suite every object store adapter runs (local now, S3 next), so they
 * are proven to mean the same thing. Backend test files are one call:
 *
 *   describeObjectStore('local', async () => ({ store, outside, cleanup }));
 *
 * The store must be made over an empty warehouse with the LOCATION_ALIASES of CONTRACT_ALIASES.
 * Every test writes under its own fresh prefix, so the tests do not see each other's objects.
 * Assertions are on error classes and `code`, never on message text.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../src/domain/errors.js';
import type { ObjectInfo, ObjectStore } from '../../src/ports/object-store.js';
import { unchangingFile } from '../../src/util/unchanging-file.js';

/** The aliases the store under test is made with, and the objects at their targets. */
export const CONTRACT_ALIASES = {
  /** Each maps onto one place outside the warehouse holding `a.txt` = MAIN_TEXT. */
  main: ['s3a://bucket/spark/bunnies', 'lineitem_iceberg/'],
  /** Maps onto another place, holding `other.txt` = SHADOW_TEXT and `bunnies/a.txt` = SHADOWED_TEXT: a shorter prefix of main[0], which must lose to it. */
  shadow: 's3a://bucket/spark/',
} as const;
export const MAIN_TEXT = 'hello';
export const SHADOW_TEXT = 'shadow';
export const SHADOWED_TEXT = 'shadowed';

export interface ObjectStoreFixture {
  /** Over an empty warehouse, with the aliases of CONTRACT_ALIASES. */
  store: ObjectStore;
  /** Locations of objects that exist but lie outside the warehouse and every alias target: each must be refused. */
  outside: string[];
  cleanup(): Promise<void>;
}

export type MakeObjectStore = () => Promise<ObjectStoreFixture>;

const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<unknown> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return e;
  }
  return null;
}

async function expectCode(p: Promise<unknown> | (() => unknown), code: ErrorCode, what?: string): Promise<void> {
  const e = await errorOf(p);
  expect(e, `${what ?? ''}: expected a ${code} error`).toBeInstanceOf(DomainError);
  expect((e as DomainError).code, what).toBe(code);
}

async function listAll(store: ObjectStore, prefix: string): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const o of store.list(prefix)) out.push(o);
  return out;
}

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

export function describeObjectStore(name: string, make: MakeObjectStore): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let fx: ObjectStoreFixture;
    let store: ObjectStore;
    beforeAll(async () => {
      fx = await make();
      store = fx.store;
    });
    afterAll(() => fx?.cleanup());
    /** A fresh prefix under the warehouse for one test. */
    const fresh = () => `${store.root}/c-${randomUUID()}`;

    it('names its root without a trailing slash, and resolves (normalising) locations under it to themselves', () => {
      expect(store.kind).toBeTruthy();
      expect(store.root).not.toMatch(/\/$/);
      const base = fresh();
      expect(store.resolve(`${base}/a/b.json`)).toBe(`${base}/a/b.json`);
      expect(store.resolve(`${base}/a/./x/../b.json`)).toBe(`${base}/a/b.json`);
      expect(store.resolve(store.resolve(`${base}/a/b.json`))).toBe(`${base}/a/b.json`);
    });

    it('writes whole objects, reads them back, and refuses to overwrite with ifNotExists', async () => {
      const loc = `${fresh()}/t/metadata/00001.metadata.json`;
      await store.write(loc, text('{"a":1}'), { ifNotExists: true });
      expect(decode(await store.read(loc))).toBe('{"a":1}');
      await expectCode(store.write(loc, new Uint8Array([1]), { ifNotExists: true }), 'ALREADY_EXISTS');
      expect(decode(await store.read(loc))).toBe('{"a":1}');
      await expectCode(store.read(`${store.root}/nope`), 'NOT_FOUND');
      // Without ifNotExists a write replaces the object.
      await store.write(loc, text('{"a":2}'));
      expect(decode(await store.read(loc))).toBe('{"a":2}');
      const empty = `${fresh()}/empty`;
      await store.write(empty, new Uint8Array(0));
      expect((await store.read(empty)).length).toBe(0);
      expect((await store.head(empty))?.size).toBe(0);
    });

    it('lets exactly one of concurrent ifNotExists writes win', async () => {
      const loc = `${fresh()}/race.json`;
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.write(loc, text(`writer ${i}`), { ifNotExists: true })));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect((r.reason as DomainError).code).toBe('ALREADY_EXISTS');
      expect(decode(await store.read(loc))).toBe(`writer ${won[0]}`);
    });

    it('streams a multi-megabyte object in and out', async () => {
      const loc = `${fresh()}/data/big.parquet`;
      const big = randomBytes(5 * 1024 * 1024 + 123);
      // A stream of uneven chunks, as a file or an HTTP body gives them.
      const chunks: Buffer[] = [];
      for (let at = 0; at < big.length; ) {
        const n = Math.min(big.length - at, 100_000 + ((at / 7) % 200_000));
        chunks.push(big.subarray(at, at + n));
        at += n;
      }
      await store.put(loc, Readable.from(chunks));
      expect((await store.head(loc))?.size).toBe(big.length);
      const back = await bytesOf(await store.readStream(loc));
      expect(back.equals(big)).toBe(true);
      expect(Buffer.from(await store.read(loc)).equals(big)).toBe(true);
      // An async iterable of chunks and plain bytes are sources too.
      const gen = `${fresh()}/gen.bin`;
      await store.put(gen, (async function* () {
        yield text('ab');
        yield text('cd');
      })());
      expect(decode(await store.read(gen))).toBe('abcd');
      const bytes = `${fresh()}/bytes.bin`;
      await store.put(bytes, text('xyz'));
      expect(decode(Buffer.from(await bytesOf(await store.readStream(bytes))))).toBe('xyz');
      await expectCode(store.put(bytes, text('again'), { ifNotExists: true }), 'ALREADY_EXISTS');
      expect(decode(await store.read(bytes))).toBe('xyz');
    });

    it('puts local files: a plain file stream, and an unchanging file that outlives its source', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cg-contract-'));
      try {
        const content = randomBytes(3 * 1024 * 1024 + 7);
        const plain = join(dir, 'plain.bin');
        const kept = join(dir, 'kept.bin');
        await writeFile(plain, content);
        await writeFile(kept, content);
        const a = `${fresh()}/plain.bin`;
        const b = `${fresh()}/kept.bin`;
        await store.put(a, createReadStream(plain));
        await store.put(b, unchangingFile(kept));
        await rm(dir, { recursive: true }); // the sources go; the objects stay whole
        for (const loc of [a, b]) {
          expect((await store.head(loc))?.size).toBe(content.length);
          expect(Buffer.from(await store.read(loc)).equals(content)).toBe(true);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('refuses to stream an object that does not exist, before any byte', async () => {
      await expectCode(store.readStream(`${fresh()}/missing.parquet`), 'NOT_FOUND');
    });

    it('leaves nothing behind when the source of a put fails, and an existing object as it was', async () => {
      const base = fresh();
      const boom = new Error('source failed');
      const failing = () =>
        (async function* () {
          yield randomBytes(256 * 1024);
          throw boom;
        })();
      expect(await errorOf(store.put(`${base}/new.bin`, failing()))).toBe(boom);
      expect(await store.head(`${base}/new.bin`)).toBeNull();
      expect(await listAll(store, `${base}/`)).toEqual([]);
      await store.write(`${base}/old.bin`, text('old'));
      expect(await errorOf(store.put(`${base}/old.bin`, failing()))).toBe(boom);
      expect(decode(await store.read(`${base}/old.bin`))).toBe('old');
      expect((await listAll(store, `${base}/`)).map((o) => o.location)).toEqual([store.resolve(`${base}/old.bin`)]);
    });

    it('does not list an object while it is being written', async () => {
      const base = fresh();
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const put = store.put(`${base}/slow.bin`, (async function* () {
        yield text('first part ');
        await held;
        yield text('second part');
      })());
      await new Promise((r) => setTimeout(r, 50));
      expect(await listAll(store, `${base}/`)).toEqual([]);
      expect(await store.head(`${base}/slow.bin`)).toBeNull();
      release();
      await put;
      expect((await listAll(store, `${base}/`)).map((o) => o.size)).toEqual([22]);
    });

    it('heads objects: size and modification time, or null when there is none', async () => {
      const base = fresh();
      expect(await store.head(`${base}/missing`)).toBeNull();
      const before = Date.now();
      await store.write(`${base}/a.json`, text('12345'));
      const h = await store.head(`${base}/a.json`);
      expect(h?.size).toBe(5);
      expect(h?.lastModified).toBeInstanceOf(Date);
      expect(Math.abs(h!.lastModified.getTime() - before)).toBeLessThan(5 * 60_000);
      // A prefix of objects is no object.
      expect(await store.head(base)).toBeNull();
    });

    it('lists by plain string prefix, nested, in order of location, with sizes', async () => {
      const base = fresh();
      const objects: [string, string][] = [
        ['t/data/a.parquet', 'aaa'],
        ['t/data/p=1/b.parquet', 'bb'],
        ['t/data-old/c.parquet', 'c'],
        ['t/date.txt', 'dddd'],
        ['t/metadata/m.json', '{}'],
        ['t2/x', 'xxxxx'],
      ];
      for (const [rel, body] of [...objects].reverse()) await store.write(`${base}/${rel}`, text(body));
      const names = async (prefix: string) => (await listAll(store, prefix)).map((o) => o.location.slice(store.resolve(base).length + 1));
      expect(await names(`${base}/t/data/`)).toEqual(['t/data/a.parquet', 't/data/p=1/b.parquet']);
      expect(await names(`${base}/t/da`)).toEqual(['t/data-old/c.parquet', 't/data/a.parquet', 't/data/p=1/b.parquet', 't/date.txt']);
      expect(await names(`${base}/t/`)).toEqual(['t/data-old/c.parquet', 't/data/a.parquet', 't/data/p=1/b.parquet', 't/date.txt', 't/metadata/m.json']);
      expect(await names(`${base}/t`)).toEqual(['t/data-old/c.parquet', 't/data/a.parquet', 't/data/p=1/b.parquet', 't/date.txt', 't/metadata/m.json', 't2/x']);
      expect(await names(`${base}/t/date.txt`)).toEqual(['t/date.txt']);
      expect(await names(`${base}/t/nothing/`)).toEqual([]);
      expect(await names(`${base}/nothing`)).toEqual([]);
      const all = await listAll(store, `${base}/`);
      expect(all.map((o) => o.location)).toEqual([...all.map((o) => o.location)].sort());
      const sizes = new Map(objects.map(([rel, body]) => [store.resolve(`${base}/${rel}`), body.length]));
      for (const o of all) {
        expect(o.size, o.location).toBe(sizes.get(o.location));
        expect(o.lastModified).toBeInstanceOf(Date);
        // A listed location reads as it is.
        expect((await store.read(o.location)).length).toBe(o.size);
      }
      expect(all).toHaveLength(objects.length);
    });

    it('deletes objects (deleting one that is not there is fine), leaving the others', async () => {
      const base = fresh();
      await store.write(`${base}/d/one`, text('1'));
      await store.write(`${base}/d/two`, text('2'));
      await store.delete(`${base}/d/one`);
      expect(await store.head(`${base}/d/one`)).toBeNull();
      await expectCode(store.read(`${base}/d/one`), 'NOT_FOUND');
      expect(decode(await store.read(`${base}/d/two`))).toBe('2');
      await store.delete(`${base}/d/one`);
      await store.delete(`${base}/never/was`);
      await store.delete(`${base}/d`); // a prefix, not an object
      expect(decode(await store.read(`${base}/d/two`))).toBe('2');
      await store.delete(`${base}/d/two`);
      expect(await listAll(store, `${base}/`)).toEqual([]);
      // The location takes a new object again.
      await store.write(`${base}/d/one`, text('again'), { ifNotExists: true });
      expect(decode(await store.read(`${base}/d/one`))).toBe('again');
    });

    it('maps aliases (the longest prefix wins) onto their targets', async () => {
      for (const prefix of CONTRACT_ALIASES.main) {
        const loc = `${prefix.replace(/\/$/, '')}/a.txt`;
        expect(decode(await store.read(loc)), loc).toBe(MAIN_TEXT);
        expect(decode(Buffer.from(await bytesOf(await store.readStream(loc))))).toBe(MAIN_TEXT);
        expect((await store.head(loc))?.size).toBe(MAIN_TEXT.length);
        const listed = await listAll(store, `${prefix.replace(/\/$/, '')}/`);
        expect(listed.map((o) => o.location)).toEqual([store.resolve(loc)]);
      }
      // Both main prefixes lead to the same object; the resolved location is the target's.
      expect(store.resolve(`${CONTRACT_ALIASES.main[0]}/a.txt`)).toBe(store.resolve(`${CONTRACT_ALIASES.main[1]}a.txt`));
      expect(store.resolve(`${CONTRACT_ALIASES.main[0]}/a.txt`).startsWith(`${store.root}/`)).toBe(false);
      expect(decode(await store.read(`${CONTRACT_ALIASES.shadow}other.txt`))).toBe(SHADOW_TEXT);
      expect(decode(await store.read(`${CONTRACT_ALIASES.shadow}bunnies/a.txt`))).toBe(MAIN_TEXT);
      expect(decode(await store.read(`${CONTRACT_ALIASES.shadow}bunnies/a.txt`))).not.toBe(SHADOWED_TEXT);
    });

    it('confines every location to the warehouse and the alias targets', async () => {
      const root = store.root;
      const bad = [
        ...fx.outside,
        `${root}/../secret.txt`,
        `${root}/a/../../secret.txt`,
        `${root}-sibling/x`,
        `${CONTRACT_ALIASES.main[0]}/../../../secret.txt`,
        'http://x/y',
        'relative/path',
        `${root}/a\0b`,
        '',
      ];
      for (const loc of bad) {
        await expectCode(() => store.resolve(loc), 'INVALID_INPUT', `resolve ${loc}`);
        await expectCode(store.read(loc), 'INVALID_INPUT', `read ${loc}`);
        await expectCode(store.readStream(loc), 'INVALID_INPUT', `readStream ${loc}`);
        await expectCode(store.head(loc), 'INVALID_INPUT', `head ${loc}`);
        await expectCode(store.write(loc, text('x')), 'INVALID_INPUT', `write ${loc}`);
        await expectCode(store.put(loc, Readable.from([text('x')])), 'INVALID_INPUT', `put ${loc}`);
        await expectCode(store.delete(loc), 'INVALID_INPUT', `delete ${loc}`);
        await expectCode(listAll(store, loc), 'INVALID_INPUT', `list ${loc}`);
      }
      // The existing objects outside were neither read nor replaced: they still refuse, and nothing under the root changed.
      for (const loc of fx.outside) await expectCode(store.read(loc), 'INVALID_INPUT');
    });
  });
}
