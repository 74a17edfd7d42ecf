/**
 * The browser side of the console tests: headless Chromium (Debian's, test/support/chromium.ts)
 * driven by playwright-core, in a context where only the gateway on loopback can be reached (every
 * other request is blocked and recorded), with CSP violations and page errors collected, an axe-core
 * check, and screenshots saved to test-artifacts/console/ (git-ignored).
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { chromiumPath } from './chromium.js';

export const CONSOLE_ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/console');

export function isLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true; // no request leaves the page
  return hostname === '127.0.0.1' || hostname === 'localhost';
}

/** A context that lets requests reach loopback only; `outside` collects every other one it blocked. */
export async function offlineContext(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; outside: string[] }> {
  const context = await browser.newContext({ viewport });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLoopback(url)) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  await context.routeWebSocket(/.*/, (ws) => {
    if (isLoopback(ws.url())) return ws.connectToServer();
    outside.push(ws.url());
    return ws.close({ code: 1008, reason: 'blocked: no internet in this test' });
  });
  return { context, outside };
}

export function launchChromium(): Promise<Browser> {
  return chromiumPath().then((executablePath) => chromium.launch({ executablePath })); // may apt-get install chromium (as root)
}

/** One console page and what went wrong in it: blocked requests, CSP violations, uncaught errors. */
export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  outside: string[];
  cspViolations: string[];
  pageErrors: string[];
  /** Goes to `/console#/<route>` and waits for the view to be drawn. */
  open(route: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsolePage(browser: Browser, gatewayUrl: string, opts: { theme?: 'light' | 'dark'; token?: string } = {}): Promise<ConsolePage> {
  const { context, outside } = await offlineContext(browser);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  await page.exposeFunction('reportCspViolation', (v: string) => cspViolations.push(v));
  await page.addInitScript(
    ({ theme, token }) => {
      if (theme) localStorage.setItem('cascade.theme', theme);
      if (token) localStorage.setItem('cascade.token', token);
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`),
      );
    },
    { theme: opts.theme, token: opts.token },
  );
  page.on('pageerror', (e) => pageErrors.push(e.message));
  return {
    page,
    context,
    outside,
    cspViolations,
    pageErrors,
    async open(route) {
      await page.goto(`${gatewayUrl}/console#/${route}`, { waitUntil: 'load' });
      await page.locator('main .view').waitFor();
    },
    close: () => context.close(),
  };
}

const axeSource = (() => {
  const require = createRequire(import.meta.url);
  return fs.readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
})();

/** axe-core's serious and critical violations on the page as it is now, as `rule: target …` lines. */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol, not as a <script>: the console's CSP allows no inline script.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.targets.join(' ')}`);
}

/** Saves a screenshot of the page to test-artifacts/console/<name>.png (git-ignored). */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await fs.mkdir(CONSOLE_ARTIFACTS, { recursive: true });
  const file = path.join(CONSOLE_ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: false });
  return file;
}
