/**
 * Fuzz: random well-typed operations generated from the introspected schema (queries and
 * mutations, random selections to a bounded depth, random and hostile argument values of the right
 * types) against the running gateway for a bounded time (FUZZ_SECONDS, default 60; FUZZ_SEED to
 * replay). Every answer: no 5xx, every error coded from ErrorCode (so nothing unexpected was masked)
 * and carrying the request id, no stack or server path; heap stable; and it prints how many ran.
 */
import os from 'node:os';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isInterfaceType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { KNOWN_CODES, expectNoLeak, op } from './support.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 4;
const MAX_DEPTH = 4;

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** mulberry32: small, seeded, good enough to pick things. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]!, chance: (p: number) => next() < p };
}
type Rng = ReturnType<typeof rng>;

const HOSTILE_STRINGS = [
  '', ' ', '..', '../../etc/passwd', '/etc/passwd', 'file:///etc/passwd', 'a'.repeat(10_000), '🙂\u202e\u0000', '\ud800', "'; DROP TABLE x; --", '" OR 1=1 --',
  'main@' + '0'.repeat(64), 'main~99999', 'main*not-a-time', '@', '%s%n', '${jndi:ldap://x}', '<script>alert(1)</script>', 'raw..entries', 'a/../b', '\\u0000',
];
const NICE_STRINGS = ['main', 'dev', 'v1.0', 'raw', 'raw.entries', 'silver.fct_glucose_readings', 'marts.mrt_glucose_overview', 'main~1', 'dev~2', 'fuzz-branch', 'fuzz/ns.t', 'sgv', 'id'];
const SQL = ['SELECT 1', 'SELECT count(*) FROM raw.entries', 'SELECT * FROM raw.entries LIMIT 3', 'DROP TABLE raw.entries', "SELECT * FROM read_csv('/etc/passwd')", 'SELECT 1; SELECT 2', 'WITH x AS (SELECT 1) SELECT * FROM x'];

function stringFor(r: Rng, argName: string, ctx: { hashes: string[] }): string {
  if (argName === 'query' && r.chance(0.7)) return r.pick(SQL);
  if (/hash/i.test(argName) && ctx.hashes.length && r.chance(0.5)) return r.pick(ctx.hashes);
  return r.chance(0.55) ? r.pick(NICE_STRINGS) : r.pick(HOSTILE_STRINGS);
}

function jsonValue(r: Rng, depth = 0): unknown {
  const choices: (() => unknown)[] = [
    () => ({ sgv: { [r.pick(['_eq', '_gt', '_lt', '_in', '_like', '_is_null', '_bogus'])]: r.pick([1, 'x', null, [1, 2], true]) } }),
    () => ({ _and: [jsonValue(r, depth + 1)], _or: [] }),
    () => [],
    () => Array.from({ length: r.int(4) }, () => ({ sgv: r.int(300), direction: r.pick(HOSTILE_STRINGS) })),
    () => r.pick(HOSTILE_STRINGS),
    () => r.pick([0, -1, 1e308, 2 ** 53 + 1, null, true]),
    () => ({ [r.pick(HOSTILE_STRINGS)]: depth < 3 ? jsonValue(r, depth + 1) : 1 }),
  ];
  return r.pick(choices)();
}

function scalarValue(r: Rng, type: GraphQLNamedType, argName: string, ctx: { hashes: string[] }): unknown {
  if (isEnumType(type)) return r.pick(type.getValues()).name;
  switch (type.name) {
    case 'String':
      return stringFor(r, argName, ctx);
    case 'ID':
      return r.chance(0.5) ? Buffer.from(`${r.pick(['Branch', 'Tag', 'Commit', 'Table', 'Snapshot'])}:${r.pick([...NICE_STRINGS, ...HOSTILE_STRINGS])}`).toString('base64') : r.pick(HOSTILE_STRINGS);
    case 'Int':
      return r.pick([0, 1, 2, 5, 50, 1000, 1001, -1, 2147483647, -2147483648]);
    case 'Float':
      return r.pick([0, 0.5, -1.5, 1e308, -1e-308]);
    case 'Boolean':
      return r.chance(0.5);
    case 'BigInt':
      return r.pick(['0', '1', '-1', '9223372036854775807', '-9223372036854775808', '99999999999999999999999', '1.5']);
    case 'DateTime':
      return r.pick(['2026-11-02T00:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-11-01T12:00:00.123+05:30', new Date().toISOString()]);
    case 'JSON':
      return jsonValue(r);
    case 'File':
      return null;
    default:
      return r.pick(NICE_STRINGS);
  }
}

