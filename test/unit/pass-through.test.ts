/**
 * Upload pass-through in the engine: a Parquet file that matches the table exactly is kept as it is
 * (no field ids; bloom filters dropped from its footer; metrics from the values), anything else is
 * rewritten (field ids) or refused as before; files without field ids read through the name mapping,
 * mixed with files that have ids. Also the thrift codec and the name mapping.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataFile, NameMapping, NestedField, ScanPlan, Schema } from '../../src/domain/iceberg/types.js';
import { dataFileFromWritten } from '../../src/iceberg/file-metrics.js';
import { mappingFromSchema, mappingResolvesCurrentNames, updateNameMapping } from '../../src/iceberg/name-mapping.js';
import { evolveSchema, newTableMetadata } from '../../src/iceberg/table-writer.js';
import { decodeStruct, encodeStruct, field, list, struct, type TStruct } from '../../src/iceberg/thrift-compact.js';
import type { QueryEngine, WrittenFile } from '../../src/ports/query-engine.js';
import { openDuckTestKit, type DuckTestKit } from '../support/duckdb-kit.js';

let dir: string;
let engine: QueryEngine;
let duck: DuckDBConnection;
let kit: DuckTestKit;

beforeAll(async () => {
  kit = await openDuckTestKit('cg-pass-');
  ({ dir, engine, duck } = kit);
});
afterAll(() => kit.close());

const f = (id: number, name: string, type: NestedField['type'], required = false): NestedField => ({ id, name, type, required });
const SCHEMA: Schema = {
  schemaId: 0,
  fields: [f(1, 'id', 'long', true), f(2, 'sgv', 'int'), f(3, 'direction', 'string'), f(4, 'ts', 'timestamptz'), f(5, 'amount', 'decimal(10,2)'), f(6, 'day', 'date'), f(7, 'ok', 'boolean'), f(8, 'v', 'double')],
};
const UNPARTITIONED = { specId: 0, fields: [] };
const N = 5000;

/** The readings as DuckDB writes them (row groups of 1000, so several; bloom filters on dictionary columns). */
const SELECT = (n = N, over: Record<string, string> = {}) => {
  const cols: Record<string, string> = {
    id: 'i::BIGINT',
    sgv: 'CASE WHEN i % 7 = 0 THEN NULL ELSE (40 + i % 361)::INTEGER END',
    direction: `CASE WHEN i % 11 = 0 THEN NULL ELSE (['Flat', 'Up', 'Down'])[1 + (i % 3)::INTEGER] END`,
    ts: `TIMESTAMPTZ '2026-01-01 00:00:00+00' + to_microseconds(i * 300000000)`,
    amount: '(i / 100)::DECIMAL(10,2)',
    day: `DATE '2026-01-01' + (i // 288)::INTEGER`,
    ok: 'i % 2 = 0',
    v: `CASE WHEN i = 3 THEN 'NaN'::DOUBLE ELSE i * 0.5 END`,
    ...over,
  };
  return `SELECT ${Object.entries(cols).filter(([, v]) => v !== '').map(([k, v]) => `${v} AS "${k}"`).join(', ')} FROM range(0, ${n}) r(i) ORDER BY i`;
};

let seq = 0;
async function parquet(select: string, options = ''): Promise<string> {
  const path = join(dir, `in-${++seq}.parquet`);
  await duck.run(`COPY (${select}) TO '${path}' (FORMAT parquet, ROW_GROUP_SIZE 1000${options})`);
  return path;
}

async function write(path: string, schema = SCHEMA, spec: { specId: number; fields: { sourceId: number; fieldId: number; name: string; transform: string }[] } = UNPARTITIONED): Promise<WrittenFile[]> {
  return engine.writeDataFiles({ kind: 'file', localPath: path, format: 'PARQUET', passThrough: true }, { schema, spec, location: kit.at('table/data') });
}

/** A written data file, opened where the local store keeps it. */
const local = (w: WrittenFile) => fileURLToPath(w.location);

async function fieldIds(path: string): Promise<(number | null)[]> {
  const r = await duck.runAndReadAll(`SELECT field_id FROM parquet_schema('${path}') WHERE num_children IS NULL`);
  return r.getRowsJS().map(([id]) => (id === null ? null : Number(id)));
}

