/**
 * Dates and timestamps as text, exactly, over the whole range Iceberg holds (int32 days, int64
 * microseconds), not just JS Date's ±275,760 years: proleptic Gregorian day arithmetic (H. Hinnant's
 * civil-from-days) in place of Date, which also cannot print a year past 9999 in the plain form.
 *
 * The text the gateway writes (API.md: ISO-8601): `YYYY-MM-DD` and `YYYY-MM-DDTHH:MM:SS[.ffffff]`,
 * four-digit years padded; a year past 9999 in as many digits as it has (`12020-01-02`, as
 * PostgreSQL and DuckDB write it and read it back); a year before 1 AD as ISO-8601's astronomical
 * year with a minus sign (`-0043-03-15` is 44 BC; `0000` is 1 BC), as Java, Spark and DuckDB read it.
 * Parsing takes those, a `+` sign, and the engines' own `… BC` / `… (BC)` suffixes.
 */

export const MICROS_PER_DAY = 86_400_000_000n;
const MICROS_PER_DAY_N = 86_400_000_000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year: 0 is 1 BC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The proleptic Gregorian date of a day number (inverse of daysFromCivil). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function formatYear(year: number): string {
  return year < 0 ? `-${String(-year).padStart(4, '0')}` : String(year).padStart(4, '0');
}

/** Days since epoch → `YYYY-MM-DD` (see the module comment for years outside 1..9999). */
export function formatDate(days: number): string {
  const { year, month, day } = civilFromDays(days);
  return `${formatYear(year)}-${pad2(month)}-${pad2(day)}`;
}

/** Microseconds from midnight → `HH:MM:SS[.ffffff]` (the fraction only when not zero). */
export function formatTimeOfDay(micros: number): string {
  const s = Math.floor(micros / 1_000_000);
  const sub = micros - s * 1_000_000;
  const hms = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`;
  return sub === 0 ? hms : `${hms}.${String(sub).padStart(6, '0')}`;
}

/** Microseconds since epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]` (no zone). */
export function formatTimestamp(micros: bigint): string {
  let days: number;
  let rest: number;
  if (micros >= -9_007_199_254_740_991n && micros <= 9_007_199_254_740_991n) {
    // Within ±285 years of 1970 plain numbers are exact and much cheaper than bigint division.
    const n = Number(micros);
    days = Math.floor(n / MICROS_PER_DAY_N);
    rest = n - days * MICROS_PER_DAY_N;
  } else {
    let d = micros / MICROS_PER_DAY;
    if (micros % MICROS_PER_DAY < 0n) d -= 1n;
    days = Number(d);
    rest = Number(micros - d * MICROS_PER_DAY);
  }
  return `${formatDate(days)}T${formatTimeOfDay(rest)}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Whether year-month-day (astronomical year) is a day of the proleptic Gregorian calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return Number.isInteger(year) && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** A date's parts as text → days, or null when it is no calendar date. `bc` counts years back from 1 BC. */
function daysOf(sign: string | undefined, yearText: string, monthText: string, dayText: string, bc: boolean): number | null {
  let year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  if (bc) {
    if (sign || year < 1) return null;
    year = 1 - year;
  } else if (sign === '-') year = -year;
  if (!isCalendarDate(year, month, day)) return null;
  return daysFromCivil(year, month, day);
}

// Up to 7 year digits: Iceberg's int32 days reach year 5,881,580.
const DATE_TEXT = /^([+-])?(\d{4,7})-(\d{2})-(\d{2})( BC| \(BC\))?$/;

/** `YYYY-MM-DD` (forms in the module comment) → days since epoch, or null. */
export function parseDate(text: string): number | null {
  const m = DATE_TEXT.exec(text);
  return m ? daysOf(m[1], m[2]!, m[3]!, m[4]!, m[5] !== undefined) : null;
}

// date, DuckDB's `(BC)` after it, time, zone, PostgreSQL's ` BC` at the end.
const TIMESTAMP_TEXT =
  /^([+-])?(\d{4,7})-(\d{2})-(\d{2})( \(BC\))?(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)? ?(Z|z|[+-]\d{2}(?::?\d{2})?)?( BC)?$/;

export interface ParsedTimestamp {
  /** Microseconds since epoch, in UTC when the text had an offset. */
  micros: bigint;
  /** Whether the text carried a zone (`Z` or an offset). */
  zoned: boolean;
  /** The astronomical year as written (before applying any offset): 0 and below are BC. */
  year: number;
}

/**
 * An ISO-8601 timestamp (date alone = midnight; no zone = UTC; `24:00:00` = the next midnight;
 * fractions past microseconds are cut) → microseconds since epoch, or null when it is not one or
 * falls outside int64 microseconds.
 */
export function parseTimestamp(text: string): ParsedTimestamp | null {
  const m = TIMESTAMP_TEXT.exec(text);
  if (!m) return null;
  const bc = m[5] !== undefined || m[11] !== undefined;
  if (m[5] !== undefined && m[11] !== undefined) return null;
  const days = daysOf(m[1], m[2]!, m[3]!, m[4]!, bc);
  if (days === null) return null;
  const [h, min, s] = [Number(m[6] ?? 0), Number(m[7] ?? 0), Number(m[8] ?? 0)];
  const fraction = (m[9] ?? '').padEnd(6, '0').slice(0, 6);
  if (h === 24 ? min !== 0 || s !== 0 || /[1-9]/.test(m[9] ?? '') : h > 23 || min > 59 || s > 59) return null;
  let offsetMinutes = 0;
  const zone = m[10];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const [zh, zm] = [Number(z[2]), Number(z[3] ?? 0)];
    if (zh > 23 || zm > 59) return null;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  const micros =
    BigInt(days) * MICROS_PER_DAY + BigInt((h * 60 + min - offsetMinutes) * 60 + s) * 1_000_000n + BigInt(fraction);
  if (micros < INT64_MIN || micros > INT64_MAX) return null;
  const year = bc ? 1 - Number(m[2]) : m[1] === '-' ? -Number(m[2]) : Number(m[2]);
  return { micros, zoned: zone !== undefined, year };
}

/**
 * ISO text (`-0043-03-15…`, `+012020-…`) as PostgreSQL reads it: a year before 1 AD as the BC
 * year with ` BC` at the end (PostgreSQL would take the minus sign for a zone), no `+`, four or
 * more digits. Text that does not start with a year is returned as is.
 */
export function pgYearText(text: string): string {
  const m = /^([+-]?)(\d{4,7})(-.*)$/.exec(text);
  if (!m) return text;
  const year = Number(m[2]);
  if (m[1] === '-' || year === 0) return `${String(1 + (m[1] === '-' ? year : 0)).padStart(4, '0')}${m[3]} BC`;
  return `${String(year).padStart(4, '0')}${m[3]}`;
}

/** PostgreSQL's date or timestamp text (`0044-03-15 10:00:00.25 BC`) → the gateway's ISO form (`-0043-03-15T10:00:00.250000`). */
export function isoFromPgText(text: string): string {
  const m = /^(\d{4,7})-(\d{2})-(\d{2})(?: (\d{2}:\d{2}:\d{2})(?:\.(\d+))?)?( BC)?$/.exec(text);
  if (!m) return text;
  const date = `${m[6] ? formatYear(1 - Number(m[1])) : m[1]}-${m[2]}-${m[3]}`;
  if (m[4] === undefined) return date;
  return m[5] ? `${date}T${m[4]}.${m[5].padEnd(6, '0')}` : `${date}T${m[4]}`;
}
