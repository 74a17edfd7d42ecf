/**
 * The console in a real headless Chromium on the embedded demo, with every non-loopback request
 * blocked. One gateway and one browser for all views; each view's cases live in test/e2e/console/.
 * Each case checks what a person sees, an axe-core check (no serious or critical violations), and
 * saves a screenshot under test-artifacts/console/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { launchChromium, openConsolePage, saveScreenshot, type ConsolePage } from '../support/console-browser.js';
import { startGateway, type Gateway } from '../support/gateway.js';
import type { ConsoleEnv } from './console/env.js';
import { historyCases } from './console/history.cases.js';
import { runsCases } from './console/runs.cases.js';
import { martsCases } from './console/marts.cases.js';
import { maintenanceCases } from './console/maintenance.cases.js';
import { playgroundCases } from './console/playground.cases.js';
import { shellCases } from './console/shell.cases.js';
import { tablesCases } from './console/tables.cases.js';
import { sqlCases } from './console/sql.cases.js';

describe('the console in a browser with no internet, on the demo', () => {
  let gateway: Gateway;
  let browser: Browser;
  const env: ConsoleEnv = {
    get gateway() {
      return gateway;
    },
    get browser() {
      return browser;
    },
    page: (opts) => openConsolePage(browser, gateway.url, opts),
    async done(p: ConsolePage, name: string, failed?: unknown) {
      if (failed) await saveScreenshot(p.page, `${name}-failure`).catch(() => undefined);
      await p.close();
      expect(p.outside, 'requests to outside the gateway').toEqual([]);
      expect(p.cspViolations, 'Content-Security-Policy violations').toEqual([]);
      expect(p.pageErrors, 'uncaught errors in the page').toEqual([]);
      if (failed) throw failed;
    },
  };

  beforeAll(async () => {
    [gateway, browser] = await Promise.all([startGateway({ CASCADE_DEMO: '1' }), launchChromium()]);
  }, 15 * 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  shellCases(env);
  historyCases(env);
  tablesCases(env);
  runsCases(env);
  martsCases(env);
  sqlCases(env);
  maintenanceCases(env);
  playgroundCases(env);
});
