/**
 * ObjectStore on S3 (AWS, or any server speaking its API: versitygw, Ceph, R2, …) with
 * @aws-sdk/client-s3. Locations are `s3://bucket/key`; `s3a://` and `s3n://` (written by Spark and
 * Hadoop) name the same objects and are read as `s3://`, in locations and in alias prefixes alike.
 * LOCATION_ALIASES are applied first (longest prefix wins); `.` and `..` segments are then resolved
 * (a `..` above the bucket is refused) and the result must lie under the warehouse or an alias
 * target. Nothing else is touched: keys are plain strings (no percent-decoding, `//` kept as it is).
 *
 * Atomicity: S3 makes an object visible whole when its PutObject or CompleteMultipartUpload
 * succeeds, never before. `put` reads the source in parts: a source that ends within the first
 * part is one PutObject; a longer one is a multipart upload (a few parts in flight), aborted when
 * the source or a part fails, so neither an object nor a pending upload is left behind (should the
 * abort itself fail, the server is unreachable: a bucket lifecycle rule that aborts incomplete
 * multipart uploads is the safety net).
 *
 * ifNotExists: the write carries `If-None-Match: *` (on the PutObject, or on the
 * CompleteMultipartUpload), and that is the guarantee: AWS S3 and versitygw (1.8: checked under a
 * per-key publish lock) evaluate it atomically, so exactly one of concurrent creators wins, in this
 * process or any other. Before a multipart upload the object is headed too: an existing one answers
 * AlreadyExists without a part sent (on a server that ignores the header, some older S3-compatible
 * ones, this check is all there is, and it does not hold against a concurrent writer). A source of
 * one part is not headed first: the HEAD would cost a round trip as long as the PutObject's, on
 * every write, to save sending one part on the rare write onto an existing object. A 409
 * ConditionalRequestConflict (AWS: another conditional write on the key in flight) is retried for a
 * PutObject, as AWS advises; for a multipart upload (which would have to start over, and its source
 * has been read) it is AlreadyExists when the other writer's object is then there.
 *
 * Retries and timeouts are the SDK's: its retry strategy (`standard` by default, `adaptive` on
 * request) retries throttling, 5xx, connection errors and timeouts with jittered exponential
 * backoff up to `maxAttempts`; NodeHttpHandler fails an attempt that cannot connect within
 * `connectionTimeoutMs`, that has no response `requestTimeoutMs` after it was sent, or whose socket
 * is silent for `socketTimeoutMs` (that one also ends a readStream whose consumer lets the body sit
 * unread that long).
 *
 * Errors: NotFound (no object), InvalidInput (location refused), AlreadyExists (ifNotExists), and
 * BackendUnavailable for everything the server or the network says otherwise: its message names
 * the bucket (and the endpoint when one is configured) and why (no such bucket, credentials
 * refused, unreachable, timed out), never a key or a signed URL. A HEAD answers 404 without a body,
 * so `head` cannot tell a missing bucket from a missing object (null either way); every other call
 * can.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { Readable } from 'node:stream';
import { AlreadyExists, BackendUnavailable, DomainError, InvalidInput, NotFound } from '../../../domain/errors.js';
import type { ObjectInfo, ObjectStore } from '../../../ports/object-store.js';
import type { LocationAlias } from '../local/index.js';

export type { LocationAlias };

export interface S3ObjectStoreOptions {
  /** `s3://bucket/prefix` (or `s3://bucket`); `s3a://` and `s3n://` are accepted. */
  warehouse: string;
  /** LOCATION_ALIASES, as the local store takes them; every target must be an s3:// location. */
  aliases?: LocationAlias[];
  region: string;
  /** A non-AWS server (`http://127.0.0.1:7070`); unset: AWS's endpoint for the region. */
  endpoint?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key` (most non-AWS servers want it). */
  pathStyle: boolean;
  /** Static credentials; unset: the SDK's default chain (environment, profile, SSO, IMDS, …). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Connecting longer than this fails the attempt (then retried). Default 5 s. */
  connectionTimeoutMs?: number;
  /** No answer this long after a request is sent (its body included: a part) fails the attempt (then retried). Default 120 s. */
  requestTimeoutMs?: number;
  /** A socket silent this long, either way, fails the attempt (then retried), or a response body being read. Default 30 s. */
  socketTimeoutMs?: number;
  /** Attempts per request, the first included. Default 3. */
  maxAttempts?: number;
  /** The readiness probe gives up after this long, retries included. Default 5 s. */
  probeTimeoutMs?: number;
  /** The SDK's retry mode. Default `standard`. */
  retryMode?: 'standard' | 'adaptive';
  /**
   * Part size of multipart uploads (at least 5 MiB, S3's minimum); sources shorter than one part are
   * one PutObject. Default 16 MiB: a data file of a typical append (1M rows: ~10 MiB) is one
   * PutObject, not CreateMultipartUpload + parts + CompleteMultipartUpload (on 10 MiB against versitygw,
   * 1.5× as long).
   */
  partSizeBytes?: number;
  /** Parts uploaded at once. Default 4. */
  partConcurrency?: number;
}

/** The S3 store as src/adapters/index.ts uses it: the port, a readiness probe, and close. */
export interface S3ObjectStore extends ObjectStore {
  readonly kind: 's3';
  /** Lists at most one object under the warehouse root; BackendUnavailable naming the bucket and the reason if that fails. */
  probe(): Promise<void>;
  close(): void;
}

const MiB = 1024 * 1024;
const MIN_PART = 5 * MiB;
const MAX_PARTS = 10_000;
const BACKEND = 'object-store-s3';
/** Bucket names as S3 allows them (and a little more: upper case and `_` of legacy buckets). */
const BUCKET = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/i;

const json = (s: string) => JSON.stringify(s.slice(0, 200));
/** `s3a://` and `s3n://` → `s3://`. */
const canonical = (location: string) => location.replace(/^s3[an]:\/\//i, 's3://');

/**
 * `s3://bucket/key` with `.` and `..` segments resolved (and nothing else changed), or InvalidInput.
 * A trailing `/` is kept (a list prefix).
 */
function normalise(location: string, field: string): string {
  const m = /^s3:\/\/([^/]*)(\/.*)?$/s.exec(location);
  if (!m) throw new InvalidInput(`unsupported location ${json(location)}: expected s3:// (or s3a://, s3n://, or an alias from LOCATION_ALIASES)`, field);
  const bucket = m[1]!;
  if (!BUCKET.test(bucket)) throw new InvalidInput(`invalid bucket name in ${json(location)}`, field);
  if (m[2] === undefined) return `s3://${bucket}`;
  const segments = m[2].slice(1).split('/');
  const out: string[] = [];
  segments.forEach((s, i) => {
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..' && out.pop() === undefined) throw new InvalidInput(`location ${json(location)} leaves its bucket`, field);
      if (last) out.push('');
      return;
    }
    out.push(s);
  });
  return out.length > 0 ? `s3://${bucket}/${out.join('/')}` : `s3://${bucket}`;
}

