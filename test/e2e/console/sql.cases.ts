/** The console's SQL view in the browser (cases registered into test/e2e/console.test.ts). */
import fs from 'node:fs/promises';
import { expect, it } from 'vitest';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

const QUERY = 'SELECT reading_date, reading_count, avg_glucose, pct_low FROM marts.mrt_glucose_overview ORDER BY reading_date';

async function graphql<T>(env: ConsoleEnv, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${env.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

export function sqlCases(env: ConsoleEnv): void {
  it('SQL: a query run with Ctrl+Enter at a ref shows the rows the API returns, with the row count; a bad query shows the API error plainly', async () => {
    // A ref expression, not only a branch name: main at its current hash.
    const head = await graphql<{ reference: { hash: string } }>(env, '{ reference(ref: "main") { hash } }');
    const ref = `main@${head.reference.hash}`;
    const api = await graphql<{ sql: { columns: { name: string }[]; rows: unknown[][]; rowCount: number } }>(
      env,
      'query($q: String!, $ref: String!) { sql(ref: $ref, query: $q) { columns { name } rows rowCount } }',
      { q: QUERY, ref },
    );
    expect(api.sql.rowCount).toBeGreaterThan(0);
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('sql');
      const page = p.page;
      const exportButton = page.getByRole('button', { name: 'Export ▾' });
      expect(await exportButton.isDisabled()).toBe(true);
      expect(await exportButton.getAttribute('title')).toBe('Run a query first: Export downloads its result.');
      await page.getByLabel('Ref', { exact: true }).fill(ref);
      const editor = page.getByLabel('SQL query');
      await editor.fill(QUERY);
      await editor.press('Control+Enter');
      const status = page.getByRole('status').filter({ hasText: /rows/ });
      await expect.poll(() => status.innerText(), { timeout: 30_000 }).toMatch(new RegExp(`^${api.sql.rowCount} rows · \\d+ ms · at main@${head.reference.hash}$`));
      const table = page.getByRole('region', { name: 'Result rows' }).locator('table');
      const headers = await table.locator('thead th').evaluateAll((ths) => ths.map((th) => th.firstChild?.textContent ?? ''));
      expect(headers).toEqual(api.sql.columns.map((c) => c.name));
      const cells = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
      expect(cells).toEqual(api.sql.rows.map((r) => r.map((v) => (v === null ? 'null' : String(v)))));
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'sql-light');

      // Export: the menu opens from the keyboard and Escape closes it; CSV downloads every row of the result.
      await exportButton.focus();
      await page.keyboard.press('ArrowDown');
      const menu = page.getByRole('menu', { name: 'Export format' });
      expect(await menu.getByRole('menuitem').allInnerTexts()).toEqual(['CSV (with a header row)', 'Parquet', 'Arrow IPC stream']);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden' });
      expect(await exportButton.evaluate((b) => b === document.activeElement)).toBe(true);
      await exportButton.click();
      const [download] = await Promise.all([page.waitForEvent('download'), menu.getByRole('menuitem', { name: 'CSV (with a header row)' }).click()]);
      expect(download.suggestedFilename()).toMatch(/\.csv$/);
      const csv = (await fs.readFile((await download.path())!, 'utf8')).trimEnd().split('\n').map((line) => line.split(','));
      expect(csv[0]).toEqual(api.sql.columns.map((c) => c.name));
      // The same rows, in order (numbers compared as numbers: CSV writes 0.0 where JSON has 0).
      const same = (v: unknown) => (v === null ? '' : typeof v === 'number' || (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v))) ? Number(v) : v);
      expect(csv.slice(1).map((r) => r.map(same))).toEqual(api.sql.rows.map((r) => r.map(same)));
      await expect.poll(() => page.locator('.export-note').innerText()).toBe(`Downloading ${download.suggestedFilename()}.`);

      // A column that does not exist: the API's INVALID_INPUT and DuckDB's message, as they are; no table.
      await editor.fill('SELECT reading_date, no_such_column FROM marts.mrt_glucose_overview');
      await page.getByRole('button', { name: 'Run' }).click();
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.innerText(), { timeout: 30_000 }).toContain('no_such_column');
      expect(await alert.innerText()).toContain('INVALID_INPUT');
      expect(await alert.innerText()).toContain('The query was refused');
      expect(await page.getByRole('region', { name: 'Result rows' }).count()).toBe(0);
      expect(await exportButton.isDisabled()).toBe(true);

      // An unknown ref: NOT_FOUND, named.
      await page.getByLabel('Ref', { exact: true }).fill('no-such-branch');
      await editor.press('Control+Enter');
      await expect.poll(() => alert.innerText(), { timeout: 30_000 }).toContain("reference 'no-such-branch' not found");
      expect(await alert.innerText()).toContain('NOT_FOUND');

      await page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'sql-error-dark');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'sql', failed);
  });
}
