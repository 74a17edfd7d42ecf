/**
 * The DuckDB engine's local object cache (src/adapters/query-engine/duckdb/object-cache.ts): remote
 * data files are fetched once however many readers ask at once, the size bound holds but never
 * removes a file in use, a failed download leaves nothing behind, and a restart keeps what was
 * fetched. Run on every non-file store at hand: a remote view of the local store (no server) and
 * S3 (the test run's versitygw server).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { createS3ObjectStore } from '../../src/adapters/object-store/s3/index.js';
import { createDuckDbEngine } from '../../src/adapters/query-engine/duckdb/index.js';
import { cacheName, ObjectCache } from '../../src/adapters/query-engine/duckdb/object-cache.js';
import { runSandboxed } from '../../src/adapters/query-engine/duckdb/sandbox.js';
import { DomainError } from '../../src/domain/errors.js';
import type { Schema, ScanPlan } from '../../src/domain/iceberg/types.js';
import { dataFileFromWritten } from '../../src/iceberg/table-writer.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { instrumented, remoteView, type Instrumented } from '../support/object-stores.js';
import { createTestBucket } from '../support/s3.js';

interface StoreFixture {
  store: ObjectStore;
  cleanup(): Promise<void>;
}

const codeOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e instanceof DomainError ? e.code : `not a DomainError: ${String(e)}`;
  }
  return null;
};

function describeObjectCache(name: string, make: () => Promise<StoreFixture>): void {
  describe(`the DuckDB engine's object cache over ${name}`, () => {
    let fx: StoreFixture;
    let store: Instrumented;
    let scratch: string;
    beforeAll(async () => {
      fx = await make();
      store = instrumented(fx.store);
      scratch = await mkdtemp(join(tmpdir(), 'cascade-object-cache-'));
    });
    afterAll(async () => {
      await fx?.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    /** A fresh object of `size` random bytes; its location and bytes. */
    const object = async (size = 1000, ext = '.parquet') => {
      const location = `${store.root}/cache-test/${randomUUID()}${ext}`;
      const bytes = randomBytes(size);
      await store.put(location, bytes);
      return { location, bytes, size };
    };
    const freshDir = () => join(scratch, randomUUID());
    const filesIn = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

    it('shares one download among concurrent readers of an object, then serves it from disk', async () => {
      const a = await object(4000);
      const cache = new ObjectCache(store, { dir: freshDir() });
      const release = store.holdReads();
      const readers = Array.from({ length: 6 }, () => cache.acquire(a.location, a.size));
      await new Promise((r) => setTimeout(r, 50));
      release();
      const got = await Promise.all(readers);
      expect(new Set(got.map((f) => f.path)).size).toBe(1);
      expect(await readFile(got[0]!.path)).toEqual(a.bytes);
      expect(store.gets.get(a.location)).toBe(1);
      expect(cache.stats()).toMatchObject({ files: 1, pinned: 1, downloads: 1 });
      for (const f of got) f.release();
      const again = await cache.acquire(a.location, a.size);
      again.release();
      expect(store.gets.get(a.location)).toBe(1);
      expect(cache.stats()).toMatchObject({ files: 1, pinned: 0, downloads: 1, hits: 1 });
    });

    it('keeps to its bound by removing the least recently used files, never one in use', async () => {
      const dir = freshDir();
      const cache = new ObjectCache(store, { dir, maxBytes: 2500 });
      const [a, b, c, d] = await Promise.all([object(), object(), object(), object()]);
      const nameOf = (o: { location: string; size: number }) => cacheName(o.location, o.size);
      const pa = await cache.acquire(a!.location, a!.size);
      (await cache.acquire(b!.location, b!.size)).release();
      (await cache.acquire(c!.location, c!.size)).release();
      await cache.settled();
      // 3000 bytes: b, the least recently used file not in use, goes; a is in use and stays.
      expect(await filesIn(dir)).toEqual([nameOf(a!), nameOf(c!)].sort());
      pa.release(); // a is now the most recently used
      (await cache.acquire(d!.location, d!.size)).release();
      await cache.settled();
      expect(await filesIn(dir)).toEqual([nameOf(a!), nameOf(d!)].sort());
      expect(cache.stats()).toMatchObject({ files: 2, bytes: 2000, pinned: 0, evictions: 2 });
      // An evicted object is fetched again when asked for.
      (await cache.acquire(b!.location, b!.size)).release();
      expect(store.gets.get(b!.location)).toBe(2);

      // Files in use may take the cache over its bound; the excess goes as they are released.
      const small = new ObjectCache(store, { dir: freshDir(), maxBytes: 1500 });
      const [e, f] = await Promise.all([object(), object()]);
      const pe = await small.acquire(e!.location, e!.size);
      const pf = await small.acquire(f!.location, f!.size);
      expect(small.stats()).toMatchObject({ files: 2, bytes: 2000, pinned: 2 });
      expect(await readFile(pe.path)).toEqual(e!.bytes);
      pf.release();
      expect(small.stats()).toMatchObject({ files: 1, bytes: 1000, pinned: 1 });
      pe.release();
      expect(small.stats()).toMatchObject({ files: 1, bytes: 1000, pinned: 0 });

      // Bound 0: only files in use are kept.
      const none = new ObjectCache(store, { dir: freshDir(), maxBytes: 0 });
      const pg = await none.acquire(e!.location, e!.size);
      expect(await readFile(pg.path)).toEqual(e!.bytes);
      pg.release();
      expect(none.stats()).toMatchObject({ files: 0, bytes: 0 });
      await none.settled();
      expect(await filesIn(await none.dir())).toEqual([]);
    });

    it('leaves no file behind when a download fails, and fetches the object again on the next read', async () => {
      const dir = freshDir();
      const cache = new ObjectCache(store, { dir });
      const a = await object(5000);
      store.failReads(1, 1000);
      const failed = await Promise.allSettled([cache.acquire(a.location, a.size), cache.acquire(a.location, a.size)]);
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(await codeOf(Promise.reject((failed[0] as PromiseRejectedResult).reason))).toBe('BACKEND_UNAVAILABLE');
      expect(await filesIn(dir)).toEqual([]);
      expect(cache.stats()).toMatchObject({ files: 0, bytes: 0 });

      // A size other than the manifest's: refused, nothing kept.
      expect(await codeOf(cache.acquire(a.location, a.size + 1))).toBe('BACKEND_UNAVAILABLE');
      // No such object: NotFound, nothing kept.
      expect(await codeOf(cache.acquire(`${store.root}/cache-test/missing-${randomUUID()}.parquet`, 10))).toBe('NOT_FOUND');
      expect(await filesIn(dir)).toEqual([]);

      const ok = await cache.acquire(a.location, a.size);
      expect(await readFile(ok.path)).toEqual(a.bytes);
      ok.release();
      expect(store.gets.get(a.location)).toBe(3);
      expect(await filesIn(dir)).toEqual([cacheName(a.location, a.size)]);
    });

    it('keeps what it fetched across a restart: no second download, leftovers removed, the bound applied oldest first', async () => {
      const dir = freshDir();
      const first = new ObjectCache(store, { dir });
      const [a, b] = await Promise.all([object(), object()]);
      for (const o of [a!, b!]) (await first.acquire(o.location, o.size)).release();
      await first.close(); // a configured folder stays
      // What a crash leaves: a partial download, and a file cut short.
      await writeFile(join(dir, `${cacheName(a!.location, a!.size)}.${randomUUID()}.part`), 'partial');
      const cut = await object();
      await writeFile(join(dir, cacheName(cut.location, cut.size)), cut.bytes.subarray(0, 10));
      // a was used longer ago than b.
      await utimes(join(dir, cacheName(a!.location, a!.size)), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
      const gets = store.getCount();

      const second = new ObjectCache(store, { dir });
      const pb = await second.acquire(b!.location, b!.size);
      expect(await readFile(pb.path)).toEqual(b!.bytes);
      pb.release();
      expect(store.getCount()).toBe(gets);
      expect(second.stats()).toMatchObject({ files: 2, hits: 1, downloads: 0 });
      expect(await filesIn(dir)).toEqual([cacheName(a!.location, a!.size), cacheName(b!.location, b!.size)].sort());

      // A smaller bound at the next start: the oldest file goes first.
      const third = new ObjectCache(store, { dir, maxBytes: 1000 });
      expect(await filesIn(await third.dir())).toEqual([cacheName(b!.location, b!.size)]);
    });

    it('reads remote tables through the engine with one GET per file however many calls read them at once; a sandboxed query sees only its own files', async () => {
      const dir = freshDir();
      const engine = await createDuckDbEngine(store, { threads: 2, objectCache: { dir } });
      try {
        const schema: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', type: 'long', required: true }, { id: 2, name: 'v', type: 'string', required: false }] };
        const spec = { specId: 0, fields: [] };
        const target = { schema, spec, location: `${store.root}/cache-test/${randomUUID()}/data` };
        const plan = async (rows: Record<string, unknown>[]): Promise<ScanPlan> => {
          const written = await engine.writeDataFiles({ kind: 'rows', rows }, target);
          return {
            schema,
            snapshotId: '1',
            dataFiles: written.map((f) => ({ ...dataFileFromWritten(f, f.location, schema, 0), sequenceNumber: 1, fileSequenceNumber: 1 })),
            deleteFiles: [],
            partitionSpecs: [spec],
          };
        };
        const p1 = await plan([{ id: 1, v: 'a' }, { id: 2, v: 'b' }]);
        const p2 = await plan([{ id: 3, v: 'c' }]);
        const both: ScanPlan = { ...p1, dataFiles: [...p1.dataFiles, ...p2.dataFiles] };
        const before = store.getCount();
        const csv = join(scratch, `${randomUUID()}.csv`);
        const results = await Promise.all([
          engine.rows(both, { first: 10, orderBy: [{ column: 'id', direction: 'ASC' }] }),
          engine.rows(both, { first: 1 }),
          engine.sql('SELECT count(*), max(v) FROM t', new Map([['t', both]]), { maxRows: 10, timeoutMs: 30_000, maxBytes: 1 << 20 }),
          engine.compare(p1, both, 10),
          engine.exportCsv(both, { path: csv }),
        ]);
        expect((results[0] as { rows: unknown[] }).rows).toEqual([{ id: '1', v: 'a' }, { id: '2', v: 'b' }, { id: '3', v: 'c' }]);
        expect(results[2]).toMatchObject({ rows: [['3', 'c']] });
        expect(results[3]).toMatchObject({ fromRows: 2n, toRows: 3n, rowsAdded: 1n, rowsRemoved: 0n });
        expect(results[4]).toBe(3);
        expect(store.getCount() - before).toBe(both.dataFiles.length);
        for (const f of both.dataFiles) expect(store.gets.get(f.filePath)).toBe(1);

        // The sandbox's allowed paths are the plan's cached files: another cached file stays out of reach.
        const cached = (await readdir(dir)).map((n) => join(dir, n));
        expect(cached).toHaveLength(2);
        const [mine, other] = cached;
        const read = (file: string) =>
          runSandboxed({}, [{ key: 't', sql: `SELECT * FROM read_parquet('${mine}')` }], [mine!], `SELECT count(*) FROM read_parquet('${file}')`, {
            maxRows: 10, timeoutMs: 10_000, maxBytes: 1 << 20,
          });
        expect((await read(mine!)).rows).toHaveLength(1);
        await expect(read(other!)).rejects.toBeInstanceOf(DomainError);
      } finally {
        await engine.close();
      }
      // A configured cache folder outlives the engine.
      expect(await filesIn(dir)).toHaveLength(2);
    });
  });
}

describeObjectCache('a remote view of the local store', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'cascade-remote-view-'));
  const local = createLocalObjectStore(pathToFileURL(dir).href);
  return { store: remoteView(local), cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describeObjectCache('S3 (versitygw)', async () => {
  const s3 = inject('s3');
  const bucket = await createTestBucket(s3, 'object-cache');
  const store = createS3ObjectStore({
    warehouse: `s3://${bucket}/wh`,
    region: s3.region,
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
  return { store, cleanup: async () => store.close() };
});
