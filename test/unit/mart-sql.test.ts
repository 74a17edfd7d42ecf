/** The mart store's page shaping (src/adapters/mart-store/sql.ts): driver rows → JSON-ready page objects and cursors. */
import { describe, expect, it } from 'vitest';
import { rowsStatement } from '../../src/adapters/mart-store/sql.js';
import { columnKinds, decodeMartCursor, parseMartQuery } from '../../src/domain/mart-filters.js';
import type { MartColumn } from '../../src/ports/mart-store.js';

const columns: MartColumn[] = [
  { name: 'id', type: 'long', nullable: false },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'tz', type: 'timestamptz', nullable: true },
  { name: 't', type: 'time', nullable: true },
  { name: 'x', type: 'double', nullable: true },
];

describe('mart rows shaping', () => {
  it('finishes times and timestamps (ISO with T, six-digit fractions, Z; BC years as ISO\'s -YYYY) whatever their shape', () => {
    const st = rowsStatement('m', columns, parseMartQuery(columns, { first: 10 }));
    expect(st.fields).toEqual(['id', 'ts', 'tz', 't', 'x', '__cascade_row']);
    const cases: [string | null, string | null][] = [
      ['2020-01-01 00:00:01.000003', '2020-01-01T00:00:01.000003'],
      ['2020-01-01 00:00:01', '2020-01-01T00:00:01'],
      ['2020-01-01 00:00:01.5', '2020-01-01T00:00:01.500000'],
      ['12020-01-01 00:00:01.25', '12020-01-01T00:00:01.250000'],
      ['2020-01-01 00:00:01.5 BC', '-2019-01-01T00:00:01.500000'],
      ['0001-12-31 23:59:59 BC', '0000-12-31T23:59:59'],
      ['infinity', 'infinity'],
      [null, null],
    ];
    const rows = cases.map(([v], i) => [String(i + 1), v, v, '10:11:12.5', i === 0 ? Infinity : 1.5, String(i + 1)]);
    const page = st.page(rows, null);
    expect(page.nextCursor).toBeNull();
    page.rows.forEach((r, i) => {
      const [, want] = cases[i]!;
      expect(r.ts).toBe(want);
      expect(r.tz).toBe(want === null || want === 'infinity' ? want : `${want}Z`);
      expect(r.t).toBe('10:11:12.500000');
      expect(Object.keys(r)).toEqual(['id', 'ts', 'tz', 't', 'x']);
    });
    expect(page.rows[0]!.x).toBe('Infinity');
  });

  it('takes the cursor from the last row of the page, hidden sort keys finished too', () => {
    const q = parseMartQuery(columns, { first: 2, columns: ['id'], orderBy: [{ column: 'ts', direction: 'DESC' }] });
    const st = rowsStatement('m', columns, q, true);
    expect(st.fields).toEqual(['id', '__cascade_k0', '__cascade_row', '__cascade_total']);
    const page = st.page(
      [
        ['1', '2020-01-02 00:00:00', '7', '3'],
        ['2', '2020-01-01 00:00:00.5', '9', '3'],
        ['3', null, '4', '3'],
      ],
      null,
    );
    expect(page.rows).toEqual([{ id: '1' }, { id: '2' }]);
    expect(page.totalCount).toBe(3n);
    expect(decodeMartCursor(page.nextCursor!, q.orderBy, columnKinds(columns))).toEqual({ values: ['2020-01-01T00:00:00.500000'], row: '9' });
  });

  it('keeps a column named __proto__ as a plain key', () => {
    const cols: MartColumn[] = [{ name: '__proto__', type: 'string', nullable: true }, { name: 'a', type: 'int', nullable: true }];
    const st = rowsStatement('m', cols, parseMartQuery(cols, { first: 5 }));
    const [row] = st.page([['x', 1, '1']], null).rows;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.keys(row!)).toEqual(['__proto__', 'a']);
    expect(JSON.stringify(row)).toBe('{"__proto__":"x","a":1}');
  });
});
