/**
 * Snapshot history a catalog kept in its commits (src/iceberg/catalog-history.ts) and the walk that
 * puts it together (TableReads.tableMetadata): metadata files written the way Nessie's Iceberg REST
 * catalog writes them (only the current snapshot, no parent id, an empty metadata-log), committed
 * one after another on the embedded version store, read back with every snapshot; and the
 * schema-id a schema change drops so that Nessie's catalog sees the change.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryEventBus } from '../../src/adapters/event-bus/memory/index.js';
import { createLocalObjectStore } from '../../src/adapters/object-store/local/index.js';
import { openPglite } from '../../src/adapters/sql/database.js';
import { createEmbeddedVersionStore } from '../../src/adapters/version-store/embedded/index.js';
import type { IcebergTableContent } from '../../src/domain/content.js';
import type { Schema, Snapshot, TableMetadata } from '../../src/domain/iceberg/types.js';
import type { CommitHash, RefName } from '../../src/domain/refs.js';
import { historyTruncated, withEarlierHistory } from '../../src/iceberg/catalog-history.js';
import { parseTableMetadata, serializeTableMetadata } from '../../src/iceberg/metadata-json.js';
import { evolveSchema, newTableMetadata } from '../../src/iceberg/table-writer.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import type { VersionStore } from '../../src/ports/version-store.js';
import { CatalogService } from '../../src/services/catalog.js';
import { TableReads } from '../../src/services/tables.js';

const schema0: Schema = { schemaId: 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };
const schema1: Schema = { schemaId: 1, fields: [...schema0.fields, { id: 2, name: 'note', required: false, type: 'string' }] };
const base = newTableMetadata({ location: 's3://b/w/lake/events_1', schema: schema0, spec: { specId: 0, fields: [] }, now: 1_000 });

const snap = (id: string, seq: number, extra: Partial<Snapshot> = {}): Snapshot => ({
  snapshotId: id,
  sequenceNumber: seq,
  timestampMs: 1_000 * seq,
  manifestList: `${base.location}/metadata/snap-${id}.avro`,
  summary: { operation: 'append' },
  schemaId: 0,
  ...extra,
});

/** A metadata file as Nessie 0.99's catalog writes it: the current snapshot only. */
function nessieStyle(s: Snapshot, opts: { schemas?: Schema[]; currentSchemaId?: number } = {}): TableMetadata {
  return {
    ...base,
    schemas: opts.schemas ?? [schema0],
    currentSchemaId: opts.currentSchemaId ?? 0,
    lastSequenceNumber: s.sequenceNumber,
    lastUpdatedMs: s.timestampMs,
    lastColumnId: Math.max(...(opts.schemas ?? [schema0]).flatMap((x) => x.fields.map((f) => f.id))),
    currentSnapshotId: s.snapshotId,
    snapshots: [s],
    snapshotLog: [{ timestampMs: s.timestampMs, snapshotId: s.snapshotId }],
    metadataLog: [],
    refs: { main: { snapshotId: s.snapshotId, type: 'branch' } },
  };
}

describe('historyTruncated', () => {
  it('is true only when the parent chain ends at a parentless snapshot that was not the first', () => {
    expect(historyTruncated(base)).toBe(false); // no snapshot
    expect(historyTruncated(nessieStyle(snap('1', 1)))).toBe(false); // the first snapshot
    expect(historyTruncated(nessieStyle(snap('3', 3)))).toBe(true);
    const complete = { ...nessieStyle(snap('2', 2, { parentSnapshotId: '1' })), snapshots: [snap('1', 1), snap('2', 2, { parentSnapshotId: '1' })] };
    expect(historyTruncated(complete)).toBe(false);
    // Expired snapshots: the parent id stays, the parent is gone; that is not a truncated history.
    expect(historyTruncated(nessieStyle(snap('5', 5, { parentSnapshotId: '4' })))).toBe(false);
    expect(historyTruncated({ ...nessieStyle(snap('3', 3)), formatVersion: 1 })).toBe(false);
  });
});

describe('withEarlierHistory', () => {
  it('puts the snapshots of earlier files back, with parents, logs and the schemas they had', () => {
    const f1 = nessieStyle(snap('11', 1));
    const f2 = nessieStyle(snap('22', 2));
    const f3 = nessieStyle(snap('33', 3, { schemaId: 1 }), { schemas: [schema0, schema1], currentSchemaId: 1 });
    const m = withEarlierHistory(f3, [
      { location: 's3://b/f2.metadata.json', metadata: f2 },
      { location: 's3://b/f1.metadata.json', metadata: f1 },
    ]);
    expect(m.snapshots.map((s) => [s.snapshotId, s.parentSnapshotId])).toEqual([['11', undefined], ['22', '11'], ['33', '22']]);
    expect(m.currentSnapshotId).toBe('33');
    expect(m.currentSchemaId).toBe(1);
    expect(m.schemas.map((s) => s.schemaId)).toEqual([0, 1]);
    expect(m.snapshotLog).toEqual([{ timestampMs: 1000, snapshotId: '11' }, { timestampMs: 2000, snapshotId: '22' }, { timestampMs: 3000, snapshotId: '33' }]);
    expect(m.metadataLog).toEqual([{ timestampMs: 1000, metadataFile: 's3://b/f1.metadata.json' }, { timestampMs: 2000, metadataFile: 's3://b/f2.metadata.json' }]);
    expect(m.lastSequenceNumber).toBe(3);
    expect(historyTruncated(m)).toBe(false);
    // A file whose current snapshot did not change (a schema change) adds nothing twice.
    const again = withEarlierHistory(f3, [{ location: 's3://b/f2b.metadata.json', metadata: f2 }, { location: 's3://b/f2.metadata.json', metadata: f2 }, { location: 's3://b/f1.metadata.json', metadata: f1 }]);
    expect(again.snapshots.map((s) => [s.snapshotId, s.parentSnapshotId])).toEqual([['11', undefined], ['22', '11'], ['33', '22']]);
    expect(withEarlierHistory(f3, [])).toBe(f3);
  });
});

