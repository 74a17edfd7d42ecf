import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../src/domain/iceberg/binary.js';
import { icebergHash, murmur3_32 } from '../../src/domain/iceberg/murmur3.js';
import { applyTransform, javaUrlEncode, partitionPath, transformResultType } from '../../src/domain/iceberg/transforms.js';
import { canPromote, formatType, parseType, schemaFromJson, schemaToJson } from '../../src/domain/iceberg/type-strings.js';
import type { PrimitiveType } from '../../src/domain/iceberg/types.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const counter = (start = 1) => { let n = start; return () => n++; };

describe('type strings', () => {
  it('parses primitives and nested types with fresh ids', () => {
    expect(parseType('Decimal( 10 , 2 )', counter())).toBe('decimal(10,2)');
    expect(parseType('fixed[16]', counter())).toBe('fixed[16]');
    const t = parseType('struct<name: string not null, `home town`: list<string>, tags: map<string, long not null>>', counter(10));
    expect(t).toEqual({
      type: 'struct',
      fields: [
        { id: 10, name: 'name', required: true, type: 'string' },
        { id: 11, name: 'home town', required: false, type: { type: 'list', elementId: 12, element: 'string', elementRequired: false } },
        { id: 13, name: 'tags', required: false, type: { type: 'map', keyId: 14, key: 'string', valueId: 15, value: 'long', valueRequired: true } },
      ],
    });
    expect(formatType(t)).toBe('struct<name: string not null, `home town`: list<string>, tags: map<string, long not null>>');
    expect(parseType(formatType(t), counter(10))).toEqual(t);
  });

  it('rejects bad type strings with InvalidInput', () => {
    for (const bad of ['integer', 'list<int', 'decimal(40,2)', 'struct<a: int, a: long>', 'map<string>', 'int int']) {
      expect(() => parseType(bad, counter()), bad).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    }
    // out-of-range parameters say which rule they break
    for (const bad of ['decimal(39,2)', 'decimal(0,0)', 'list<Decimal(10, 11)>']) expect(() => parseType(bad, counter()), bad).toThrow(/decimal precision must be 1 to 38 and scale 0 to the precision/);
    expect(() => parseType('fixed[0]', counter())).toThrow(/fixed length must be at least 1/);
  });

  it('round-trips schema JSON and normalises decimal spacing', () => {
    const json = { type: 'struct', 'schema-id': 3, 'identifier-field-ids': [1], fields: [
      { id: 1, name: 'id', required: true, type: 'long' },
      { id: 2, name: 'price', required: false, type: 'decimal(15, 2)', doc: 'p' },
      { id: 3, name: 'm', required: false, type: { type: 'map', 'key-id': 4, key: 'string', 'value-id': 5, value: 'int', 'value-required': false } },
    ] };
    const s = schemaFromJson(json);
    expect(s.fields[1]!.type).toBe('decimal(15,2)');
    expect(schemaToJson(s)).toEqual({ ...json, fields: [json.fields[0], { ...json.fields[1], type: 'decimal(15,2)' }, json.fields[2]] });
  });

  it('knows the allowed promotions', () => {
    expect(canPromote('int', 'long')).toBe(true);
    expect(canPromote('float', 'double')).toBe(true);
    expect(canPromote('decimal(9,2)', 'decimal(12,2)')).toBe(true);
    expect(canPromote('decimal(9,2)', 'decimal(12,3)')).toBe(false);
    expect(canPromote('long', 'int')).toBe(false);
    expect(canPromote('int', 'string')).toBe(false);
  });
});

