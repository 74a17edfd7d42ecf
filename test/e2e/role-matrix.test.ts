/**
 * The role matrix: every mutation of API.md built so far, called by each role on a protected and
 * an unprotected branch, with the union member each must get; after every denied call no ref head
 * has moved. Then the query rules (viewer vs analyst on other refs, sql) and subscriptions (start
 * allowed or denied; the stream completes when the token expires).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, post, sign, sse, wsClient } from '../support/auth.js';
import { eventually, startGateway, subscribe, type Gateway } from '../support/gateway.js';
import { COUNTER_PIPELINE, EVENTS_SUB, pipelinesDir } from '../support/pipelines.js';

type Role = 'viewer' | 'analyst' | 'engineer' | 'admin';
const ROLES: Role[] = ['viewer', 'analyst', 'engineer', 'admin'];

let g: Gateway;
const tokens = {} as Record<Role, string>;

async function as(role: Role, query: string, variables?: Record<string, unknown>) {
  const r = await post(g.url, query, { token: tokens[role], variables });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}
async function admin<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const body = await as('admin', query, variables);
  if (body.errors?.length) throw new Error(JSON.stringify(body.errors));
  return body.data;
}
async function heads(): Promise<Record<string, string>> {
  const d = await admin('{ references(first: 1000) { nodes { name hash } } }');
  return Object.fromEntries(d.references.nodes.map((n: { name: string; hash: string }) => [n.name, n.hash]));
}
async function head(name: string): Promise<string> {
  return (await admin('query($n: String!) { reference(ref: $n) { hash } }', { n: name })).reference.hash;
}
async function createBranch(name: string, from = 'main') {
  const d = await admin('mutation($n: String!, $f: String) { createBranch(name: $n, from: $f) { __typename ... on Error { message } } }', { n: name, f: from });
  expect(d.createBranch.__typename, JSON.stringify(d)).toBe('CreateBranchSuccess');
}

/** What a mutation needs before it runs (as admin), and the operation itself. */
interface Case {
  mutation: string;
  /** Returns the GraphQL text and variables for the target branch (created fresh per call). */
  prepare(target: string, u: string): Promise<{ query: string; variables?: Record<string, unknown> }>;
  /** Tags are not protected, so a protected target makes no difference for them. */
  tagOnly?: boolean;
  /** Creating a branch with a protected name is FORBIDDEN (not PROTECTED_BRANCH) for an engineer. */
  createsTarget?: boolean;
}

const sel = (field: string) => `${field} { __typename ... on Error { code } }`;

let metadataLocation = '';
let firstSnapshot = '';

