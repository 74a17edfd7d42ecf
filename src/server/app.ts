/**
 * buildApp(config) → { start, stop, url }: the gateway as a value, so tests start it on port 0.
 * One HTTP server carries GraphQL (POST/GET, GraphiQL, SSE subscriptions), graphql-ws on the same
 * path, /healthz, /readyz, /metrics, and the downloads of export links (/exports/<token>).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import { schema } from '../../resolvers/index.js';
import { LiveSchema } from '../../schema/live-schema.js';
import { createLoaders } from '../../loaders/index.js';
import type { Context } from '../../schema/context.js';
import type { SqlDatabase } from '../adapters/sql/database.js';
import { createBackends, type Backends } from '../adapters/index.js';
import { Authenticator } from '../auth/authenticate.js';
import type { Actor } from '../auth/actor.js';
import { useGraphqlWs } from './ws-server.js';
import { HttpAuthGate } from '../auth/http-gate.js';
import { authEnabled } from '../auth/config.js';
import { handleConsoleRoute } from './console.js';
import { wsAuthHooks } from '../auth/ws.js';
import type { Config } from '../config.js';
import { createMaskError } from './graphql-errors.js';
import { assignRequestId, handleOpsRoute } from './http.js';
import { createLogger, lazyChild, type Logger } from '../logger.js';
import { OperationLog } from './operation-log.js';
import { createMetrics, registerTableHealthGauges } from '../metrics.js';
import { seedDemo } from '../services/demo.js';
import { createServices, type Services } from '../services/index.js';
import { PipelineRegistry } from '../pipelines/registry.js';
import { RunEngine } from '../runs/engine.js';
import { TrinoModels } from '../services/trino-models.js';
import { RunQueueSignal } from '../runs/queue-signal.js';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { rateKeyFor } from './limits/index.js';
import { RateLimit } from './limits/rate-limit.js';
import { answerPost, mayAnswerDirectly, ValidatedDocuments, type DirectPath } from './graphql-post.js';
import { OperationSteps } from './operation-steps.js';
import { checkBodySize } from './limits/body-size.js';
import { loadAllowList } from './limits/persisted.js';
import { securityHeaders } from './security/headers.js';
import { bundledGraphiQL } from './graphiql.js';
import { GatewayResponse } from './http-response.js';
import { makeTempDir } from '../util/temp-dir.js';
import { corsOptions, setCorsHeaders } from './security/cors.js';
import { isExportRequest, serveExport } from './exports-route.js';

export interface App {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** http://host:port once started. */
  readonly url: string;
  /** Available once started (tests and scripts use it to reach the services directly). */
  readonly services: Services;
  /** The raw ports, available once started: tests and scripts reach the store and the engine here (the services do not hand them out). */
  readonly ports: Pick<Backends, 'store' | 'objects' | 'engine' | 'bus'>;
  /** The SQL database of the catalog, runs and embedded marts (available once started; tests use it). */
  readonly database: SqlDatabase;
  readonly logger: Logger;
  /** Reads the pipelines folder again (SIGHUP in src/main.ts): runs started from now on use what it holds. */
  reloadPipelines(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
}

