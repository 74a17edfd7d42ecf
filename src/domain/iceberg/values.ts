/**
 * JS values of Iceberg primitive types, normalised to the physical form the spec works in:
 * days since epoch (date), microseconds (time, timestamp), unscaled integers (decimal), UUID bytes.
 * Accepts what callers naturally hold: numbers, bigints, ISO strings, Dates, Uint8Arrays, and the
 * value objects DuckDB's node API returns (`{ days }`, `{ micros }`, `{ value, scale }`, `{ bytes }`).
 */
import { formatTimeOfDay, parseDate, parseTimestamp } from '../calendar.js';
import { InvalidInput } from '../errors.js';

const DAY_MS = 86_400_000;

const field = <T>(v: unknown, key: string, type: string): T | undefined =>
  v !== null && typeof v === 'object' && typeof (v as Record<string, unknown>)[key] === type ? ((v as Record<string, unknown>)[key] as T) : undefined;

function bad(v: unknown, what: string): never {
  throw new InvalidInput(`cannot read ${typeof v === 'bigint' ? `${v}n` : JSON.stringify(v) ?? String(v)} as ${what}`, 'value');
}

export function toInt(v: unknown): number {
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) bad(v, 'an integer');
  return n;
}

export function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return bad(v, 'a long');
}

/** date → days since 1970-01-01 (number, Date, or `YYYY-MM-DD`). */
export function toDays(v: unknown): number {
  if (typeof v === 'number' || typeof v === 'bigint') return toInt(v);
  if (v instanceof Date) return Math.floor(v.getTime() / DAY_MS);
  const known = field<number>(v, 'days', 'number');
  if (known !== undefined) return known;
  const days = typeof v === 'string' ? parseDate(v) : null;
  return days ?? bad(v, 'a date');
}

/** time → microseconds from midnight (number/bigint micros, or `HH:MM:SS[.ffffff]`). */
export function toTimeMicros(v: unknown): bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return toBigInt(v);
  const micros = field<bigint>(v, 'micros', 'bigint');
  if (micros !== undefined) return micros;
  const m = typeof v === 'string' ? /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/.exec(v) : null;
  if (!m) return bad(v, 'a time');
  const frac = BigInt((m[4] ?? '').padEnd(6, '0').slice(0, 6));
  return ((BigInt(m[1]!) * 60n + BigInt(m[2]!)) * 60n + BigInt(m[3] ?? '0')) * 1_000_000n + frac;
}

/** timestamp(tz) → microseconds since epoch (number/bigint micros, Date, or ISO-8601; no zone = UTC). */
export function toMicros(v: unknown): bigint {
  if (typeof v === 'number' || typeof v === 'bigint') return toBigInt(v);
  if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
  const micros = field<bigint>(v, 'micros', 'bigint');
  if (micros !== undefined) return micros;
  const parsed = typeof v === 'string' ? parseTimestamp(v.trim()) : null;
  return parsed?.micros ?? bad(v, 'a timestamp');
}

/** decimal → unscaled integer at `scale` (decimal string, number, or bigint as a whole value). */
export function toUnscaled(v: unknown, scale: number): bigint {
  if (typeof v === 'bigint') return v * 10n ** BigInt(scale);
  const unscaled = field<bigint>(v, 'value', 'bigint');
  const from = field<number>(v, 'scale', 'number');
  if (unscaled !== undefined && from !== undefined) {
    if (from <= scale) return unscaled * 10n ** BigInt(scale - from);
    const div = 10n ** BigInt(from - scale);
    if (unscaled % div !== 0n) bad(String(v), `a decimal with scale ${scale}`);
    return unscaled / div;
  }
  const s = typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(scale) : bad(v, 'a decimal')) : typeof v === 'string' ? v.trim() : bad(v, 'a decimal');
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && !m[3])) return bad(v, 'a decimal');
  const frac = m[3] ?? '';
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale))) bad(v, `a decimal with scale ${scale}`);
  const digits = BigInt((m[2] || '0') + frac.slice(0, scale).padEnd(scale, '0'));
  return m[1] === '-' ? -digits : digits;
}

/** Unscaled integer → decimal string with exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${body}` : body;
}

export function uuidToBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array && v.length === 16) return v;
  const hex = typeof v === 'string' || (typeof v === 'object' && v !== null && 'hugeint' in v) ? String(v).replace(/-/g, '') : '';
  if (!/^[0-9a-f]{32}$/i.test(hex)) bad(v, 'a uuid');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export function bytesToUuid(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  const bytes = v !== null && typeof v === 'object' && (v as { bytes?: unknown }).bytes instanceof Uint8Array ? (v as { bytes: Uint8Array }).bytes : undefined;
  if (bytes) return bytes;
  if (typeof v === 'string') return Uint8Array.from(Buffer.from(v, 'base64'));
  return bad(v, 'binary');
}

/** Days since epoch → `YYYY-MM-DD`; microseconds since epoch → `YYYY-MM-DDTHH:MM:SS[.ffffff]` (UTC, no zone). */
export { formatDate as daysToIso, formatTimestamp as microsToIso } from '../calendar.js';

export function timeMicrosToIso(micros: bigint): string {
  return formatTimeOfDay(Number(micros));
}