const CASES: Case[] = [
  { mutation: 'createBranch', createsTarget: true, prepare: async (t) => ({ query: `mutation { ${sel(`createBranch(name: "${t}", from: "main")`)} }` }) },
  {
    mutation: 'deleteBranch',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`deleteBranch(name: "${t}")`)} }` };
    },
  },
  {
    mutation: 'createTag',
    tagOnly: true,
    prepare: async (t, u) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`createTag(name: "tag-${u}", from: "${t}")`)} }` };
    },
  },
  {
    mutation: 'deleteTag',
    tagOnly: true,
    prepare: async (t, u) => {
      await createBranch(t);
      await admin(`mutation { createTag(name: "tag-${u}", from: "${t}") { __typename } }`);
      return { query: `mutation { ${sel(`deleteTag(name: "tag-${u}")`)} }` };
    },
  },
  {
    mutation: 'assignBranch',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`assignBranch(name: "${t}", to: "v-base")`)} }` };
    },
  },
  {
    mutation: 'createNamespace',
    prepare: async (t, u) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`createNamespace(branch: "${t}", name: "ns_${u}")`)} }` };
    },
  },
  {
    mutation: 'merge',
    prepare: async (t, u) => {
      await createBranch(t);
      await createBranch(`src/${u}`, t);
      await admin(`mutation { createNamespace(branch: "src/${u}", name: "merged_${u}") { __typename } }`);
      return { query: `mutation { ${sel(`merge(from: "src/${u}", into: "${t}")`)} }` };
    },
  },
  {
    mutation: 'cherryPick',
    prepare: async (t, u) => {
      await createBranch(t);
      await createBranch(`src/${u}`, t);
      const d = await admin(`mutation { createNamespace(branch: "src/${u}", name: "picked_${u}") { ... on CreateNamespaceSuccess { commit { hash } } } }`);
      return { query: `mutation { ${sel(`cherryPick(hashes: ["${d.createNamespace.commit.hash}"], into: "${t}")`)} }` };
    },
  },
  {
    mutation: 'createTable',
    prepare: async (t, u) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`createTable(branch: "${t}", name: "m.t_${u}", columns: [{ name: "id", type: "long" }])`)} }` };
    },
  },
  {
    mutation: 'registerTable',
    prepare: async (t, u) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`registerTable(branch: "${t}", name: "m.r_${u}", metadataLocation: "${metadataLocation}")`)} }` };
    },
  },
  {
    mutation: 'appendRows',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`appendRows(branch: "${t}", table: "m.events", rows: [{ id: 9, v: "appended" }])`)} }` };
    },
  },
  {
    mutation: 'overwriteRows',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`overwriteRows(branch: "${t}", table: "m.events", rows: [{ id: 1, v: "over" }], where: { id: { _eq: 1 } })`)} }` };
    },
  },
  {
    mutation: 'evolveSchema',
    prepare: async (t, u) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`evolveSchema(branch: "${t}", table: "m.events", changes: [{ addColumn: { name: "c_${u}", type: "int" } }])`)} }` };
    },
  },
  {
    mutation: 'rollbackTable',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`rollbackTable(branch: "${t}", table: "m.events", toSnapshotId: "${firstSnapshot}")`)} }` };
    },
  },
  {
    mutation: 'dropTable',
    prepare: async (t) => {
      await createBranch(t);
      return { query: `mutation { ${sel(`dropTable(branch: "${t}", name: "m.events")`)} }` };
    },
  },
];

const SUCCESS: Record<string, string> = {
  createBranch: 'CreateBranchSuccess',
  deleteBranch: 'DeleteBranchSuccess',
  createTag: 'CreateTagSuccess',
  deleteTag: 'DeleteTagSuccess',
  assignBranch: 'AssignBranchSuccess',
  createNamespace: 'CreateNamespaceSuccess',
  merge: 'MergeSuccess',
  cherryPick: 'MergeSuccess',
  createTable: 'CreateTableSuccess',
  registerTable: 'CreateTableSuccess',
  appendRows: 'WriteSuccess',
  overwriteRows: 'WriteSuccess',
  evolveSchema: 'EvolveSchemaSuccess',
  rollbackTable: 'RollbackTableSuccess',
  dropTable: 'DropTableSuccess',
};

function expected(c: Case, role: Role, protectedTarget: boolean): string {
  if (role === 'viewer' || role === 'analyst') return 'Forbidden';
  if (role === 'admin' || !protectedTarget || c.tagOnly) return SUCCESS[c.mutation]!;
  return c.createsTarget ? 'Forbidden' : 'ProtectedBranch';
}

