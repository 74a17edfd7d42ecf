/**
 * Crash safety: SIGKILL the gateway process during a stream of commits and merges, restart it on
 * the same CASCADE_HOME, and check that every ref points to a complete commit and that log, diff,
 * entries and merge still work. Three kill/restart cycles.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/services.js';
import { postGraphql, startGatewayProcess } from '../support/process.js';

const startProcess = (home: string, port: number) => startGatewayProcess({ CASCADE_HOME: home }, port, 60_000);


const NS = `mutation($b: String!, $n: String!) { createNamespace(branch: $b, name: $n) { __typename } }`;
const MERGE = `mutation($f: String!, $i: String!) { merge(from: $f, into: $i) { __typename } }`;
const BRANCH = `mutation($n: String!, $f: String) { createBranch(name: $n, from: $f) { __typename } }`;

describe('crash safety (SIGKILL during writes)', () => {
  const homes: string[] = [];
  let current: ChildProcess | undefined;
  afterAll(async () => {
    current?.kill('SIGKILL');
    for (const h of homes) await fs.rm(h, { recursive: true, force: true });
  });

  it('leaves every ref on a complete commit across three kill/restart cycles', { timeout: 300_000 }, async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-crash-'));
    homes.push(home);
    const port = await freePort();
    let n = 0;
    for (let cycle = 0; cycle < 3; cycle++) {
      const gw = await startProcess(home, port);
      current = gw.child;
      // After a restart everything must still work, including writes.
      await verify(gw.url, cycle);
      const writer = async (id: number) => {
        const branch = `w${cycle}-${id}`;
        await postGraphql(gw.url, BRANCH, { n: branch, f: 'main' });
        for (;;) {
          n++;
          await postGraphql(gw.url, NS, { b: branch, n: `n${cycle}_${id}_${n}` });
          await postGraphql(gw.url, MERGE, { f: branch, i: 'main' });
        }
      };
      const writers = [0, 1, 2, 3].map((i) => writer(i).catch(() => undefined));
      await new Promise((r) => setTimeout(r, 1500 + Math.floor(Math.random() * 1500)));
      gw.child.kill('SIGKILL');
      await new Promise((r) => gw.child.once('exit', r));
      await Promise.all(writers);
    }
    expect(n, 'writes were in flight when the gateway was killed').toBeGreaterThan(12);
    const gw = await startProcess(home, port);
    current = gw.child;
    await verify(gw.url, 99);
    const log = await postGraphql(gw.url, `{ log(ref: "main", first: 1000) { nodes { hash } } }`);
    expect(log.data.log.nodes.length).toBeGreaterThan(6);
    gw.child.kill('SIGTERM');
    await new Promise((r) => gw.child.once('exit', r));
  });
});

async function verify(url: string, cycle: number) {
  const refs = await postGraphql(url, `{ references(first: 1000) { nodes { name hash head { hash parentHashes } } } }`);
  expect(refs.errors).toBeUndefined();
  for (const ref of refs.data.references.nodes) {
    expect(ref.head.hash, `ref ${ref.name} points to a commit that can be read`).toBe(ref.hash);
    const body = await postGraphql(
      url,
      `query($r: String!) { log(ref: $r, first: 1000) { nodes { hash } } diff(from: "main", to: $r) { entries { key } } reference(ref: $r) { ... on Branch { entries(first: 1000) { nodes { key } } } } }`,
      { r: ref.name },
    );
    expect(body.errors, `log/diff/entries of ${ref.name}`).toBeUndefined();
  }
  const probe = `probe-${cycle}`;
  expect((await postGraphql(url, BRANCH, { n: probe, f: 'main' })).data.createBranch.__typename).toBe('CreateBranchSuccess');
  expect((await postGraphql(url, NS, { b: probe, n: `probe${cycle}` })).data.createNamespace.__typename).toBe('CreateNamespaceSuccess');
  expect((await postGraphql(url, MERGE, { f: probe, i: 'main' })).data.merge.__typename).toBe('MergeSuccess');
}
