/**
 * The console (console/): a browser app over the public GraphQL API, served at /console from the
 * repository's own code. It is bundled with esbuild (already installed with tsx) when it is first
 * asked for and kept in memory: no build artifacts, nothing loaded from outside the gateway.
 * `/` redirects to it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

const ROOT = path.resolve(import.meta.dirname, '../../console');

/** Scripts and styles from the gateway only; data over this origin's HTTP and WebSocket. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'", // uPlot and the views set element styles
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

type Asset = { type: string; body: Buffer };
type Bundle = Map<string, Asset>;

let built: Promise<Bundle> | undefined;

/** Bundles console/src/main.ts (and the CSS it imports) once per process. */
export function consoleBundle(): Promise<Bundle> {
  built ??= build().catch((e: unknown) => {
    built = undefined; // a failed build is tried again on the next request
    throw e;
  });
  return built;
}

async function build(): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { app: path.join(ROOT, 'src/main.ts') },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'inline',
    write: false,
    outdir: '/console',
    loader: { '.woff2': 'dataurl', '.svg': 'text' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets: Bundle = new Map();
  const index = await readFile(path.join(ROOT, 'index.html'));
  assets.set('/console', { type: 'text/html; charset=utf-8', body: index });
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    assets.set(`/console/${name}`, { type, body: Buffer.from(f.contents) });
  }
  return assets;
}

/** Answers GET/HEAD for `/`, `/console` and its assets; false for any other path. */
export async function handleConsoleRoute(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const pathname = (req.url ?? '/').split('?')[0]!;
  if (pathname === '/') {
    res.writeHead(302, { location: '/console', 'cache-control': 'no-store' });
    res.end();
    return true;
  }
  if (pathname !== '/console' && !pathname.startsWith('/console/')) return false;
  const key = pathname === '/console/' ? '/console' : pathname;
  const asset = (await consoleBundle()).get(key);
  if (!asset) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end('Not found');
    return true;
  }
  res.writeHead(200, {
    'content-type': asset.type,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CONSOLE_CSP,
  });
  res.end(req.method === 'HEAD' ? undefined : asset.body);
  return true;
}
