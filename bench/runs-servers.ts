/**
 * A server of the runs benchmark (bench/runs-run.ts), run as a child process (forked with an IPC
 * channel) so the load generators and the bench do not share its event loop:
 *
 *   gateway '<env JSON>'   the real gateway: buildApp(loadConfig(env)) — only the variables given.
 *                          IPC { type: 'stop-run', tag } ends the fan-out driver run with that tag
 *                          (its rows function watches globalThis.__cascadeBenchStop).
 *   ws '<rate per second>' a bare `ws` WebSocketServer that broadcasts one JSON message shaped like
 *                          the gateway's graphql-ws `next` message (a fresh `at` each time) to every
 *                          client, `rate` times a second; IPC { type: 'payload', data } sets the
 *                          runEvents object it sends (seq and at are filled in).
 *
 * Listens on 127.0.0.1, port 0; sends { type: 'ready', url } to the parent, stops on
 * { type: 'stop' } or when the parent goes away.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

const [kind, arg = ''] = process.argv.slice(2);

type Stopper = () => Promise<void>;
let stopping: Stopper | undefined;

async function startGateway(envJson: string): Promise<{ url: string; stop: Stopper }> {
  const { buildApp } = await import('../src/server/app.js');
  const { loadConfig } = await import('../src/config.js');
  const stop = ((globalThis as { __cascadeBenchStop?: Set<string> }).__cascadeBenchStop ??= new Set<string>());
  process.on('message', (m: { type?: string; tag?: string }) => {
    if (m?.type === 'stop-run' && m.tag) stop.add(m.tag);
  });
  const app = buildApp(loadConfig(JSON.parse(envJson) as Record<string, string>));
  await app.start();
  return { url: app.url, stop: () => app.stop() };
}

async function startBroadcast(rate: number): Promise<{ url: string; stop: Stopper }> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ server, path: '/graphql' });
  let event: Record<string, unknown> = { type: 'STEP_PROGRESS', step: 'ticks', data: { rowsRead: 0, rowsWritten: 0, elapsedMs: 0 } };
  process.on('message', (m: { type?: string; data?: Record<string, unknown> }) => {
    if (m?.type === 'payload' && m.data) event = m.data;
  });
  let seq = 0;
  // Every client gets the same bytes: the message is serialised once per tick.
  const timer = setInterval(() => {
    seq++;
    const msg = JSON.stringify({ id: 'bench', type: 'next', payload: { data: { runEvents: { ...event, seq, at: new Date().toISOString() } } } });
    for (const c of wss.clients) if (c.readyState === c.OPEN) c.send(msg);
  }, 1000 / rate);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function main() {
  const started = kind === 'gateway' ? await startGateway(arg) : kind === 'ws' ? await startBroadcast(Number(arg) || 10) : null;
  if (!started) throw new Error(`unknown server kind '${kind}' (gateway, ws)`);
  stopping = started.stop;
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') void shutdown(0);
  });
  process.on('disconnect', () => void shutdown(0));
  process.send?.({ type: 'ready', url: started.url });
}

let exiting = false;
async function shutdown(code: number) {
  if (exiting) return;
  exiting = true;
  const force = setTimeout(() => process.exit(code), 10_000);
  force.unref();
  await stopping?.().catch(() => undefined);
  process.exit(code);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
