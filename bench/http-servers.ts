/**
 * One HTTP server of the HTTP benchmark (bench/http-run.ts), run as a child process (forked with an
 * IPC channel) so the load generator in the parent does not share its event loop:
 *
 *   gateway '<env JSON>'   the real gateway: buildApp(loadConfig(env)) — only the variables given
 *   yoga '<hash>'          a bare graphql-yoga server, no plugins, over a minimal schema
 *   node '<hash>'          a bare node:http handler that returns the same JSON bytes
 *
 * Listens on 127.0.0.1, port 0; sends { type: 'ready', url } to the parent, stops on
 * { type: 'stop' } (process.exit, so a --cpu-prof profile gets written) or when the parent goes away.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createSchema, createYoga } from 'graphql-yoga';

const [kind, arg = ''] = process.argv.slice(2);

/** The two operations and their answers, shared by the bare servers. */
export const TYPENAME_QUERY = '{ __typename }';
export const DEFAULT_BRANCH_QUERY = '{ defaultBranch { name hash } }';
export const typenameBody = () => JSON.stringify({ data: { __typename: 'Query' } });
export const defaultBranchBody = (hash: string) => JSON.stringify({ data: { defaultBranch: { name: 'main', hash } } });

let stopping: (() => Promise<void>) | undefined;

async function startGateway(envJson: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const { buildApp } = await import('../src/server/app.js');
  const { loadConfig } = await import('../src/config.js');
  const app = buildApp(loadConfig(JSON.parse(envJson) as Record<string, string>));
  await app.start();
  return { url: app.url, stop: () => app.stop() };
}

function startYoga(hash: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: /* GraphQL */ `
        type Branch {
          name: String!
          hash: String!
        }
        type Query {
          defaultBranch: Branch
        }
      `,
      resolvers: { Query: { defaultBranch: () => ({ name: 'main', hash }) } },
    }),
  });
  return listen(createServer(yoga));
}

function startNode(hash: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const answers = new Map([
    [TYPENAME_QUERY, Buffer.from(typenameBody())],
    [DEFAULT_BRANCH_QUERY, Buffer.from(defaultBranchBody(hash))],
  ]);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Buffer | undefined;
      if (req.method === 'POST' && req.url === '/graphql') {
        try {
          body = answers.get((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { query?: string }).query ?? '');
        } catch {
          body = undefined;
        }
      }
      if (!body) {
        res.writeHead(400, { 'content-type': 'application/json; charset=utf-8' });
        res.end('{"errors":[{"message":"unknown operation"}]}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  });
  return listen(server);
}

function listen(server: Server): Promise<{ url: string; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        stop: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

async function shutdown(code: number): Promise<never> {
  const stop = stopping;
  stopping = undefined;
  const timer = setTimeout(() => process.exit(code), 10_000);
  timer.unref();
  try {
    await stop?.();
  } catch (e) {
    process.stderr.write(`stop failed: ${(e as Error).message}\n`);
  }
  process.exit(code);
}

// Only as the forked child (the parent imports the constants above).
const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain && process.send) {
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void shutdown(0);
  });
  // The parent died or closed the channel: never outlive it.
  process.on('disconnect', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  try {
    const started = kind === 'gateway' ? await startGateway(arg) : kind === 'yoga' ? await startYoga(arg) : kind === 'node' ? await startNode(arg) : null;
    if (!started) throw new Error(`unknown server kind '${kind}' (gateway, yoga, node)`);
    stopping = started.stop;
    process.send({ type: 'ready', url: started.url });
  } catch (e) {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  }
}
