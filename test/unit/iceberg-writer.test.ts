/**
 * The Iceberg writer, read back through the reader: new tables, appends, overwrites with DELETED
 * entries, metadata files and their log, rollback, schema evolution, and the Avro headers other
 * readers rely on (field ids, partition spec, format version).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureDir } from '../support/iceberg-fixtures.js';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { decodeValue } from '../../src/domain/iceberg/binary.js';
import type { DataFile, Schema, TableMetadata } from '../../src/domain/iceberg/types.js';
import { readAvroFile } from '../../src/iceberg/avro-container.js';
import { readManifestList } from '../../src/iceberg/manifest-list.js';
import { readManifest } from '../../src/iceberg/manifests.js';
import { parseTableMetadata } from '../../src/iceberg/metadata-json.js';
import { planScan, snapshotManifests } from '../../src/iceberg/scan-planner.js';
import { commitSnapshot, evolveSchema, newTableMetadata, rollbackTo, writeMetadataFile } from '../../src/iceberg/table-writer.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

const schema: Schema = {
  schemaId: 0,
  identifierFieldIds: [1],
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'category', required: false, type: 'string' },
    { id: 3, name: 'price', required: false, type: 'decimal(9,2)' },
    { id: 4, name: 'ts', required: false, type: 'timestamptz' },
  ],
};
const spec = { specId: 0, fields: [{ sourceId: 2, fieldId: 1000, name: 'category', transform: 'identity' }, { sourceId: 4, fieldId: 1001, name: 'ts_day', transform: 'day' }] };

function file(location: string, category: string, rows: number): DataFile {
  return {
    content: 'DATA', filePath: location, fileFormat: 'PARQUET', specId: 0,
    partition: { category, ts_day: 20000 },
    recordCount: rows, fileSizeInBytes: 1000 + rows,
    columnSizes: new Map([[1, 10]]), valueCounts: new Map([[1, rows]]), nullValueCounts: new Map([[1, 0]]),
    // typed values, as the engine's WrittenFile carries them
    lowerBounds: new Map<number, unknown>([[1, 1n], [2, category], [3, '1.50'], [4, '2024-10-04T10:00:00Z']]) as never,
    upperBounds: new Map<number, unknown>([[1, BigInt(rows)], [2, `${category}-a-very-long-category-name`], [3, '99.99'], [4, '2024-10-04T11:00:00.123456Z']]) as never,
    sequenceNumber: 0, fileSequenceNumber: 0, snapshotId: '0',
  };
}

describe('Iceberg writer', () => {
  let dir: string;
  let store: ObjectStore;
  let location: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-writer-'));
    store = createLocalObjectStore(pathToFileURL(dir).href);
    location = `${store.root}/db/t1`;
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  const read = async (loc: string) => parseTableMetadata(new TextDecoder().decode(await store.read(loc)));

  it('creates, appends, overwrites, and reads every step back', async () => {
    const m0 = newTableMetadata({ location, schema, spec, properties: { owner: 'test' } });
    const loc0 = await writeMetadataFile(store, m0);
    expect(loc0).toMatch(new RegExp(`^${location}/metadata/00001-[0-9a-f-]{36}\\.metadata\\.json$`));
    const r0 = await read(loc0);
    expect(r0).toEqual(m0);
    expect(new TextDecoder().decode(await store.read(loc0))).toContain('"current-snapshot-id": -1');

    const a = file(`${location}/data/a.parquet`, 'alpha', 10);
    const b = file(`${location}/data/b.parquet`, 'beta', 5);
    const m1 = await commitSnapshot(store, r0, { operation: 'append', added: [a, b] });
    const loc1 = await writeMetadataFile(store, m1, loc0);
    expect(loc1).toContain('/metadata/00002-');
    const r1 = await read(loc1);
    expect(r1.metadataLog).toEqual([{ timestampMs: m0.lastUpdatedMs, metadataFile: loc0 }]);
    expect(r1.refs.main).toEqual({ snapshotId: r1.currentSnapshotId, type: 'branch' });
    const s1 = r1.snapshots[0]!;
    expect(BigInt(s1.snapshotId) > 0n).toBe(true);
    expect(new TextDecoder().decode(await store.read(loc1))).toContain(`"snapshot-id": ${s1.snapshotId}`);
    expect(s1.summary).toMatchObject({ operation: 'append', 'added-data-files': '2', 'added-records': '15', 'total-records': '15', 'total-data-files': '2', 'total-delete-files': '0', 'total-files-size': '2015' });

    const plan1 = await planScan(store, r1);
    expect(plan1.dataFiles.map((f) => f.filePath).sort()).toEqual([a.filePath, b.filePath]);
    const pa = plan1.dataFiles.find((f) => f.filePath === a.filePath)!;
    expect([pa.sequenceNumber, pa.fileSequenceNumber, pa.snapshotId]).toEqual([1, 1, s1.snapshotId]);
    expect(pa.partition).toEqual({ category: 'alpha', ts_day: 20000 });
    expect(decodeValue('decimal(9,2)', pa.lowerBounds!.get(3)!)).toBe('1.50');
    expect(decodeValue('long', pa.upperBounds!.get(1)!)).toBe(10n);
    expect(decodeValue('timestamptz', pa.upperBounds!.get(4)!)).toBe(1728039600123456n);
    // strings are truncated to 16 characters; the upper bound is incremented so it stays an upper bound
    expect(decodeValue('string', pa.upperBounds!.get(2)!)).toBe('alpha-a-very-lon'.slice(0, 15) + 'o');
    expect(pa.valueCounts).toEqual(new Map([[1, 10]]));

    const c = file(`${location}/data/c.parquet`, 'alpha', 7);
    const m2 = await commitSnapshot(store, r1, { operation: 'overwrite', added: [c], removed: [pa] });
    const r2 = await read(await writeMetadataFile(store, m2, loc1));
    const s2 = r2.snapshots[1]!;
    expect([s2.parentSnapshotId, s2.sequenceNumber, r2.lastSequenceNumber]).toEqual([s1.snapshotId, 2, 2]);
    expect(s2.summary).toMatchObject({ 'deleted-data-files': '1', 'deleted-records': '10', 'added-records': '7', 'total-records': '12', 'total-data-files': '2' });
    const plan2 = await planScan(store, r2);
    expect(plan2.dataFiles.map((f) => [f.filePath, f.sequenceNumber]).sort()).toEqual([[b.filePath, 1], [c.filePath, 2]]);

    // The rewritten manifest records the removal as DELETED with the file's original sequence number.
    const list = await snapshotManifests(store, s2);
    expect(list.map((m) => [m.content, m.addedFilesCount, m.existingFilesCount, m.deletedFilesCount])).toEqual([['DATA', 1, 0, 0], ['DATA', 0, 1, 1]]);
    const rewritten = readManifest(await store.read(list[1]!.manifestPath), list[1]!);
    expect(rewritten.entries.map((e) => [e.status, e.dataFile.filePath, e.dataFile.sequenceNumber, e.dataFile.snapshotId]))
      .toEqual([['DELETED', a.filePath, 1, s2.snapshotId], ['EXISTING', b.filePath, 1, s1.snapshotId]]);
    expect(list[1]!.minSequenceNumber).toBe(1);

    // time travel still sees the first snapshot
    expect((await planScan(store, r2, { snapshotId: s1.snapshotId })).dataFiles).toHaveLength(2);

    // rollback keeps every snapshot
    const r3 = rollbackTo(r2, s1.snapshotId);
    expect(r3.snapshots).toHaveLength(2);
    expect([r3.currentSnapshotId, r3.refs.main!.snapshotId, r3.snapshotLog.at(-1)!.snapshotId]).toEqual([s1.snapshotId, s1.snapshotId, s1.snapshotId]);
    expect(() => rollbackTo(r2, '42')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));

    // removing a file that is not live is refused
    await expect(commitSnapshot(store, r2, { operation: 'delete', removed: [pa] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // keepExistingManifests: false replaces the contents
    const r4 = await commitSnapshot(store, r2, { operation: 'overwrite', keepExistingManifests: false });
    expect((await planScan(store, r4)).dataFiles).toEqual([]);
    expect(r4.snapshots.at(-1)!.summary['total-records']).toBe('0');
  });

  it('writes manifests and manifest lists whose headers carry the spec field ids and metadata', async () => {
    const m = await commitSnapshot(store, newTableMetadata({ location: `${store.root}/db/t2`, schema, spec }), { operation: 'append', added: [file(`${store.root}/db/t2/data/x.parquet`, 'x', 1)] });
    const listLoc = m.snapshots[0]!.manifestList!;
    const list = readAvroFile(await store.read(listLoc));
    expect(list.metadata).toMatchObject({ 'snapshot-id': m.currentSnapshotId, 'parent-snapshot-id': 'null', 'sequence-number': '1', 'format-version': '2' });
    const listIds = (list.schema.fields as { 'field-id': number }[]).map((f) => f['field-id']);
    expect(listIds).toEqual([500, 501, 502, 517, 515, 516, 503, 504, 505, 506, 512, 513, 514, 507, 519]);
    const entry = readManifestList(await store.read(listLoc))[0]!;
    expect(entry.partitions).toHaveLength(2);
    expect(new TextDecoder().decode(entry.partitions![0]!.lowerBound)).toBe('x');

    const manifest = readAvroFile(await store.read(entry.manifestPath));
    expect(manifest.metadata).toMatchObject({ 'schema-id': '0', 'partition-spec-id': '0', 'format-version': '2', content: 'data' });
    expect(JSON.parse(manifest.metadata['partition-spec']!)).toEqual([
      { name: 'category', transform: 'identity', 'source-id': 2, 'field-id': 1000 },
      { name: 'ts_day', transform: 'day', 'source-id': 4, 'field-id': 1001 },
    ]);
    expect(JSON.parse(manifest.metadata.schema!)).toMatchObject({ 'schema-id': 0, 'identifier-field-ids': [1] });
    const text = JSON.stringify(manifest.schema);
    for (const id of [0, 1, 2, 3, 4, 100, 101, 102, 103, 104, 108, 109, 110, 117, 118, 125, 126, 127, 128, 134, 135, 1000, 1001]) expect(text).toContain(`"field-id":${id}`);
    expect(text).toContain('"element-id":133');
    const dataFile = (manifest.schema.fields as { name: string; type: { fields: { name: string; type: { fields: unknown[] } }[] } }[])[4]!.type;
    expect(dataFile.fields.find((f) => f.name === 'partition')!.type.fields).toEqual([
      { name: 'category', type: ['null', 'string'], default: null, 'field-id': 1000 },
      { name: 'ts_day', type: ['null', { type: 'int', logicalType: 'date' }], default: null, 'field-id': 1001 },
    ]);
  });

  describe('schema evolution', () => {
    const base = (): TableMetadata => newTableMetadata({ location: `${store.root}/db/t3`, schema, spec });

    it('adds, renames, widens, drops and relaxes columns under a new schema id', () => {
      const m = { ...base(), schemas: [{ ...schema, fields: [...schema.fields, { id: 5, name: 'n', required: true, type: 'int' as const }] }], lastColumnId: 5 };
      const next = evolveSchema(m, [
        { addColumn: { name: 'tags', type: 'list<string>' } },
        { renameColumn: { from: 'price', to: 'amount' } },
        { widenColumn: { name: 'n', type: 'long' } },
        { makeOptional: 'n' },
        { dropColumn: 'amount' },
        { addColumn: { name: 'must', type: 'int', required: true } },
      ]);
      expect(next.currentSchemaId).toBe(1);
      expect(next.schemas).toHaveLength(2);
      expect(next.lastColumnId).toBe(8);
      const s = next.schemas[1]!;
      expect(s.fields.map((f) => [f.id, f.name, f.required, f.type])).toEqual([
        [1, 'id', true, 'long'], [2, 'category', false, 'string'], [4, 'ts', false, 'timestamptz'], [5, 'n', false, 'long'],
        [6, 'tags', false, { type: 'list', elementId: 7, element: 'string', elementRequired: false }], [8, 'must', true, 'int'],
      ]);
      expect(s.identifierFieldIds).toEqual([1]);
    });

    it('rejects invalid changes with InvalidInput naming the column', async () => {
      const m = base();
      const withRows = await commitSnapshot(store, m, { operation: 'append', added: [file(`${store.root}/db/t3/data/y.parquet`, 'y', 3)] });
      const cases: [TableMetadata, object, string][] = [
        [withRows, { addColumn: { name: 'req', type: 'int', required: true } }, 'req'],
        [m, { addColumn: { name: 'ID', type: 'int' } }, 'ID'],
        [m, { dropColumn: 'id' }, 'id'],
        [m, { dropColumn: 'category' }, 'category'],
        [m, { dropColumn: 'nope' }, 'nope'],
        [m, { widenColumn: { name: 'price', type: 'decimal(9,3)' } }, 'price'],
        [m, { widenColumn: { name: 'id', type: 'int' } }, 'id'],
        [m, { renameColumn: { from: 'price', to: 'category' } }, 'price'],
        [m, { makeOptional: 'id' }, 'id'],
      ];
      for (const [meta, change, column] of cases) {
        let err: unknown;
        try {
          evolveSchema(meta, [change]);
        } catch (e) {
          err = e;
        }
        expect(err, JSON.stringify(change)).toMatchObject({ code: 'INVALID_INPUT' });
        expect((err as Error).message).toContain(`'${column}'`);
      }
      expect(() => evolveSchema(m, [{ dropColumn: 'price', makeOptional: 'ts' }])).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
      expect(evolveSchema(m, [{ addColumn: { name: 'req', type: 'int', required: true } }]).schemas[1]!.fields.at(-1)!.required).toBe(true);
      expect(evolveSchema(withRows, [{ addColumn: { name: 'req', type: 'int', required: true, default: 0 } }]).schemas[1]!.fields.at(-1)).toMatchObject({ initialDefault: 0, writeDefault: 0 });
    });
  });

  it('commits to a legacy v1 table (embedded manifests, null counts): upgrades it to v2 and keeps its files', async () => {
    const copy = path.join(dir, 'legacy');
    await fs.cp(fixtureDir('duckdb-legacy-v1'), copy, { recursive: true });
    const prefix = 'data/persistent/iceberg_v1_deprecated/default/legacy_v1';
    const legacyStore = createLocalObjectStore(pathToFileURL(dir).href, [{ prefix: `${prefix}/`, replacement: `${pathToFileURL(copy).href}/` }]);
    const m = parseTableMetadata(await fs.readFile(path.join(copy, 'metadata', 'v2.metadata.json'), 'utf8'));
    // The recorded location is relative; write under the copy instead, as a registered table would be moved.
    const moved = { ...m, location: pathToFileURL(copy).href };
    const bounds = (id: number, cat: string, amount: number) => new Map<number, unknown>([[1, id], [2, cat], [3, amount]]) as never;
    const added = { ...file(`${moved.location}/data/category=gamma/new.parquet`, 'gamma', 4), partition: { category: 'gamma' }, lowerBounds: bounds(7, 'gamma', 1), upperBounds: bounds(9, 'gamma', 5) };
    const next = await commitSnapshot(legacyStore, moved, { operation: 'append', added: [added] });
    expect(next.formatVersion).toBe(2);
    expect(next.snapshots.at(-1)!.summary).toMatchObject({ 'total-records': '7', 'total-data-files': '3' });
    const plan = await planScan(legacyStore, next);
    expect(plan.dataFiles.map((f) => [f.partition.category, f.sequenceNumber]).sort()).toEqual([['alpha', 0], ['beta', 0], ['gamma', 1]]);
    const list = readManifestList(await legacyStore.read(next.snapshots.at(-1)!.manifestList!));
    expect(list[1]).toMatchObject({ addedFilesCount: 2, existingFilesCount: 0, addedRowsCount: 3, sequenceNumber: 0, partitionSpecId: 0 });
    expect(list[1]!.manifestLength).toBeGreaterThan(0);
    const loc = await writeMetadataFile(legacyStore, next, `${prefix}/metadata/v2.metadata.json`);
    expect(loc).toContain('/metadata/00003-');
    const back = await read(loc);
    expect(back.metadataLog.at(-1)).toEqual({ timestampMs: m.lastUpdatedMs, metadataFile: `${prefix}/metadata/v2.metadata.json` });
    // the legacy snapshot got a manifest list, so v2 readers (PyIceberg requires one) can read it
    expect(back.snapshots[0]!.manifests).toBeUndefined();
    expect(back.snapshots[0]!.manifestList).toMatch(/\/metadata\/snap-2456114553637229296-0-/);
    expect((await planScan(legacyStore, back, { snapshotId: '2456114553637229296' })).dataFiles).toHaveLength(2);
  });
});
