/**
 * The console on a gateway with authentication on (AUTH_JWT_SECRET), in headless Chromium with no
 * internet: signed out it shows one plain sign-in page (401); a token pasted in the token field shows
 * the caller and role; an action above the role is disabled with the reason; a role the token does not
 * allow (403) and a query the role may not run are shown plainly; a login page's redirect to
 * `/console#access_token=<jwt>` signs in. (test/e2e/console.test.ts runs the views with auth off.)
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, sign } from '../support/auth.js';
import { launchChromium, openConsolePage, saveScreenshot, seriousAccessibilityViolations, type ConsolePage } from '../support/console-browser.js';
import { startGateway, type Gateway } from '../support/gateway.js';

describe('the console with authentication on', () => {
  let gateway: Gateway;
  let browser: Browser;
  let viewerToken: string;

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([startGateway({ AUTH_JWT_SECRET: SECRET }), launchChromium()]);
    viewerToken = await sign({ sub: 'vera', roles: ['viewer'] });
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  /** Runs `body` on a fresh page, then asserts nothing left the machine, no CSP violation, no uncaught error. */
  async function onPage(name: string, opts: { token?: string; role?: string }, body: (p: ConsolePage) => Promise<void>): Promise<void> {
    const p = await openConsolePage(browser, gateway.url, { theme: 'light', token: opts.token });
    if (opts.role) await p.page.addInitScript((role) => localStorage.setItem('cascade.role', role), opts.role);
    let failed: unknown;
    try {
      await body(p);
    } catch (e) {
      failed = e;
      await saveScreenshot(p.page, `${name}-failure`).catch(() => undefined);
    }
    await p.close();
    expect(p.outside, 'requests to outside the gateway').toEqual([]);
    expect(p.cspViolations, 'Content-Security-Policy violations').toEqual([]);
    expect(p.pageErrors, 'uncaught errors in the page').toEqual([]);
    if (failed) throw failed;
  }

  const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s*at \S+ \(|\bError:|\.ts:\d+/);

  it('with no token shows one plain sign-in page (401) instead of the view; pasting a viewer token shows the caller and role, and Start run is disabled with the reason', async () => {
    await onPage('auth-signed-out', {}, async (p) => {
      const { page } = p;
      await p.open('runs');
      await expect.poll(() => page.locator('.who').innerText()).toBe('signed out');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      const text = await page.locator('main').innerText();
      expect(text).toContain('401');
      expect(text).toContain('a bearer token is required');
      noStackTrace(text);
      expect(await page.getByRole('button', { name: 'Start run' }).count()).toBe(0); // no view behind it
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'auth-sign-in');

      await page.getByRole('button', { name: 'Paste a token' }).click();
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
      await page.keyboard.insertText(viewerToken);
      await page.getByRole('button', { name: 'Use', exact: true }).click();
      await expect.poll(() => page.locator('.who').innerText()).toBe('vera · viewer');
      expect(await page.locator('#role option').allInnerTexts()).toEqual(['highest role', 'viewer']);
      expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);

      // The Runs view for a viewer: the glucose pipeline is listed, and starting it needs an engineer.
      const start = page.getByRole('form', { name: 'Start a run of glucose' }).getByRole('button', { name: 'Start run' });
      await start.waitFor();
      expect(await start.isDisabled()).toBe(true);
      expect(await start.getAttribute('title')).toBe('Starting a run needs the engineer role; yours is viewer.');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'auth-viewer-runs');
    });
  });

  it('a role the token does not allow is a plain 403 page with a way back; the Run button of the SQL view, which needs analyst, is disabled with the reason', async () => {
    await onPage('auth-forbidden', { token: viewerToken, role: 'admin' }, async (p) => {
      const { page } = p;
      await p.open('history');
      await expect.poll(() => page.locator('.who').innerText()).toBe('role not allowed');
      await page.getByRole('heading', { name: 'Your token does not allow this role' }).waitFor();
      const text = await page.locator('main').innerText();
      expect(text).toContain('403');
      expect(text).toContain("the token does not allow the role 'admin' (allowed: viewer)");
      noStackTrace(text);
      expect(await page.locator('#role').inputValue()).toBe('admin');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'auth-forbidden-role');

      await page.getByRole('button', { name: 'Use my highest role' }).click();
      await expect.poll(() => page.locator('.who').innerText()).toBe('vera · viewer');
      await page.locator('main .view-history').waitFor();
      expect(await page.evaluate(() => localStorage.getItem('cascade.role'))).toBeNull();

      // sql needs the analyst role: the SQL view's Run is disabled with the reason in words, and Ctrl+Enter sends nothing.
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'SQL' }).click();
      await page.locator('#sql-editor').fill('SELECT 1');
      const runButton = page.locator('#sql-run');
      expect(await runButton.isDisabled()).toBe(true);
      const reason = 'Running SQL needs the analyst role; yours is viewer.';
      expect(await runButton.getAttribute('title')).toBe(reason);
      expect(await page.locator('.sql-status').innerText()).toBe(reason);
      const sent: string[] = [];
      page.on('request', (r) => {
        if (r.url().endsWith('/graphql') && (r.postData() ?? '').includes('sql(')) sent.push(r.postData()!);
      });
      await page.locator('#sql-editor').press('Control+Enter');
      await page.waitForTimeout(300);
      expect(sent).toEqual([]);
    });
  });

  it('a login redirect to /console#access_token=<jwt> signs in and takes the token out of the address', async () => {
    const token = await sign({ sub: 'ana', roles: ['analyst'] });
    await onPage('auth-redirect', {}, async (p) => {
      const { page } = p;
      await page.goto(`${gateway.url}/console#access_token=${encodeURIComponent(token)}`, { waitUntil: 'load' });
      await expect.poll(() => page.locator('.who').innerText()).toBe('ana · analyst');
      expect(await page.evaluate(() => location.hash)).toBe('#/history');
      expect(page.url()).not.toContain(token);
      expect(await page.evaluate(() => localStorage.getItem('cascade.token'))).toBe(token);
      await page.locator('main .view-history').waitFor();
      expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    });
  });
});