describe('murmur3 and bucket hashing (spec Appendix B test vectors)', () => {
  it('hashes every type as the spec says', () => {
    const cases: [PrimitiveType, unknown, number][] = [
      ['int', 34, 2017239379],
      ['long', 34n, 2017239379],
      ['decimal(4,2)', '14.20', -500754589],
      ['date', '2017-11-16', -653330422],
      ['time', '22:31:08', -662762989],
      ['timestamp', '2017-11-16T22:31:08', -2047944441],
      ['timestamp', '2017-11-16T22:31:08.000001', -1207196810],
      ['timestamptz', '2017-11-16T14:31:08-08:00', -2047944441],
      ['timestamptz', '2017-11-16T14:31:08.000001-08:00', -1207196810],
      ['string', 'iceberg', 1210000089],
      ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
      ['fixed[4]', Uint8Array.of(0, 1, 2, 3), -188683207],
      ['binary', Uint8Array.of(0, 1, 2, 3), -188683207],
      ['boolean', true, 1392991556],
      ['float', 1.0, -142385009],
      ['double', 0.0, 1669671676],
      ['double', -0.0, 1669671676],
    ];
    for (const [type, value, hash] of cases) expect(icebergHash(type, value), `${type} ${String(value)}`).toBe(hash);
    expect(murmur3_32(new Uint8Array())).toBe(0);
  });

  it('buckets non-negatively', () => {
    expect(applyTransform('bucket[16]', 'int', 34)).toBe(2017239379 % 16);
    expect(applyTransform('bucket[10]', 'string', 'iceberg')).toBe((1210000089 & 0x7fffffff) % 10);
    expect(applyTransform('bucket[7]', 'date', '2017-11-16')).toBe((-653330422 & 0x7fffffff) % 7);
  });
});