beforeAll(async () => {
  // The matrix fires hundreds of calls per token; the rate limit has its own tests (limits.test.ts).
  const pipelines = await pipelinesDir({ 'counter.yaml': COUNTER_PIPELINE });
  g = await startGateway({ AUTH_JWT_SECRET: SECRET, PROTECTED_BRANCHES: 'main,release/**', RATE_LIMIT_PER_SECOND: '0', PIPELINES_DIR: pipelines, RUN_CONCURRENCY: '1' });
  for (const role of ROLES) tokens[role] = await sign({ sub: `${role}@example.com`, roles: [role], expiresIn: 3600 });
  // Fixtures on main: namespace m, table m.events with two snapshots, a tag at the start, a dev branch.
  await admin('mutation { createTag(name: "v-base", from: "main") { __typename } }');
  await admin('mutation { createNamespace(branch: "main", name: "m") { __typename } }');
  await admin('mutation { createTable(branch: "main", name: "m.events", columns: [{ name: "id", type: "long" }, { name: "v", type: "string" }]) { __typename } }');
  await admin('mutation { appendRows(branch: "main", table: "m.events", rows: [{ id: 1, v: "a" }]) { __typename } }');
  await admin('mutation { appendRows(branch: "main", table: "m.events", rows: [{ id: 2, v: "b" }]) { __typename } }');
  const t = await admin('{ table(name: "m.events") { metadataLocation snapshots { nodes { snapshotId } } } }');
  metadataLocation = t.table.metadataLocation;
  firstSnapshot = t.table.snapshots.nodes.at(-1).snapshotId;
  await createBranch('dev');
  await admin('mutation { createNamespace(branch: "dev", name: "devonly") { __typename } }');
});
afterAll(async () => g?.stop());

describe('role matrix: every mutation × role × protected/unprotected branch', () => {
  let n = 0;
  for (const c of CASES) {
    it(`${c.mutation}`, async () => {
      const rows: string[] = [];
      for (const role of ROLES) {
        for (const protectedTarget of [true, false]) {
          const u = `${++n}`;
          const target = protectedTarget ? `release/${c.mutation}-${role}-${u}` : `feature/${c.mutation}-${role}-${u}`;
          const { query, variables } = await c.prepare(target, u);
          const before = await heads();
          const body = await as(role, query, variables);
          expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
          const got = body.data[c.mutation].__typename;
          const want = expected(c, role, protectedTarget);
          rows.push(`${role} ${protectedTarget ? 'protected' : 'unprotected'}: ${got}`);
          expect(got, `${c.mutation} as ${role} on ${target}: ${JSON.stringify(body.data)}`).toBe(want);
          if (want === 'Forbidden' || want === 'ProtectedBranch') {
            expect(body.data[c.mutation].code).toBe(want === 'Forbidden' ? 'FORBIDDEN' : 'PROTECTED_BRANCH');
            expect(await heads(), `${c.mutation} as ${role} changed a ref`).toEqual(before);
          } else {
            expect(await heads()).not.toEqual(before);
          }
        }
      }
      expect(rows).toHaveLength(8);
    });
  }

  it('lets an admin change main itself, and nobody else', async () => {
    for (const role of ['viewer', 'analyst', 'engineer'] as const) {
      const before = await heads();
      const body = await as(role, 'mutation { createNamespace(branch: "main", name: "x_main") { __typename ... on Error { code } } }');
      expect(body.data.createNamespace.code).toBe(role === 'engineer' ? 'PROTECTED_BRANCH' : 'FORBIDDEN');
      expect(await heads()).toEqual(before);
    }
    const done = await as('admin', 'mutation { createNamespace(branch: "main", name: "x_main") { __typename } }');
    expect(done.data.createNamespace.__typename).toBe('CreateNamespaceSuccess');
  });
});

