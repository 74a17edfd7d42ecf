/**
 * The ref-head cache (src/adapters/version-store/ref-cache.ts) never shows an old head: on embedded PGlite a
 * branch moved through the API is seen by the very next query, and on PostgreSQL (no cache) two
 * gateway instances on one database see each other's moves at once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RefCachedStore } from '../../src/adapters/version-store/ref-cache.js';
import { startGateway, type Gateway } from '../support/gateway.js';
import { createTestDatabase } from '../support/services.js';

const RUN = randomBytes(3).toString('hex');
let seq = 0;
const unique = (label: string) => `rc-${RUN}-${++seq}-${label}`;

const CREATE_BRANCH = `mutation($name: String!, $from: String) {
  createBranch(name: $name, from: $from) { __typename ... on CreateBranchSuccess { branch { name hash } } ... on Error { code message } }
}`;
const CREATE_NS = `mutation($branch: String!, $name: String!) {
  createNamespace(branch: $branch, name: $name) { __typename ... on CreateNamespaceSuccess { branch { name hash } } ... on Error { code message } }
}`;
const ASSIGN = `mutation($name: String!, $to: String!) {
  assignBranch(name: $name, to: $to) { __typename ... on AssignBranchSuccess { branch { name hash } } ... on Error { code message } }
}`;
const DELETE = `mutation($name: String!) {
  deleteBranch(name: $name) { __typename ... on DeleteBranchSuccess { name hash } ... on Error { code message } }
}`;
const MERGE = `mutation($from: String!, $into: String!) {
  merge(from: $from, into: $into) { __typename ... on MergeSuccess { hash applied } ... on Error { code message } }
}`;
/** The head as the two read paths see it: getReference (branch) and resolve of a plain name (reference). */
const HEADS = `query($n: String!) { branch(name: $n) { hash } reference(ref: $n) { hash } defaultBranch { name hash } }`;

async function heads(g: Gateway, name: string): Promise<{ branch: string | null; reference: string | null; main: string }> {
  const d = await g.data(HEADS, { n: name });
  return { branch: d.branch?.hash ?? null, reference: d.reference?.hash ?? null, main: d.defaultBranch.hash };
}

async function createBranch(g: Gateway, name: string, from?: string): Promise<string> {
  const r = await g.data(CREATE_BRANCH, { name, from });
  expect(r.createBranch.__typename, JSON.stringify(r)).toBe('CreateBranchSuccess');
  return r.createBranch.branch.hash;
}

async function commit(g: Gateway, branch: string): Promise<string> {
  const r = await g.data(CREATE_NS, { branch, name: unique('ns').replace(/-/g, '_') });
  expect(r.createNamespace.__typename, JSON.stringify(r)).toBe('CreateNamespaceSuccess');
  return r.createNamespace.branch.hash;
}

describe('ref-head cache on embedded PGlite', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway();
  });
  afterAll(async () => {
    await g?.stop();
  });

  it('serves heads from the cache and shows every move made through the API at once', async () => {
    const store = g.app.ports.store as RefCachedStore;
    expect(store.refCacheStats, 'the embedded PGlite store is cached').toBeDefined();
    const b = unique('b');
    const start = await createBranch(g, b);
    expect(await heads(g, b)).toMatchObject({ branch: start, reference: start });
    const hitsBefore = store.refCacheStats.hits;
    expect(await heads(g, b)).toMatchObject({ branch: start, reference: start });
    expect(store.refCacheStats.hits, 'a repeated read is a cache hit').toBeGreaterThan(hitsBefore);

    // A commit.
    const c1 = await commit(g, b);
    expect(c1).not.toBe(start);
    expect(await heads(g, b)).toMatchObject({ branch: c1, reference: c1 });

    // An assignment back.
    const a = await g.data(ASSIGN, { name: b, to: `@${start}` });
    expect(a.assignBranch.__typename, JSON.stringify(a)).toBe('AssignBranchSuccess');
    expect(await heads(g, b)).toMatchObject({ branch: start, reference: start });

    // A merge into the default branch moves main.
    const main0 = (await heads(g, b)).main;
    const c2 = await commit(g, b);
    const m = await g.data(MERGE, { from: b, into: 'main' });
    expect(m.merge.__typename, JSON.stringify(m)).toBe('MergeSuccess');
    expect(m.merge.applied).toBe(true);
    const after = await heads(g, 'main');
    expect(after.main).not.toBe(main0);
    expect(after.main).toBe(m.merge.hash);
    expect(after.branch).toBe(m.merge.hash);
    expect(c2).not.toBe(start);

    // Deleted, then created again elsewhere.
    const d = await g.data(DELETE, { name: b });
    expect(d.deleteBranch.__typename, JSON.stringify(d)).toBe('DeleteBranchSuccess');
    expect(await heads(g, b)).toMatchObject({ branch: null, reference: null });
    const again = await createBranch(g, b, 'main');
    expect(again).toBe(m.merge.hash);
    expect(await heads(g, b)).toMatchObject({ branch: again, reference: again });
  });

  it('stays right under concurrent moves and reads', async () => {
    const b = unique('race');
    await createBranch(g, b);
    for (let i = 0; i < 5; i++) {
      // Reads in flight while the branch moves; the read after the move must see the move.
      const reads = Array.from({ length: 10 }, () => heads(g, b));
      const moved = await commit(g, b);
      await Promise.all(reads);
      expect((await heads(g, b)).branch).toBe(moved);
    }
  });
});

describe('two gateway instances on one PostgreSQL database', () => {
  let a: Gateway;
  let b: Gateway;
  beforeAll(async () => {
    const url = await createTestDatabase(inject('databaseUrl'), 'refcache');
    a = await startGateway({ DATABASE_URL: url });
    b = await startGateway({ DATABASE_URL: url });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('each sees the other instance’s moves on the next query', async () => {
    const name = unique('pg');
    const start = await createBranch(a, name);
    expect(await heads(b, name)).toMatchObject({ branch: start, reference: start });
    expect(await heads(b, name)).toMatchObject({ branch: start, reference: start });

    const c1 = await commit(a, name);
    expect(await heads(b, name)).toMatchObject({ branch: c1, reference: c1 });
    const c2 = await commit(b, name);
    expect(await heads(a, name)).toMatchObject({ branch: c2, reference: c2 });

    const main0 = (await heads(b, name)).main;
    const m = await a.data(MERGE, { from: name, into: 'main' });
    expect(m.merge.__typename, JSON.stringify(m)).toBe('MergeSuccess');
    const seen = await heads(b, name);
    expect(seen.main).toBe(m.merge.hash);
    expect(seen.main).not.toBe(main0);

    const d = await b.data(DELETE, { name });
    expect(d.deleteBranch.__typename, JSON.stringify(d)).toBe('DeleteBranchSuccess');
    expect(await heads(a, name)).toMatchObject({ branch: null, reference: null });
  });
});
