/**
 * Reads the real tables in test/fixtures/iceberg (Spark, Iceberg-Java; v1 and v2; position and
 * equality deletes) and checks what their SOURCE.md states.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/domain/iceberg/binary.js';
import type { TableMetadata } from '../../src/domain/iceberg/types.js';
import { parseTableMetadata, serializeTableMetadata } from '../../src/iceberg/metadata-json.js';
import { planScan, snapshotSummary } from '../../src/iceberg/scan-planner.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { FIXTURE_PREFIXES, fixtureDir, fixtureStore } from '../support/iceberg-fixtures.js';

async function metadataOf(name: string, file: string): Promise<TableMetadata> {
  return parseTableMetadata(await fs.readFile(path.join(fixtureDir(name), 'metadata', file), 'utf8'));
}
const rows = (files: { recordCount: number }[]) => files.reduce((a, f) => a + f.recordCount, 0);

describe('Iceberg fixtures', () => {
  let store: ObjectStore;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ store, cleanup } = await fixtureStore()));
  afterAll(() => cleanup());

  it('parses every metadata file of every fixture, keeping 64-bit ids exact, and re-serialises it', async () => {
    for (const name of Object.keys(FIXTURE_PREFIXES)) {
      const files = (await fs.readdir(path.join(fixtureDir(name), 'metadata'))).filter((f) => f.endsWith('.metadata.json'));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const text = await fs.readFile(path.join(fixtureDir(name), 'metadata', f), 'utf8');
        const m = parseTableMetadata(text);
        expect(m.schemas.length, `${name}/${f}`).toBeGreaterThan(0);
        for (const s of m.snapshots) expect(text, `${name}/${f}`).toContain(s.snapshotId);
        expect(parseTableMetadata(serializeTableMetadata(m)), `${name}/${f}`).toEqual(m);
      }
    }
  });

  it('lineitem (v2, Spark): current snapshot has one live data file of 51,793 rows; snapshot 7817332053627255703 has 60,175', async () => {
    const m = await metadataOf('duckdb-lineitem-iceberg', 'v2.metadata.json');
    expect(m.currentSnapshotId).toBe('2354745328521181395');
    const current = await planScan(store, m);
    expect(current.dataFiles).toHaveLength(1);
    expect(current.deleteFiles).toHaveLength(0);
    expect(rows(current.dataFiles)).toBe(51793);
    const f = current.dataFiles[0]!;
    expect(f.filePath).toBe(`${store.resolve('lineitem_iceberg/')}/data/00000-5-dad9988f-2a3b-464c-adb6-6034de93da19-00001.parquet`);
    expect(f.recordedPath).toBe('lineitem_iceberg/data/00000-5-dad9988f-2a3b-464c-adb6-6034de93da19-00001.parquet');
    expect([f.sequenceNumber, f.fileSequenceNumber]).toEqual([2, 2]);
    expect(current.schema.fields.find((c) => c.name === 'l_extendedprice')?.type).toBe('decimal(15,2)');
    expect(typeof decodeValue('decimal(15,2)', f.lowerBounds!.get(6)!)).toBe('string');
    await expect(fs.access(new URL(f.filePath))).resolves.toBeUndefined();

    const old = await planScan(store, m, { snapshotId: '7817332053627255703' });
    expect(old.dataFiles).toHaveLength(1);
    expect(rows(old.dataFiles)).toBe(60175);
    expect([old.dataFiles[0]!.sequenceNumber, old.dataFiles[0]!.snapshotId]).toEqual([1, '7817332053627255703']);
    expect(rows((await planScan(store, m, { asOfMs: 1746188479500 })).dataFiles)).toBe(60175);
    await expect(planScan(store, m, { asOfMs: 1746188479059 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(planScan(store, m, { snapshotId: '1234' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(snapshotSummary(m)).toMatchObject({ totalRecords: 51793, totalDataFiles: 1, totalDeleteFiles: 0, operation: 'overwrite' });
  });

  it('bunnies (v2, Spark): position delete at the current snapshot, schema evolution and time travel', async () => {
    const m = await metadataOf('icebird-spark-bunnies', 'v5.metadata.json');
    const current = await planScan(store, m);
    expect(current.dataFiles).toHaveLength(1);
    expect(rows(current.dataFiles)).toBe(20);
    expect(current.deleteFiles).toHaveLength(1);
    expect(current.deleteFiles[0]).toMatchObject({ content: 'POSITION_DELETES', recordCount: 1 });
    expect(current.deleteFiles[0]!.recordedPath).toMatch(/^s3a:\/\/hyperparam-iceberg\/spark\/bunnies\/data\/.*-deletes\.parquet$/);
    expect(current.schema.fields.map((f) => f.name)).toContain('breed_name_length');
    expect(current.schema.fields.map((f) => f.name)).toContain('Breed Name');

    const first = await planScan(store, m, { snapshotId: '7505300640432048841' });
    expect(rows(first.dataFiles)).toBe(21);
    expect(first.deleteFiles).toHaveLength(0);
    expect(first.schema.fields.map((f) => f.name)).not.toContain('breed_name_length');
  });

  it('equality deletes (v2, Iceberg-Java): four equality delete files with their equality ids', async () => {
    const m = await metadataOf('duckdb-equality-deletes', 'v7.metadata.json');
    const plan = await planScan(store, m);
    expect(plan.dataFiles).toHaveLength(2);
    expect(rows(plan.dataFiles)).toBe(6);
    expect(plan.deleteFiles).toHaveLength(4);
    for (const d of plan.deleteFiles) expect(d.content).toBe('EQUALITY_DELETES');
    expect(plan.deleteFiles.map((d) => d.equalityIds).sort()).toEqual([[1], [1, 2], [2], [2]]);
    // Deletes apply to data files with a lower data sequence number; these came in later commits.
    for (const d of plan.deleteFiles) expect(d.sequenceNumber).toBeGreaterThan(1);
    // SOURCE.md: this snapshot's manifest list is missing upstream; that is a NotFound, not a crash
    await expect(planScan(store, m, { snapshotId: '7342794868382145167' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('legacy v1 (embedded manifests): two data files, identity partitions, sequence numbers 0', async () => {
    const m = await metadataOf('duckdb-legacy-v1', 'v2.metadata.json');
    expect(m.formatVersion).toBe(1);
    expect(m.snapshots[0]!.manifestList).toBeUndefined();
    expect(m.partitionSpecs).toEqual([{ specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }] }]);
    const plan = await planScan(store, m);
    expect(plan.dataFiles).toHaveLength(2);
    expect(rows(plan.dataFiles)).toBe(3);
    expect(plan.dataFiles.map((f) => f.partition.category).sort()).toEqual(['alpha', 'beta']);
    for (const f of plan.dataFiles) expect([f.sequenceNumber, f.fileSequenceNumber, f.content]).toEqual([0, 0, 'DATA']);
    const empty = await metadataOf('duckdb-legacy-v1', 'v1.metadata.json');
    expect((await planScan(store, empty)).dataFiles).toEqual([]);
  });

  it('refuses locations outside the warehouse and the aliases', async () => {
    const m = await metadataOf('duckdb-lineitem-iceberg', 'v2.metadata.json');
    const moved = { ...m, snapshots: m.snapshots.map((s) => ({ ...s, manifestList: `file:///etc/${path.basename(s.manifestList!)}` })) };
    await expect(planScan(store, moved)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('metadata JSON edge cases', () => {
  it('keeps 64-bit integers exact but leaves fractions, exponents and strings alone', async () => {
    const { parseJsonExact, stringifyExact, parseTableMetadataBytes } = await import('../../src/iceberg/metadata-json.js');
    expect(parseJsonExact('{"a": 9223372036854775807, "b": 0.12345678901234567, "c": "12345678901234567890", "d": [1e20, -1234567890123456789]}'))
      .toEqual({ a: '9223372036854775807', b: 0.12345678901234567, c: '12345678901234567890', d: [1e20, '-1234567890123456789'] });
    expect(stringifyExact({ id: 7817332053627255703n, n: 1 }, 0)).toBe('{"id":7817332053627255703,"n":1}');
    const { gzipSync } = await import('node:zlib');
    const text = await fs.readFile(path.join(fixtureDir('duckdb-lineitem-iceberg'), 'metadata', 'v2.metadata.json'));
    expect(parseTableMetadataBytes(gzipSync(text)).currentSnapshotId).toBe('2354745328521181395');
    expect(() => parseTableMetadata('{"format-version": 3}')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