const MAX_INPUT_DEPTH = 6;

function inputValue(r: Rng, type: GraphQLInputType, argName: string, ctx: { hashes: string[] }, depth = 0): unknown {
  if (isNonNullType(type)) {
    const v = inputValue(r, type.ofType, argName, ctx, depth);
    return v === null ? inputValue(r, type.ofType, argName, ctx, depth + 1) ?? scalarValue(r, getNamedType(type) as GraphQLNamedType, argName, ctx) : v;
  }
  if (depth > 0 && r.chance(0.1)) return null;
  // Recursive inputs (the typed mart filters' _and/_or/_not) stop growing here.
  const deep = depth >= MAX_INPUT_DEPTH;
  if (isListType(type)) {
    const n = deep ? 0 : r.pick([0, 1, 2, 3, r.chance(0.05) ? 1000 : 1]);
    return Array.from({ length: n }, () => inputValue(r, type.ofType, argName, ctx, depth + 1));
  }
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) {
      if (isNonNullType(f.type) || (!deep && r.chance(0.4))) out[f.name] = inputValue(r, f.type, f.name, ctx, depth + 1);
    }
    return out;
  }
  return scalarValue(r, type, argName, ctx);
}

class Operation {
  private vars: string[] = [];
  readonly variables: Record<string, unknown> = {};
  constructor(private readonly r: Rng, private readonly schema: GraphQLSchema, private readonly ctx: { hashes: string[] }) {}

