/**
 * What the S3 object store does beyond the ObjectStore contract (test/contract/object-store-s3.test.ts):
 * multipart uploads and their clean-up, error mapping (credentials, missing bucket, a server down
 * or silent, throttling), s3a:// and s3n:// locations, and If-None-Match on the server.
 */
import { HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createS3ObjectStore, type S3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/object-store/s3/index.js';
import { BackendUnavailable, DomainError } from '../../src/domain/errors.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { createTestBucket, startS3Server, testS3Client } from '../support/s3.js';
import { freePort } from '../support/services.js';

const MiB = 1024 * 1024;
const s3 = inject('s3');
const text = (s: string) => new TextEncoder().encode(s);
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}

async function bytesOf(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function listAll(store: ObjectStore, prefix: string) {
  const out = [];
  for await (const o of store.list(prefix)) out.push(o);
  return out;
}

/** `bytes` as a stream of uneven chunks. */
function streamOf(bytes: Buffer): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.min(bytes.length - at, 64 * 1024 + ((i * 7919) % (512 * 1024)));
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  return Readable.from(chunks);
}

const stores: S3ObjectStore[] = [];
function makeStore(o: Partial<S3ObjectStoreOptions> & { warehouse: string }): S3ObjectStore {
  const store = createS3ObjectStore({
    region: s3.region,
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    ...o,
  });
  stores.push(store);
  return store;
}

/** The error must be BackendUnavailable, name the bucket, and carry neither key nor a signed URL. */
function expectUnavailable(e: unknown, bucket: string, secrets: string[], reason?: RegExp) {
  expect(e, 'expected BackendUnavailable').toBeInstanceOf(BackendUnavailable);
  const message = (e as DomainError).message;
  expect(message).toContain(`'${bucket}'`);
  for (const s of secrets) expect(message).not.toContain(s);
  expect(message).not.toMatch(/X-Amz-Signature|X-Amz-Credential/i);
  if (reason) expect(message).toMatch(reason);
}

