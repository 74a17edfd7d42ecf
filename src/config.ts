/** Configuration from the environment (twelve-factor), validated once at start with zod. */
import { totalmem } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { AuthEnvSchema, authConfig, type AuthConfig } from './auth/config.js';

const bool = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .min(1)
    .refine((v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    }, `must be a URL starting with ${protocols.join(' or ')}//`)
    .optional();

const globs = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/** s3://, s3a://, s3n:// (the last two as Spark and Hadoop write them; read as s3://). */
const S3_URI = /^s3[an]?:\/\//i;
const S3_BUCKET = /^s3[an]?:\/\/[a-z0-9][a-z0-9._-]{1,61}[a-z0-9](\/|$)/i;

const MiB = 1024 * 1024;
const count = (def: number) => z.coerce.number().int().min(0).default(def);
const origins = z
  .string()
  .transform((v) => v.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean))
  .refine((list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'each origin must look like https://host[:port]');

/** Limits and HTTP hardening (security issue); `0` turns a numeric limit off. */
const LimitsEnvSchema = z.object({
  MAX_DEPTH: count(15),
  MAX_COST: count(50_000),
  MAX_ALIASES: count(30),
  MAX_TOKENS: count(5000),
  MAX_BODY_BYTES: count(10 * MiB),
  // yoga buffers multipart files in memory, so keep the default well below the machine's RAM.
  MAX_UPLOAD_BYTES: count(256 * MiB),
  RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(200),
  RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(1000),
  QUERY_TIMEOUT_MS: count(30_000),
  /** Default: an eighth of the machine's memory (each of the 4 query slots may take that much). */
  SQL_MEMORY_MB: z.coerce.number().int().min(0).optional(),
  PERSISTED_OPERATIONS_FILE: z.string().trim().min(1).optional(),
  INTROSPECTION: bool.default(true),
  CORS_ORIGINS: origins.default([]),
  HSTS_MAX_AGE: z.coerce.number().int().min(0).optional(),
});

const EnvSchema = LimitsEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().trim().min(1).optional(),
  CASCADE_HOME: z.string().trim().min(1).default('./.cascade'),
  CASCADE_DEMO: bool.default(true),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  NESSIE_URI: optionalUrl(['http:', 'https:']),
  MARTS_DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  WAREHOUSE: z
    .string()
    .trim()
    .min(1)
    .refine(
      (v) => (S3_URI.test(v) ? S3_BUCKET.test(v) : v.startsWith('file:') || !/^[a-z][a-z0-9+.-]*:/i.test(v)),
      'must be s3://bucket[/prefix] (s3a://, s3n:// too), a file:// URI or a path',
    )
    .optional(),
  LOCATION_ALIASES: z.string().optional(),
  OBJECT_CACHE_MB: z.coerce.number().int().min(0).default(4096),
  ...AuthEnvSchema.shape,
  PROTECTED_BRANCHES: globs.default(['main']),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).default(3000),
  NODE_ENV: z.string().default('development'),
  CASCADE_DEFAULT_BRANCH: z.string().default('main'),
  PIPELINES_DIR: z.string().trim().min(1).default('./pipelines'),
  RUN_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  RUN_LEASE_MS: z.coerce.number().int().min(1000).default(15_000),
  RUN_POLL_MS: z.coerce.number().int().min(50).default(1000),
  RUN_WORKER: bool.default(true),
  RUN_PROGRESS_MS: z.coerce.number().int().min(100).max(2000).default(1500),
  // S3 (WAREHOUSE=s3://…): the AWS SDK's own variable names.
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  AWS_ACCESS_KEY_ID: z.string().trim().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  AWS_ENDPOINT_URL_S3: optionalUrl(['http:', 'https:']),
  AWS_ENDPOINT_URL: optionalUrl(['http:', 'https:']),
  S3_PATH_STYLE: bool.optional(),
  // Trino as a second `sql` engine (and for pipeline models with `engine: trino`); needs NESSIE_URI.
  TRINO_URL: optionalUrl(['http:', 'https:']),
  TRINO_USER: z.string().trim().min(1).default('cascade'),
  TRINO_PASSWORD: z.string().min(1).optional(),
  TRINO_CATALOG: z.string().trim().regex(/^[a-z][a-z0-9_]*$/, 'must be a lower-case Trino catalog name').default('iceberg'),
  TRINO_CATALOG_PROPERTIES: z.string().optional(),
  TRINO_CATALOG_IDLE_MS: z.coerce.number().int().min(1000).default(600_000),
  SQL_ENGINE: z.enum(['DUCKDB', 'TRINO']).default('DUCKDB'),
  MAINTENANCE_HISTORY_MS: z.coerce.number().int().min(0).optional(),
  // Exports (signed download links): the HS256 key of the links, and the bytes one download may have per role.
  EXPORT_SIGNING_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  EXPORT_MAX_BYTES_VIEWER: count(1024 * MiB),
  EXPORT_MAX_BYTES_ANALYST: count(10 * 1024 * MiB),
  EXPORT_MAX_BYTES_ENGINEER: count(10 * 1024 * MiB),
  EXPORT_MAX_BYTES_ADMIN: count(0),
});

