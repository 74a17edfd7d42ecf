/**
 * An S3 server for tests on 127.0.0.1: versitygw (Apache-2.0) over a temporary folder (its `posix`
 * backend), built once with `go install` into `${CASCADE_CACHE:-~/.cache/cascade}/go` (GOPATH,
 * GOMODCACHE, GOCACHE and the binary all there; about 2 minutes the first time on two cores, then
 * the binary is reused). `$CASCADE_VERSITYGW` names a versitygw binary to use instead. Each test file makes its
 * own bucket with createTestBucket. Like services.ts: progress on stderr, a failure says why and
 * where the log is, nothing skips.
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { cacheDir, freePort, spawnLogged } from './services.js';

const execFileAsync = promisify(execFile);

export const VERSITYGW_VERSION = 'v1.8.0';
const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw';

/** What tests get (inject('s3')): a root account on a running S3 server. */
export interface S3Endpoint {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface RunningS3Server extends S3Endpoint {
  logFile: string;
  /** Stops the server process, keeping its data: requests are refused (connection refused) until resume(). */
  pause(): Promise<void>;
  /** Starts it again on the same port over the same data; resolves when it answers. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`[test-services] ${msg}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The versitygw binary: $CASCADE_VERSITYGW, else the cached build, else `go install` into the cache. */
export async function ensureVersitygw(version = VERSITYGW_VERSION): Promise<string> {
  const given = process.env.CASCADE_VERSITYGW;
  if (given) {
    if (!existsSync(given)) throw new Error(`CASCADE_VERSITYGW=${given}: no such file`);
    return given;
  }
  const goRoot = join(cacheDir(), 'go');
  const binDir = join(goRoot, 'bin', version);
  const bin = join(binDir, 'versitygw');
  if (existsSync(bin)) return bin;
  await mkdir(binDir, { recursive: true });
  // Installed into a folder of this process, then renamed into place: a concurrent run sees it whole or not at all.
  const partDir = join(binDir, `.part-${process.pid}`);
  const go = process.env.CASCADE_GO || 'go';
  log(`building versitygw ${version} with \`${go} install ${VERSITYGW_MODULE}@${version}\` into ${binDir} (about 2 minutes the first time; cached afterwards)`);
  const started = Date.now();
  const env = {
    ...process.env,
    GOPATH: goRoot,
    GOMODCACHE: join(goRoot, 'mod'),
    GOCACHE: join(goRoot, 'build'),
    GOBIN: partDir,
    // Module files writable, so the cache can be deleted like any folder.
    GOFLAGS: [process.env.GOFLAGS, '-modcacherw'].filter(Boolean).join(' '),
  };
  try {
    await execFileAsync(go, ['install', `${VERSITYGW_MODULE}@${version}`], { env, timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(`the S3 test server (versitygw) is built with Go, and \`${go}\` was not found: install Go 1.25+ or set CASCADE_VERSITYGW to a versitygw binary`);
    }
    await rm(partDir, { recursive: true, force: true });
    throw new Error(`building versitygw ${version} failed (${go} install ${VERSITYGW_MODULE}@${version}): ${err.message}\n${(err.stderr ?? '').slice(-2000)}`);
  }
  if (!existsSync(join(partDir, 'versitygw'))) throw new Error(`go install finished but ${join(partDir, 'versitygw')} is missing`);
  await rename(join(partDir, 'versitygw'), bin);
  await rm(partDir, { recursive: true, force: true });
  log(`built versitygw ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return bin;
}

export interface S3ServerOptions {
  port?: number;
  timeoutMs?: number;
}

/** Starts versitygw on 127.0.0.1 over a fresh temporary folder, with a random root account. */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<RunningS3Server> {
  const bin = await ensureVersitygw();
  const port = opts.port ?? (await freePort());
  const root = await mkdtemp(join(tmpdir(), 'cascade-s3-'));
  const dataDir = join(root, 'data');
  await mkdir(dataDir);
  const logFile = join(root, 'versitygw.log');
  const accessKeyId = `cascade${randomBytes(6).toString('hex')}`;
  const secretAccessKey = randomBytes(20).toString('base64url');
  const region = 'us-east-1';
  const endpoint = `http://127.0.0.1:${port}`;
  const timeoutMs = opts.timeoutMs ?? 30_000;

  /** One versitygw process; `stop` ends it (SIGTERM, then SIGKILL after 5 s). */
  const launch = async (): Promise<{ stop(): Promise<void> }> => {
    const proc = spawnLogged(bin, ['--port', `127.0.0.1:${port}`, '--region', region, 'posix', dataDir], {
      cwd: root,
      logFile,
      killAfterMs: 5_000,
      env: { ...process.env, ROOT_ACCESS_KEY: accessKeyId, ROOT_SECRET_KEY: secretAccessKey },
    });
    const stop = proc.stop;
    const deadline = Date.now() + timeoutMs;
    let lastErr = '';
    for (;;) {
      if (proc.exited() !== null) {
        throw new Error(`versitygw ${proc.exited()} before it became ready (${bin}); log: ${logFile}\n${tail(logFile)}`);
      }
      try {
        // Any S3 answer (an anonymous request gets 403 AccessDenied) means it is listening.
        const r = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        return { stop };
      } catch (e) {
        lastErr = String((e as Error).cause ?? e);
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`versitygw did not answer at ${endpoint} within ${timeoutMs} ms (last: ${lastErr}); log: ${logFile}\n${tail(logFile)}`);
      }
      await sleep(100);
    }
  };

  let running: { stop(): Promise<void> } | null = await launch();
  return {
    endpoint,
    accessKeyId,
    secretAccessKey,
    region,
    logFile,
    async pause() {
      await running?.stop();
      running = null;
    },
    async resume() {
      running ??= await launch();
    },
    async stop() {
      await running?.stop();
      running = null;
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** An SDK client for the test server (path-style, its root account); destroy() it when done. */
export function testS3Client(s3: S3Endpoint): S3Client {
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Makes a uniquely named bucket on the server and returns its name. */
export async function createTestBucket(s3: S3Endpoint, prefix = 'test'): Promise<string> {
  const tag = prefix.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 30);
  const name = `${tag}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const client = testS3Client(s3);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}
