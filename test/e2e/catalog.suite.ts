/**
 * GraphQL end-to-end over real HTTP, graphql-ws and SSE, shared by every version-store backend.
 * Every test works on its own uniquely named branches so it can run on a shared Nessie server.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { readSse } from '../support/sse.js';

const RUN = randomBytes(3).toString('hex');
let seq = 0;
const unique = (label: string) => `e2e-${RUN}-${++seq}-${label}`;

const CREATE_BRANCH = `mutation($name: String!, $from: String) {
  createBranch(name: $name, from: $from) {
    __typename
    ... on CreateBranchSuccess { branch { name hash protected } }
    ... on Error { code message }
    ... on InvalidInput { field }
  }
}`;
const CREATE_NS = `mutation($branch: String!, $name: String!, $expectedHash: String) {
  createNamespace(branch: $branch, name: $name, expectedHash: $expectedHash) {
    __typename
    ... on CreateNamespaceSuccess { branch { name hash } commit { hash message author parentHashes operations { type key contentType } } }
    ... on ReferenceConflict { expectedHash actualHash }
    ... on Error { code message }
  }
}`;
const MERGE = `mutation($from: String!, $into: String!, $expectedHash: String, $dryRun: Boolean, $defaultBehavior: MergeBehavior, $keyBehaviors: [KeyMergeMode!], $message: String) {
  merge(from: $from, into: $into, expectedHash: $expectedHash, dryRun: $dryRun, defaultBehavior: $defaultBehavior, keyBehaviors: $keyBehaviors, message: $message) {
    __typename
    ... on MergeSuccess { hash previousHash commonAncestor fastForward applied changedKeys }
    ... on MergeConflict { commonAncestor conflicts { key type message } }
    ... on ReferenceConflict { expectedHash actualHash }
    ... on Error { code message }
  }
}`;
const ASSIGN = `mutation($name: String!, $to: String!, $expectedHash: String) {
  assignBranch(name: $name, to: $to, expectedHash: $expectedHash) {
    __typename
    ... on AssignBranchSuccess { branch { name hash } }
    ... on ReferenceConflict { expectedHash actualHash }
    ... on Error { code message }
  }
}`;
// This run's refs and the default branch (a shared Nessie server also holds other tests' refs).
const OWN_REFS = `query($p: String!) { references(first: 1000, nameStartsWith: $p) { nodes { name type hash } } defaultBranch { name hash } }`;

export interface E2EOptions {
  env: () => Record<string, string>;
  /** Name of the branch the subscription tests move ("main" on a private store). */
  targetBranch: (g: Gateway) => Promise<string>;
  /** Runs before the gateway starts (e.g. to create a database). */
  before?: () => Promise<void>;
}