describe('what Nessie’s catalog reads from the files the gateway writes', () => {
  it('evolveSchema drops the current snapshot’s schema-id (Nessie takes it for the current schema), older ones keep theirs', () => {
    const m = { ...nessieStyle(snap('2', 2, { parentSnapshotId: '1' })), snapshots: [snap('1', 1), snap('2', 2, { parentSnapshotId: '1' })] };
    const next = evolveSchema(m, [{ addColumn: { name: 'note', type: 'string' } }]);
    expect(next.currentSchemaId).toBe(1);
    expect(next.snapshots.map((s) => s.schemaId)).toEqual([0, undefined]);
    expect(parseTableMetadata(serializeTableMetadata(next)).snapshots.map((s) => s.schemaId)).toEqual([0, undefined]);
  });
});

describe('TableReads.tableMetadata over a catalog’s commits', () => {
  let dir: string;
  let store: VersionStore;
  let objects: ObjectStore;
  let reads: TableReads;
  const key = 'lake.events';
  const main = 'main' as RefName;

  const put = async (m: TableMetadata, id?: string) => {
    const location = `${objects.root}/lake/events_1/metadata/00000-${randomUUID()}.metadata.json`;
    await objects.write(location, new TextEncoder().encode(serializeTableMetadata(m)));
    const content: IcebergTableContent = { type: 'ICEBERG_TABLE', ...(id ? { id } : {}), metadataLocation: location, snapshotId: m.currentSnapshotId ?? '-1', schemaId: m.currentSchemaId, specId: 0, sortOrderId: 0 };
    const out = await store.commit(main, undefined, { message: `put ${location}`, author: 'test' }, [{ type: 'PUT', key, content }]);
    return { hash: out.commit.hash, id: id ?? out.addedContentIds[key]!, location };
  };
  const viewAt = async (hash: CommitHash) => {
    const t = await reads.tableAt({ refName: null, commitHash: hash }, key);
    if (!t) throw new Error(`no table at ${hash}`);
    return t;
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cg-history-'));
    store = await createEmbeddedVersionStore(await openPglite(path.join(dir, 'catalog')));
    objects = createLocalObjectStore(pathToFileURL(path.join(dir, 'warehouse')).href);
    reads = new TableReads(new CatalogService(store, [], createMemoryEventBus()), store, objects, null as never);
    await store.commit(main, undefined, { message: 'ns', author: 'test' }, [{ type: 'PUT', key: 'lake', content: { type: 'NAMESPACE', elements: ['lake'], properties: {} } }]);
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds the snapshots of the earlier commits, stops at a recreated table, and caches by location', async () => {
    const c1 = await put(nessieStyle(snap('11', 1)));
    await store.commit(main, undefined, { message: 'elsewhere', author: 'test' }, [{ type: 'PUT', key: 'lake.other', content: { type: 'NAMESPACE', elements: ['lake', 'other'], properties: {} } }]);
    const c2 = await put(nessieStyle(snap('22', 2)), c1.id);
    const c3 = await put(nessieStyle(snap('33', 3)), c1.id);

    const at3 = await reads.tableMetadata(await viewAt(c3.hash));
    expect(at3.snapshots.map((s) => [s.snapshotId, s.parentSnapshotId])).toEqual([['11', undefined], ['22', '11'], ['33', '22']]);
    expect(at3.metadataLog.map((e) => e.metadataFile)).toEqual([c1.location, c2.location]);
    expect(await reads.tableMetadata(await viewAt(c3.hash))).toBe(at3);
    const at2 = await reads.tableMetadata(await viewAt(c2.hash));
    expect(at2.snapshots.map((s) => s.snapshotId)).toEqual(['11', '22']);
    const snapshots = await reads.snapshots(await viewAt(c3.hash), { first: 10 });
    expect(snapshots.edges.map((e) => e.node.snapshot.snapshotId)).toEqual(['33', '22', '11']);

    // Dropped and made again under the same key: its history starts with the new content id.
    await store.commit(main, undefined, { message: 'drop', author: 'test' }, [{ type: 'DELETE', key }]);
    const c4 = await put(nessieStyle(snap('44', 4)));
    const c5 = await put(nessieStyle(snap('55', 5)), c4.id);
    const at5 = await reads.tableMetadata(await viewAt(c5.hash));
    expect(at5.snapshots.map((s) => s.snapshotId)).toEqual(['44', '55']);
  });

  it('stops at a file that has its whole history (as the gateway writes them)', async () => {
    await store.commit(main, undefined, { message: 'drop', author: 'test' }, [{ type: 'DELETE', key }]);
    const c1 = await put(nessieStyle(snap('101', 1)));
    const full = { ...nessieStyle(snap('102', 2, { parentSnapshotId: '101' })), snapshots: [snap('101', 1), snap('102', 2, { parentSnapshotId: '101' })] };
    const c2 = await put(full, c1.id);
    const c3 = await put(nessieStyle(snap('103', 3)), c1.id);
    // The first file is no longer readable: the walk must not need it.
    await objects.delete(c1.location);
    const at3 = await reads.tableMetadata(await viewAt(c3.hash));
    expect(at3.snapshots.map((s) => [s.snapshotId, s.parentSnapshotId])).toEqual([['101', undefined], ['102', '101'], ['103', '102']]);
    expect(at3.metadataLog.map((e) => e.metadataFile)).toEqual([c2.location]);
  });
});
