/**
 * The console (console/): a browser app over the public GraphQL API, served at /console from the
 * repository's own code. It is bundled with esbuild (already installed with tsx) when it is first
 * asked for and kept in memory: no build artifacts, nothing loaded from outside the gateway.
 * `/` redirects to it. Two bundles, each built on its first request: `app` (the shell and the views)
 * and `playground` (GraphiQL with React and the explorer plugin, about 2 MB, which the Playground view
 * loads when it opens, so the other views never load React).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';

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

/** The bundles: `/console/<name>.js` and `/console/<name>.css` come from the entry of that name. */
const ENTRIES = {
  app: 'src/main.ts',
  playground: 'src/views/playground/graphiql-app.ts',
} as const;
type Entry = keyof typeof ENTRIES;

const built = new Map<Entry, Promise<Bundle>>();

/** Bundles one entry (console/src/main.ts by default, and the CSS it imports) once per process. */
export function consoleBundle(entry: Entry = 'app'): Promise<Bundle> {
  let b = built.get(entry);
  if (!b) {
    b = build(entry).catch((e: unknown) => {
      built.delete(entry); // a failed build is tried again on the next request
      throw e;
    });
    built.set(entry, b);
  }
  return b;
}

async function build(entry: Entry): Promise<Bundle> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: { [entry]: path.join(ROOT, ENTRIES[entry]) },
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    // The console's own code gets a linked map (developer tools fetch it; inline, it tripled what
    // every page load carries); GraphiQL's bundle is mostly React and CodeMirror and gets none.
    sourcemap: entry === 'app' ? 'linked' : false,
    write: false,
    outdir: '/console',
    loader: { '.woff2': 'dataurl', '.svg': 'text' },
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const assets: Bundle = new Map();
  if (entry === 'app') assets.set('/console', { type: 'text/html; charset=utf-8', body: await readFile(path.join(ROOT, 'index.html')) });
  for (const f of result.outputFiles) {
    const name = path.basename(f.path);
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : name.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8';
    assets.set(`/console/${name}`, { type, body: Buffer.from(f.contents) });
  }
  return assets;
}

/** Answers GET/HEAD for `/`, `/console` and its assets; false for any other path. */
export async function handleConsoleRoute(req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<boolean> {
  const pathname = (req.url ?? '/').split('?')[0]!;
  if (pathname === '/') {
    res.writeHead(302, { location: '/console', 'cache-control': 'no-store' });
    res.end();
    return true;
  }
  if (pathname !== '/console' && !pathname.startsWith('/console/')) return false;
  const key = pathname === '/console/' ? '/console' : pathname;
  const name = key.slice('/console/'.length).split('.')[0]!;
  let asset: Asset | undefined;
  try {
    asset = (await consoleBundle(Object.hasOwn(ENTRIES, name) ? (name as Entry) : 'app')).get(key);
  } catch (e) {
    // A broken checkout (a console file missing or not valid TypeScript): say so in a page, log the build's message.
    logger.error({ err: e }, 'the console could not be built');
    res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': CONSOLE_CSP });
    res.end(
      '<!doctype html><html lang="en"><meta charset="utf-8"><title>Cascade console unavailable</title>' +
        '<h1>The console could not be built</h1><p>The gateway is running: the GraphQL API and GraphiQL are at <a href="/graphql">/graphql</a>. ' +
        'The reason is in the gateway\'s log (“the console could not be built”); reload this page to try again.</p></html>',
    );
    return true;
  }
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