/** Rewrites a Parquet footer, letting `edit` change each column chunk's metadata (ColumnMetaData). */
async function doctor(path: string, edit: (md: TStruct, column: string, rowGroup: number) => void): Promise<void> {
  const b = await readFile(path);
  const len = b.readUInt32LE(b.length - 8);
  const start = b.length - 8 - len;
  const { value: meta } = decodeStruct(b.subarray(start, b.length - 8));
  list(field(meta, 4)).forEach((rg, i) =>
    list(field(struct(rg), 1)).forEach((c) => {
      const md = struct(field(struct(c), 3))!;
      edit(md, Buffer.from(list(field(md, 3))[0] as Uint8Array).toString(), i);
    }),
  );
  const nb = encodeStruct(meta);
  const t = Buffer.alloc(8);
  t.writeUInt32LE(nb.length);
  t.write('PAR1', 4);
  await writeFile(path, Buffer.concat([b.subarray(0, start), nb, t]));
}
const stat = (md: TStruct, id: number, value: unknown) => {
  const s = struct(field(md, 12))!;
  const e = s.fields.find((x) => x.id === id);
  if (e) e.value = value as never;
  else s.fields.push({ id, type: typeof value === 'bigint' ? 6 : 8, value: value as never }), s.fields.sort((a, b) => a.id - b.id);
};
const i32 = (v: number) => {
  const x = Buffer.alloc(4);
  x.writeInt32LE(v);
  return new Uint8Array(x);
};

function plan(files: { path: string; w: WrittenFile }[], schema = SCHEMA, mapping: NameMapping | null = mappingFromSchema(SCHEMA)): ScanPlan {
  const dataFiles: DataFile[] = files.map(({ path, w }) => ({ ...dataFileFromWritten(w, path, schema, 0), sequenceNumber: 1, fileSequenceNumber: 1 }));
  return { schema, snapshotId: '1', dataFiles, deleteFiles: [], partitionSpecs: [UNPARTITIONED], nameMapping: mapping };
}