/** `s3://bucket/key` → bucket and key (`''` for the bucket itself). */
function split(uri: string): { bucket: string; key: string } {
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  return slash < 0 ? { bucket: rest, key: '' } : { bucket: rest.slice(0, slash), key: rest.slice(slash + 1) };
}

/** An error of the source a put reads from: passed on as it is, not taken for the store's own. */
class SourceFailed {
  constructor(readonly cause: unknown) {}
}

/** The source in parts of exactly `size` bytes (the last one shorter, possibly empty when the source is). */
async function* partsOf(source: Readable | AsyncIterable<Uint8Array> | Uint8Array, size: number): AsyncGenerator<Buffer> {
  if (source instanceof Uint8Array) {
    const all = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    for (let at = 0; at === 0 || at < all.length; at += size) yield all.subarray(at, at + size);
    return;
  }
  let held: Buffer[] = [];
  let heldBytes = 0;
  try {
    for await (const chunk of source) {
      let c = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      while (heldBytes + c.length >= size) {
        const take = size - heldBytes;
        held.push(c.subarray(0, take));
        c = c.subarray(take);
        const part = Buffer.concat(held, size);
        held = [];
        heldBytes = 0;
        yield part;
      }
      if (c.length > 0) {
        held.push(c);
        heldBytes += c.length;
      }
    }
  } catch (e) {
    throw new SourceFailed(e);
  }
  yield Buffer.concat(held, heldBytes);
}