/** The limits of requests and operations (src/server/limits/); every numeric limit is off at 0. */
export interface Limits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxBodyBytes: number;
  maxUploadBytes: number;
  rateLimit: { perSecond: number; burst: number };
  queryTimeoutMs: number;
  /** Memory of one `sql` query (DuckDB's limit; its process is stopped a headroom past it); 0: none. */
  sqlMemoryBytes: number;
  persistedOperationsFile?: string;
  introspection: boolean;
}

export interface Config {
  port: number;
  /** Explicitly configured host, or the loopback default. */
  host: string;
  hostExplicit: boolean;
  home: string;
  demo: boolean;
  databaseUrl?: string;
  nessieUri?: string;
  martsDatabaseUrl?: string;
  warehouse: string;
  locationAliases: { prefix: string; replacement: string }[];
  /** Local copies of remote (non-file) data and delete files the query engine reads: `$CASCADE_HOME/cache/objects`, kept to `maxBytes` (OBJECT_CACHE_MB). */
  objectCache: { dir: string; maxBytes: number };
  auth: AuthConfig;
  protectedBranches: string[];
  logLevel: string;
  /** SIGTERM/SIGINT: the process exits (with code 1) this long after the signal even if stopping has not finished. */
  shutdownTimeoutMs: number;
  production: boolean;
  defaultBranch: string;
  limits: Limits;
  http: { corsOrigins: string[]; hstsMaxAge?: number };
  runs: RunsConfig;
  /** The S3 client, when WAREHOUSE is s3://. */
  s3: S3Config;
  /** Trino, when TRINO_URL is set. */
  trino?: TrinoConfig;
  /** The engine of `sql` when a query names none. */
  sqlEngine: 'DUCKDB' | 'TRINO';
  /** Maintenance: earlier commits pin files back this many ms; null: all history. */
  maintenanceHistoryMs: number | null;
  exports: ExportsConfig;
}

/** Signed export links (src/services/exports.ts). */
export interface ExportsConfig {
  /** EXPORT_SIGNING_KEY; unset: derived from AUTH_JWT_SECRET, or a fixed key when authentication is off. */
  signingKey?: string;
  /** Bytes one download may have, by the role in its link; 0: no limit. */
  maxBytes: { viewer: number; analyst: number; engineer: number; admin: number };
}

export interface TrinoConfig {
  url: string;
  user: string;
  password?: string;
  /** The static Iceberg catalog on the same Nessie and warehouse: checked at /readyz, and the name prefix of the per-commit catalogs. */
  catalog: string;
  /**
   * Properties of the Iceberg catalogs the gateway creates, one per commit it reads at (Nessie's
   * REST catalog at `<branch>@<hash>`): derived from NESSIE_URI and the S3 settings, with the S3 keys
   * as `${ENV:AWS_ACCESS_KEY_ID}`/`${ENV:AWS_SECRET_ACCESS_KEY}` read from Trino's own environment;
   * TRINO_CATALOG_PROPERTIES (a JSON object) adds to them or replaces them.
   */
  catalogProperties: Record<string, string>;
  /** A per-commit catalog unused this long is dropped. */
  catalogIdleMs: number;
}

