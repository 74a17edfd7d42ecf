/**
 * The demo with its warehouse on S3 (the embedded catalog; the test run's versitygw server): the
 * glucose pipeline's WAP run writes, audits, merges and publishes the mart as on the local
 * warehouse, and every object it made is in the bucket, none on the gateway's disk but the read
 * cache's copies.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect, inject, it } from 'vitest';
import { createTestBucket } from '../support/s3.js';
import { listBucket, s3GatewayEnv } from '../support/s3-gateway.js';
import { describeDemoE2E } from './demo.suite.js';

let bucket = '';

describeDemoE2E('demo on S3 (embedded catalog)', {
  env: async () => {
    bucket = await createTestBucket(inject('s3'), 'demo');
    return s3GatewayEnv(inject('s3'), bucket);
  },
  more: (gateway) => {
    it('keeps every object of every table on every reference in the bucket, and none in the gateway home but cached copies', async () => {
      const g = gateway();
      const root = `s3://${bucket}/warehouse/`;
      const refs = (await g.data(`{ references(first: 100) { nodes { name } } }`)).references.nodes.map((r: { name: string }) => r.name);
      expect(refs.length).toBeGreaterThanOrEqual(4);
      const locations = new Set<string>();
      for (const ref of refs) {
        const tables = (await g.data(`query($r: String!) { tables(ref: $r, first: 100) { nodes { namespace name location metadataLocation } } }`, { r: ref })).tables.nodes;
        for (const t of tables) {
          expect(t.location.startsWith(root), t.location).toBe(true);
          locations.add(t.metadataLocation);
          const d = await g.data(
            `query($r: String!, $t: String!) { table(ref: $r, name: $t) { snapshots(first: 50) { nodes { manifestList dataFiles(first: 500) { nodes { path } } } } } }`,
            { r: ref, t: `${t.namespace}.${t.name}` },
          );
          for (const s of d.table.snapshots.nodes) {
            locations.add(s.manifestList);
            for (const f of s.dataFiles.nodes) locations.add(f.path);
          }
        }
      }
      expect(locations.size).toBeGreaterThan(50);
      const keys = new Set(await listBucket(inject('s3'), bucket));
      for (const location of locations) {
        expect(location.startsWith(root), location).toBe(true);
        expect(keys.has(location.slice(`s3://${bucket}/`.length)), `${location} is in the bucket`).toBe(true);
      }
      expect([...keys].filter((k) => !k.startsWith('warehouse/'))).toEqual([]);

      // Nothing of the warehouse on local disk: no local warehouse, only the engine's read cache.
      await expect(fs.stat(path.join(g.home, 'warehouse'))).rejects.toMatchObject({ code: 'ENOENT' });
      const cached = await fs.readdir(path.join(g.home, 'cache', 'objects'));
      expect(cached.length).toBeGreaterThan(0);
      expect(cached.filter((n) => n.endsWith('.part'))).toEqual([]);
    });
  },
});
