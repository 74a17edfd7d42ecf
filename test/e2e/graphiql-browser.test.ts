/**
 * GraphiQL in a real headless Chromium with no internet: every request to a host other than
 * 127.0.0.1 or localhost is blocked and recorded, and the test fails if there was any. On the
 * embedded demo it types a query into the editor, runs it and reads the answer from the result pane.
 * Chromium is Debian's `chromium` package (test/support/chromium.ts), driven with playwright-core.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHIQL_CSP } from '../../src/server/security/headers.js';
import { chromiumPath } from '../support/chromium.js';
import { offlineContext } from '../support/console-browser.js';
import { startGateway, type Gateway } from '../support/gateway.js';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'graphiql-browser.png'); // the editor and the answer
const FAILURE_SCREENSHOT = path.join(ARTIFACTS, 'graphiql-browser-failure.png'); // the page as a failure left it
const QUERY = '{ defaultBranch { name hash } }';
const QUERY_EDITOR = '.graphiql-query-editor';
const RESULT = '.graphiql-response';

/** The text a user sees in a GraphiQL editor (CodeMirror's rendered lines, non-breaking spaces as spaces). */
async function shownText(page: Page, editor: string): Promise<string> {
  const lines = await page.locator(`${editor} .CodeMirror-code pre.CodeMirror-line`).allInnerTexts();
  return lines.map((l) => l.replace(/\u00a0/g, ' ').replace(/\u200b/g, '')).join('\n');
}

/** Replaces what the query editor holds with `text`, as pasted (the editor adds no closing braces), and runs it. */
async function run(page: Page, text: string): Promise<void> {
  await page.locator(`${QUERY_EDITOR} .CodeMirror`).click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await expect.poll(() => shownText(page, QUERY_EDITOR)).toBe(text);
  await page.getByRole('button', { name: /Execute query/ }).click();
}

describe('GraphiQL in a browser with no internet', () => {
  let g: Gateway;
  let browser: Browser;

  beforeAll(async () => {
    const executablePath = await chromiumPath(); // may install Debian's chromium with apt-get (as root)
    [g, browser] = await Promise.all([startGateway({ CASCADE_DEMO: '1' }), chromium.launch({ executablePath })]);
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await g?.stop();
  });

  it('loads from the gateway alone, runs a typed query and shows the answer, and subscribes over graphql-ws', async () => {
    const { defaultBranch } = await g.data<{ defaultBranch: { name: string; hash: string } }>(QUERY);
    expect(defaultBranch.name).toBe('main');
    expect(defaultBranch.hash).toMatch(/^[0-9a-f]{64}$/);

    const { context, outside } = await offlineContext(browser, { width: 1400, height: 900 });
    const page = await context.newPage();
    const violations: string[] = [];
    const pageErrors: string[] = [];
    const sockets: string[] = [];
    await page.exposeFunction('reportCspViolation', (v: string) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('websocket', (ws) => sockets.push(ws.url()));
    await fs.mkdir(ARTIFACTS, { recursive: true });
    await fs.rm(FAILURE_SCREENSHOT, { force: true }); // left by an earlier run

    let failed: unknown;
    try {
      const response = await page.goto(`${g.url}/graphql`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBe(GRAPHIQL_CSP);
      expect(await page.title()).toBe('Cascade Gateway');
      // Headless Chromium fetches no favicon, so the network guard cannot see one: read the markup.
      const html = (await response?.text()) ?? '';
      const markup = html.replace(/(<(script|style)\b[^>]*>)[\s\S]*?(<\/\2>)/gi, '$1$3'); // tags, not inline code
      expect(markup.match(/\b(?:src|href)\s*=\s*["']?(?!data:)[^"'\s>]+/gi), 'the page references something by URL').toBeNull();
      const styles = [...html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/gi)].map((m) => m[1]).join('\n');
      expect(styles.match(/url\(\s*["']?(?!data:)[^)]*\)|@import/gi), 'the styles load something by URL').toBeNull();

      // The editor opens on the configured default query; replace it with ours and run it.
      await expect.poll(() => shownText(page, QUERY_EDITOR), { timeout: 30_000 }).toContain('# Welcome to Cascade Gateway');
      await run(page, QUERY);
      await expect.poll(() => shownText(page, RESULT), { timeout: 30_000 }).toContain(defaultBranch.hash);
      const shown = await shownText(page, RESULT);
      expect(shown).toContain('"name": "main"');
      expect(shown).toContain(`"hash": "${defaultBranch.hash}"`);
      expect(shown).not.toContain('"errors"');
      await page.screenshot({ path: SCREENSHOT });

      // A subscription goes over graphql-ws (subscriptionsProtocol: 'WS'). Branches are created until
      // one arrives: the first may be created before the gateway has the subscription.
      await run(page, 'subscription { referenceUpdated { kind name } }');
      const created: string[] = [];
      await expect
        .poll(
          async () => {
            const text = await shownText(page, RESULT);
            if (!text.includes('"kind": "CREATED"')) {
              const name = `graphiql-ws-${created.length}`;
              created.push(name);
              await g.data(`mutation ($name: String!) { createBranch(name: $name) { __typename } }`, { name });
            }
            return text;
          },
          { timeout: 30_000, interval: 250 },
        )
        .toContain('"kind": "CREATED"');
      const event = await shownText(page, RESULT);
      expect(created.some((name) => event.includes(`"name": "${name}"`))).toBe(true);
      expect(sockets).toEqual([`${g.url.replace(/^http/, 'ws')}/graphql`]);
    } catch (e) {
      failed = e;
      await page.screenshot({ path: FAILURE_SCREENSHOT });
    } finally {
      await context.close();
    }
    // What the page tried and was refused says more than a missing editor: checked first.
    expect(outside, 'requests to outside the gateway').toEqual([]);
    expect(violations, 'Content-Security-Policy violations').toEqual([]);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    if (failed) throw failed;
  });
});
