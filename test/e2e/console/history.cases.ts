/** The console's History view in the browser (cases registered into test/e2e/console.test.ts). */
import { expect, it } from 'vitest';
import { saveScreenshot, seriousAccessibilityViolations } from '../../support/console-browser.js';
import type { ConsoleEnv } from './env.js';

async function graphql<T>(env: ConsoleEnv, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(`${env.gateway.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

const FEATURE = 'feature/glucose-categories';
type Head = { hash: string; head: { parentHashes: string[] } } | null;
const heads = (env: ConsoleEnv) =>
  graphql<{ main: Head; dev: Head; feature: Head; v1: Head }>(
    env,
    `{ main: reference(ref: "main") { hash head { parentHashes } } dev: reference(ref: "dev") { hash head { parentHashes } }
       feature: reference(ref: "${FEATURE}") { hash head { parentHashes } } v1: reference(ref: "v1.0") { hash head { parentHashes } } }`,
  );

export function historyCases(env: ConsoleEnv): void {
  it('History: the graph of every branch and tag (main, dev, v1.0, the merged feature branch) with its merge edges; axe clean in both themes', async () => {
    const api = await heads(env);
    const mergeOfFeature = await graphql<{ log: { nodes: { hash: string; parentHashes: string[]; message: string }[] } }>(
      env,
      '{ log(ref: "dev", first: 100) { nodes { hash parentHashes message } } }',
    ).then((d) => d.log.nodes.find((c) => c.parentHashes[1] === api.feature!.hash));
    expect(mergeOfFeature, 'dev has a merge commit of the feature branch').toBeDefined();
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('history');
      const page = p.page;
      const list = page.getByRole('listbox', { name: 'Commits, newest first' });
      await list.waitFor();
      // Each ref is a label on the row of the commit the API says it points at.
      for (const [name, ref] of [['main', api.main], ['dev', api.dev], ['v1.0', api.v1], [FEATURE, api.feature]] as const) {
        const row = list.locator(`li[data-hash="${ref!.hash}"]`);
        await expect.poll(() => row.locator('.ref').allInnerTexts(), { timeout: 20_000 }).toContain(name);
      }
      // The merge of the feature branch: a merge commit whose merged parent is the feature head, with a
      // merge edge drawn into it; its details name the merged parent.
      const mergeRow = list.locator(`li[data-hash="${mergeOfFeature!.hash}"]`);
      expect(await mergeRow.innerText()).toContain(mergeOfFeature!.message);
      expect(await page.locator('svg.commit-graph path.edge.merge').count()).toBeGreaterThanOrEqual(3); // the feature, dev into main, main into dev, runs
      await mergeRow.click();
      const details = page.getByRole('complementary', { name: 'Selected commit' });
      await expect.poll(() => details.locator('h2').innerText()).toBe(mergeOfFeature!.message);
      expect(await details.getByRole('button', { name: `merged ${api.feature!.hash.slice(0, 12)}` }).count()).toBe(1);
      // Keyboard: Down selects the next commit (the first parent side comes later; the next row at least changes).
      await list.press('ArrowDown');
      await expect.poll(() => details.locator('h2').innerText()).not.toBe(mergeOfFeature!.message);
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'history-light');
      await page.getByRole('button', { name: 'Switch between dark and light theme' }).click();
      expect(await seriousAccessibilityViolations(page)).toEqual([]);
      await saveScreenshot(page, 'history-dark');
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'history', failed);
  });

  it('History: a merge dry run from a commit shows what the API answers and changes nothing; then the merge waits for a confirm', async () => {
    const before = await heads(env);
    const api = await graphql<{ merge: { __typename: string; fastForward: boolean; changedKeys: string[] } }>(
      env,
      'mutation { merge(from: "dev", into: "main", dryRun: true) { __typename ... on MergeSuccess { fastForward changedKeys } } }',
    );
    expect(api.merge.__typename).toBe('MergeSuccess');
    const p = await env.page({ theme: 'light' });
    let failed: unknown;
    try {
      await p.open('history');
      const page = p.page;
      await page.locator(`li[data-hash="${before.dev!.hash}"]`).click();
      const details = page.getByRole('complementary', { name: 'Selected commit' });
      await expect.poll(() => details.locator('.refs-here').innerText()).toContain('dev');
      expect(await page.getByLabel('From').inputValue()).toBe('dev');
      await page.getByLabel('Into').selectOption('main');
      await page.getByRole('button', { name: 'Dry run' }).click();
      const result = page.locator('.dry-run');
      await expect.poll(() => result.innerText(), { timeout: 20_000 }).toContain(`Dry run: dev merges into main cleanly${api.merge.fastForward ? ' (a fast-forward)' : ''}.`);
      const shownKeys = await result.locator('code').allInnerTexts();
      expect(shownKeys).toEqual(api.merge.changedKeys.slice(0, 20));
      expect(await page.getByRole('button', { name: 'Merge dev into main' }).isVisible()).toBe(true);
      // Changing the target drops the dry run: a merge is confirmed only for what was tried.
      await page.getByLabel('Into').selectOption(FEATURE);
      expect(await page.getByRole('button', { name: 'Merge dev into main' }).count()).toBe(0);
      expect(await page.getByRole('button', { name: /^Merge dev into/ }).isVisible()).toBe(false);
      const after = await heads(env);
      expect(after.main!.hash).toBe(before.main!.hash);
      expect(after[`feature`]!.hash).toBe(before.feature!.hash);
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'history-merge', failed);
  });

  it('History: a tag created at a commit appears on it (and the API agrees); a branch created through the API appears live', async () => {
    const api = await heads(env);
    const target = api.feature!.head.parentHashes[0]!; // "Document glucose category thresholds", one below the feature head
    const tag = `console-tag-${Date.now()}`;
    const branch = `console-live-${Date.now()}`;
    const p = await env.page({ theme: 'dark' });
    let failed: unknown;
    try {
      await p.open('history');
      const page = p.page;
      const row = page.locator(`li[data-hash="${target}"]`);
      await row.click();
      await page.getByLabel('Name', { exact: true }).fill(tag);
      await page.getByRole('button', { name: 'Create tag' }).click();
      await expect.poll(() => page.getByRole('status').filter({ hasText: tag }).count(), { timeout: 20_000 }).toBe(1);
      await expect.poll(() => row.locator('.ref').allInnerTexts()).toContain(tag);
      expect(await page.locator('.refs-here').innerText()).toContain(tag);
      const created = await graphql<{ tag: { hash: string } | null }>(env, 'query($n: String!) { tag(name: $n) { hash } }', { n: tag });
      expect(created.tag?.hash).toBe(target);

      // Someone else creates a branch at dev's head: its label appears without a reload.
      const res = await graphql<{ createBranch: { __typename: string } }>(env, 'mutation($n: String!) { createBranch(name: $n, from: "dev") { __typename } }', { n: branch });
      expect(res.createBranch.__typename).toBe('CreateBranchSuccess');
      const devRow = page.locator(`li[data-hash="${api.dev!.hash}"]`);
      await expect.poll(() => devRow.locator('.ref').allInnerTexts(), { timeout: 20_000 }).toContain(branch);
      // And it goes away live when deleted (the demo keeps only its own refs).
      await graphql(env, 'mutation($n: String!) { deleteBranch(name: $n) { __typename } deleteTag(name: $m) { __typename } }'.replace('$n: String!)', '$n: String!, $m: String!)'), { n: branch, m: tag });
      await expect.poll(() => devRow.locator('.ref').allInnerTexts(), { timeout: 20_000 }).not.toContain(branch);
      await expect.poll(() => row.locator('.ref').allInnerTexts(), { timeout: 20_000 }).not.toContain(tag);
    } catch (e) {
      failed = e;
    }
    await env.done(p, 'history-refs', failed);
  });
}
