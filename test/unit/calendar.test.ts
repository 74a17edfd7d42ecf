/** Dates and timestamps as text over Iceberg's whole range (src/domain/calendar.ts), checked against JS Date where Date reaches. */
import { describe, expect, it } from 'vitest';
import { civilFromDays, daysFromCivil, formatDate, formatTimestamp, isoFromPgText, parseDate, parseTimestamp, pgYearText } from '../../src/domain/calendar.js';
import { daysToIso, microsToIso, toDays, toMicros } from '../../src/domain/iceberg/values.js';

const DAY_MS = 86_400_000;

describe('calendar', () => {
  it('agrees with JS Date on every day of years 0000..9999 sampled, and round-trips', () => {
    for (let days = daysFromCivil(0, 1, 1); days <= daysFromCivil(9999, 12, 31); days += 997) {
      const want = new Date(days * DAY_MS).toISOString().slice(0, 10);
      expect(formatDate(days)).toBe(want);
      expect(parseDate(want)).toBe(days);
    }
    expect(daysFromCivil(1970, 1, 1)).toBe(0);
    expect(civilFromDays(-1)).toEqual({ year: 1969, month: 12, day: 31 });
  });

  it('writes years past 9999 in full and years before 1 AD as ISO astronomical years', () => {
    const d = (y: number, m: number, day: number) => daysFromCivil(y, m, day);
    expect(formatDate(d(10000, 1, 2))).toBe('10000-01-02');
    expect(formatDate(d(5881580, 7, 11))).toBe('5881580-07-11'); // int32 days' last
    expect(formatDate(d(0, 3, 15))).toBe('0000-03-15'); // 1 BC
    expect(formatDate(d(-43, 3, 15))).toBe('-0043-03-15'); // 44 BC
    expect(formatDate(-(2 ** 31))).toBe('-5877641-06-23');
    // JS agrees on the instant (its own text differs: +010000, -000043)
    expect(Date.UTC(10000, 0, 2) / DAY_MS).toBe(d(10000, 1, 2));
    expect(new Date('-000043-03-15T00:00:00Z').getTime() / DAY_MS).toBe(d(-43, 3, 15));
  });

  it('reads ISO, signed and the engines\' BC forms alike, and nothing else', () => {
    const bc44 = daysFromCivil(-43, 3, 15);
    for (const t of ['-0043-03-15', '-000043-03-15', '0044-03-15 BC', '0044-03-15 (BC)']) expect(parseDate(t), t).toBe(bc44);
    expect(parseDate('+012020-01-02')).toBe(daysFromCivil(12020, 1, 2));
    expect(parseDate('12020-01-02')).toBe(daysFromCivil(12020, 1, 2));
    for (const t of ['2021-02-29', '2020-13-01', '2020-00-10', '0000-01-01 BC', '-0044-03-15 BC', '20-01-01', '2020-1-1', '12345678-01-01', ' 2020-01-01', '2020-01-01x'])
      expect(parseDate(t), t).toBeNull();
    expect(parseDate('2020-02-29')).not.toBeNull();
    expect(parseDate('-0100-02-29')).toBeNull(); // 101 BC: not a leap year (astronomical -100)
    expect(parseDate('-0004-02-29')).not.toBeNull();
  });

  it('reads timestamps with zones, fractions, 24:00 and BC, within int64 microseconds', () => {
    const at = (t: string) => parseTimestamp(t)?.micros;
    expect(at('2020-01-02T03:04:05.123456789Z')).toBe(BigInt(Date.UTC(2020, 0, 2, 3, 4, 5)) * 1000n + 123456n);
    expect(at('2020-01-02 05:04:05+02')).toBe(at('2020-01-02T03:04:05Z'));
    expect(at('2020-01-02T00:34:05-02:30')).toBe(at('2020-01-02T03:04:05'));
    expect(at('2020-01-01T24:00:00')).toBe(at('2020-01-02'));
    for (const t of ['0044-03-15 (BC) 10:00:00.25+00', '0044-03-15 10:00:00.25+00 BC', '0044-03-15T10:00:00.25Z BC', '-0043-03-15T10:00:00.25'])
      expect(at(t), t).toBe(BigInt(new Date('-000043-03-15T10:00:00.250Z').getTime()) * 1000n);
    expect(parseTimestamp('-0043-03-15T10:00:00Z')?.year).toBe(-43);
    expect(parseTimestamp('0044-03-15 (BC) 10:00:00')?.year).toBe(-43);
    expect(parseTimestamp('2020-01-01T10:00')?.zoned).toBe(false);
    for (const t of ['2020-01-01T24:00:01', '2020-01-01T24:00:00.5', '2020-01-01T23:60:00', '2020-01-01T10:00:00+24:00', '0044-03-15 (BC) 10:00:00 BC', '300000-01-01T00:00:00', '2020-01-01T10'])
      expect(parseTimestamp(t), t).toBeNull();
    expect(formatTimestamp(at('294246-12-31T23:59:59.999999')!)).toBe('294246-12-31T23:59:59.999999');
  });

  it('formats every microsecond exactly, beyond the range of JS numbers too', () => {
    for (const t of ['1969-12-31T23:59:59.999999', '1970-01-01T00:00:00', '2255-06-05T23:47:34.740991', '2255-06-05T23:47:34.740993', '10000-01-02T03:04:05.000006', '-0043-03-15T10:00:00.250000', '-290308-12-22T00:00:00'])
      expect(formatTimestamp(parseTimestamp(t)!.micros), t).toBe(t);
    expect(formatTimestamp(-(2n ** 63n))).toBe('-290308-12-21T19:59:05.224192');
    expect(formatTimestamp(2n ** 63n - 1n)).toBe('294247-01-10T04:00:54.775807');
  });

  it('the Iceberg value readers and writers use it (no truncated years, no RangeError past JS Date)', () => {
    expect(daysToIso(toDays('10000-01-02'))).toBe('10000-01-02');
    expect(daysToIso(toDays('0044-03-15 (BC)'))).toBe('-0043-03-15');
    expect(microsToIso(toMicros('12020-01-02 03:04:05.5+00'))).toBe('12020-01-02T03:04:05.500000');
    expect(microsToIso(2n ** 63n - 1n)).toBe('294247-01-10T04:00:54.775807');
    expect(() => toDays('2021-02-29')).toThrow(/cannot read "2021-02-29" as a date/);
    expect(() => toMicros('nonsense')).toThrow(/as a timestamp/);
  });

  it('rewrites years for PostgreSQL and reads PostgreSQL\'s text back', () => {
    expect(pgYearText('-0043-03-15')).toBe('0044-03-15 BC');
    expect(pgYearText('0000-03-15T10:00:00Z')).toBe('0001-03-15T10:00:00Z BC');
    expect(pgYearText('+012020-01-02')).toBe('12020-01-02');
    expect(pgYearText('2020-01-02T00:00:00')).toBe('2020-01-02T00:00:00');
    expect(isoFromPgText('0044-03-15 BC')).toBe('-0043-03-15');
    expect(isoFromPgText('0001-03-15 10:00:00.25 BC')).toBe('0000-03-15T10:00:00.250000');
    expect(isoFromPgText('12020-01-02 03:04:05')).toBe('12020-01-02T03:04:05');
    expect(isoFromPgText('infinity')).toBe('infinity');
  });
});