export interface S3Config {
  region: string;
  /** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL: a server other than AWS. */
  endpoint?: string;
  /** Path-style requests (`host/bucket/key`): S3_PATH_STYLE, by default on when an endpoint is set. */
  pathStyle: boolean;
  /** AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); unset: the AWS SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface RunsConfig {
  /** Folder of pipeline files (YAML or TypeScript). */
  pipelinesDir: string;
  /** Runs this instance executes at once; more wait QUEUED. */
  concurrency: number;
  /** A RUNNING run whose owner has not renewed its lease for this long is failed as abandoned. */
  leaseMs: number;
  /** How often an idle worker looks for queued runs (it is also woken by new runs). */
  pollMs: number;
  /** Whether this instance executes runs (false: it only queues and serves them). */
  worker: boolean;
  /** STEP_PROGRESS cadence during a step (100–2000 ms; default 1500). */
  progressMs?: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const home = path.resolve(e.CASCADE_HOME);
  return {
    port: e.PORT,
    host: e.HOST ?? '127.0.0.1',
    hostExplicit: e.HOST !== undefined,
    home,
    demo: e.CASCADE_DEMO,
    databaseUrl: e.DATABASE_URL,
    nessieUri: e.NESSIE_URI?.replace(/\/+$/, ''),
    martsDatabaseUrl: e.MARTS_DATABASE_URL,
    warehouse: warehouseOf(e.WAREHOUSE, home),
    locationAliases: parseAliases(e.LOCATION_ALIASES),
    objectCache: { dir: path.join(home, 'cache', 'objects'), maxBytes: e.OBJECT_CACHE_MB * MiB },
    auth: authConfig(e),
    protectedBranches: e.PROTECTED_BRANCHES,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    production: e.NODE_ENV === 'production',
    defaultBranch: e.CASCADE_DEFAULT_BRANCH,
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxCost: e.MAX_COST,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxBodyBytes: e.MAX_BODY_BYTES,
      maxUploadBytes: e.MAX_UPLOAD_BYTES,
      rateLimit: { perSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST },
      queryTimeoutMs: e.QUERY_TIMEOUT_MS,
      sqlMemoryBytes: e.SQL_MEMORY_MB !== undefined ? e.SQL_MEMORY_MB * MiB : Math.floor(totalmem() / 8),
      persistedOperationsFile: e.PERSISTED_OPERATIONS_FILE ? path.resolve(e.PERSISTED_OPERATIONS_FILE) : undefined,
      introspection: e.INTROSPECTION,
    },
    http: { corsOrigins: e.CORS_ORIGINS, hstsMaxAge: e.HSTS_MAX_AGE },
    runs: {
      pipelinesDir: path.resolve(e.PIPELINES_DIR),
      concurrency: e.RUN_CONCURRENCY,
      leaseMs: e.RUN_LEASE_MS,
      pollMs: e.RUN_POLL_MS,
      worker: e.RUN_WORKER,
      progressMs: e.RUN_PROGRESS_MS,
    },
    s3: s3Config(e, e.WAREHOUSE !== undefined && S3_URI.test(e.WAREHOUSE)),
    trino: trinoConfig(e),
    sqlEngine: e.SQL_ENGINE,
    maintenanceHistoryMs: e.MAINTENANCE_HISTORY_MS ?? null,
    exports: {
      signingKey: e.EXPORT_SIGNING_KEY,
      maxBytes: { viewer: e.EXPORT_MAX_BYTES_VIEWER, analyst: e.EXPORT_MAX_BYTES_ANALYST, engineer: e.EXPORT_MAX_BYTES_ENGINEER, admin: e.EXPORT_MAX_BYTES_ADMIN },
    },
  };
}