const nameOf = (e: unknown): string => String((e as { name?: unknown } | null)?.name ?? 'Error');
const statusOf = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
const codeOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CREDENTIAL_ERRORS = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'InvalidToken',
  'ExpiredToken',
  'TokenRefreshRequired',
  'InvalidSecurity',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
  // versitygw's answer (HTTP 404) to an access key id it does not know.
  'XAdminUserNotFound',
]);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ETIMEDOUT']);
/** Commands whose body is object data, sent as UNSIGNED-PAYLOAD (see createS3ObjectStore). */
const UNSIGNED_BODIES = new Set(['PutObjectCommand', 'UploadPartCommand']);

export function createS3ObjectStore(opts: S3ObjectStoreOptions): S3ObjectStore {
  const root = normalise(canonical(opts.warehouse.trim()).replace(/\/+$/, ''), 'WAREHOUSE');
  const aliases = (opts.aliases ?? [])
    .map((a) => {
      const target = canonical(a.replacement);
      if (!/^s3:\/\//i.test(target)) {
        throw new InvalidInput(`LOCATION_ALIASES target ${json(a.replacement)} is not an s3:// location (the warehouse is on S3)`, 'LOCATION_ALIASES');
      }
      return { prefix: canonical(a.prefix), replacement: target, target: normalise(target.replace(/\/+$/, ''), 'LOCATION_ALIASES') };
    })
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const allowed = [root, ...aliases.map((a) => a.target)];
  const isAllowed = (uri: string) => allowed.some((r) => uri === r || uri.startsWith(`${r}/`));
  const partSize = Math.max(MIN_PART, opts.partSizeBytes ?? 16 * MiB);
  const partConcurrency = Math.max(1, opts.partConcurrency ?? 4);
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const secrets = [opts.credentials?.accessKeyId, opts.credentials?.secretAccessKey, opts.credentials?.sessionToken].filter(
    (s): s is string => !!s && s.length >= 4,
  );
  let endpointName = '';
  if (opts.endpoint) {
    try {
      endpointName = new URL(opts.endpoint).origin;
    } catch {
      throw new InvalidInput(`invalid S3 endpoint ${json(opts.endpoint)}`, 'AWS_ENDPOINT_URL_S3');
    }
  }

  const client = new S3Client({
    region: opts.region,
    endpoint: opts.endpoint,
    forcePathStyle: opts.pathStyle,
    credentials: opts.credentials,
    maxAttempts,
    retryMode: opts.retryMode ?? 'standard',
    requestHandler: new NodeHttpHandler({
      connectionTimeout: opts.connectionTimeoutMs ?? 5_000,
      requestTimeout: opts.requestTimeoutMs ?? 120_000,
      // Without it the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      socketTimeout: opts.socketTimeoutMs ?? 30_000,
    }),
    // Checksums only where S3 requires them: many S3-compatible servers refuse or mishandle the
    // SDK's default CRC trailers (aws-chunked bodies); parts are sent with their length.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  // Object bodies are sent with `x-amz-content-sha256: UNSIGNED-PAYLOAD` (the headers stay signed),
  // as Arrow's S3 client (PyIceberg's) and the SDK itself for any streamed body send them: otherwise
  // SigV4 hashes every body with SHA-256 before sending it, on this thread, and the server hashes it
  // again to check (on 10 MiB against versitygw, a third of the upload's time). TLS protects the
  // body on an https endpoint; on plain http nothing but TCP does. The body stays a Buffer, so the
  // SDK's retries resend it.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (UNSIGNED_BODIES.has(context.commandName ?? '')) {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'cascadeUnsignedPayload' },
  );

  const pathOf = (location: string): string => {
    if (typeof location !== 'string' || location.length === 0 || location.length > 4096 || location.includes('\0')) {
      throw new InvalidInput('invalid location', 'location');
    }
    const loc = canonical(location);
    const alias = aliases.find((a) => loc.startsWith(a.prefix));
    const mapped = alias ? alias.replacement.replace(/\/*$/, '/') + loc.slice(alias.prefix.length).replace(/^\/+/, '') : loc;
    const uri = normalise(mapped, 'location');
    if (!isAllowed(uri)) {
      throw new InvalidInput(`location ${json(location)} is outside the warehouse and every LOCATION_ALIASES target`, 'location');
    }
    if (Buffer.byteLength(split(uri).key) > 1024) throw new InvalidInput(`location ${json(location)}: an S3 key has at most 1024 bytes`, 'location');
    return uri;
  };

  /** The error's own text without anything secret: no key, no signed URL's query. */
  const scrub = (text: string) => {
    let out = text.replace(/(https?:\/\/[^\s?"']*)\?[^\s"']*/g, '$1?…').replace(/X-Amz-[A-Za-z-]+=[^\s&"']*/g, 'X-Amz-…');
    for (const s of secrets) out = out.split(s).join('***');
    return out.slice(0, 300);
  };

  /** BackendUnavailable naming the bucket and the reason. */
  const unavailable = (e: unknown, bucket: string, op: string): BackendUnavailable => {
    const name = nameOf(e);
    const status = statusOf(e);
    const code = codeOf(e);
    const where = `S3 bucket '${bucket}'${endpointName ? ` at ${endpointName}` : ''}`;
    let why: string;
    if (name === 'NoSuchBucket') why = `${where} does not exist`;
    else if (name === 'CredentialsProviderError') why = `no credentials for ${where}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure the AWS SDK's credential chain`;
    else if (CREDENTIAL_ERRORS.has(name)) why = `${where} refused the credentials (${name})`;
    else if (name === 'AccessDenied' || status === 403) why = `${where} denied ${op} with these credentials (${name === 'AccessDenied' ? name : `HTTP ${status}`})`;
    else if (name === 'PermanentRedirect' || status === 301) why = `${where} is not in region ${opts.region} (${name})`;
    else if (name === 'TimeoutError' || code === 'ETIMEDOUT' || name === 'RequestTimeout') why = `${where} did not answer ${op} in time after ${maxAttempts} attempt(s) (${scrub((e as Error).message ?? name)})`;
    else if (code && NETWORK_ERRORS.has(code)) why = `${where} is unreachable (${code}) after ${maxAttempts} attempt(s)`;
    else if (name === 'SlowDown' || name === 'Throttling' || status === 429) why = `${where} is throttling ${op} (${name}${status ? `, HTTP ${status}` : ''}) after ${maxAttempts} attempt(s)`;
    else if (status !== undefined && status >= 500) why = `${where} failed ${op} (${name}, HTTP ${status}) after ${maxAttempts} attempt(s)`;
    else why = `${where} failed ${op} (${name}${status ? `, HTTP ${status}` : ''}${code ? `, ${code}` : ''}: ${scrub(String((e as Error | null)?.message ?? e))})`;
    return new BackendUnavailable(why, BACKEND);
  };

  /** Maps an SDK error of `op` on `location` to the domain's errors. */
  const fail = (e: unknown, uri: string, location: string, op: string): never => {
    if (e instanceof DomainError) throw e;
    const name = nameOf(e);
    if (name === 'NoSuchKey' || (name === 'NotFound' && statusOf(e) === 404)) throw new NotFound(`object not found: ${location}`);
    if (name === 'PreconditionFailed' || statusOf(e) === 412) throw new AlreadyExists(`object already exists: ${location}`);
    if (name === 'KeyTooLongError') throw new InvalidInput(`location ${json(location)}: key too long`, 'location');
    throw unavailable(e, split(uri).bucket, op);
  };

  const conflicted = (e: unknown) => nameOf(e) === 'ConditionalRequestConflict' || statusOf(e) === 409;
  /** Retries a PutObject with If-None-Match that S3 answered 409 ConditionalRequestConflict (another write in flight), as AWS advises. */
  const conditional = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!conflicted(e) || attempt === 5) throw e;
        await sleep(50 * 2 ** attempt * (0.5 + Math.random()));
      }
    }
  };

  const headRaw = async (uri: string, location: string) => {
    const { bucket, key } = split(uri);
    if (key === '' || key.endsWith('/')) return null; // a bucket or a folder marker: no object
    try {
      const r = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { size: r.ContentLength ?? 0, lastModified: r.LastModified ?? new Date(0) };
    } catch (e) {
      if (statusOf(e) === 404 || nameOf(e) === 'NotFound' || nameOf(e) === 'NoSuchKey') return null;
      return fail(e, uri, location, 'HeadObject');
    }
  };

  /** A multipart upload of `first`, `second` and the rest of `parts`; aborted on any failure. */
  const multipart = async (
    bucket: string,
    key: string,
    parts: AsyncGenerator<Buffer>,
    first: Buffer,
    second: Buffer,
    ifNotExists: boolean,
  ) => {
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    const done: CompletedPart[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: { error: unknown } | null = null;
    let partNumber = 0;
    const start = (body: Buffer) => {
      const n = ++partNumber;
      if (n > MAX_PARTS) throw new InvalidInput(`object too large: more than ${MAX_PARTS} parts of ${partSize} bytes`, 'location');
      const p: Promise<void> = client
        .send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: body, ContentLength: body.length }))
        .then(
          (r) => {
            done.push({ PartNumber: n, ETag: r.ETag });
          },
          (e: unknown) => {
            failure ??= { error: e };
          },
        )
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const check = () => {
      if (failure) throw failure.error;
    };
    try {
      start(first);
      start(second);
      for (;;) {
        while (inFlight.size >= partConcurrency) await Promise.race(inFlight);
        check();
        const next = await parts.next();
        if (next.done) break;
        // The last part may be empty (the source ended on a part boundary): nothing to send.
        if (next.value.length === 0) continue;
        start(next.value);
      }
      await Promise.all(inFlight);
      check();
      done.sort((a, b) => a.PartNumber! - b.PartNumber!);
      // Not retried on 409 (AWS: the upload must then start over); upload() looks at what is there.
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: done },
          ...(ifNotExists ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (e) {
      // Parts still being sent would outlive an abort made now: let them end first.
      await Promise.allSettled([...inFlight]);
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
      throw e;
    }
  };

  /** True only when the server says the bucket does not exist (any other answer or failure: false). */
  const bucketMissing = async (bucket: string): Promise<boolean> => {
    try {
      await client.send(new HeadBucketCommand({ Bucket: bucket }), { abortSignal: AbortSignal.timeout(5_000) });
      return false;
    } catch (e) {
      return nameOf(e) === 'NoSuchBucket' || nameOf(e) === 'NotFound' || statusOf(e) === 404;
    }
  };

  const upload = async (uri: string, location: string, source: Readable | AsyncIterable<Uint8Array> | Uint8Array, ifNotExists: boolean) => {
    const { bucket, key } = split(uri);
    const parts = partsOf(source, partSize);
    try {
      const first = await parts.next();
      const second = first.done ? first : await parts.next();
      if (first.done || second.done || second.value.length === 0) {
        // One request, not headed first: a HEAD would cost as much as the PUT it might save.
        const body = first.done ? Buffer.alloc(0) : first.value;
        await conditional(() =>
          client.send(
            new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ...(ifNotExists ? { IfNoneMatch: '*' } : {}) }),
          ),
        );
        return;
      }
      // Many parts: an existing object is refused before any is sent.
      if (ifNotExists && (await headRaw(uri, location))) throw new AlreadyExists(`object already exists: ${location}`);
      await multipart(bucket, key, parts, first.value, second.value, ifNotExists);
    } catch (e) {
      if (e instanceof SourceFailed) throw e.cause;
      // A concurrent creator made the multipart upload conflict: if its object is there, it won.
      if (ifNotExists && conflicted(e) && (await headRaw(uri, location).catch(() => null))) throw new AlreadyExists(`object already exists: ${location}`);
      // A server may refuse a put (a missing bucket) and close the connection while the body is still
      // being sent: the client then sees a reset, not the answer. Ask the bucket itself what is wrong.
      if (statusOf(e) === undefined && (await bucketMissing(bucket))) throw unavailable({ name: 'NoSuchBucket' }, bucket, 'PutObject');
      fail(e, uri, location, 'PutObject');
    } finally {
      await parts.return(undefined).catch(() => undefined);
    }
  };

  const put: ObjectStore['put'] = async (location, source, opts = {}) => {
    const uri = pathOf(location);
    const { key } = split(uri);
    if (key === '' || key.endsWith('/')) throw new InvalidInput(`location ${json(location)} names no object (a bucket or a folder)`, 'location');
    return upload(uri, location, source, opts.ifNotExists ?? false);
  };

  const get = async (location: string) => {
    const uri = pathOf(location);
    const { bucket, key } = split(uri);
    if (key === '' || key.endsWith('/')) throw new NotFound(`object not found: ${location}`);
    try {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!r.Body) throw new Error('GetObject returned no body');
      return { uri, body: r.Body };
    } catch (e) {
      return fail(e, uri, location, 'GetObject');
    }
  };

  return {
    kind: 's3',
    root,
    resolve: pathOf,
    async read(location) {
      const { uri, body } = await get(location);
      try {
        return await body.transformToByteArray();
      } catch (e) {
        return fail(e, uri, location, 'GetObject');
      }
    },
    async readStream(location) {
      return (await get(location)).body as unknown as Readable;
    },
    write: (location, bytes, opts) => put(location, bytes, opts),
    put,
    head: async (location) => headRaw(pathOf(location), location),
    async *list(prefix): AsyncGenerator<ObjectInfo> {
      const uri = pathOf(prefix);
      const { bucket, key } = split(uri);
      let token: string | undefined;
      do {
        let page;
        try {
          page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key || undefined, ContinuationToken: token }));
        } catch (e) {
          return fail(e, uri, prefix, 'ListObjectsV2');
        }
        for (const o of page.Contents ?? []) {
          // Folder markers (`…/`) are no objects; a plain prefix may reach past the allowed roots (`wh` → `wh-sibling/`).
          if (!o.Key || o.Key.endsWith('/')) continue;
          const location = `s3://${bucket}/${o.Key}`;
          if (!isAllowed(location)) continue;
          yield { location, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async delete(location) {
      const uri = pathOf(location);
      const { bucket, key } = split(uri);
      if (key === '' || key.endsWith('/')) return;
      try {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (e) {
        // S3 answers 204 for a missing key; some servers say NoSuchKey.
        if (nameOf(e) === 'NoSuchKey') return;
        fail(e, uri, location, 'DeleteObject');
      }
    },
    async probe() {
      const { bucket, key } = split(root);
      const probeMs = opts.probeTimeoutMs ?? 5_000;
      const signal = AbortSignal.timeout(probeMs);
      try {
        await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key ? `${key}/` : undefined, MaxKeys: 1 }), { abortSignal: signal });
      } catch (e) {
        if (signal.aborted) {
          throw new BackendUnavailable(`S3 bucket '${bucket}'${endpointName ? ` at ${endpointName}` : ''} did not answer ListObjectsV2 in time (${probeMs} ms)`, BACKEND);
        }
        throw unavailable(e, bucket, 'ListObjectsV2');
      }
    },
    close() {
      client.destroy();
    },
  };
}