describe('role matrix: runs', () => {
  const START = `mutation { startRun(pipeline: "counter") { __typename ... on StartRunSuccess { run { runId } } ... on Error { code } } }`;
  const waitEnded = async (runId: string) => {
    for (let i = 0; i < 600; i++) {
      const d = await admin(`query($id: ID!) { run(id: $id) { status mergedHash } }`, { id: runId });
      if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(d.run.status)) return d.run;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`run ${runId} did not end`);
  };

  it('startRun, cancelRun and retryRun need engineer; a run started by an engineer merges into protected main, which the engineer cannot do directly', async () => {
    for (const role of ['viewer', 'analyst'] as const) {
      const before = await heads();
      const body = await as(role, START);
      expect(body.data.startRun, role).toEqual({ __typename: 'Forbidden', code: 'FORBIDDEN' });
      expect(await heads()).toEqual(before);
      expect((await admin('{ runs(first: 1000) { nodes { runId } } }')).runs.nodes).toHaveLength(0);
    }
    const mainBefore = await head('main');
    const started = (await as('engineer', START)).data.startRun;
    expect(started.__typename).toBe('StartRunSuccess');
    const run = await waitEnded(started.run.runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(await head('main')).toBe(run.mergedHash);
    expect(run.mergedHash).not.toBe(mainBefore);
    const direct = await as('engineer', `mutation { merge(from: "runs/counter/${started.run.runId}", into: "main") { __typename ... on Error { code } } }`);
    expect(direct.data.merge.code).toBe('PROTECTED_BRANCH');

    const queued = [(await as('admin', START)).data.startRun.run.runId, (await as('admin', START)).data.startRun.run.runId];
    const target = queued[1]!;
    for (const role of ['viewer', 'analyst'] as const) {
      for (const m of ['cancelRun', 'retryRun']) {
        const body = await as(role, `mutation { ${m}(id: "${target}") { __typename ... on Error { code } } }`);
        expect(body.data[m], `${m} as ${role}`).toEqual({ __typename: 'Forbidden', code: 'FORBIDDEN' });
      }
    }
    const cancel = await as('engineer', `mutation { cancelRun(id: "${target}") { __typename ... on CancelRunSuccess { run { status } } } }`);
    expect(cancel.data.cancelRun.__typename).toBe('CancelRunSuccess');
    await waitEnded(queued[0]!);
    expect((await waitEnded(target)).status).toBe('CANCELED');
    const retry = await as('engineer', `mutation { retryRun(id: "${target}") { __typename ... on StartRunSuccess { run { runId } } } }`);
    expect(retry.data.retryRun.__typename).toBe('StartRunSuccess');
    expect((await waitEnded(retry.data.retryRun.run.runId)).status).toBe('SUCCEEDED');
  });

  it('a viewer reads runs and follows runEvents and runUpdated; a token without a role does not', async () => {
    const runId = (await admin('{ runs(first: 1) { nodes { runId } } }')).runs.nodes[0].runId;
    expect((await as('viewer', `{ pipelines { name } run(id: "${runId}") { status events { seq } } }`)).errors).toBeUndefined();
    const viewer = wsClient(g.url, { Authorization: `Bearer ${tokens.viewer}` });
    const events = subscribe(viewer.client, EVENTS_SUB, { id: runId });
    await eventually(() => events.isCompleted(), 10_000);
    expect(events.errors).toEqual([]);
    expect(events.events.at(-1).runEvents.type).toBe('RUN_SUCCEEDED');
    const nobody = await sign({ sub: 'nobody', roles: [], expiresIn: 600 });
    const none = wsClient(g.url, { Authorization: `Bearer ${nobody}` });
    const denied = subscribe(none.client, 'subscription { runUpdated { runId } }');
    await eventually(() => denied.errors.length > 0 || denied.isCompleted());
    // Without a role the connection itself is refused (4403), or the operation is FORBIDDEN.
    const e = denied.errors[0] as { code?: number; extensions?: { code?: string } };
    expect(e.code === 4403 || e.extensions?.code === 'FORBIDDEN', JSON.stringify(e)).toBe(true);
    await viewer.client.dispose();
    await none.client.dispose();
  });
});