describe('transforms', () => {
  it('applies time transforms, truncate and identity', () => {
    expect(applyTransform('year', 'date', '2017-11-16')).toBe(47);
    expect(applyTransform('month', 'timestamp', '2017-11-16T22:31:08')).toBe(47 * 12 + 10);
    expect(applyTransform('day', 'timestamptz', '2017-11-16T22:31:08Z')).toBe(17486);
    expect(applyTransform('hour', 'timestamp', '1970-01-01T01:30:00')).toBe(1);
    expect(applyTransform('day', 'timestamp', '1969-12-31T23:59:59')).toBe(-1);
    expect(applyTransform('truncate[10]', 'int', -1)).toBe(-10);
    expect(applyTransform('truncate[10]', 'long', 1n)).toBe(0n);
    expect(applyTransform('truncate[50]', 'decimal(9,2)', '10.65')).toBe('10.50');
    expect(applyTransform('truncate[3]', 'string', 'iceberg')).toBe('ice');
    expect(applyTransform('truncate[2]', 'string', '😀😁😂')).toBe('😀😁');
    expect(applyTransform('identity', 'date', '2020-01-02')).toBe(18263);
    expect(applyTransform('void', 'int', 5)).toBeNull();
    expect(applyTransform('year', 'date', null)).toBeNull();
  });

  it('knows result types and rejects transforms that do not apply', () => {
    expect(transformResultType('day', 'timestamp')).toBe('date');
    expect(transformResultType('bucket[4]', 'string')).toBe('int');
    expect(transformResultType('truncate[4]', 'decimal(9,2)')).toBe('decimal(9,2)');
    expect(() => transformResultType('hour', 'date')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => transformResultType('bucket[4]', 'double')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('formats partition paths as Iceberg does', () => {
    const schema = schemaFromJson({ fields: [
      { id: 1, name: 'ts', required: false, type: 'timestamp' },
      { id: 2, name: 'Origin Country', required: false, type: 'string' },
      { id: 3, name: 'id', required: false, type: 'long' },
    ] });
    const spec = { specId: 0, fields: [
      { sourceId: 1, fieldId: 1000, name: 'ts_day', transform: 'day' },
      { sourceId: 1, fieldId: 1001, name: 'ts_hour', transform: 'hour' },
      { sourceId: 1, fieldId: 1002, name: 'ts_month', transform: 'month' },
      { sourceId: 2, fieldId: 1003, name: 'Origin Country', transform: 'identity' },
      { sourceId: 3, fieldId: 1004, name: 'id_bucket', transform: 'bucket[8]' },
    ] };
    const p = { ts_day: 17486, ts_hour: 17486 * 24 + 22, ts_month: 574, 'Origin Country': 'a/b c&d', id_bucket: null };
    expect(partitionPath(spec, schema, p)).toBe('ts_day=2017-11-16/ts_hour=2017-11-16-22/ts_month=2017-11/Origin+Country=a%2Fb+c%26d/id_bucket=null');
    expect(javaUrlEncode("a*b.c-d_e~f!")).toBe('a*b.c-d_e%7Ef%21');
  });
});

describe('single-value binary serialisation', () => {
  it('encodes every primitive per Appendix D and decodes back', () => {
    const cases: [PrimitiveType, unknown, string, unknown][] = [
      ['boolean', true, '01', true],
      ['boolean', false, '00', false],
      ['int', 10, '0a000000', 10],
      ['int', -1, 'ffffffff', -1],
      ['long', 5n, '0500000000000000', 5n],
      ['long', -9223372036854775808n, '0000000000000080', -9223372036854775808n],
      ['date', '2025-01-05', '7d4e0000', 20093],
      ['time', '00:00:01', '40420f0000000000', 1_000_000n],
      ['timestamp', '1970-01-01T00:00:00.000001', '0100000000000000', 1n],
      ['timestamptz', 1_000n, 'e803000000000000', 1000n],
      ['float', 1.5, '0000c03f', 1.5],
      ['double', 1.8, 'cdccccccccccfc3f', 1.8],
      ['string', 'Belgium', '42656c6769756d', 'Belgium'],
      ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 'f79c3e09677c4bbda4793f349cb785e7', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
      ['decimal(9,2)', '14.20', '058c', '14.20'],
      ['decimal(9,2)', '-0.01', 'ff', '-0.01'],
      ['decimal(9,2)', '0', '00', '0.00'],
      ['decimal(9,2)', '1.28', '0080', '1.28'],
      ['decimal(9,2)', '-1.28', '80', '-1.28'],
      ['decimal(38,0)', 10n ** 37n, '0785ee10d5da46d900f436a000000000', '10000000000000000000000000000000000000'],
      ['fixed[3]', Uint8Array.of(1, 2, 3), '010203', Uint8Array.of(1, 2, 3)],
      ['binary', Uint8Array.of(0, 255), '00ff', Uint8Array.of(0, 255)],
    ];
    for (const [type, value, bytes, decoded] of cases) {
      const enc = encodeValue(type, value);
      expect(hex(enc), `${type} ${String(value)}`).toBe(bytes);
      expect(decodeValue(type, enc), `${type} ${bytes}`).toEqual(decoded);
    }
  });

  it('rejects values that do not fit', () => {
    expect(() => encodeValue('decimal(9,2)', '1.234')).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => encodeValue('fixed[2]', Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => decodeValue('int', Uint8Array.of(1))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('partition tuples', () => {
  it('applies each partition field to a row', async () => {
    const { partitionTuple } = await import('../../src/domain/iceberg/transforms.js');
    const schema = schemaFromJson({ fields: [
      { id: 1, name: 'ts', required: false, type: 'timestamptz' },
      { id: 2, name: 'a', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'b', required: false, type: 'string' }] } },
    ] });
    const spec = { specId: 0, fields: [
      { sourceId: 1, fieldId: 1000, name: 'ts_day', transform: 'day' },
      { sourceId: 3, fieldId: 1001, name: 'b_trunc', transform: 'truncate[2]' },
    ] };
    expect(partitionTuple(spec, schema, { ts: '2017-11-16T22:31:08Z', a: { b: 'iceberg' } })).toEqual({ ts_day: 17486, b_trunc: 'ic' });
    expect(partitionTuple(spec, schema, { ts: null })).toEqual({ ts_day: null, b_trunc: null });
  });
});
