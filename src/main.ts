/** Entry point: `npm start`. Reads .env if present, validates the environment, starts the gateway. */
import fs from 'node:fs';
import { buildApp } from './server/app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, flushLogs } from './logger.js';

if (fs.existsSync('.env')) process.loadEnvFile('.env');

let config;
try {
  config = loadConfig();
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}

const logger = createLogger(config.logLevel);
if (!config.auth.jwtSecret && !config.auth.jwksUrl) {
  logger.warn(
    `AUTHENTICATION IS OFF: every caller has full access. Listening on ${config.host}${config.hostExplicit ? ' (HOST set explicitly)' : ' only'}; set AUTH_JWT_SECRET or AUTH_JWKS_URL before exposing the gateway.`,
  );
}
const app = buildApp(config, { logger });

const shutdownMs = config.shutdownTimeoutMs;
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  const deadline = Date.now() + shutdownMs;
  // A backend that does not answer, or a log reader that stalled, must not keep the process alive.
  setTimeout(() => {
    process.stderr.write(`Cascade Gateway: stopping took longer than SHUTDOWN_TIMEOUT_MS (${shutdownMs} ms); exiting anyway\n`);
    process.exit(1);
  }, shutdownMs).unref();
  logger.info({ signal }, 'shutting down');
  let code = 0;
  try {
    await app.stop();
  } catch (e) {
    logger.error({ err: e }, 'the gateway did not stop cleanly');
    code = 1;
  }
  await flushLogs(Math.min(1000, deadline - Date.now()));
  process.exit(code);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
// Reload the pipelines folder, as servers reload their configuration on SIGHUP.
process.on('SIGHUP', () => {
  app.reloadPipelines().catch((e: unknown) => logger.error({ err: e }, 'pipelines could not be reloaded'));
});

try {
  await app.start();
  console.log(`Cascade Gateway: GraphiQL at ${app.url.replace('127.0.0.1', 'localhost')}/graphql (pid ${process.pid}; kill -HUP ${process.pid} reloads the pipelines)`);
} catch (e) {
  logger.fatal({ err: e }, 'the gateway could not start');
  await flushLogs(1000);
  process.exit(1);
}
