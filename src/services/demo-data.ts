/**
 * Synthetic Nightscout-style CGM readings (an `/api/v1/entries.json` shape): one reading every five
 * minutes, a daily rhythm with meal peaks and night lows, from a seeded generator so every fresh
 * demo holds the same data.
 */
export interface NightscoutEntry {
  type: 'sgv';
  sgv: number;
  date: number;
  dateString: string;
  direction: string;
  device: string;
}

const START = Date.UTC(2026, 10, 1); // 2026-11-01T00:00:00Z
const STEP_MS = 5 * 60_000;
export const READINGS_PER_DAY = 288;

/** Mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function directionOf(delta: number): string {
  if (delta > 15) return 'DoubleUp';
  if (delta > 8) return 'SingleUp';
  if (delta > 3) return 'FortyFiveUp';
  if (delta < -15) return 'DoubleDown';
  if (delta < -8) return 'SingleDown';
  if (delta < -3) return 'FortyFiveDown';
  return 'Flat';
}

/** Readings of day `day` (0-based from 2026-11-01). */
export function demoDay(day: number): NightscoutEntry[] {
  const random = rng(1000 + day);
  const out: NightscoutEntry[] = [];
  let previous = 110;
  for (let i = 0; i < READINGS_PER_DAY; i++) {
    const hour = (i * 5) / 60;
    const meals = [7.5, 12.5, 19].reduce((acc, m) => acc + 95 * Math.exp(-((hour - m - 0.75) ** 2) / 0.5), 0);
    const nightDip = -45 * Math.exp(-((hour - 3.5) ** 2) / 1.5) * (day % 2 === 0 ? 1 : 0.6);
    const sgv = Math.max(40, Math.min(400, Math.round(105 + meals + nightDip + (random() - 0.5) * 14 + day * 3)));
    const date = START + (day * READINGS_PER_DAY + i) * STEP_MS;
    out.push({ type: 'sgv', sgv, date, dateString: new Date(date).toISOString(), direction: directionOf(sgv - previous), device: 'xDrip-DexcomG6' });
    previous = sgv;
  }
  return out;
}

/** The columns of raw.entries, as Nightscout names them (the demo tables and the glucose pipeline). */
export const ENTRY_COLUMNS = [
  { name: 'type', type: 'string' },
  { name: 'sgv', type: 'int' },
  { name: 'date', type: 'long', required: true },
  { name: 'dateString', type: 'string' },
  { name: 'direction', type: 'string' },
  { name: 'device', type: 'string' },
];