describe('pass-through of uploaded Parquet', () => {
  it('keeps a matching file as it is: no field ids, no bloom filters, metrics from the values', async () => {
    const path = await parquet(SELECT());
    const before = await duck.runAndReadAll(`SELECT count(*) FILTER (WHERE bloom_filter_offset IS NOT NULL) FROM parquet_metadata('${path}')`);
    expect(Number(before.getRowsJS()[0]![0])).toBeGreaterThan(0);
    const [w, ...more] = await write(path);
    expect(more).toEqual([]);
    expect(w!.passedThrough).toBe(true);
    // The data file is the upload as it is (its footer trimmed in place), put under the target location.
    expect(w!.location.startsWith(`${kit.at('table/data')}/`)).toBe(true);
    const kept = local(w!);
    expect(await readFile(kept)).toEqual(await readFile(path));
    expect(w!.fileSizeInBytes).toBe((await readFile(kept)).length);
    expect(w!.recordCount).toBe(N);
    expect(await fieldIds(kept)).toEqual([null, null, null, null, null, null, null, null]);
    const after = await duck.runAndReadAll(`SELECT count(*) FILTER (WHERE bloom_filter_offset IS NOT NULL), count(DISTINCT row_group_id) FROM parquet_metadata('${kept}')`);
    expect(after.getRowsJS()[0]!.map(Number)).toEqual([0, 3]); // row groups of 2048 (DuckDB rounds ROW_GROUP_SIZE up)
    // every value still there
    const sums = (await duck.runAndReadAll(`SELECT count(*), sum(id), count(sgv), sum(sgv), count(direction) FROM read_parquet('${kept}')`)).getRowsJS()[0]!.map(Number);
    const expected = (await duck.runAndReadAll(`SELECT count(*), sum(id), count(sgv), sum(sgv), count(direction) FROM (${SELECT()})`)).getRowsJS()[0]!.map(Number);
    expect(sums).toEqual(expected);
    expect(w!.nullValueCounts.get(2)).toBe(Math.ceil(N / 7));
    expect(w!.nullValueCounts.get(3)).toBe(Math.ceil(N / 11));
    expect(w!.valueCounts.get(1)).toBe(N);
    expect(w!.lowerBounds.get(1)).toBe(0n);
    expect(w!.upperBounds.get(1)).toBe(BigInt(N - 1));
    expect(w!.lowerBounds.get(3)).toBe('Down');
    expect(w!.upperBounds.get(3)).toBe('Up');
    expect(w!.upperBounds.get(8)).toBe((N - 1) * 0.5); // NaN left out of the bounds
    expect(w!.lowerBounds.get(4)).toBe(1_767_225_600_000_000n);
  });

  it('reads files without field ids through the name mapping, mixed with rewritten ones, after a rename', async () => {
    const kept = await parquet(SELECT(10));
    const [k] = await write(kept);
    expect(k!.passedThrough).toBe(true);
    // a file written the usual way (field ids), from JSON rows
    const [r] = await engine.writeDataFiles({ kind: 'rows', rows: [{ id: 100, sgv: 7, direction: 'x' }] }, { schema: SCHEMA, spec: UNPARTITIONED, location: kit.at('table/data') });
    expect(r!.passedThrough).toBeFalsy();
    const files = [{ path: k!.location, w: k! }, { path: r!.location, w: r! }];
    const ask = async (p: ScanPlan, col: string) =>
      (await engine.sql(`SELECT count(*) AS n, sum(${col}) AS s FROM t`, new Map([['t', p]]), { maxRows: 10, timeoutMs: 10_000, maxBytes: 64 << 20 })).rows.map((r) => r.map(String));
    expect(await ask(plan(files), 'sgv')).toEqual([['11', String([...Array(10).keys()].filter((i) => i % 7 !== 0).reduce((a, i) => a + 40 + i, 0) + 7)]]);
    // rename sgv → glucose: the mapping keeps the old name, the file still has it
    const m0 = newTableMetadata({ location: 'file:///x', schema: SCHEMA, spec: UNPARTITIONED });
    const m1 = evolveSchema({ ...m0, properties: { 'schema.name-mapping.default': JSON.stringify(mappingFromSchema(SCHEMA).map((e) => ({ 'field-id': e.fieldId, names: e.names }))) } }, [{ renameColumn: { from: 'sgv', to: 'glucose' } }]);
    const renamed = m1.schemas.at(-1)!;
    const mapping = JSON.parse(m1.properties['schema.name-mapping.default']!);
    expect(mapping.find((e: { 'field-id': number }) => e['field-id'] === 2).names).toEqual(['sgv', 'glucose']);
    const withMapping = await ask(plan(files, renamed, mapping.map((e: any) => ({ fieldId: e['field-id'], names: e.names }))), 'glucose');
    expect(withMapping).toEqual(await ask(plan(files), 'sgv'));
    // without the mapping the old file's column is not found under its new name
    const without = await ask({ ...plan(files, renamed), nameMapping: null }, 'glucose');
    expect(without).toEqual([['11', '7']]);
  });

  it('rewrites a file whose column type, columns, field ids, pages or partitioning do not match exactly', async () => {
    const cases: [string, string][] = [
      ['sgv as BIGINT', SELECT(100, { sgv: 'i::BIGINT' })],
      ['ts without time zone', SELECT(100, { ts: `TIMESTAMP '2026-01-01' + to_microseconds(i)` })],
      ['decimal of another scale', SELECT(100, { amount: 'i::DECIMAL(10,3)' })],
      ['a missing optional column', SELECT(100, { v: '' })],
    ];
    for (const [what, select] of cases) {
      const path = await parquet(select);
      const [w] = await write(path);
      expect(w!.passedThrough, what).toBeFalsy();
      expect((await fieldIds(local(w!))).every((id) => id !== null), what).toBe(true);
    }
    // V2 data pages, ms timestamps, field ids that are not the table's, a partitioned table
    const v2 = await parquet(SELECT(100), ', PARQUET_VERSION V2');
    expect((await write(v2))[0]!.passedThrough).toBeFalsy();
    const ids = await parquet(SELECT(100), `, FIELD_IDS {id: 11, sgv: 12, direction: 13, ts: 14, amount: 15, day: 16, ok: 17, v: 18}`);
    expect((await write(ids))[0]!.passedThrough).toBeFalsy();
    const same = await parquet(SELECT(100), `, FIELD_IDS {id: 1, sgv: 2, direction: 3, ts: 4, amount: 5, day: 6, ok: 7, v: 8}`);
    expect((await write(same))[0]!.passedThrough).toBe(true);
    const zstd = await parquet(SELECT(100), ', COMPRESSION zstd');
    expect((await write(zstd))[0]!.passedThrough).toBe(true);
    const part = await parquet(SELECT(100));
    const byDay = { specId: 0, fields: [{ sourceId: 6, fieldId: 1000, name: 'day', transform: 'identity' }] };
    expect((await write(part, SCHEMA, byDay))[0]!.passedThrough).toBeFalsy();
  });

  it('refuses an extra column or a NULL in a required column, as the rewrite does', async () => {
    await expect(write(await parquet(SELECT(100, { extra: '1' })))).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
    await expect(write(await parquet(SELECT(100, { id: 'CASE WHEN i = 50 THEN NULL ELSE i END::BIGINT' })))).rejects.toMatchObject({ code: 'SCHEMA_MISMATCH' });
  });

  it('rewrites a file whose footer statistics disagree with its values', async () => {
    const doctored: [string, (md: TStruct, col: string, rg: number) => void][] = [
      ['null count 0 with NULLs', (md, col, rg) => col === 'sgv' && rg === 1 && stat(md, 3, 0n)],
      ['max below the values', (md, col, rg) => col === 'sgv' && rg === 2 && (stat(md, 5, i32(41)), stat(md, 1, i32(41)))],
      ['min above the values', (md, col, rg) => col === 'sgv' && rg === 0 && (stat(md, 6, i32(300)), stat(md, 2, i32(300)))],
      ['too many nulls', (md, col, rg) => col === 'id' && rg === 2 && stat(md, 3, 5n)],
    ];
    for (const [what, edit] of doctored) {
      const path = await parquet(SELECT());
      await doctor(path, edit);
      const [w] = await write(path);
      expect(w!.passedThrough, what).toBeFalsy();
      // the rewrite has the true statistics
      const nulls = await duck.runAndReadAll(`SELECT sum(stats_null_count) FROM parquet_metadata('${local(w!)}') WHERE path_in_schema = 'sgv'`);
      expect(Number(nulls.getRowsJS()[0]![0]), what).toBe(Math.ceil(N / 7));
    }
    // a footer that is only looser than the values is fine
    const loose = await parquet(SELECT());
    await doctor(loose, (md, col) => col === 'sgv' && (stat(md, 6, i32(-5)), stat(md, 2, i32(-5))));
    expect((await write(loose))[0]!.passedThrough).toBe(true);
  });

  it('leaves a file it cannot keep intact for the rewrite', async () => {
    const path = await parquet(SELECT(100, { sgv: 'i::BIGINT' }));
    const copy = `${path}.orig`;
    await copyFile(path, copy);
    await write(path);
    expect(await readFile(path)).toEqual(await readFile(copy));
  });
});