  private args(args: readonly GraphQLArgument[]): string {
    const parts: string[] = [];
    for (const a of args) {
      if (!isNonNullType(a.type) && !this.r.chance(0.5)) continue;
      const name = `v${this.vars.length}`;
      this.vars.push(`$${name}: ${a.type.toString()}`);
      this.variables[name] = inputValue(this.r, a.type, a.name, this.ctx);
      parts.push(`${a.name}: $${name}`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  }

  selection(type: GraphQLNamedType, depth: number): string {
    if (isLeafType(type)) return '';
    const parts = ['__typename'];
    if (isAbstractType(type)) {
      const possible = this.schema.getPossibleTypes(type);
      for (let i = 0; i < 2 && possible.length; i++) {
        const t = this.r.pick(possible);
        parts.push(`... on ${t.name} ${this.selection(t, depth)}`);
      }
      if (isInterfaceType(type)) parts.push(this.fields(type, depth));
      return `{ ${parts.join(' ')} }`;
    }
    parts.push(this.fields(type as GraphQLObjectType, depth));
    return `{ ${parts.join(' ')} }`;
  }

  private fields(type: GraphQLObjectType | import('graphql').GraphQLInterfaceType, depth: number): string {
    const all = Object.values(type.getFields()) as GraphQLField<unknown, unknown>[];
    const chosen = all.filter(() => this.r.chance(0.35));
    return chosen
      .map((f) => {
        const named = getNamedType(f.type);
        if (!isLeafType(named) && depth >= MAX_DEPTH) return '';
        return `${f.name}${this.args(f.args)} ${this.selection(named, depth + 1)}`;
      })
      .join(' ');
  }

  build(): string {
    const root = this.r.chance(0.6) ? this.schema.getQueryType()! : this.schema.getMutationType() ?? this.schema.getQueryType()!;
    const field = this.r.pick(Object.values(root.getFields()));
    const body = `${field.name}${this.args(field.args)} ${this.selection(getNamedType(field.type), 1)}`;
    const kind = root === this.schema.getMutationType() ? 'mutation' : 'query';
    return `${kind}${this.vars.length ? `(${this.vars.join(', ')})` : ''} { ${body} }`;
  }
}

/** The `... on Error` members of result unions anywhere in the data. */
function errorMembers(data: unknown, out: unknown[] = []): unknown[] {
  if (!data || typeof data !== 'object') return out;
  if (typeof (data as { code?: unknown }).code === 'string' && 'message' in data) out.push(data);
  for (const v of Object.values(data)) errorMembers(v, out);
  return out;
}

describe('fuzz: random well-typed operations', () => {
  let g: Gateway;
  let schema: GraphQLSchema;
  const ctx = { hashes: [] as string[] };
  beforeAll(async () => {
    g = await startGateway({ CASCADE_DEMO: '1', RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', QUERY_TIMEOUT_MS: '5000' });
    const intro = await g.data(getIntrospectionQuery());
    schema = buildClientSchema(intro);
    ctx.hashes = (await g.data('{ references { nodes { hash } } }')).references.nodes.map((n: any) => n.hash);
  });
  afterAll(async () => g?.stop());

  it(`survives ${SECONDS} s of random operations (seed ${SEED})`, { timeout: (SECONDS + 120) * 1000 }, async () => {
    const serverPaths = [g.home, process.cwd(), os.homedir() + '/'];
    const failures: string[] = [];
    let ran = 0;
    const codes = new Map<string, number>();
    const check = async (r: Rng) => {
      const o = new Operation(r, schema, ctx);
      const query = o.build();
      const reply = await op(g.url, query, o.variables);
      ran++;
      const problems: string[] = [];
      if (reply.status >= 500) problems.push(`status ${reply.status}`);
      // Data may name warehouse locations (metadataLocation is a field); errors must not name anything.
      try {
        expectNoLeak(JSON.stringify(reply.json?.errors ?? []) + JSON.stringify(errorMembers(reply.json?.data)), serverPaths);
        expectNoLeak(reply.text, []);
      } catch {
        problems.push('leak');
      }
      for (const e of reply.json?.errors ?? []) {
        const code = e?.extensions?.code;
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (!KNOWN_CODES.has(code)) problems.push(`code ${code}`);
        if (e?.extensions?.requestId !== reply.requestId) problems.push('request id');
      }
      if (!reply.json) problems.push('not JSON');
      if (problems.length && failures.length < 10) {
        failures.push(`${problems.join(', ')}: ${query.slice(0, 400)} ${JSON.stringify(o.variables).slice(0, 300)} → ${reply.text.slice(0, 300)}`);
      }
    };

    // warm up, then take the heap baseline
    const warm = rng(SEED ^ 0x5eed);
    for (let i = 0; i < 100; i++) await check(warm);
    gc();
    const heapStart = process.memoryUsage().heapUsed;
    const until = Date.now() + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: WORKERS }, async (_, w) => {
        const r = rng(SEED + w);
        while (Date.now() < until) await check(r);
      }),
    );
    gc();
    await new Promise((res) => setTimeout(res, 200));
    gc();
    const heapEnd = process.memoryUsage().heapUsed;
    const health = await fetch(`${g.url}/healthz`);
    console.log(
      `fuzz: ${ran} operations in ${SECONDS} s (seed ${SEED}); heap ${(heapStart / 2 ** 20).toFixed(0)} → ${(heapEnd / 2 ** 20).toFixed(0)} MiB; error codes ${JSON.stringify(Object.fromEntries(codes))}`,
    );
    expect(failures, failures.join('\n')).toEqual([]);
    expect(health.status).toBe(200);
    expect(heapEnd - heapStart).toBeLessThan(256 * 2 ** 20);
    expect(ran).toBeGreaterThan(100);
  });
});