describe('S3 object store on versitygw', () => {
  const client = testS3Client(s3);
  let bucket: string;
  let store: S3ObjectStore;
  beforeAll(async () => {
    bucket = await createTestBucket(s3, 's3-store');
    store = makeStore({ warehouse: `s3://${bucket}/wh`, partSizeBytes: 5 * MiB });
  });
  afterAll(() => {
    for (const s of stores) s.close();
    client.destroy();
  });
  const fresh = () => `s3://${bucket}/wh/t-${randomUUID()}`;
  const pendingUploads = async () => (await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? [];

  it('round-trips a 20 MiB stream through a multipart upload', async () => {
    const loc = `${fresh()}/data/big.parquet`;
    const big = randomBytes(20 * MiB + 4321);
    await store.put(loc, streamOf(big));
    expect((await store.head(loc))?.size).toBe(big.length);
    expect((await bytesOf(await store.readStream(loc))).equals(big)).toBe(true);
    // A multipart object's ETag ends in -<parts>: 5 parts of 5 MiB.
    const { ETag } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: loc.slice(`s3://${bucket}/`.length) }));
    expect(ETag).toMatch(/-5"?$/);
    expect(await pendingUploads()).toEqual([]);
    // A source ending on a part boundary: two parts of 8 MiB, and the empty third is not sent.
    const even = `${fresh()}/even.bin`;
    const exact = randomBytes(16 * MiB);
    const eights = makeStore({ warehouse: `s3://${bucket}/wh`, partSizeBytes: 8 * MiB });
    await eights.put(even, streamOf(exact));
    expect(Buffer.from(await eights.read(even)).equals(exact)).toBe(true);
    const { ETag: evenTag } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: even.slice(`s3://${bucket}/`.length) }));
    expect(evenTag).toMatch(/-2"?$/);
    // The default part size (16 MiB): a 10 MiB source is one PutObject (an ETag without a part count).
    const single = `${fresh()}/single.bin`;
    const defaults = makeStore({ warehouse: `s3://${bucket}/wh` });
    await defaults.put(single, streamOf(big.subarray(0, 10 * MiB)));
    const { ETag: singleTag } = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: single.slice(`s3://${bucket}/`.length) }));
    expect(singleTag).not.toMatch(/-\d+"?$/);
    expect((await defaults.head(single))?.size).toBe(10 * MiB);
    // Plain bytes larger than a part go up in parts too.
    const bytes = `${fresh()}/bytes.bin`;
    await store.write(bytes, big.subarray(0, 11 * MiB), { ifNotExists: true });
    expect((await store.head(bytes))?.size).toBe(11 * MiB);
  });

  it('leaves neither an object nor a pending multipart upload when the source fails midway', async () => {
    const base = fresh();
    const boom = new Error('source failed');
    const failing = () =>
      (async function* () {
        for (let i = 0; i < 12; i++) yield randomBytes(MiB); // two parts sent, a third begun
        throw boom;
      })();
    expect(await errorOf(store.put(`${base}/new.bin`, failing()))).toBe(boom);
    expect(await store.head(`${base}/new.bin`)).toBeNull();
    expect(await listAll(store, `${base}/`)).toEqual([]);
    expect(await pendingUploads()).toEqual([]);
    // Over an existing object (and with ifNotExists on a new one): the same.
    await store.write(`${base}/old.bin`, text('old'));
    expect(await errorOf(store.put(`${base}/old.bin`, failing()))).toBe(boom);
    expect(decode(await store.read(`${base}/old.bin`))).toBe('old');
    expect(await errorOf(store.put(`${base}/other.bin`, failing(), { ifNotExists: true }))).toBe(boom);
    expect(await store.head(`${base}/other.bin`)).toBeNull();
    expect(await pendingUploads()).toEqual([]);
  });

  it('refuses a large ifNotExists put onto an existing object without replacing it', async () => {
    const loc = `${fresh()}/x.bin`;
    await store.write(loc, text('first'));
    const e = await errorOf(store.put(loc, streamOf(randomBytes(12 * MiB)), { ifNotExists: true }));
    expect((e as DomainError).code).toBe('ALREADY_EXISTS');
    expect(decode(await store.read(loc))).toBe('first');
    expect(await pendingUploads()).toEqual([]);
  });

  it('lets exactly one of concurrent multipart ifNotExists puts win, from separate stores (as separate gateways)', async () => {
    const loc = `${fresh()}/race.parquet`;
    const bodies = [0, 1, 2].map(() => randomBytes(11 * MiB));
    const racers = bodies.map(() => makeStore({ warehouse: `s3://${bucket}/wh`, partSizeBytes: 5 * MiB }));
    const results = await Promise.allSettled(racers.map((r, i) => r.put(loc, streamOf(bodies[i]!), { ifNotExists: true })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DomainError).code).toBe('ALREADY_EXISTS');
    expect(Buffer.from(await store.read(loc)).equals(bodies[won[0]!]!)).toBe(true);
    expect(await pendingUploads()).toEqual([]);
  });

  it('runs on a server that honours If-None-Match: * on PutObject', async () => {
    const key = `wh/inm-${randomUUID()}`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'a', IfNoneMatch: '*' }));
    const e = await errorOf(client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'b', IfNoneMatch: '*' })));
    expect((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(412);
  });

  it('reads s3a:// and s3n:// locations (as Spark and Hadoop write them) as s3://', async () => {
    const base = fresh();
    await store.write(`${base}/spark/part-0.parquet`, text('spark'));
    for (const scheme of ['s3a', 's3n']) {
      const loc = `${scheme}${base.slice('s3'.length)}/spark/part-0.parquet`;
      expect(store.resolve(loc)).toBe(`${base}/spark/part-0.parquet`);
      expect(decode(await store.read(loc))).toBe('spark');
      expect(decode(await bytesOf(await store.readStream(loc)))).toBe('spark');
      expect((await store.head(loc))?.size).toBe(5);
      expect((await listAll(store, `${scheme}${base.slice('s3'.length)}/`)).map((o) => o.location)).toEqual([`${base}/spark/part-0.parquet`]);
    }
    // Written through s3a://, found at s3://.
    await store.write(`s3a${base.slice('s3'.length)}/written.json`, text('{}'));
    expect(decode(await store.read(`${base}/written.json`))).toBe('{}');
  });

  it('probes its bucket for /readyz', async () => {
    await store.probe();
  });

  it('says BackendUnavailable, naming the bucket but neither key, for wrong credentials', async () => {
    await store.write(`s3://${bucket}/wh/there.json`, text('{}'));
    const accessKeyId = `WRONG${randomBytes(6).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64url');
    const secrets = [accessKeyId, secretAccessKey];
    const wrong = makeStore({ warehouse: `s3://${bucket}/wh`, credentials: { accessKeyId, secretAccessKey } });
    expectUnavailable(await errorOf(wrong.probe()), bucket, secrets, /credentials/);
    expectUnavailable(await errorOf(wrong.read(`s3://${bucket}/wh/there.json`)), bucket, secrets, /credentials/);
    expectUnavailable(await errorOf(wrong.readStream(`s3://${bucket}/wh/there.json`)), bucket, secrets, /credentials/);
    expectUnavailable(await errorOf(wrong.write(`s3://${bucket}/wh/new.json`, text('{}'))), bucket, secrets, /credentials/);
    expectUnavailable(await errorOf(listAll(wrong, `s3://${bucket}/wh/`)), bucket, secrets, /credentials/);
    expectUnavailable(await errorOf(wrong.delete(`s3://${bucket}/wh/there.json`)), bucket, secrets, /credentials/);
    // The right key id with a wrong secret. (head is checked here: to an unknown key id versitygw
    // answers 404, not AWS's 403, and a HEAD's 404 has no body to tell it from a missing object.)
    const badSecret = makeStore({ warehouse: `s3://${bucket}/wh`, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey } });
    const mine = [s3.accessKeyId, secretAccessKey, s3.secretAccessKey];
    expectUnavailable(await errorOf(badSecret.probe()), bucket, mine, /refused the credentials \(SignatureDoesNotMatch\)/);
    expectUnavailable(await errorOf(badSecret.read(`s3://${bucket}/wh/there.json`)), bucket, mine, /credentials/);
    expectUnavailable(await errorOf(badSecret.head(`s3://${bucket}/wh/there.json`)), bucket, mine, /denied HeadObject/);
    expect(decode(await store.read(`s3://${bucket}/wh/there.json`))).toBe('{}');
  });

  it('says BackendUnavailable, naming the bucket, for a bucket that does not exist', async () => {
    const missing = `missing-${randomBytes(6).toString('hex')}`;
    const secrets = [s3.accessKeyId, s3.secretAccessKey];
    const nowhere = makeStore({ warehouse: `s3://${missing}/wh` });
    expectUnavailable(await errorOf(nowhere.probe()), missing, secrets, /does not exist/);
    expectUnavailable(await errorOf(nowhere.read(`s3://${missing}/wh/a.json`)), missing, secrets, /does not exist/);
    expectUnavailable(await errorOf(nowhere.write(`s3://${missing}/wh/a.json`, text('{}'))), missing, secrets, /does not exist/);
    expectUnavailable(await errorOf(nowhere.put(`s3://${missing}/wh/a.json`, streamOf(randomBytes(11 * MiB)))), missing, secrets, /does not exist/);
    expectUnavailable(await errorOf(listAll(nowhere, `s3://${missing}/wh/`)), missing, secrets, /does not exist/);
  });

  it('says BackendUnavailable within the timeout when the server is down', async () => {
    // A server of its own, stopped after the first write.
    const own = await startS3Server();
    const ownBucket = await createTestBucket(own, 'down');
    const down = makeStore({
      warehouse: `s3://${ownBucket}/wh`,
      endpoint: own.endpoint,
      credentials: { accessKeyId: own.accessKeyId, secretAccessKey: own.secretAccessKey },
      maxAttempts: 3,
      connectionTimeoutMs: 1000,
      requestTimeoutMs: 2000,
    });
    await down.write(`s3://${ownBucket}/wh/a.json`, text('{}'));
    await own.stop();
    const started = Date.now();
    const e = await errorOf(down.read(`s3://${ownBucket}/wh/a.json`));
    expect(Date.now() - started).toBeLessThan(5000);
    expectUnavailable(e, ownBucket, [own.accessKeyId, own.secretAccessKey], /unreachable \(ECONNREFUSED\) after 3 attempt/);
    expectUnavailable(await errorOf(down.probe()), ownBucket, [own.secretAccessKey], /unreachable/);
    // Nothing listening on the port at all.
    const closed = makeStore({ warehouse: 's3://nobody/wh', endpoint: `http://127.0.0.1:${await freePort()}`, maxAttempts: 2 });
    expectUnavailable(await errorOf(closed.head('s3://nobody/wh/a.json')), 'nobody', [], /unreachable/);
  });

  it.each([
    ['requestTimeoutMs', { requestTimeoutMs: 300 }],
    ['socketTimeoutMs', { socketTimeoutMs: 300 }],
  ])('gives up on a server that accepts connections but never answers, after %s and the retries', async (_, timeouts) => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as { port: number }).port;
      const store = makeStore({ warehouse: 's3://silent/wh', endpoint: `http://127.0.0.1:${port}`, ...timeouts, maxAttempts: 2 });
      const started = Date.now();
      const e = await errorOf(store.read('s3://silent/wh/a.json'));
      const took = Date.now() - started;
      expectUnavailable(e, 'silent', [s3.secretAccessKey], /did not answer GetObject in time after 2 attempt/);
      expect(took).toBeGreaterThanOrEqual(550);
      expect(took).toBeLessThan(5000);
      expect(sockets.size).toBe(2); // one connection per attempt
      // The readiness probe gives up sooner than the retries would.
      const probed = makeStore({ warehouse: 's3://silent/wh', endpoint: `http://127.0.0.1:${port}`, probeTimeoutMs: 500 });
      const before = Date.now();
      expectUnavailable(await errorOf(probed.probe()), 'silent', [s3.secretAccessKey], /did not answer ListObjectsV2 in time/);
      expect(Date.now() - before).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  describe('retries throttling and 5xx (the SDK retry strategy)', () => {
    let server: Server;
    let endpoint: string;
    let failFirst = 0;
    let seen = 0;
    const requests: { method?: string; payload?: string; bytes: number }[] = [];
    beforeAll(async () => {
      server = createHttpServer((req, res) => {
        seen++;
        let bytes = 0;
        req.on('data', (c: Buffer) => (bytes += c.length));
        req.on('end', () => {
          requests.push({ method: req.method, payload: req.headers['x-amz-content-sha256'] as string | undefined, bytes });
          if (seen <= failFirst) {
            res.writeHead(503, { 'content-type': 'application/xml' });
            res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
            return;
          }
          if (req.method === 'PUT') {
            res.writeHead(200, { etag: '"e"', 'content-length': '0' });
            res.end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '5', 'last-modified': new Date().toUTCString() });
          res.end('hello');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise((r) => server.close(r)));

    it('succeeds when the server recovers within maxAttempts', async () => {
      failFirst = 2;
      seen = 0;
      const store = makeStore({ warehouse: 's3://throttled/wh', endpoint, maxAttempts: 3 });
      expect(decode(await store.read('s3://throttled/wh/a.txt'))).toBe('hello');
      expect(seen).toBe(3);
    });

    it('resends an unsigned put body whole on a retry', async () => {
      failFirst = 1;
      seen = 0;
      requests.length = 0;
      const store = makeStore({ warehouse: 's3://throttled/wh', endpoint, maxAttempts: 3 });
      // A conditional put of one part is one PutObject per attempt (no HEAD first).
      await store.write('s3://throttled/wh/b.bin', randomBytes(3 * MiB), { ifNotExists: true });
      expect(requests).toEqual([0, 1].map(() => ({ method: 'PUT', payload: 'UNSIGNED-PAYLOAD', bytes: 3 * MiB })));
    });

    it('says BackendUnavailable when it does not', async () => {
      failFirst = 100;
      seen = 0;
      const store = makeStore({ warehouse: 's3://throttled/wh', endpoint, maxAttempts: 2 });
      expectUnavailable(await errorOf(store.read('s3://throttled/wh/a.txt')), 'throttled', [s3.secretAccessKey], /SlowDown.*after 2 attempt/);
      expect(seen).toBe(2);
    });
  });
});
