/**
 * Concurrency through GraphQL (acceptance): 20 clients commit to one branch at once, each with the
 * head it read; exactly one wins per head, every other call gets ReferenceConflict, and the log holds
 * exactly one commit per successful call. The same for 20 concurrent merges into one branch.
 * (The contract suite proves the same at the port level on PGlite, PostgreSQL and Nessie.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';

const NS = `mutation($b: String!, $n: String!, $h: String) { createNamespace(branch: $b, name: $n, expectedHash: $h) { __typename ... on CreateNamespaceSuccess { commit { hash } } ... on ReferenceConflict { expectedHash actualHash } } }`;
const MERGE = `mutation($f: String!, $i: String!, $h: String) { merge(from: $f, into: $i, expectedHash: $h) { __typename ... on MergeSuccess { hash } ... on ReferenceConflict { expectedHash actualHash } } }`;

describe('concurrent writers through GraphQL (embedded store)', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway();
  });
  afterAll(async () => g?.stop());

  const head = async (b: string) => (await g.data(`query($b: String!) { branch(name: $b) { hash } }`, { b })).branch.hash as string;
  const logLength = async (b: string) => (await g.data(`query($b: String!) { log(ref: $b, first: 1000) { nodes { hash } } }`, { b })).log.nodes.length as number;

  it('20 concurrent commits with the same expected head: one wins per head, the rest get ReferenceConflict', async () => {
    await g.data(`mutation { createBranch(name: "race") { __typename } }`);
    let wins = 0;
    for (let round = 0; round < 3; round++) {
      const expected = await head('race');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => g.data(NS, { b: 'race', n: `r${round}_${i}`, h: expected })),
      );
      const kinds = results.map((r) => r.createNamespace.__typename);
      expect(kinds.filter((k) => k === 'CreateNamespaceSuccess')).toHaveLength(1);
      expect(kinds.filter((k) => k === 'ReferenceConflict')).toHaveLength(19);
      const winner = results.find((r) => r.createNamespace.__typename === 'CreateNamespaceSuccess')!;
      for (const r of results.filter((x) => x !== winner)) expect(r.createNamespace.expectedHash).toBe(expected);
      expect(await head('race')).toBe(winner.createNamespace.commit.hash);
      wins++;
    }
    expect(await logLength('race')).toBe(wins);
  });

  it('20 concurrent merges into one branch with the same expected head: exactly one wins', async () => {
    await g.data(`mutation { createBranch(name: "merge-target") { __typename } }`);
    await g.data(NS, { b: 'merge-target', n: 'base' });
    for (let i = 0; i < 20; i++) {
      await g.data(`mutation($n: String!) { createBranch(name: $n, from: "merge-target") { __typename } }`, { n: `src-${i}` });
      await g.data(NS, { b: `src-${i}`, n: `base.s${i}` });
    }
    await g.data(NS, { b: 'merge-target', n: 'moved' }); // so every merge is a real three-way merge
    const before = await logLength('merge-target');
    const expected = await head('merge-target');
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => g.data(MERGE, { f: `src-${i}`, i: 'merge-target', h: expected })));
    const kinds = results.map((r) => r.merge.__typename);
    expect(kinds.filter((k) => k === 'MergeSuccess')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'ReferenceConflict')).toHaveLength(19);
    expect(await logLength('merge-target')).toBe(before + 1);
  });
});
