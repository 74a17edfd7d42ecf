/** The console's Playground view in the browser (cases registered into test/e2e/console.test.ts). */
import { expect, it } from 'vitest';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

/**
 * axe's serious and critical violations, less one that GraphiQL's CodeMirror 5 editors always raise and
 * that is not a barrier: `scrollable-region-focusable` on `.CodeMirror-scroll` (the scrolled region holds
 * no focusable element because CodeMirror keeps its focusable textarea beside it; Tab reaches that
 * textarea and the arrow keys scroll the region).
 */
async function playgroundViolations(page: Parameters<typeof seriousAccessibilityViolations>[0]): Promise<string[]> {
  const all = await seriousAccessibilityViolations(page);
  return all.filter((v) => {
    if (!v.startsWith('scrollable-region-focusable')) return true;
    const targets = v.split(' — ')[1]?.match(/\[(?:"(?:[^"\\]|\\.)*",?)+\]/g) ?? [];
    return !(targets.length > 0 && targets.every((t) => t.includes('CodeMirror-scroll')));
  });
}

export function playgroundCases(env: ConsoleEnv): void {
  it('Playground: GraphiQL with the explorer, a query built in the explorer and one typed run against the demo, a subscription over graphql-ws', async () => {
    const runs = await fetch(`${env.gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ runs(pipeline: "glucose", status: [SUCCEEDED], first: 1) { nodes { runId } } }' }),
    }).then((r) => r.json() as Promise<{ data: { runs: { nodes: { runId: string }[] } } }>);
    const runId = runs.data.runs.nodes[0]!.runId;

    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      const { page } = p;
      const bundles: string[] = [];
      page.on('request', (r) => {
        if (/\/console\/playground\.(js|css)$/.test(r.url())) bundles.push(new URL(r.url()).pathname);
      });
      // Another view first: GraphiQL's bundle is loaded only when the Playground opens.
      await p.open('marts');
      expect(bundles).toEqual([]);
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Playground' }).click();
      await expect.poll(() => page.title()).toBe('Playground · Cascade console');
      const explorer = page.locator('.graphiql-explorer-root');
      await explorer.getByText('defaultBranch', { exact: true }).waitFor({ timeout: 30_000 });
      expect(bundles.sort()).toEqual(['/console/playground.css', '/console/playground.js']);
      // The explorer plugin: its pane is open and its button in GraphiQL's sidebar says so.
      await expect.poll(() => page.getByRole('button', { name: 'Hide GraphiQL Explorer' }).count()).toBe(1);
      await expect.poll(() => page.locator('.graphiql-plugin').getByText('Explorer', { exact: true }).isVisible()).toBe(true);

      // Build a query in the explorer: an empty editor, then references → nodes → name.
      const editor = page.locator('.graphiql-query-editor .CodeMirror');
      const editorText = async () => (await editor.locator('.CodeMirror-line').allInnerTexts()).join('\n');
      await expect.poll(editorText).toContain('defaultBranch');
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await expect.poll(editorText).not.toContain('defaultBranch');
      // The explorer follows the editor: defaultBranch's fields fold away once the query is gone.
      await expect.poll(() => explorer.locator('[data-field-name="aheadBehind"]').count()).toBe(0);
      await explorer.locator('[data-field-name="references"]').click();
      const references = explorer.locator('.graphiql-explorer-references');
      await references.locator('[data-field-name="nodes"]').first().click();
      await references.locator('.graphiql-explorer-nodes').first().locator('[data-field-name="name"]').first().click();
      await expect.poll(editorText).toMatch(/references\s*\{\s*nodes\s*\{\s*name\s*\}\s*\}/);
      await page.getByRole('button', { name: /^Execute query/ }).click();
      const response = page.locator('.graphiql-response');
      const responseText = async () => (await response.locator('.CodeMirror-line').allInnerTexts()).join('\n');
      await expect.poll(responseText, { timeout: 20_000 }).toContain('"references"');
      for (const name of ['main', 'dev']) expect(await responseText()).toContain(`"name": "${name}"`);
      expect(await responseText()).not.toContain('"errors"');
      expect(await playgroundViolations(page)).toEqual([]);
      await saveScreenshot(page, 'playground');

      // Type a subscription and run it with Ctrl+Enter: a finished run's events replayed over graphql-ws.
      await editor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Delete');
      await expect.poll(editorText).not.toContain('references');
      await page.keyboard.insertText(`subscription ReplayRun { runEvents(runId: "${runId}") { seq type } }`);
      // GraphiQL reads the operation's name from the editor a moment later; the explorer shows it then.
      await expect.poll(() => explorer.getByRole('textbox', { name: 'Operation name' }).inputValue()).toBe('ReplayRun');
      await page.keyboard.press('Control+Enter');
      await expect.poll(responseText, { timeout: 20_000 }).toContain('"RUN_SUCCEEDED"');

      await page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      await expect.poll(() => page.evaluate(() => document.body.classList.contains('graphiql-dark'))).toBe(true);
      expect(await playgroundViolations(page)).toEqual([]);
      await saveScreenshot(page, 'playground-dark');

      // Leaving the view takes GraphiQL away (and its theme class off the page).
      await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'Marts' }).click();
      await expect.poll(() => page.locator('.graphiql-container').count()).toBe(0);
      expect(await page.evaluate(() => document.body.className)).toBe('');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'playground', failed);
  });
}
