/** The console's Runs view in the browser (cases registered into test/e2e/console.test.ts). */
import { expect, it } from 'vitest';
import type { WebSocketRoute } from 'playwright-core';
import { openConsolePage, saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import { SECRET, sign } from '../../support/auth.js';
import { startGateway } from '../../support/gateway.js';
import type { ConsoleEnv } from './env.js';

interface ApiRun {
  runId: string;
  status: string;
  error: string | null;
  audits: { name: string; passed: boolean; failingRows: string | null; severity: string }[];
  events: { seq: number; type: string; step: string | null }[];
}
const RUN_FIELDS = 'runId status error audits { name passed failingRows severity } events { seq type step }';

export function runsCases(env: ConsoleEnv): void {
  it('starts a glucose run from the Runs page and shows its steps progressing live, resuming the event log after the connection drops', async () => {
    // The run merges into a branch of its own (and republishes the same 14 days of marts), so main stays as the other views expect it.
    const target = `console-runs-${Date.now()}`;
    const created = await env.gateway.data(`mutation { createBranch(name: "${target}", from: "main") { __typename } }`);
    expect(created.createBranch.__typename).toBe('CreateBranchSuccess');

    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      // Every message the page sends over graphql-ws, and the page's socket, so the test can drop it.
      // The connection drops (as a network hiccup would) in place of delivering the first AUDIT_PASSED: the
      // page must then resume on a new connection, whatever the machine's speed.
      const sent: { id?: string; type: string; payload?: { query?: string; variables?: Record<string, unknown> } }[] = [];
      const sockets: WebSocketRoute[] = [];
      let lastSeqBeforeDrop = -1; // the last runEvents seq delivered before the drop
      let socketsBeforeDrop = 0;
      await p.page.routeWebSocket(/\/graphql$/, (ws) => {
        sockets.push(ws);
        const server = ws.connectToServer();
        ws.onMessage((m) => {
          if (typeof m === 'string') sent.push(JSON.parse(m));
          server.send(m);
        });
        server.onMessage((m) => {
          const event = typeof m === 'string' ? (JSON.parse(m) as { payload?: { data?: { runEvents?: { seq: number; type: string } } } }).payload?.data?.runEvents : undefined;
          if (event && lastSeqBeforeDrop < 0 && event.type === 'AUDIT_PASSED') {
            socketsBeforeDrop = sockets.length;
            lastSeqBeforeDrop = event.seq - 1;
            void ws.close({ code: 1012, reason: 'test: connection dropped' });
            return;
          }
          ws.send(m);
        });
      });

      await p.open('runs');
      const form = p.page.getByRole('form', { name: 'Start a run of glucose' });
      await form.getByLabel('target').fill(target);
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'runs-list');

      // Record every state each step row and the run's badge show while the run goes on.
      await p.page.evaluate(() => {
        const w = window as unknown as { seenSteps: Set<string>; seenStatus: string[] };
        w.seenSteps = new Set();
        w.seenStatus = [];
        const note = () => {
          for (const row of document.querySelectorAll<HTMLElement>('.gantt-row')) w.seenSteps.add(`${row.dataset.step}:${row.dataset.state}`);
          const status = document.querySelector<HTMLElement>('.run-header .run-status')?.dataset.status;
          if (status && w.seenStatus[w.seenStatus.length - 1] !== status) w.seenStatus.push(status);
        };
        new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
      });
      await form.getByRole('button', { name: 'Start run' }).click();
      await p.page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
      const runId = p.page.url().split('/').pop()!;

      // Once the models are done (seen live) and the audits begin, the connection drops (above) and the log goes on.
      await p.page.locator('.event-log li[data-type="AUDIT_PASSED"]').first().waitFor({ timeout: 90_000 });
      expect(lastSeqBeforeDrop).toBeGreaterThan(0);

      await expect.poll(() => p.page.locator('.run-header .run-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('SUCCEEDED');
      await expect.poll(() => p.page.locator('.stream-state').getAttribute('data-stream'), { timeout: 30_000 }).toBe('ended');

      // The event log resumed with `after` = the last sequence it had shown, on a new connection.
      expect(sockets.length).toBeGreaterThan(socketsBeforeDrop);
      const subscribes = sent.filter((m) => m.type === 'subscribe' && m.payload?.query?.includes('runEvents') && m.payload.variables?.runId === runId);
      expect(subscribes[0]!.payload!.variables!.after).toBeNull();
      expect(subscribes.length).toBeGreaterThanOrEqual(2);
      expect(subscribes[subscribes.length - 1]!.payload!.variables!.after).toBe(lastSeqBeforeDrop);

      // The API agrees: the run succeeded, and the log shows each of its events once, in order.
      const { run } = (await env.gateway.data(`query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: runId })) as { run: ApiRun };
      expect(run.status).toBe('SUCCEEDED');
      const shown = await p.page.locator('.event-log li').evaluateAll((lis) => lis.map((li) => ({ seq: Number((li as HTMLElement).dataset.seq), type: (li as HTMLElement).dataset.type })));
      expect(shown).toEqual(run.events.map((e) => ({ seq: e.seq, type: e.type })));
      expect(run.events.some((e) => e.seq > lastSeqBeforeDrop)).toBe(true);

      // The steps were seen changing: waiting, then running, then done, while the run ran.
      const seen = await p.page.evaluate(() => {
        const w = window as unknown as { seenSteps: Set<string>; seenStatus: string[] };
        return { steps: [...w.seenSteps], status: w.seenStatus };
      });
      expect(seen.status).toContain('RUNNING');
      expect(seen.status[seen.status.length - 1]).toBe('SUCCEEDED');
      expect(seen.steps).toContain('publish:pending');
      expect(seen.steps).toContain('entries:running');
      expect(seen.steps).toContain('entries:succeeded');
      // The ingest and the four models ran before the drop, each for a tenth of a second or more.
      expect(seen.steps.filter((s) => s.endsWith(':running')).length).toBeGreaterThanOrEqual(3);
      // Every step the API started ended done on the page, and the audits all passed.
      const started = [...new Set(run.events.filter((e) => e.type === 'STEP_STARTED').map((e) => e.step!))];
      const rows = await p.page.locator('.gantt-row').evaluateAll((els) => els.map((el) => [(el as HTMLElement).dataset.step, (el as HTMLElement).dataset.state]));
      expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(started.map((s) => [s, 'succeeded'])));
      expect(run.audits.every((a) => a.passed)).toBe(true);
      expect(await p.page.locator('.audits-table tr[data-passed="true"]').count()).toBe(run.audits.length);

      // Ended: Cancel is disabled and says why; Retry is offered.
      const cancel = p.page.getByRole('button', { name: 'Cancel run' });
      expect(await cancel.isDisabled()).toBe(true);
      expect(await cancel.getAttribute('title')).toContain('already ended');
      expect(await p.page.getByRole('button', { name: 'Retry run' }).isEnabled()).toBe(true);
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await saveScreenshot(p.page, 'runs-run-succeeded');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'runs-start', failed);
  }, 180_000);

  it('cancels a running run from its page, then retries it (a new run with the same params, linked to the first) and cancels that one too', async () => {
    const target = `console-cancel-${Date.now()}`;
    expect((await env.gateway.data(`mutation { createBranch(name: "${target}", from: "main") { __typename } }`)).createBranch.__typename).toBe('CreateBranchSuccess');
    const head = (await env.gateway.data(`{ branch(name: "${target}") { hash } }`)).branch.hash;
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('runs');
      const form = p.page.getByRole('form', { name: 'Start a run of glucose' });
      await form.getByLabel('target').fill(target);
      await form.getByRole('button', { name: 'Start run' }).click();
      await p.page.waitForURL(/#\/runs\/[0-9a-f-]{36}$/);
      const first = p.page.url().split('/').pop()!;
      const retry = p.page.getByRole('button', { name: 'Retry run' });
      expect(await retry.getAttribute('data-disabled-reason')).toContain('once it has ended');

      const cancelRun = async () => {
        const cancel = p.page.getByRole('button', { name: 'Cancel run' });
        await expect.poll(() => cancel.isEnabled()).toBe(true);
        await cancel.click();
        await expect.poll(() => p.page.locator('.run-header .run-status').getAttribute('data-status'), { timeout: 90_000 }).toBe('CANCELED');
        await p.page.locator('.event-log li[data-type="RUN_CANCELED"]').waitFor();
      };
      await cancelRun();
      const api = (await env.gateway.data(`query($id: ID!) { run(id: $id) { status mergedHash params } }`, { id: first })).run;
      expect(api).toMatchObject({ status: 'CANCELED', mergedHash: null });

      await retry.click();
      await p.page.waitForURL((url) => /#\/runs\/[0-9a-f-]{36}$/.test(url.hash) && !url.hash.endsWith(first));
      const second = p.page.url().split('/').pop()!;
      await expect.poll(() => p.page.getByRole('link', { name: first.slice(0, 8) }).count()).toBe(1); // "Retry of"
      await cancelRun();
      const retried = (await env.gateway.data(`query($id: ID!) { run(id: $id) { status retryOf params target } }`, { id: second })).run;
      expect(retried).toEqual({ status: 'CANCELED', retryOf: first, params: api.params, target });
      // Neither run changed its target.
      expect((await env.gateway.data(`{ branch(name: "${target}") { hash } }`)).branch.hash).toBe(head);
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'runs-cancel', failed);
  }, 240_000);

  it('with authentication on: a viewer sees Start disabled with the reason, an engineer may start; without a token the page says to sign in', async () => {
    // The demo gateway runs without authentication (everyone is admin): this case has a gateway of its own.
    const gateway = await startGateway({ AUTH_JWT_SECRET: SECRET, PIPELINES_DIR: 'pipelines' });
    const pages = [];
    try {
      for (const [role, token] of [['viewer', await sign({ roles: ['viewer'] })], ['engineer', await sign({ roles: ['engineer'] })], ['none', undefined]] as const) {
        const p = await openConsolePage(env.browser, gateway.url, { theme: 'light', token });
        pages.push(p);
        let failed: unknown;
        try {
          await p.open('runs');
          if (role === 'none') {
            // The gateway's 401, in words (the shell's sign-in state or the view's own).
            await expect.poll(() => p.page.locator('main [role="alert"]').first().innerText()).toMatch(/Sign in[\s\S]*401/);
          } else {
            const start = p.page.getByRole('form', { name: 'Start a run of glucose' }).getByRole('button', { name: 'Start run' });
            await start.waitFor();
            if (role === 'viewer') {
              expect(await start.isDisabled()).toBe(true);
              expect(await start.getAttribute('title')).toBe('Starting a run needs the engineer role; yours is viewer.');
              expect(await p.page.locator('.pipeline').innerText()).toContain('needs the engineer role');
              await saveScreenshot(p.page, 'runs-viewer');
            } else expect(await start.isEnabled()).toBe(true);
          }
          expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
        } catch (e) {
          failed = e;
        }
        await env.done(p, `runs-role-${role}`, failed);
      }
    } finally {
      await gateway.stop();
    }
  }, 120_000);

  it('shows the failed demo run with its failing not_null audit, its steps and why it failed', async () => {
    const data = (await env.gateway.data(`{ runs(pipeline: "glucose", status: [FAILED], first: 50) { nodes { ${RUN_FIELDS} } } }`)) as { runs: { nodes: ApiRun[] } };
    const demo = data.runs.nodes.filter((r) => r.audits.some((a) => a.name === 'sgv_not_null' && !a.passed)).pop()!;
    expect(demo).toBeDefined();
    const audit = demo.audits.find((a) => a.name === 'sgv_not_null')!;

    const p = await env.page({ theme: 'dark' });
    let failed: unknown;
    try {
      await p.open(`runs/${demo.runId}`);
      await expect.poll(() => p.page.locator('.run-header .run-status').getAttribute('data-status')).toBe('FAILED');
      const row = p.page.locator('.audits-table tr[data-audit="sgv_not_null"]');
      expect(await row.getAttribute('data-passed')).toBe('false');
      expect(await row.locator('td').first().innerText()).toBe('fail');
      expect(await row.locator('.failing-rows').innerText()).toBe(audit.failingRows);
      expect(await row.innerText()).toContain('not_null');
      expect(await p.page.locator('.audits-table tr[data-passed="true"]').count()).toBe(demo.audits.filter((a) => a.passed).length);
      expect(await p.page.locator('.run-error').innerText()).toContain(demo.error!);
      // The timeline: the audit failed, the publish step never ran.
      await expect.poll(() => p.page.locator('.gantt-row[data-step="sgv_not_null"]').getAttribute('data-state')).toBe('failed');
      expect(await p.page.locator('.gantt-row[data-step="publish"]').getAttribute('data-state')).toBe('skipped');
      // The whole log, replayed from the start; the stream then completes.
      await expect.poll(() => p.page.locator('.stream-state').getAttribute('data-stream')).toBe('ended');
      expect(await p.page.locator('.event-log li').count()).toBe(demo.events.length);
      expect(await p.page.locator('.event-log li[data-type="AUDIT_FAILED"]').innerText()).toContain('sgv_not_null');
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await p.page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      expect(await seriousAccessibilityViolations(p.page)).toEqual([]);
      await p.page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      await saveScreenshot(p.page, 'runs-run-failed');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'runs-failed', failed);
  });
}
