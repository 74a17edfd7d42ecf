/** The console's shell: served from the gateway alone, the navigation, the caller, themes, and `/`. */
import { expect, it } from 'vitest';
import { CONSOLE_CSP } from '../../../src/server/console.js';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

export function shellCases(env: ConsoleEnv): void {
  it('is served at /console (and / redirects there) with its own CSP, lists every view and shows the caller', async () => {
    const root = await fetch(`${env.gateway.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console');
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      const response = await p.page.goto(`${env.gateway.url}/console`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toBe(CONSOLE_CSP);
      const nav = p.page.getByRole('navigation', { name: 'Views' });
      expect(await nav.getByRole('link').allInnerTexts()).toEqual(['History', 'Tables', 'Runs', 'Marts', 'SQL', 'Maintenance', 'Playground']);
      // Authentication is off in the demo: the caller is anonymous with the admin role.
      await expect.poll(() => p.page.locator('.who').innerText()).toBe('anonymous · admin');
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await p.page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      expect(await p.page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'shell-dark');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'shell', failed);
  });
}
