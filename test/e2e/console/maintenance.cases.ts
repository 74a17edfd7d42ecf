/** The console's Maintenance view in the browser (cases registered into test/e2e/console.test.ts). */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WebSocketRoute } from 'playwright-core';
import { expect, it } from 'vitest';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

const OK = '__typename ... on Error { code message }';

/**
 * A branch of the test's own whose raw.entries has snapshots no other ref reads: three appends on a
 * source branch, merged (not fast-forward) into a destination branch, then the source deleted. An
 * expiry on the destination then has files to delete (the manifest lists only those snapshots
 * read), and keeps the rest, pinned by main, dev and the others. main, dev and the demo stay as they are.
 */
async function branchWithExpirableSnapshots(env: ConsoleEnv): Promise<string> {
  const n = Date.now().toString(36);
  const src = `console-maint-${n}/src`;
  const dst = `console-maint-${n}/dst`;
  const g = env.gateway;
  const made = await g.data(`mutation { a: createBranch(name: "${src}", from: "main") { ${OK} } b: createBranch(name: "${dst}", from: "main") { ${OK} } }`);
  expect([made.a.__typename, made.b.__typename]).toEqual(['CreateBranchSuccess', 'CreateBranchSuccess']);
  for (let i = 1; i <= 3; i++) {
    const w = await g.data(`mutation($rows: JSON) { appendRows(branch: "${src}", table: "raw.entries", rows: $rows) { ${OK} } }`, {
      rows: [{ type: 'sgv', sgv: 100 + i, date: String(1_800_000_000_000 + i), dateString: `console maintenance ${i}`, direction: 'Flat', device: 'console-test' }],
    });
    expect(w.appendRows.__typename).toBe('WriteSuccess');
  }
  const ns = await g.data(`mutation { createNamespace(branch: "${dst}", name: "console_maint_${n}") { ${OK} } }`);
  expect(ns.createNamespace.__typename).toBe('CreateNamespaceSuccess');
  const merged = await g.data(`mutation { merge(from: "${src}", into: "${dst}") { __typename ... on MergeSuccess { fastForward } } }`);
  expect(merged.merge).toEqual({ __typename: 'MergeSuccess', fastForward: false });
  const del = await g.data(`mutation { deleteBranch(name: "${src}") { ${OK} } }`);
  expect(del.deleteBranch.__typename).toBe('DeleteBranchSuccess');
  return dst;
}

interface ApiPlan {
  id: string;
  status: string;
  deletedFiles: number;
  snapshotsToExpire: string[];
  filesToDelete: { path: string; sizeBytes: string }[];
  filesKept: { path: string; pinnedBy: string[] }[];
}