describe('role matrix: marts', () => {
  it('publishMarts needs engineer; viewers read marts, their typed fields and martUpdated', async () => {
    await admin('mutation { createNamespace(branch: "main", name: "marts") { __typename } }');
    await admin('mutation { createTable(branch: "main", name: "marts.role_mart", columns: [{ name: "id", type: "long" }, { name: "label", type: "string" }]) { __typename } }');
    await admin('mutation { appendRows(branch: "main", table: "marts.role_mart", rows: [{ id: 1, label: "x" }]) { __typename } }');
    const viewer = wsClient(g.url, { Authorization: `Bearer ${tokens.viewer}` });
    const updates = subscribe(viewer.client, 'subscription { martUpdated(name: "role_mart") { name rowCount } }');
    await new Promise((r) => setTimeout(r, 300));
    const PUBLISH = 'mutation { publishMarts { __typename ... on PublishMartsSuccess { marts { name } } ... on Error { code } } }';
    for (const role of ['viewer', 'analyst'] as const) {
      expect((await as(role, PUBLISH)).data.publishMarts, role).toEqual({ __typename: 'Forbidden', code: 'FORBIDDEN' });
      expect((await admin('{ marts { name } }')).marts).toEqual([]);
    }
    const published = (await as('engineer', PUBLISH)).data.publishMarts;
    expect(published).toEqual({ __typename: 'PublishMartsSuccess', marts: [{ name: 'role_mart' }] });
    await eventually(() => updates.events.length > 0, 10_000);
    expect(updates.errors).toEqual([]);
    expect(updates.events[0].martUpdated).toEqual({ name: 'role_mart', rowCount: '1' });
    const read = await as('viewer', '{ marts { name } mart(name: "role_mart") { rows { rows } aggregate } roleMart { nodes { id label } } }');
    expect(read.errors).toBeUndefined();
    expect(read.data.roleMart.nodes).toEqual([{ id: '1', label: 'x' }]);
    await viewer.client.dispose();
  });
});

describe('query rules', () => {
  const code = (body: { errors?: any[] }) => body.errors?.[0]?.extensions?.code ?? null;

  it('a viewer reads the default branch (history too) and tags, nothing else', async () => {
    const mainHash = await head('main');
    const devHash = await head('dev');
    const allowed = [
      '{ defaultBranch { name log(first: 2) { nodes { message } } tables { nodes { name rows { rows } } } } }',
      '{ branch(name: "main") { name } }',
      '{ tag(name: "v-base") { name log { nodes { hash } } } }',
      '{ reference(ref: "main~1") { hash } }',
      `{ reference(ref: "main@${mainHash}") { hash } }`,
      '{ log(ref: "main") { nodes { hash } } }',
      '{ diff(from: "v-base", to: "main") { entries { key } } }',
      '{ table(name: "m.events") { rows { rows } } }',
      '{ tables(ref: "v-base") { nodes { name } } }',
    ];
    for (const q of allowed) expect(code(await as('viewer', q)), q).toBeNull();
    const denied = [
      '{ branch(name: "dev") { name } }',
      '{ reference(ref: "dev") { hash } }',
      '{ log(ref: "dev") { nodes { hash } } }',
      `{ log(ref: "@${devHash}") { nodes { hash } } }`,
      '{ diff(from: "main", to: "dev") { entries { key } } }',
      '{ table(name: "m.events", ref: "dev") { name } }',
      '{ tables(ref: "dev") { nodes { name } } }',
      '{ sql(ref: "main", query: "SELECT count(*) FROM m.events") { rows } }',
      '{ compareTable(name: "m.events", from: "main~1", to: "main") { data { rowsAdded } } }',
      `{ commit(hash: "${devHash}") { message } }`,
      '{ defaultBranch { aheadBehind(base: "dev") { ahead } } }',
    ];
    for (const q of denied) {
      const body = await as('viewer', q);
      expect(code(body), q).toBe('FORBIDDEN');
    }
    const refs = await as('viewer', '{ references(first: 1000) { nodes { name type } } }');
    const names = refs.data.references.nodes.map((r: { name: string; type: string }) => r.name);
    expect(names).toContain('main');
    expect(names).toContain('v-base');
    expect(refs.data.references.nodes.every((r: { name: string; type: string }) => r.type === 'TAG' || r.name === 'main')).toBe(true);
    // A Table node id that names main with a commit of dev is refused too.
    const id = (await admin('{ table(name: "m.events", ref: "dev") { id } }')).table.id;
    expect(code(await as('viewer', `{ node(id: "${id}") { id } }`))).toBe('FORBIDDEN');
  });

  it('an analyst reads every ref and runs sql, compareTable, diff and log anywhere', async () => {
    const devHash = await head('dev');
    const queries = [
      '{ branch(name: "dev") { name entries { nodes { key } } } }',
      `{ log(ref: "@${devHash}") { nodes { hash } } }`,
      '{ diff(from: "main", to: "dev") { entries { key change } } }',
      '{ sql(ref: "dev", query: "SELECT count(*) AS n FROM m.events") { rows } }',
      '{ compareTable(name: "m.events", from: "main~1", to: "dev") { data { rowsAdded } } }',
      `{ commit(hash: "${devHash}") { message } }`,
    ];
    for (const q of queries) {
      const body = await as('analyst', q);
      expect(body.errors, q).toBeUndefined();
    }
    const names = (await as('analyst', '{ references(first: 1000) { nodes { name } } }')).data.references.nodes.map((r: { name: string }) => r.name);
    expect(names).toContain('dev');
  });
});