export function buildApp(config: Config, opts: AppOptions = {}): App {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  let backends: Backends | undefined;
  let services: Services | undefined;
  let engine: RunEngine | undefined;
  let liveSchema: LiveSchema | undefined;
  let pipelineRegistry: PipelineRegistry | undefined;
  let server: Server | undefined;
  let wss: WebSocketServer | undefined;
  let url = '';

  const gate = new HttpAuthGate(new Authenticator(config.auth), logger);

  const onLoaderBatch = (loader: string) => metrics.loaderBatches.inc({ loader });
  const makeContext = (requestId: string, req?: IncomingMessage, actor?: Actor): Context => {
    if (!services) throw new Error('app not started');
    return {
      requestId,
      actor: actor ?? gate.actorOf(req),
      services,
      loaders: createLoaders(services, onLoaderBatch),
      logger: lazyChild(logger, { requestId }), // made when something is logged
    };
  };

  return {
    get url() {
      return url;
    },
    get database() {
      if (!backends) throw new Error('app not started');
      return backends.db;
    },
    get services() {
      if (!services) throw new Error('app not started');
      return services;
    },
    get ports() {
      if (!backends) throw new Error('app not started');
      return backends;
    },
    logger,
    async reloadPipelines() {
      if (!pipelineRegistry) throw new Error('app not started');
      await pipelineRegistry.load();
    },
    async start() {
      backends = await createBackends(config, logger, metrics);
      const pipelines = new PipelineRegistry(config.runs.pipelinesDir, logger);
      await pipelines.load();
      pipelineRegistry = pipelines;
      const runQueue = new RunQueueSignal(); // RunService tells it of queued runs, the engine listens
      services = createServices({ ...backends, sqlEngine: config.sqlEngine, maintenanceHistoryMs: config.maintenanceHistoryMs, protectedBranches: config.protectedBranches, pipelines, logger, runQueue,
        exports: { signingKey: config.exports.signingKey, jwtSecret: config.auth.jwtSecret, authEnabled: authEnabled(config.auth), maxBytes: config.exports.maxBytes } });
      engine = new RunEngine(
        {
          runs: backends.runs,
          bus: backends.bus,
          queue: runQueue,
          refs: backends.store,
          tables: services.tables,
          engine: backends.engine,
          trino: backends.trino ? new TrinoModels(services.catalog, backends.store, services.tables, backends.engine, backends.trino) : null,
          policy: services.catalog.policy,
          marts: services.marts,
          pipelines,
          config: config.runs,
          logger,
          singleProcess: backends.db.kind === 'pglite',
        },
        `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      );
      await engine.start();
      const tables = services.tables;
      registerTableHealthGauges(metrics.registry, () => tables.defaultBranchHealth(TABLE_HEALTH_GAUGE_LIMIT));
      // Executions a stopped gateway left after their catalog commit: delete the rest of their files.
      void services.maintenance.resumeUnfinished().catch((e) => logger.warn({ err: e }, 'resuming maintenance plans failed'));
      const martStore = services.marts.store;
      liveSchema = new LiveSchema(schema, () => martStore.list(), logger);
      await liveSchema.start(backends.bus);
      if (config.demo) await seedDemo(backends.store, services, logger);
      const allowList = config.limits.persistedOperationsFile ? loadAllowList(config.limits.persistedOperationsFile) : undefined;
      // Uploads stream to a private folder per request under $CASCADE_HOME/uploads (the engine reads them there).
      const served = liveSchema;
      const rateLimit = config.limits.rateLimit.perSecond > 0 ? new RateLimit(config.limits.rateLimit, rateKeyFor(authEnabled(config.auth))) : undefined;
      // Every operation's steps, in order: yoga runs them as plugins, the direct POST path the execute-time ones.
      const steps = new OperationSteps(config.limits, {
        allowList,
        rateLimit,
        uploadDir: () => makeTempDir('upload-', `${config.home}/uploads`),
        operationLog: new OperationLog(metrics, logger),
        maskError: createMaskError(logger, { production: config.production }),
        currentSchema: () => served.current,
      });
      const yoga = createYogaServer(config, logger, makeContext, steps);
      const posts = { direct: metrics.graphqlPosts.labels('direct'), yoga: metrics.graphqlPosts.labels('yoga') };
      // Plain JSON POSTs skip yoga's fetch layer and envelop (src/server/graphql-post.ts); persisted-operation mode leaves every request to yoga.
      const direct: DirectPath | undefined = allowList
        ? undefined
        : {
            yoga,
            schema: () => served.current,
            validated: new ValidatedDocuments(),
            steps,
            context: (requestId, actor) => makeContext(requestId, undefined, actor),
            counters: posts,
          };
      server = createServer({ ServerResponse: GatewayResponse }, async (req, res) => {
        const requestId = assignRequestId(req);
        res.carry(requestId, securityHeaders(req, { hstsMaxAge: config.http.hstsMaxAge }));
        setCorsHeaders(req, res, config.http.corsOrigins);
        try {
          // A download link carries its own signed credentials (src/server/exports-route.ts): no Authorization header.
          if (isExportRequest(req)) return await serveExport(req, res, { exports: services!.exports, logger, requestId, metrics });
          const admitted = gate.admit(req, res); // a boolean for remembered credentials
          if (admitted !== true && !(await admitted)) return;
          if ((req.method === 'GET' || req.method === 'HEAD') && (await handleOpsRoute(req, res, { metrics, check: backends!.check }))) return;
          if ((req.method === 'GET' || req.method === 'HEAD') && (await handleConsoleRoute(req, res, logger))) return;
          if (rateLimit?.refuseHttp(req, res)) return; // before the body is read: a client over its limit costs next to nothing
          const refused = checkBodySize(req, res, config.limits); // a boolean unless a chunked body is read
          if (refused === true || (refused !== false && (await refused))) return;
          if (direct && mayAnswerDirectly(req)) await answerPost(direct, req, res, { requestId, actor: gate.actorOf(req) });
          else {
            if (req.method === 'POST') posts.yoga.inc();
            await yoga(req, res);
          }
        } catch (e) {
          logger.error({ err: e, requestId }, 'request failed');
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } }] }));
        }
      });
      wss = new WebSocketServer({ server, path: '/graphql', maxPayload: Math.max(config.limits.maxBodyBytes, 64 * 1024) || undefined });
      useGraphqlWs(wss, yoga, wsAuthHooks(gate, logger), logger, allowList);
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(config.port, config.host, () => resolve());
      });
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      url = `http://${host}:${addr.port}`;
      logger.info({ url: `${url}/graphql`, versionStore: backends.store.kind }, 'Cascade Gateway listening');
    },
    async stop() {
      for (const client of wss?.clients ?? []) client.terminate();
      await new Promise<void>((r) => (wss ? wss.close(() => r()) : r()));
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      liveSchema?.stop();
      await engine?.stop();
      await backends?.close();
      engine = undefined;
      server = undefined;
      wss = undefined;
    },
  };
}

type Yoga = YogaServerInstance<Record<string, unknown>, Context>;

function createYogaServer(
  config: Config,
  logger: Logger,
  makeContext: (requestId: string, req?: IncomingMessage, actor?: Actor) => Context,
  steps: OperationSteps,
): Yoga {
  return createYoga<Record<string, unknown>, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: { title: 'Cascade Gateway', subscriptionsProtocol: 'WS', defaultQuery: DEFAULT_QUERY },
    renderGraphiQL: bundledGraphiQL(), // everything inlined: the page loads nothing from outside the gateway
    maskedErrors: { maskError: steps.maskError, isDev: false },
    cors: corsOptions(config.http.corsOrigins),
    logging: {
      debug: (...a) => logger.debug(a.map(String).join(' ')),
      info: (...a) => logger.info(a.map(String).join(' ')),
      warn: (...a) => logger.warn(a.map(String).join(' ')),
      // yoga logs every error its mask rewrote, which is every error here: client errors (the
      // operation log has them at info with the request id) and unexpected ones, which the mask
      // itself logs with their stack. Neither belongs at error level a second time.
      error: (...a) => (a.length === 1 && a[0] instanceof GraphQLError ? logger.debug(String(a[0])) : logger.error(a.map(String).join(' '))),
    },
    // Over HTTP the request carries the id assignRequestId set; a graphql-ws subscription gets its own.
    context: (init: { request?: Request; req?: IncomingMessage; requestId?: string; actor?: Actor }) =>
      makeContext(init.requestId ?? init.request?.headers.get('x-request-id') ?? randomUUID(), init.req, init.actor),
    plugins: steps.yogaPlugins(),
  });
}

/** The table health gauges cover at most this many tables of the default branch. */
const TABLE_HEALTH_GAUGE_LIMIT = 1000;

const DEFAULT_QUERY = `# Welcome to Cascade Gateway: branches, commits and merges of a Git-like lakehouse.
{
  defaultBranch {
    name
    hash
    log(first: 5) { nodes { hash message author commitTime } }
  }
  references(first: 20) { nodes { __typename name hash } }
}
`;
