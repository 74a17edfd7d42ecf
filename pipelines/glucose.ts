/**
 * The demo Write-Audit-Publish pipeline: Nightscout-style glucose entries (synthetic, src/services/
 * demo-data.ts) → bronze → silver → gold → marts, the same SQL as the seeded demo tables, audited
 * before the merge. `badReadings` injects readings without a glucose value, which the error-level
 * not_null audit on raw.entries.sgv catches (the run then leaves main untouched). Column types
 * match the seeded demo tables, so a run overwrites them rather than recreating them. Raw appends
 * one snapshot per day; bronze drops readings ingested twice.
 */
import { demoDay, ENTRY_COLUMNS } from '../src/services/demo-data.js';
import type { z } from 'zod';
import type { pipelineSchema } from '../src/pipelines/spec.js';

/** One batch of readings per day; the bad readings (sgv null) land in the first batch. */
async function* entries(params: Record<string, unknown>) {
  const days = Number(params.days);
  let bad = Number(params.badReadings);
  for (let day = 0; day < days; day++) {
    const rows: Record<string, unknown>[] = demoDay(day).map((r) => ({ ...r }));
    for (let i = 0; bad > 0 && i < rows.length; i += 7, bad--) rows[i] = { ...rows[i], sgv: null };
    yield rows;
  }
}

const pipeline = {
  name: 'glucose',
  description: 'Nightscout glucose entries to the daily glucose overview mart, audited before publishing',
  target: 'main',
  params: {
    days: { type: 'Int', default: 14, min: 1, max: 366, description: 'Days of readings to ingest (288 per day)' },
    badReadings: { type: 'Int', default: 0, min: 0, max: 100_000, description: 'Readings whose sgv is null, to see the not_null audit fail' },
  },
  ingest: [
    {
      name: 'entries',
      table: 'raw.entries',
      // Raw is an append-only landing table (one snapshot per day); bronze deduplicates re-ingested readings.
      mode: 'append',
      columns: ENTRY_COLUMNS,
      source: { kind: 'rows', rows: entries },
    },
  ],
  models: [
    {
      name: 'stg_entries',
      table: 'bronze.stg_entries',
      description: 'Typed, deduplicated readings',
      sql: `SELECT DISTINCT epoch_ms("date") AS reading_ts, sgv, direction, device
            FROM {{ source('raw', 'entries') }} WHERE type = 'sgv' AND sgv BETWEEN 20 AND 600 ORDER BY reading_ts`,
    },
    {
      name: 'fct_glucose_readings',
      table: 'silver.fct_glucose_readings',
      description: 'Readings with a category and a 3-reading rolling average',
      sql: `SELECT reading_ts, sgv,
                   CASE WHEN sgv < 70 THEN 'Low' WHEN sgv > 180 THEN 'High' ELSE 'Normal' END AS glucose_category,
                   round(avg(sgv) OVER (ORDER BY reading_ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 1) AS rolling_avg_3,
                   CAST(reading_ts AS DATE) AS reading_date, CAST(hour(reading_ts) AS INTEGER) AS reading_hour, direction
            FROM {{ ref('stg_entries') }} ORDER BY reading_ts`,
    },
    {
      name: 'dim_date',
      table: 'gold.dim_date',
      description: 'One row per day with readings',
      sql: `SELECT DISTINCT reading_date AS date_day, CAST(year(reading_date) AS INTEGER) AS year, CAST(month(reading_date) AS INTEGER) AS month,
                   CAST(day(reading_date) AS INTEGER) AS day_of_month, CAST(dayofweek(reading_date) AS INTEGER) AS day_of_week, dayname(reading_date) AS day_name,
                   dayofweek(reading_date) IN (0, 6) AS is_weekend
            FROM {{ ref('fct_glucose_readings') }} ORDER BY date_day`,
    },
    {
      name: 'mrt_glucose_overview',
      table: 'marts.mrt_glucose_overview',
      description: 'Daily glucose overview for dashboards',
      sql: `SELECT reading_date, count(*) AS reading_count, round(avg(sgv), 1) AS avg_glucose,
                   min(sgv) AS min_glucose, max(sgv) AS max_glucose,
                   round(100.0 * avg(CASE WHEN glucose_category = 'Low' THEN 1 ELSE 0 END), 1) AS pct_low,
                   round(100.0 * avg(CASE WHEN glucose_category = 'Normal' THEN 1 ELSE 0 END), 1) AS pct_in_range,
                   round(100.0 * avg(CASE WHEN glucose_category = 'High' THEN 1 ELSE 0 END), 1) AS pct_high
            FROM {{ ref('fct_glucose_readings') }} GROUP BY reading_date ORDER BY reading_date`,
    },
  ],
  audits: [
    { name: 'sgv_not_null', table: 'raw.entries', check: 'not_null', column: 'sgv', severity: 'error' },
    { name: 'sgv_in_range', table: 'raw.entries', check: 'range', column: 'sgv', min: 20, max: 600, severity: 'warn' },
    { name: 'stg_unique_reading_ts', table: 'stg_entries', check: 'unique', column: 'reading_ts', severity: 'error' },
    { name: 'category_values', table: 'fct_glucose_readings', check: 'accepted_values', column: 'glucose_category', values: ['Low', 'Normal', 'High'], severity: 'error' },
    { name: 'mart_has_days', table: 'mrt_glucose_overview', check: 'row_count_min', min: 1, severity: 'error' },
  ],
  publish: { merge: true, marts: true },
} satisfies z.input<typeof pipelineSchema>;

export default pipeline;