describe('thrift compact codec and name mapping', () => {
  it('round-trips a Parquet footer byte for byte', async () => {
    const path = await parquet(SELECT(3000));
    const b = await readFile(path);
    const len = b.readUInt32LE(b.length - 8);
    const footer = b.subarray(b.length - 8 - len, b.length - 8);
    expect(Buffer.from(encodeStruct(decodeStruct(footer).value))).toEqual(Buffer.from(footer));
  });

  it('updates the mapping as Iceberg-Java does: renames add a name, a reused name moves', () => {
    const before: Schema = { schemaId: 0, fields: [f(1, 'a', 'long'), f(2, 'b', 'string')] };
    const renamed: Schema = { schemaId: 1, fields: [f(1, 'x', 'long'), f(2, 'b', 'string')] };
    const m1 = updateNameMapping(mappingFromSchema(before), before, renamed);
    expect(m1).toEqual([{ fieldId: 1, names: ['a', 'x'] }, { fieldId: 2, names: ['b'] }]);
    const reused: Schema = { schemaId: 2, fields: [f(1, 'x', 'long'), f(2, 'b', 'string'), f(3, 'a', 'int')] };
    const m2 = updateNameMapping(m1, renamed, reused);
    expect(m2).toEqual([{ fieldId: 1, names: ['x'] }, { fieldId: 2, names: ['b'] }, { fieldId: 3, names: ['a'] }]);
    expect(mappingResolvesCurrentNames(m2, reused)).toBe(true);
    expect(mappingResolvesCurrentNames(m1, { schemaId: 3, fields: [f(1, 'x', 'long'), f(2, 'a', 'string')] })).toBe(false);
  });
});
