/** The console's Tables view in the browser (cases registered into test/e2e/console.test.ts). */
import fs from 'node:fs/promises';
import { expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

async function graphql<T>(env: ConsoleEnv, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${env.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

type Rows = { columns: string[]; rows: Record<string, unknown>[] };
const asCells = (r: Rows) => r.rows.map((row) => r.columns.map((c) => (row[c] === null || row[c] === undefined ? 'null' : typeof row[c] === 'object' ? JSON.stringify(row[c]) : String(row[c]))));

async function shownRows(page: Page): Promise<{ columns: string[]; cells: string[][] }> {
  const table = page.getByRole('region', { name: 'Rows' }).locator('table');
  const columns = await table.locator('thead th').allInnerTexts();
  const cells = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  return { columns, cells };
}

export function tablesCases(env: ConsoleEnv): void {
  it('Tables: raw.entries on main with its schema (field ids) and its 14 snapshots; rows at the first snapshot and at the head are what the API answers, and differ; axe clean in both themes', async () => {
    const api = await graphql<{ table: { schema: { fields: { id: number; name: string }[] }; snapshots: { nodes: { snapshotId: string }[] } } }>(
      env,
      '{ table(name: "raw.entries", ref: "main") { schema { fields { id name } } snapshots(first: 1000) { nodes { snapshotId } } } }',
    );
    const snapshots = api.table.snapshots.nodes;
    expect(snapshots).toHaveLength(14);
    const first = snapshots[snapshots.length - 1]!.snapshotId; // newest first
    const rowsQuery = 'query($s: BigInt) { table(name: "raw.entries", ref: "main") { rows(snapshotId: $s, orderBy: [{ column: "date", direction: DESC }], first: 20) { columns rows } } }';
    const atFirst = (await graphql<{ table: { rows: Rows } }>(env, rowsQuery, { s: first })).table.rows;
    const atHead = (await graphql<{ table: { rows: Rows } }>(env, rowsQuery, { s: null })).table.rows;
    expect(asCells(atFirst)).not.toEqual(asCells(atHead));

    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('tables/main');
      const page = p.page;
      const tree = page.getByRole('navigation', { name: 'Namespaces and tables' });
      await tree.getByRole('link', { name: 'entries', exact: true }).click();
      await page.getByRole('heading', { name: /raw\.entries/ }).waitFor();
      // Schema: every field with its id.
      const schema = page.getByRole('tabpanel', { name: 'Schema' });
      await schema.locator('tbody tr').first().waitFor();
      const fields = await schema.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent)));
      expect(fields).toEqual(api.table.schema.fields.map((f) => [String(f.id), f.name]));
      // Snapshots: the 14 of the API, newest first.
      await page.getByRole('tab', { name: 'Snapshots' }).click();
      const timeline = page.getByRole('list', { name: 'Snapshots, newest first' });
      await timeline.waitFor();
      expect(await timeline.locator('li').evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.snapshotId))).toEqual(snapshots.map((s) => s.snapshotId));
      expect(await page.getByRole('tabpanel', { name: 'Snapshots' }).innerText()).toContain('14 snapshots');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'tables-light');

      // Rows at the first snapshot (from its timeline entry), newest readings first.
      await page.getByRole('button', { name: `Rows at snapshot ${first}` }).click();
      await page.getByLabel('Order by').selectOption('date');
      await page.getByLabel('Direction').selectOption('DESC');
      await page.getByLabel('First', { exact: true }).fill('20');
      await page.getByRole('button', { name: 'Show rows' }).click();
      const caption = page.locator('.rows-caption');
      await expect.poll(() => caption.innerText(), { timeout: 20_000 }).toBe(`Rows 1–20 of 288 at snapshot ${first}`);
      expect(await shownRows(page)).toEqual({ columns: atFirst.columns, cells: asCells(atFirst) });

      // The same at the head of main.
      await page.getByLabel('At', { exact: true }).selectOption('head');
      await page.getByRole('button', { name: 'Show rows' }).click();
      await expect.poll(() => caption.innerText(), { timeout: 20_000 }).toBe('Rows 1–20 of 4,032 at the head of main');
      expect(await shownRows(page)).toEqual({ columns: atHead.columns, cells: asCells(atHead) });

      // A filter that is not JSON is refused in words, before anything is asked.
      await page.getByLabel('Where').fill('{ sgv: ');
      await page.getByRole('button', { name: 'Show rows' }).click();
      expect(await page.getByRole('alert').innerText()).toContain('The filter is not JSON');

      await page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      await page.getByLabel('Where').fill('{ "sgv": { "_lt": 70 } }');
      await page.getByRole('button', { name: 'Show rows' }).click();
      await expect.poll(() => caption.innerText(), { timeout: 20_000 }).toMatch(/at the head of main$/);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'tables-rows-dark');

      // Export of the rows shown: every row the filter matches (not just the page), as the API counts them.
      const low = await graphql<{ table: { rows: { totalCount: string } } }>(env, '{ table(name: "raw.entries", ref: "main") { rows(where: { sgv: { _lt: 70 } }, first: 1) { totalCount } } }');
      const exportButton = page.locator('#rows-export');
      await expect.poll(() => exportButton.isDisabled()).toBe(false);
      await exportButton.click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('menu', { name: 'Export format' }).getByRole('menuitem', { name: 'CSV (with a header row)' }).click(),
      ]);
      const lines = (await fs.readFile((await download.path())!, 'utf8')).trimEnd().split('\n');
      const header = lines[0]!.split(',');
      const sgv = header.indexOf('sgv');
      expect(sgv).toBeGreaterThanOrEqual(0);
      expect(lines.length - 1).toBe(Number(low.table.rows.totalCount));
      expect(Number(low.table.rows.totalCount)).toBeGreaterThan(20); // more than the page shown
      expect(lines.slice(1).every((l) => Number(l.split(',')[sgv]) < 70)).toBe(true);
      // Rows read at a snapshot are not what an export reads (the head): Export says so.
      await page.getByLabel('At', { exact: true }).selectOption('snapshot');
      await page.getByRole('button', { name: 'Show rows' }).click();
      await expect.poll(() => caption.innerText(), { timeout: 20_000 }).toMatch(/at snapshot/);
      expect(await exportButton.isDisabled()).toBe(true);
      expect(await exportButton.getAttribute('title')).toBe('Export reads the head of main: choose “the head of main” under At to export.');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'tables', failed);
  });
}