export function maintenanceCases(env: ConsoleEnv): void {
  it('Maintenance: an expiry plan made from the form lists the files to delete with sizes and what pins each kept file; executed after a confirmation, its progress shows live to SUCCEEDED (resumed after a dropped connection) and the API and the storage agree', async () => {
    const branch = await branchWithExpirableSnapshots(env);
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      const page = p.page;
      // Every subscribe message the page sends over graphql-ws, and its socket, so the test can drop it.
      const subscribes: { variables?: Record<string, unknown> }[] = [];
      const sockets: WebSocketRoute[] = [];
      await page.routeWebSocket(/\/graphql$/, (ws) => {
        sockets.push(ws);
        const server = ws.connectToServer();
        ws.onMessage((m) => {
          if (typeof m === 'string') {
            const msg = JSON.parse(m) as { type: string; payload?: { variables?: Record<string, unknown> } };
            if (msg.type === 'subscribe') subscribes.push(msg.payload ?? {});
          }
          server.send(m);
        });
      });
      await p.open('maintenance');
      await page.getByRole('heading', { name: 'New plan' }).waitFor();
      await page.getByLabel('Kind').selectOption({ label: 'Expire snapshots' });
      await page.getByLabel('Branch').fill(branch);
      await page.getByLabel('Table', { exact: true }).fill('raw.entries');
      await page.getByLabel('Retain last').fill('1');
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'maintenance-list');
      await page.getByRole('button', { name: 'Make plan' }).click();
      await page.waitForURL(/#\/maintenance\/plan\//, { timeout: 60_000 });
      const id = decodeURIComponent(page.url().split('/').pop()!);

      const plan = (
        await env.gateway.data<{ maintenancePlan: ApiPlan }>(
          `query($id: ID!) { maintenancePlan(id: $id) { id status deletedFiles snapshotsToExpire filesToDelete(first: 100) { path sizeBytes } filesKept(first: 100) { path pinnedBy } } }`,
          { id },
        )
      ).maintenancePlan;
      expect(plan.status).toBe('PLANNED');
      expect(plan.filesToDelete.length).toBeGreaterThan(0);
      expect(plan.filesKept.length).toBeGreaterThan(0);
      for (const f of plan.filesToDelete) expect(fs.existsSync(fileURLToPath(f.path))).toBe(true);

      await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(`Expire snapshots: raw.entries on ${branch} planned`);
      const toDelete = page.getByRole('region', { name: 'Files to delete' });
      await expect.poll(() => toDelete.locator('tbody tr').count()).toBe(plan.filesToDelete.length);
      expect(await toDelete.locator('tbody .path').evaluateAll((els) => els.map((e) => e.getAttribute('title')))).toEqual(plan.filesToDelete.map((f) => f.path));
      const kept = page.getByRole('region', { name: 'Files kept, and what pins them' });
      await expect.poll(() => kept.locator('tbody tr').count()).toBe(plan.filesKept.length);
      const firstKeptPins = await kept.locator('tbody tr').first().locator('.pin').allInnerTexts();
      expect(firstKeptPins).toEqual(plan.filesKept[0]!.pinnedBy);
      expect(firstKeptPins).toContain('main');
      expect(await page.locator('.stat', { hasText: 'Files to delete' }).locator('dd').innerText()).toBe(String(plan.filesToDelete.length));
      expect(await page.locator('.stat', { hasText: 'Snapshots to expire' }).locator('dd').innerText()).toBe(String(plan.snapshotsToExpire.length));
      expect(await page.getByRole('status').filter({ hasText: 'Not executed yet.' }).count()).toBe(1);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'maintenance-plan');

      // The live connection drops after the PLANNED event: graphql-ws reconnects and the page resumes after it.
      const log = page.getByRole('list', { name: 'Events' });
      await log.locator('li[data-type="PLANNED"]').waitFor();
      expect(subscribes.map((s) => s.variables)).toEqual([{ id, after: 0 }]);
      await sockets.at(-1)!.close({ code: 1012, reason: 'test: connection dropped' });
      await expect.poll(() => subscribes.length, { timeout: 30_000 }).toBe(2);
      expect(subscribes[1]!.variables).toEqual({ id, after: 1 });
      expect(sockets.length).toBe(2);

      // Execute asks first; Cancel changes nothing.
      await page.getByRole('button', { name: 'Execute…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Execute this plan?' });
      await dialog.waitFor();
      expect(await dialog.innerText()).toContain(`deletes ${plan.filesToDelete.length} files`);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
      expect((await env.gateway.data(`query($id: ID!) { maintenancePlan(id: $id) { status } }`, { id })).maintenancePlan.status).toBe('PLANNED');

      await page.getByRole('button', { name: 'Execute…' }).click();
      await dialog.getByRole('button', { name: `Delete ${plan.filesToDelete.length} files` }).click();
      await log.locator('li[data-type="SUCCEEDED"]').waitFor({ timeout: 60_000 });
      expect(await log.locator('li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-type')))).toEqual(['PLANNED', 'EXECUTION_STARTED', 'COMMITTED', 'FILES_DELETED', 'SUCCEEDED']);
      expect(await log.locator('li[data-type="FILES_DELETED"]').innerText()).toContain(`${plan.filesToDelete.length} of ${plan.filesToDelete.length} files deleted`);
      await expect.poll(() => page.locator('.plan-header .badge').innerText()).toBe('succeeded');
      await expect.poll(() => page.locator('.stat', { hasText: 'Files deleted' }).locator('dd').innerText()).toBe(String(plan.filesToDelete.length));
      const execute = page.locator('#plan-execute');
      expect(await execute.isDisabled()).toBe(true);
      expect(await execute.getAttribute('title')).toBe('This plan has been executed.');

      // The API and the storage agree: the plan succeeded, its files are gone, the expired snapshots left the branch.
      const after = await env.gateway.data(
        `query($id: ID!, $ref: String) { maintenancePlan(id: $id) { status deletedFiles resultHash } table(name: "raw.entries", ref: $ref) { snapshots(first: 100) { nodes { snapshotId } } } }`,
        { id, ref: branch },
      );
      expect(after.maintenancePlan).toMatchObject({ status: 'SUCCEEDED', deletedFiles: plan.filesToDelete.length });
      for (const f of plan.filesToDelete) expect(fs.existsSync(fileURLToPath(f.path))).toBe(false);
      const left = (after.table.snapshots.nodes as { snapshotId: string }[]).map((s) => s.snapshotId);
      expect(left.filter((s) => plan.snapshotsToExpire.includes(s))).toEqual([]);
      for (const f of plan.filesKept) expect(fs.existsSync(fileURLToPath(f.path))).toBe(true);

      await page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'maintenance-executed-dark');

      // The list shows it, succeeded.
      await page.getByRole('link', { name: '← All plans' }).click();
      const row = page.locator(`tr[data-plan="${id}"]`);
      await row.waitFor();
      expect(await row.locator('.badge').innerText()).toBe('succeeded');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'maintenance', failed);
  });

  it('Maintenance: a plan for a table that does not exist shows the API error (NOT_FOUND) and makes no plan', async () => {
    const count = async () => (await env.gateway.data('{ maintenancePlans(first: 100) { nodes { id } } }')).maintenancePlans.nodes.length as number;
    const before = await count();
    const p = await env.page({ theme: 'dark' });
    let failed: unknown;
    try {
      const page = p.page;
      await p.open('maintenance');
      await page.getByLabel('Kind').selectOption({ label: 'Remove orphan files' });
      expect(await page.getByLabel('Retain last').isVisible()).toBe(false);
      await page.getByLabel('Branch').fill('main');
      await page.getByLabel('Table', { exact: true }).fill('raw.no_such_table');
      await page.getByRole('button', { name: 'Make plan' }).click();
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.innerText(), { timeout: 30_000 }).toContain('NOT_FOUND');
      expect(await alert.innerText()).toContain('No plan was made');
      expect(await alert.innerText()).toContain('raw.no_such_table');
      expect(page.url()).toMatch(/#\/maintenance$/);
      expect(await count()).toBe(before);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'maintenance-error-dark');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'maintenance-error', failed);
  });
}
