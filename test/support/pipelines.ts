/** Test pipelines written into a temporary pipelines folder, and helpers to follow runs over GraphQL. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Gateway } from './gateway.js';

/**
 * slow: ingests `batches` batches of 100 rows with `delayMs` between them (long enough for
 * STEP_PROGRESS events and for disconnecting mid-run), `bad` of them with a null value; a model
 * summarising them; audits that `bad` fails.
 */
export const SLOW_PIPELINE = `
export default {
  name: 'slow',
  description: 'Batches of events with a pause between batches',
  params: {
    batches: { type: 'Int', default: 4 },
    delayMs: { type: 'Int', default: 700 },
    bad: { type: 'Int', default: 0 },
  },
  ingest: [{
    name: 'load_events',
    table: 'raw.slow_events',
    columns: [{ name: 'id', type: 'long', required: true }, { name: 'value', type: 'int' }],
    source: {
      kind: 'rows',
      rows: async function* (p) {
        let id = 0;
        for (let b = 0; b < p.batches; b++) {
          if (b > 0) await new Promise((r) => setTimeout(r, p.delayMs));
          yield Array.from({ length: 100 }, (_, i) => ({ id: id++, value: b * 100 + i < p.bad ? null : i }));
        }
      },
    },
  }],
  models: [{
    name: 'slow_summary',
    table: 'silver.slow_summary',
    sql: "SELECT count(*) AS n, sum(value) AS total FROM {{ source('raw', 'slow_events') }}",
  }],
  audits: [
    { name: 'value_not_null', table: 'raw.slow_events', check: 'not_null', column: 'value' },
    { name: 'id_unique', table: 'raw.slow_events', check: 'unique', column: 'id', severity: 'warn' },
    { name: 'value_range', table: 'raw.slow_events', check: 'range', column: 'value', min: 0, max: 99, severity: 'warn' },
  ],
};
`;

/** counter: appends 3 rows, then rebuilds a one-row total; on the target the two always agree. */
export const COUNTER_PIPELINE = `
name: counter
description: Appends rows and keeps a total that must always match them
ingest:
  - name: add_rows
    table: raw.counter_events
    columns:
      - { name: id, type: long, required: true }
    source:
      kind: rows
      rows: [{ id: 1 }, { id: 2 }, { id: 3 }]
models:
  - name: counter_total
    table: silver.counter_total
    sql: "SELECT count(*) AS n FROM {{ source('raw', 'counter_events') }}"
audits:
  - { name: has_rows, table: silver.counter_total, check: row_count_min, min: 1 }
`;

/** broken_sql: a model whose SQL fails at run time. */
export const BROKEN_SQL_PIPELINE = `
name: broken_sql
ingest:
  - name: one_row
    table: raw.broken_input
    columns: [{ name: id, type: long }]
    source: { kind: rows, rows: [{ id: 1 }] }
models:
  - name: bad_model
    table: silver.bad_model
    sql: "SELECT no_such_column FROM {{ source('raw', 'broken_input') }}"
`;

/** An invalid file: the gateway must still start and report it, naming file and field. */
export const INVALID_PIPELINE = `
name: invalid
ingest:
  - name: x
    table: not-a-table-name
    source: { kind: rows, rows: [] }
`;

export async function pipelinesDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-pipelines-'));
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(dir, name), text);
  return dir;
}

export const START = `mutation($p: String!, $params: JSON, $t: String) {
  startRun(pipeline: $p, params: $params, target: $t) {
    __typename
    ... on StartRunSuccess { run { runId status branch target } }
    ... on Error { code message }
  }
}`;

export const EVENTS_SUB = `subscription($id: ID!, $after: Int) { runEvents(runId: $id, after: $after) { runId seq type step level message data } }`;

export async function startRun(g: Pick<Gateway, 'data'>, pipeline: string, params?: Record<string, unknown>, target?: string): Promise<string> {
  const d = await g.data(START, { p: pipeline, params, t: target });
  if (d.startRun.__typename !== 'StartRunSuccess') throw new Error(`startRun: ${JSON.stringify(d.startRun)}`);
  return d.startRun.run.runId;
}

export const RUN_FIELDS = `runId pipeline status target branch params error mergedHash startedAt finishedAt
  audits { name table check severity passed failingRows message }
  commits { hash message }`;

/** Polls run(id) until it ended; returns it. */
export async function waitForRun(g: Pick<Gateway, 'data'>, runId: string, ms = 120_000): Promise<any> {
  const until = Date.now() + ms;
  for (;;) {
    const d = await g.data(`query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: runId });
    if (['SUCCEEDED', 'FAILED', 'CANCELED'].includes(d.run.status)) return d.run;
    if (Date.now() > until) throw new Error(`run ${runId} still ${d.run.status} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function allEvents(g: Pick<Gateway, 'data'>, runId: string): Promise<any[]> {
  const d = await g.data(`query($id: ID!) { run(id: $id) { events { runId seq type step level message data } } }`, { id: runId });
  return d.run.events;
}