function trinoConfig(e: z.infer<typeof EnvSchema>): TrinoConfig | undefined {
  if (e.TRINO_URL === undefined) {
    if (e.SQL_ENGINE === 'TRINO') throw new ConfigError('invalid configuration:\n  SQL_ENGINE: TRINO needs TRINO_URL');
    return undefined;
  }
  if (e.NESSIE_URI === undefined) {
    throw new ConfigError('invalid configuration:\n  TRINO_URL: Trino reads the catalog through Nessie\'s Iceberg REST catalog; set NESSIE_URI too');
  }
  let extra: Record<string, string> = {};
  if (e.TRINO_CATALOG_PROPERTIES !== undefined) {
    try {
      const parsed: unknown = JSON.parse(e.TRINO_CATALOG_PROPERTIES);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) throw new Error('not an object of strings');
      extra = parsed as Record<string, string>;
    } catch (err) {
      throw new ConfigError(`invalid configuration:\n  TRINO_CATALOG_PROPERTIES: must be a JSON object of string values (${(err as Error).message})`);
    }
  }
  const endpoint = (e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL)?.replace(/\/+$/, '');
  return {
    url: e.TRINO_URL.replace(/\/+$/, ''),
    user: e.TRINO_USER,
    password: e.TRINO_PASSWORD,
    catalog: e.TRINO_CATALOG,
    catalogIdleMs: e.TRINO_CATALOG_IDLE_MS,
    catalogProperties: {
      'iceberg.catalog.type': 'rest',
      'iceberg.rest-catalog.uri': e.NESSIE_URI.replace(/\/+$/, '').replace(/\/api\/v[12]$/, '') + '/iceberg',
      'fs.native-s3.enabled': 'true',
      's3.region': e.AWS_REGION,
      ...(endpoint ? { 's3.endpoint': endpoint, 's3.path-style-access': String(e.S3_PATH_STYLE ?? true) } : {}),
      's3.aws-access-key': '${ENV:AWS_ACCESS_KEY_ID}',
      's3.aws-secret-key': '${ENV:AWS_SECRET_ACCESS_KEY}',
      ...extra,
    },
  };
}

/** `s3://bucket/prefix` (from s3a:// and s3n:// too), a `file://` URI, or a path made absolute. */
function warehouseOf(raw: string | undefined, home: string): string {
  if (raw === undefined) return `file://${path.join(home, 'warehouse')}`;
  if (S3_URI.test(raw)) return raw.replace(S3_URI, 's3://').replace(/\/+$/, '');
  return raw.startsWith('file:') ? raw : path.resolve(raw);
}

function s3Config(e: z.infer<typeof EnvSchema>, used: boolean): S3Config {
  const endpoint = (e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL)?.replace(/\/+$/, '');
  const keys = e.AWS_ACCESS_KEY_ID !== undefined || e.AWS_SECRET_ACCESS_KEY !== undefined;
  if (used && keys && (e.AWS_ACCESS_KEY_ID === undefined || e.AWS_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigError('invalid configuration:\n  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both, or neither (the AWS SDK credential chain)');
  }
  return {
    region: e.AWS_REGION,
    endpoint,
    pathStyle: e.S3_PATH_STYLE ?? endpoint !== undefined,
    credentials:
      e.AWS_ACCESS_KEY_ID !== undefined && e.AWS_SECRET_ACCESS_KEY !== undefined
        ? { accessKeyId: e.AWS_ACCESS_KEY_ID, secretAccessKey: e.AWS_SECRET_ACCESS_KEY, sessionToken: e.AWS_SESSION_TOKEN }
        : undefined,
  };
}

function parseAliases(raw: string | undefined): { prefix: string; replacement: string }[] {
  if (!raw) return [];
  return raw
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0 || i === pair.length - 1) {
        throw new ConfigError(`invalid configuration:\n  LOCATION_ALIASES: '${pair}' is not prefix=replacement`);
      }
      return { prefix: pair.slice(0, i), replacement: pair.slice(i + 1) };
    });
}

