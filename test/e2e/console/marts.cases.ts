/** The console's Marts view in the browser (cases registered into test/e2e/console.test.ts). */
import { expect, it } from 'vitest';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

const MART = 'mrt_glucose_overview';
type Row = Record<string, unknown>;

async function apiRows(env: ConsoleEnv, where: unknown): Promise<Row[]> {
  const data = await env.gateway.data(
    `query($where: JSON) { mart(name: "${MART}") { rows(where: $where, orderBy: [{ column: "reading_date", direction: ASC }], first: 1000) { rows pageInfo { hasNextPage } } } }`,
    { where },
  );
  expect(data.mart.rows.pageInfo.hasNextPage).toBe(false);
  return data.mart.rows.rows;
}

/** What the chart holds, read from its uPlot instance: the x values and each series. */
function chartData(page: import('playwright-core').Page) {
  return page.locator('.mart-chart').evaluate((el) => {
    const u = (el as HTMLElement & { uplot?: { data: (number | null)[][]; series: { label?: string }[] } }).uplot!;
    return { points: Number((el as HTMLElement).dataset.points), x: u.data[0]!, series: u.series.slice(1).map((s, i) => ({ label: s.label, values: u.data[i + 1]! })), canvases: el.querySelectorAll('canvas').length };
  });
}

export function martsCases(env: ConsoleEnv): void {
  it('Marts: the glucose overview with its lineage and a chart of daily average glucose and percent in range, one point per day the API returns', async () => {
    const { mart } = await env.gateway.data(`{ mart(name: "${MART}") { rowCount publishedFrom { ref commitHash table snapshotId } } }`);
    const rows = await apiRows(env, null);
    const days = [...new Set(rows.map((r) => r.reading_date as string))];
    expect(days.length).toBeGreaterThan(1);

    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('marts');
      const listed = p.page.locator(`tr[data-mart="${MART}"]`);
      expect(await listed.locator('td').nth(1).innerText()).toBe(mart.rowCount);
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await listed.getByRole('link', { name: MART }).click();

      // Lineage, as the API has it.
      await expect.poll(() => p.page.locator('.lineage-ref').innerText()).toBe(mart.publishedFrom.ref);
      expect(await p.page.locator('.lineage-commit').getAttribute('title')).toBe(mart.publishedFrom.commitHash);
      expect(await p.page.locator('.lineage-table').innerText()).toBe(mart.publishedFrom.table);

      // The chart: a canvas whose uPlot data has one x per day, in order, and the two series' values.
      await expect.poll(async () => Number(await p.page.locator('.mart-chart').getAttribute('data-points')), { timeout: 20_000 }).toBeGreaterThan(0);
      const chart = await chartData(p.page);
      expect(chart.canvases).toBeGreaterThan(0);
      expect(chart.points).toBe(days.length);
      expect(chart.x).toEqual(days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000));
      expect(chart.series.map((s) => s.label)).toEqual(['avg_glucose', 'pct_in_range']);
      expect(chart.series[0]!.values).toEqual(rows.map((r) => r.avg_glucose));
      expect(chart.series[1]!.values).toEqual(rows.map((r) => r.pct_in_range));

      // The table shows every row, as the API does.
      await expect.poll(() => p.page.locator('.mart-rows tbody tr').count()).toBe(rows.length);
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'marts-glucose-light');
      await p.page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      await expect.poll(async () => (await chartData(p.page)).points).toBe(days.length); // redrawn in the dark theme's colours
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'marts-glucose-dark');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'marts-chart', failed);
  });

  it('Marts: a filter shows in the table and the chart exactly the rows the API returns for it; a bad value gets the API error, plainly', async () => {
    const where = { avg_glucose: { _gte: 140 } };
    const expected = await apiRows(env, where);
    const all = await apiRows(env, null);
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(all.length);

    const p = await env.page({ theme: 'dark' });
    let failed: unknown;
    try {
      await p.open(`marts/${MART}`);
      await expect.poll(() => p.page.locator('.mart-rows tbody tr').count()).toBe(all.length);
      await p.page.getByRole('button', { name: 'Add filter' }).click();
      await p.page.getByLabel('Filter 1: column').selectOption('avg_glucose');
      await p.page.getByLabel('Filter 1: operator').selectOption('_gte');
      await p.page.getByLabel('Filter 1: value').fill('140');
      await p.page.getByLabel('Filter 1: value').press('Enter');

      await expect.poll(() => p.page.locator('.where-json').innerText()).toBe(JSON.stringify(where));
      await expect.poll(() => p.page.locator('.mart-rows tbody tr').count()).toBe(expected.length);
      const shown = await p.page.locator('.mart-rows table').evaluate((t) => {
        const heads = [...t.querySelectorAll('thead th')].map((th) => th.textContent);
        return [...t.querySelectorAll('tbody tr')].map((tr) => Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [heads[i], td.textContent])));
      });
      expect(shown).toEqual(expected.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? 'null' : String(v)]))));
      expect(await p.page.locator('.row-count').getAttribute('data-total')).toBe(String(expected.length));
      await expect.poll(async () => (await chartData(p.page)).points).toBe(expected.length);
      expect((await chartData(p.page)).series[0]!.values).toEqual(expected.map((r) => r.avg_glucose));
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'marts-filtered');

      // A date that is not a date: the API's INVALID_INPUT, in words, and no rows.
      const bad = { reading_date: { _eq: 'yesterday' } };
      const api = await env.gateway.gql(`query($where: JSON) { mart(name: "${MART}") { rows(where: $where) { rows } } }`, { where: bad });
      expect(api.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      await p.page.getByLabel('Filter 1: column').selectOption('reading_date');
      await p.page.getByLabel('Filter 1: operator').selectOption('_eq');
      await p.page.getByLabel('Filter 1: value').fill('yesterday');
      await p.page.getByRole('button', { name: 'Apply' }).click();
      const alert = p.page.locator('.mart-rows [role="alert"]');
      await expect.poll(() => alert.innerText()).toContain(api.errors![0].message);
      expect(await alert.innerText()).toContain('INVALID_INPUT');
      expect(await p.page.locator('.mart-rows tbody tr').count()).toBe(0);
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'marts-filter', failed);
  });
}