export function describeCatalogE2E(name: string, opts: E2EOptions) {
  describe(`GraphQL catalog end-to-end on ${name}`, () => {
    let g: Gateway;
    beforeAll(async () => {
      await opts.before?.();
      g = await startGateway(opts.env());
    });
    afterAll(async () => {
      await g?.stop();
    });

    const head = async (branch: string): Promise<string> =>
      (await g.data(`query($n: String!) { branch(name: $n) { hash } }`, { n: branch })).branch.hash;

    /** A fresh branch off the default branch holding namespace `ns` (so tables can be added). */
    async function branchWithNamespace(label: string, ns = 'layer') {
      const branch = unique(label);
      const created = await g.data(CREATE_BRANCH, { name: branch });
      expect(created.createBranch.__typename).toBe('CreateBranchSuccess');
      const r = await g.data(CREATE_NS, { branch, name: `${ns}${RUN}` });
      expect(r.createNamespace.__typename).toBe('CreateNamespaceSuccess');
      return { branch, ns: `${ns}${RUN}`, hash: r.createNamespace.branch.hash as string };
    }

    it('creates, lists, reads, tags, assigns and deletes references', async () => {
      const a = unique('a');
      const created = await g.data(CREATE_BRANCH, { name: a });
      expect(created.createBranch.__typename).toBe('CreateBranchSuccess');
      const def = await g.data(`{ defaultBranch { name hash protected } }`);
      expect(created.createBranch.branch.hash).toBe(def.defaultBranch.hash);
      expect(def.defaultBranch.protected).toBe(true);
      expect(created.createBranch.branch.protected).toBe(false);

      const dup = await g.data(CREATE_BRANCH, { name: a });
      expect(dup.createBranch).toMatchObject({ __typename: 'AlreadyExists', code: 'ALREADY_EXISTS' });

      const { branch: b, hash, ns: bNs } = await branchWithNamespace('b');
      const nsAgain = await g.data(CREATE_NS, { branch: b, name: bNs });
      expect(nsAgain.createNamespace).toEqual({ __typename: 'AlreadyExists', code: 'ALREADY_EXISTS', message: `'${bNs}' already exists on branch '${b}' (a namespace or a table)` });
      const tag = unique('t');
      const t = await g.data(
        `mutation($n: String!, $f: String!) { createTag(name: $n, from: $f) { __typename ... on CreateTagSuccess { tag { name hash type } } } }`,
        { n: tag, f: b },
      );
      expect(t.createTag.tag).toEqual({ name: tag, hash, type: 'TAG' });

      // paging over references with a prefix
      const prefix = `e2e-${RUN}-`;
      const seen: string[] = [];
      let after: string | null = null;
      for (let i = 0; i < 10; i++) {
        const page: any = await g.data(
          `query($p: String!, $after: String) { references(nameStartsWith: $p, first: 1, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }`,
          { p: prefix, after },
        );
        seen.push(...page.references.edges.map((e: any) => e.node.name));
        if (!page.references.pageInfo.hasNextPage) break;
        after = page.references.pageInfo.endCursor;
      }
      expect(seen).toEqual([...seen].sort());
      expect(seen).toEqual(expect.arrayContaining([a, b, tag]));

      const tagsOnly = await g.data(`query($p: String!) { references(type: TAG, nameStartsWith: $p) { nodes { __typename name } } }`, { p: prefix });
      expect(tagsOnly.references.nodes.every((n: any) => n.__typename === 'Tag')).toBe(true);

      // node(id) round trip for a branch and a commit
      const ids = await g.data(`query($n: String!) { branch(name: $n) { id head { id hash } } }`, { n: b });
      const node = await g.data(`query($id: ID!, $c: ID!) { b: node(id: $id) { __typename ... on Branch { name } } c: node(id: $c) { ... on Commit { hash } } }`, {
        id: ids.branch.id,
        c: ids.branch.head.id,
      });
      expect(node).toEqual({ b: { __typename: 'Branch', name: b }, c: { hash } });
      // ids of a commit or a branch that does not exist are null, as commit(hash:) and branch(name:) answer
      const gid = (raw: string) => Buffer.from(raw).toString('base64');
      const gone = await g.gql(`query($c: ID!, $b: ID!) { c: node(id: $c) { id } b: node(id: $b) { id } }`, { c: gid(`Commit:${'ab'.repeat(32)}`), b: gid(`Branch:no-such-${RUN}`) });
      expect(gone).toEqual({ data: { c: null, b: null } });
      // an id naming a type that is no node (or none at all) is INVALID_INPUT, in the API's words
      for (const raw of ['Nope:1', 'MartColumn:x', 'Query:x']) {
        const bad = await g.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: gid(raw) });
        expect(bad.errors?.[0]?.extensions?.code, raw).toBe('INVALID_INPUT');
        expect(bad.errors?.[0]?.message, raw).toMatch(/is not the id of a node: ids name a Branch, Tag, Commit/);
      }

      // assign with a stale expected hash changes nothing; with the right one it moves
      const stale = await g.data(ASSIGN, { name: a, to: b, expectedHash: hash });
      expect(stale.assignBranch).toMatchObject({ __typename: 'ReferenceConflict', expectedHash: hash, actualHash: def.defaultBranch.hash });
      const moved = await g.data(ASSIGN, { name: a, to: b, expectedHash: def.defaultBranch.hash });
      expect(moved.assignBranch.branch.hash).toBe(hash);

      const del = await g.data(
        `mutation($n: String!, $h: String) { deleteBranch(name: $n, expectedHash: $h) { __typename ... on DeleteBranchSuccess { name hash } ... on Error { code } } }`,
        { n: a, h: hash },
      );
      expect(del.deleteBranch).toEqual({ __typename: 'DeleteBranchSuccess', name: a, hash });
      expect((await g.data(`query($n: String!) { branch(name: $n) { name } }`, { n: a })).branch).toBeNull();
      const delTag = await g.data(`mutation($n: String!) { deleteTag(name: $n) { __typename ... on DeleteTagSuccess { name } } }`, { n: tag });
      expect(delTag.deleteTag).toEqual({ __typename: 'DeleteTagSuccess', name: tag });
    });

    it('reads logs with paging and filters, commits, ref expressions and diffs', async () => {
      const { branch, ns } = await branchWithNamespace('log');
      const hashes: string[] = [];
      for (const part of ['one', 'two', 'three']) {
        const r = await g.data(CREATE_NS, { branch, name: `${ns}.${part}` });
        hashes.push(r.createNamespace.commit.hash);
        expect(r.createNamespace.commit.operations).toEqual([{ type: 'PUT', key: `${ns}.${part}`, contentType: 'NAMESPACE' }]);
      }
      const log = await g.data(`query($r: String!) { log(ref: $r, first: 2) { nodes { hash message author } pageInfo { hasNextPage endCursor } } }`, { r: branch });
      expect(log.log.nodes.map((c: any) => c.hash)).toEqual([hashes[2], hashes[1]]);
      expect(log.log.pageInfo.hasNextPage).toBe(true);
      const next = await g.data(`query($r: String!, $a: String) { log(ref: $r, first: 1, after: $a) { nodes { hash } } }`, {
        r: branch,
        a: log.log.pageInfo.endCursor,
      });
      expect(next.log.nodes[0].hash).toBe(hashes[0]);

      const filtered = await g.data(
        `query($r: String!, $f: CommitFilter) { log(ref: $r, first: 10, filter: $f) { nodes { hash } } }`,
        { r: branch, f: { touchesKey: `${ns}.two` } },
      );
      expect(filtered.log.nodes.map((c: any) => c.hash)).toEqual([hashes[1]]);
      const byMessage = await g.data(
        `query($r: String!, $f: CommitFilter) { log(ref: $r, first: 10, filter: $f) { nodes { hash } } }`,
        { r: branch, f: { messageContains: `${ns}.THREE`.toLowerCase() } },
      );
      expect(byMessage.log.nodes.map((c: any) => c.hash)).toEqual([hashes[2]]);

      const exprs = await g.data(
        `query($a: String!, $b: String!, $c: String!) { a: reference(ref: $a) { name hash } b: reference(ref: $b) { hash } c: reference(ref: $c) { hash } }`,
        { a: `${branch}~2`, b: `${branch}@${hashes[1]}`, c: `${branch}*${new Date(Date.now() + 60_000).toISOString()}` },
      );
      expect(exprs).toEqual({ a: { name: branch, hash: hashes[0] }, b: { hash: hashes[1] }, c: { hash: hashes[2] } });

      const commit = await g.data(`query($h: String!) { commit(hash: $h) { hash parentHashes message commitTime properties } }`, { h: hashes[1] });
      expect(commit.commit.parentHashes[0]).toBe(hashes[0]);

      const diff = await g.data(`query($f: String!, $t: String!) { diff(from: $f, to: $t) { fromHash toHash entries { key change contentType } } }`, {
        f: `${branch}~2`,
        t: branch,
      });
      expect(diff.diff).toEqual({
        fromHash: hashes[0],
        toHash: hashes[2],
        entries: [
          { key: `${ns}.three`, change: 'ADDED', contentType: 'NAMESPACE' },
          { key: `${ns}.two`, change: 'ADDED', contentType: 'NAMESPACE' },
        ],
      });

      const entries = await g.data(`query($n: String!, $ns: String) { branch(name: $n) { entries(namespace: $ns) { nodes { key namespace name contentType } } } }`, { n: branch, ns });
      expect(entries.branch.entries.nodes.map((e: any) => e.key)).toEqual([`${ns}.one`, `${ns}.three`, `${ns}.two`]);
      expect(entries.branch.entries.nodes[0]).toMatchObject({ namespace: ns, name: 'one', contentType: 'NAMESPACE' });
    });

    it('merges: fast-forward, three-way, dry run, conflicts with a per-key report, behaviours, cherry-pick', async () => {
      const { branch: target, ns } = await branchWithNamespace('target');
      const feature = unique('feature');
      await g.data(CREATE_BRANCH, { name: feature, from: target });
      await g.data(CREATE_NS, { branch: feature, name: `${ns}.fromfeature` });

      const ff = await g.data(MERGE, { from: feature, into: target });
      expect(ff.merge).toMatchObject({ __typename: 'MergeSuccess', fastForward: true, applied: true, hash: await head(feature) });

      // Both sides change the same table differently → conflict, nothing changes. (Table content is
      // put through the store directly here; table mutations come with the tables API.)
      const putTable = (branch: string, location: string) =>
        g.app.ports.store.commit(branch as never, undefined, { message: `table at ${location}`, author: 'e2e' }, [
          { type: 'PUT', key: `${ns}.both`, content: { type: 'ICEBERG_TABLE', metadataLocation: location, snapshotId: '1', schemaId: 0, specId: 0, sortOrderId: 0 } },
        ]);
      await putTable(feature, 'file:///feature/v1.metadata.json');
      await putTable(target, 'file:///target/v1.metadata.json');
      const before = await head(target);
      const conflict = await g.data(MERGE, { from: feature, into: target });
      expect(conflict.merge.__typename).toBe('MergeConflict');
      expect(conflict.merge.conflicts).toEqual([expect.objectContaining({ key: `${ns}.both`, type: 'KEY_EXISTS' })]);
      expect(await head(target)).toBe(before);

      const dry = await g.data(MERGE, { from: feature, into: target, dryRun: true, defaultBehavior: 'FORCE' });
      expect(dry.merge).toMatchObject({ __typename: 'MergeSuccess', applied: false });
      expect(await head(target)).toBe(before);

      const forced = await g.data(MERGE, { from: feature, into: target, keyBehaviors: [{ key: `${ns}.both`, behavior: 'FORCE' }], message: 'force it' });
      expect(forced.merge).toMatchObject({ __typename: 'MergeSuccess', applied: true, fastForward: false, previousHash: before });
      const mergeCommit = await g.data(`query($h: String!) { commit(hash: $h) { parentHashes message } }`, { h: forced.merge.hash });
      expect(mergeCommit.commit.parentHashes).toEqual([before, await head(feature)]);
      expect(mergeCommit.commit.message).toBe('force it');

      // cherry-pick one commit from another branch
      const other = unique('other');
      await g.data(CREATE_BRANCH, { name: other, from: target });
      const picked = await g.data(CREATE_NS, { branch: other, name: `${ns}.picked` });
      const cp = await g.data(
        `mutation($h: [String!]!, $i: String!) { cherryPick(hashes: $h, into: $i) { __typename ... on MergeSuccess { hash applied } ... on Error { code message } } }`,
        { h: [picked.createNamespace.commit.hash], i: feature },
      );
      expect(cp.cherryPick).toMatchObject({ __typename: 'MergeSuccess', applied: true });
      const keys = await g.data(`query($n: String!, $ns: String) { branch(name: $n) { entries(namespace: $ns) { nodes { key } } } }`, { n: feature, ns });
      expect(keys.branch.entries.nodes.map((e: any) => e.key)).toContain(`${ns}.picked`);

      const ab = await g.data(`query($n: String!, $b: String) { branch(name: $n) { aheadBehind(base: $b) { ahead behind commonAncestor } } }`, { n: feature, b: target });
      expect(ab.branch.aheadBehind.ahead).toBeGreaterThanOrEqual(1);
    });

    it('rejects bad input with typed errors and changes nothing', async () => {
      const { branch } = await branchWithNamespace('bad');
      const refsBefore = await g.data(OWN_REFS, { p: `e2e-${RUN}-` });
      const checks: [string, Record<string, unknown>, string, string][] = [
        [CREATE_BRANCH, { name: '../evil' }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: 'a..b' }, 'createBranch', 'INVALID_INPUT'],
        // reserved by Nessie, so by both catalogs
        [CREATE_BRANCH, { name: 'HEAD' }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: 'detached' }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: 'deadbeef' }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: 'x'.repeat(300) }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: unique('x'), from: 'main@@@' }, 'createBranch', 'INVALID_INPUT'],
        [CREATE_BRANCH, { name: unique('x'), from: `no-such-${RUN}` }, 'createBranch', 'NOT_FOUND'],
        [CREATE_BRANCH, { name: unique('x'), from: `@${'ab'.repeat(32)}` }, 'createBranch', 'NOT_FOUND'],
        [MERGE, { from: branch, into: branch }, 'merge', 'INVALID_INPUT'],
        [MERGE, { from: branch, into: `no-such-${RUN}` }, 'merge', 'NOT_FOUND'],
        [MERGE, { from: branch, into: branch, expectedHash: 'not-a-hash' }, 'merge', 'INVALID_INPUT'],
        [MERGE, { from: `${branch}~99999`, into: branch }, 'merge', 'NOT_FOUND'],
        [MERGE, { from: branch, into: `x${RUN}`, message: 'm'.repeat(20_000) }, 'merge', 'INVALID_INPUT'],
        [CREATE_NS, { branch, name: 'bad name' }, 'createNamespace', 'INVALID_INPUT'],
        [CREATE_NS, { branch, name: 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q' }, 'createNamespace', 'INVALID_INPUT'],
        [CREATE_NS, { branch, name: `missingparent${RUN}.child` }, 'createNamespace', 'NOT_FOUND'],
        [CREATE_NS, { branch, name: `ns${RUN}`, expectedHash: '1234' }, 'createNamespace', 'INVALID_INPUT'],
        [ASSIGN, { name: branch, to: `@${'cd'.repeat(32)}` }, 'assignBranch', 'NOT_FOUND'],
      ];
      for (const [query, variables, field, code] of checks) {
        const body = await g.gql(query, variables);
        expect(body.errors, `${field} ${JSON.stringify(variables).slice(0, 80)}`).toBeUndefined();
        expect(body.data[field], `${field} ${JSON.stringify(variables).slice(0, 80)}`).toMatchObject({ code });
      }
      const def = (await g.data(`{ defaultBranch { name } }`)).defaultBranch.name;
      const delDefault = await g.data(`mutation($n: String!) { deleteBranch(name: $n) { __typename ... on Error { code } } }`, { n: def });
      expect(delDefault.deleteBranch.code).toBe('INVALID_INPUT');

      // Queries: a bad ref expression is a GraphQL error with a code; an unknown ref is null.
      const badLog = await g.gql(`{ log(ref: "a@@b") { nodes { hash } } }`);
      expect(badLog.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      const tooMany = await g.gql(`{ references(first: 5000) { nodes { name } } }`);
      expect(tooMany.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      const badCursor = await g.gql(`{ references(after: "%%%") { nodes { name } } }`);
      expect(badCursor.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      expect((await g.data(`{ reference(ref: "no-such-ref-${RUN}") { name } }`)).reference).toBeNull();
      expect((await g.data(`{ commit(hash: "${'ef'.repeat(32)}") { hash } }`)).commit).toBeNull();
      const badHash = await g.gql(`{ commit(hash: "zzz") { hash } }`);
      expect(badHash.errors?.[0]?.extensions?.code).toBe('INVALID_INPUT');
      for (const e of [badLog, tooMany, badHash]) expect(JSON.stringify(e)).not.toMatch(/at .*\.ts|node_modules|stack/);

      expect(await g.data(OWN_REFS, { p: `e2e-${RUN}-` })).toEqual(refsBefore);
    });

    it('streams referenceUpdated over graphql-ws and SSE: one event per move, in order, with hashes', async () => {
      const target = await opts.targetBranch(g);
      const query = `subscription($names: [String!]) { referenceUpdated(names: $names) { name type kind previousHash hash commit { hash } } }`;
      const ws = subscribe(g.ws(), query, { names: [target] });
      const sse = readSse(`${g.url}/graphql`, query, { names: [target] });
      await new Promise((r) => setTimeout(r, 300)); // let both subscriptions reach the server

      const moves: { kind: string; previousHash: string; hash: string }[] = [];
      const h0 = await head(target);
      const ns = await g.data(CREATE_NS, { branch: target, name: `sub${RUN}` });
      moves.push({ kind: 'COMMITTED', previousHash: h0, hash: ns.createNamespace.commit.hash });

      const side = unique('side');
      await g.data(CREATE_BRANCH, { name: side, from: target });
      await g.data(CREATE_NS, { branch: side, name: `sub${RUN}.x` });
      await g.data(CREATE_NS, { branch: target, name: `sub${RUN}.y` }).then((r) =>
        moves.push({ kind: 'COMMITTED', previousHash: moves.at(-1)!.hash, hash: r.createNamespace.commit.hash }),
      );
      const merged = await g.data(MERGE, { from: side, into: target });
      moves.push({ kind: 'MERGED', previousHash: moves.at(-1)!.hash, hash: merged.merge.hash });
      const assigned = await g.data(ASSIGN, { name: target, to: `@${h0}` });
      moves.push({ kind: 'ASSIGNED', previousHash: merged.merge.hash, hash: assigned.assignBranch.branch.hash });

      await eventually(() => ws.events.length >= moves.length && sse.events.length >= moves.length);
      await new Promise((r) => setTimeout(r, 200)); // anything extra would arrive now
      const expected = moves.map((m) => ({ name: target, type: 'BRANCH', ...m, commit: { hash: m.hash } }));
      expect(ws.errors).toEqual([]);
      expect(ws.events.map((e: any) => e.referenceUpdated)).toEqual(expected);
      expect(sse.events.map((e: any) => e.referenceUpdated)).toEqual(expected);
      ws.unsubscribe();
      sse.close();
    });
  });
}