describe('subscription rules', () => {
  it('checks the role when a subscription starts: a viewer may watch main and tags, an analyst any branch', async () => {
    const viewer = wsClient(g.url, { Authorization: `Bearer ${tokens.viewer}` });
    const denied = subscribe(viewer.client, 'subscription { referenceUpdated(names: ["dev"]) { name } }');
    await eventually(() => denied.errors.length > 0 || denied.isCompleted());
    expect((denied.errors[0] as any)?.extensions?.code).toBe('FORBIDDEN');

    const onMain = subscribe(viewer.client, 'subscription { referenceUpdated(names: ["main", "v-base"]) { name } }');
    const everything = subscribe(viewer.client, 'subscription { referenceUpdated { name } }');
    const analyst = wsClient(g.url, { Authorization: `Bearer ${tokens.analyst}` });
    const onDev = subscribe(analyst.client, 'subscription { referenceUpdated(names: ["dev"]) { name } }');
    await new Promise((r) => setTimeout(r, 300));
    await admin('mutation { createNamespace(branch: "dev", name: "watched_dev") { __typename } }');
    await admin('mutation { createNamespace(branch: "main", name: "watched_main") { __typename } }');
    await eventually(() => onMain.events.length >= 1 && everything.events.length >= 1 && onDev.events.length >= 1);
    await new Promise((r) => setTimeout(r, 200));
    expect(onMain.errors).toEqual([]);
    expect(onMain.events.map((e) => e.referenceUpdated.name)).toEqual(['main']);
    // Unfiltered, a viewer still sees only what it may read.
    expect(everything.events.map((e) => e.referenceUpdated.name)).toEqual(['main']);
    expect(onDev.errors).toEqual([]);
    expect(onDev.events.map((e) => e.referenceUpdated.name)).toEqual(['dev']);
    await viewer.client.dispose();
    await analyst.client.dispose();
  });

  it('ends a subscription when its token expires, over graphql-ws and SSE', async () => {
    // Long enough for both streams to start and see one event on a loaded machine, short enough to wait for.
    const shortLived = await sign({ sub: 'brief', roles: ['viewer'], expiresIn: 4 });
    const { client } = wsClient(g.url, { Authorization: `Bearer ${shortLived}` });
    const started = Date.now();
    const ws = subscribe(client, 'subscription { referenceUpdated(names: ["main"]) { name } }');
    const stream = sse(g.url, 'subscription { referenceUpdated(names: ["main"]) { name } }', { authorization: `Bearer ${shortLived}` });
    await new Promise((r) => setTimeout(r, 300));
    await admin('mutation { createNamespace(branch: "main", name: "before_expiry") { __typename } }');
    await eventually(() => ws.isCompleted() && stream.ended(), 12_000);
    expect(ws.events.map((e) => e.referenceUpdated.name)).toEqual(['main']);
    expect(ws.errors).toEqual([]);
    expect(ws.isCompleted()).toBe(true);
    expect(stream.ended()).toBe(true);
    expect(stream.events.filter((e) => e.data).map((e) => e.data.referenceUpdated.name)).toEqual(['main']);
    expect(Date.now() - started).toBeGreaterThan(2000);
    // The expired connection takes no new operations.
    const late = subscribe(client, '{ __typename }');
    await eventually(() => late.errors.length > 0 || late.isCompleted());
    expect(late.events).toEqual([]);
    await client.dispose();
  });
});
