import { describe, expect, it } from 'vitest';
import { parseNessieJson, stringifyNessieJson } from '../../src/adapters/version-store/nessie/json.js';

const BIG = '7342794868382145167'; // > 2^53: JSON.parse would round it to 7342794868382145000
const MAX = '9223372036854775807';

describe('Nessie JSON with 64-bit snapshot ids', () => {
  it('keeps every digit of snapshotId when parsing, as a decimal string', () => {
    expect(String(JSON.parse(`{"snapshotId": ${BIG}}`).snapshotId)).not.toBe(BIG); // plain JSON.parse loses digits
    const text = `{
      "content" : { "type" : "ICEBERG_TABLE", "snapshotId" : ${BIG}, "schemaId" : 1 },
      "list": [{"snapshotId":${MAX}}, {"snapshotId":-1}, {"snapshotId" :0}]
    }`;
    const v = parseNessieJson(text) as { content: { snapshotId: string; schemaId: number }; list: { snapshotId: string }[] };
    expect(v.content.snapshotId).toBe(BIG);
    expect(v.content.schemaId).toBe(1);
    expect(v.list.map((x) => x.snapshotId)).toEqual([MAX, '-1', '0']);
  });

  it('leaves other numbers and text that only looks like a snapshotId alone', () => {
    const text = JSON.stringify({
      message: `{"snapshotId": ${BIG}}`,
      note: '"snapshotId": 12',
      other: 12,
      nested: { snapshotIdx: 5, xsnapshotId: 6 },
    });
    const v = parseNessieJson(text) as Record<string, unknown>;
    expect(v.message).toBe(`{"snapshotId": ${BIG}}`);
    expect(v.note).toBe('"snapshotId": 12');
    expect(v.other).toBe(12);
    expect(v.nested).toEqual({ snapshotIdx: 5, xsnapshotId: 6 });
  });

  it('writes snapshotId as a raw JSON number with every digit', () => {
    const body = { operations: [{ content: { type: 'ICEBERG_TABLE', snapshotId: BIG, schemaId: 0 } }, { content: { snapshotId: '-1' } }], message: '"snapshotId":"1"' };
    const text = stringifyNessieJson(body);
    expect(text).toContain(`"snapshotId":${BIG},`);
    expect(text).toContain('"snapshotId":-1}');
    expect(text).toContain(String.raw`"message":"\"snapshotId\":\"1\""`);
    // round trip
    expect(parseNessieJson(text)).toEqual(body);
  });

  it('rejects snapshot ids that are not 64-bit integers', () => {
    expect(() => stringifyNessieJson({ snapshotId: '9223372036854775808' })).toThrow(TypeError);
    expect(() => stringifyNessieJson({ snapshotId: '1.5' })).toThrow(TypeError);
    expect(() => stringifyNessieJson({ snapshotId: 'abc' })).toThrow(TypeError);
    expect(stringifyNessieJson({ snapshotId: 42 })).toBe('{"snapshotId":42}');
  });
});
