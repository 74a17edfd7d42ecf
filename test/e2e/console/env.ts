/** What every console case file gets: the demo gateway, the browser, and a fresh page. */
import type { Browser } from 'playwright-core';
import type { Gateway } from '../../support/gateway.js';
import type { ConsolePage } from '../../support/console-browser.js';

export interface ConsoleEnv {
  gateway: Gateway;
  browser: Browser;
  /** A new page on the console (no internet, errors collected); close it with `done`. */
  page(opts?: { theme?: 'light' | 'dark'; token?: string }): Promise<ConsolePage>;
  /**
   * Closes the page and asserts nothing left the machine, no CSP violation and no uncaught error;
   * on failure (pass the error) saves a screenshot `<name>-failure.png` first.
   */
  done(p: ConsolePage, name: string, failed?: unknown): Promise<void>;
}
