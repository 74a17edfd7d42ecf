/**
 * DataLoaders (acceptance): listing tables with their schema and current snapshot costs a constant
 * number of version-store reads and metadata batches whatever the page size. Counted from /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';

const LIST = `query($f: Int) { branch(name: "main") { tables(first: $f) { nodes { name schema { fields { name } } currentSnapshot { totalRows } } } } }`;

async function counters(g: Gateway): Promise<Map<string, number>> {
  const text = await (await fetch(`${g.url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^cascade_backend_call_seconds_count\{port="(\w+)",method="(\w+)",outcome="\w+"\} (\d+)/gm)) {
    const key = `${m[1]}.${m[2]}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[3]));
  }
  for (const m of text.matchAll(/^cascade_loader_batches_total\{loader="(\w+)"\} (\d+)/gm)) out.set(`loader.${m[1]}`, Number(m[2]));
  return out;
}

async function cost(g: Gateway, first: number) {
  const before = await counters(g);
  const body = await g.data(LIST, { f: first });
  const after = await counters(g);
  const delta = (prefix: string) =>
    [...after].filter(([k]) => k.startsWith(prefix)).reduce((n, [k, v]) => n + v - (before.get(k) ?? 0), 0);
  return {
    tables: body.branch.tables.nodes.length as number,
    versionStore: delta('VersionStore.'),
    objectReads: delta('ObjectStore.read'),
    metadataBatches: delta('loader.metadata'),
    nodes: body.branch.tables.nodes,
  };
}

describe('table listing cost', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway();
    const actor = { subject: 'test', roles: ['admin'] };
    await g.data(`mutation { createNamespace(branch: "main", name: "lots") { __typename } }`);
    for (let i = 0; i < 100; i++) {
      const name = `lots.t${String(i).padStart(3, '0')}`;
      await g.app.services.tables.createTable({ branch: 'main', name, columns: [{ name: 'id', type: 'long' }, { name: `c${i}`, type: 'string' }] }, actor);
      await g.app.services.tables.write('append', { branch: 'main', table: name, rows: [{ id: i }, { id: i + 1000 }] }, actor);
    }
  }, 300_000);
  afterAll(async () => g?.stop());

  it('costs the same number of store reads and metadata batches for 10 or 100 tables', async () => {
    // The first read after the writes fills the ref-head cache; measure both sizes with it warm.
    await cost(g, 1);
    const ten = await cost(g, 10);
    const hundred = await cost(g, 100);
    expect(ten.tables).toBe(10);
    expect(hundred.tables).toBe(100);
    expect(hundred.nodes[42]).toEqual({ name: 't042', schema: { fields: [{ name: 'id' }, { name: 'c42' }] }, currentSnapshot: { totalRows: '2' } });
    expect(hundred.versionStore).toBe(ten.versionStore);
    expect(hundred.versionStore).toBeLessThanOrEqual(4);
    expect(ten.metadataBatches).toBe(1);
    expect(hundred.metadataBatches).toBe(1);
    // Each metadata file is read once (no manifests for totals); immutable, so a repeat reads nothing.
    expect(hundred.objectReads).toBeLessThanOrEqual(100);
    const warm = await cost(g, 100);
    expect(warm.objectReads).toBe(0);
    expect(warm.versionStore).toBe(hundred.versionStore);
  });
});
