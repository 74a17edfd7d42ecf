/**
 * Demo tables built the Write-Audit-Publish way on `dev`: raw Nightscout entries appended day by day
 * (several snapshots), then bronze → silver → gold → marts derived with SQL at dev, then merged to
 * main by the caller.
 */
import type { RefName } from '../domain/refs.js';
import { systemActor } from '../auth/actor.js';
import { demoDay, ENTRY_COLUMNS } from './demo-data.js';
import type { TableService } from './table-writes.js';

type Column = { name: string; type: string; required?: boolean };

const DERIVED: { table: string; columns: Column[]; sql: string; message: string }[] = [
  {
    table: 'bronze.stg_entries',
    message: 'Build bronze.stg_entries: typed, deduplicated readings',
    columns: [
      { name: 'reading_ts', type: 'timestamp', required: true },
      { name: 'sgv', type: 'int', required: true },
      { name: 'direction', type: 'string' },
      { name: 'device', type: 'string' },
    ],
    sql: `SELECT DISTINCT epoch_ms("date") AS reading_ts, sgv, direction, device
          FROM raw.entries WHERE type = 'sgv' AND sgv BETWEEN 20 AND 600 ORDER BY reading_ts`,
  },
  {
    table: 'silver.fct_glucose_readings',
    message: 'Build silver.fct_glucose_readings: categories and a 3-reading rolling average',
    columns: [
      { name: 'reading_ts', type: 'timestamp', required: true },
      { name: 'sgv', type: 'int', required: true },
      { name: 'glucose_category', type: 'string', required: true },
      { name: 'rolling_avg_3', type: 'double' },
      { name: 'reading_date', type: 'date', required: true },
      { name: 'reading_hour', type: 'int', required: true },
      { name: 'direction', type: 'string' },
    ],
    sql: `SELECT reading_ts, sgv,
                 CASE WHEN sgv < 70 THEN 'Low' WHEN sgv > 180 THEN 'High' ELSE 'Normal' END AS glucose_category,
                 round(avg(sgv) OVER (ORDER BY reading_ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW), 1) AS rolling_avg_3,
                 CAST(reading_ts AS DATE) AS reading_date, hour(reading_ts) AS reading_hour, direction
          FROM bronze.stg_entries ORDER BY reading_ts`,
  },
  {
    table: 'gold.dim_date',
    message: 'Build gold.dim_date',
    columns: [
      { name: 'date_day', type: 'date', required: true },
      { name: 'year', type: 'int' },
      { name: 'month', type: 'int' },
      { name: 'day_of_month', type: 'int' },
      { name: 'day_of_week', type: 'int' },
      { name: 'day_name', type: 'string' },
      { name: 'is_weekend', type: 'boolean' },
    ],
    sql: `SELECT DISTINCT reading_date AS date_day, year(reading_date) AS year, month(reading_date) AS month,
                 day(reading_date) AS day_of_month, dayofweek(reading_date) AS day_of_week, dayname(reading_date) AS day_name,
                 dayofweek(reading_date) IN (0, 6) AS is_weekend
          FROM silver.fct_glucose_readings ORDER BY date_day`,
  },
  {
    table: 'marts.mrt_glucose_overview',
    message: 'Build marts.mrt_glucose_overview: daily glucose overview',
    columns: [
      { name: 'reading_date', type: 'date', required: true },
      { name: 'reading_count', type: 'long', required: true },
      { name: 'avg_glucose', type: 'double' },
      { name: 'min_glucose', type: 'int' },
      { name: 'max_glucose', type: 'int' },
      { name: 'pct_low', type: 'double' },
      { name: 'pct_in_range', type: 'double' },
      { name: 'pct_high', type: 'double' },
    ],
    sql: `SELECT reading_date, count(*) AS reading_count, round(avg(sgv), 1) AS avg_glucose,
                 min(sgv) AS min_glucose, max(sgv) AS max_glucose,
                 round(100.0 * avg(CASE WHEN glucose_category = 'Low' THEN 1 ELSE 0 END), 1) AS pct_low,
                 round(100.0 * avg(CASE WHEN glucose_category = 'Normal' THEN 1 ELSE 0 END), 1) AS pct_in_range,
                 round(100.0 * avg(CASE WHEN glucose_category = 'High' THEN 1 ELSE 0 END), 1) AS pct_high
          FROM silver.fct_glucose_readings GROUP BY reading_date ORDER BY reading_date`,
  },
];

export async function seedDemoTables(tables: TableService, branch: RefName, days: number): Promise<void> {
  const bot = systemActor('ingest-bot');
  const engineer = systemActor('carol@example.com');
  await tables.createTable(
    {
      branch,
      name: 'raw.entries',
      message: 'Create raw.entries for Nightscout readings',
      columns: ENTRY_COLUMNS,
    },
    bot,
  );
  for (let day = 0; day < days; day++) {
    const rows = demoDay(day);
    await tables.write('append', { branch, table: 'raw.entries', rows, message: `Ingest ${rows.length} Nightscout entries for ${rows[0]!.dateString.slice(0, 10)}` }, bot);
  }
  for (const d of DERIVED) {
    await tables.createTable({ branch, name: d.table, columns: d.columns, message: `Create ${d.table}` }, engineer);
    const result = await tables.sql(branch, d.sql, 10_000, engineer);
    const rows = result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c.name, r[i]])));
    await tables.write('append', { branch, table: d.table, rows, message: d.message }, engineer);
  }
}
