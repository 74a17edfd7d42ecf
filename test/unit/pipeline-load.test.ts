import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildPipeline, loadPipelines, resolveParams } from '../../src/pipelines/load.js';
import { modelTable, renderSql, sqlLiteral, templateParts } from '../../src/pipelines/sql-template.js';
import glucose from '../../pipelines/glucose.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return { code: (e as { code?: string }).code, field: (e as { field?: string }).field, message: (e as Error).message };
  }
  return null;
};

const base = {
  name: 'p',
  params: { days: { type: 'Int', default: 3, min: 1, max: 30 }, label: { type: 'String' } },
  ingest: [{ name: 'load', table: 'raw.events', source: { kind: 'rows', rows: [{ id: 1 }] } }],
  models: [
    { name: 'b', table: 'silver.b', sql: "SELECT * FROM {{ ref('a') }}" },
    { name: 'a', table: 'bronze.a', sql: "SELECT * FROM {{ source('raw', 'events') }} WHERE id < {{ param('days') }}" },
  ],
  audits: [
    { name: 'a_rows', table: 'a', check: 'row_count_min', min: 1 },
    { name: 'ids', table: 'raw.events', check: 'unique', column: 'id' },
  ],
};

describe('pipeline specs', () => {
  it('computes steps in run order with dependencies', () => {
    const out = buildPipeline(base, 'p.yaml');
    if (!('pipeline' in out)) throw new Error(JSON.stringify(out.errors));
    expect(out.pipeline.steps).toEqual([
      { name: 'load', kind: 'ingest', dependsOn: [] },
      { name: 'a', kind: 'model', dependsOn: ['load'] },
      { name: 'b', kind: 'model', dependsOn: ['a'] },
      { name: 'a_rows', kind: 'audit', dependsOn: ['a'] },
      { name: 'ids', kind: 'audit', dependsOn: ['load'] },
      { name: 'publish', kind: 'publish', dependsOn: ['load', 'a', 'b', 'a_rows', 'ids'] },
    ]);
    expect(out.pipeline.spec.target).toBe('main');
    expect(out.pipeline.spec.ingest[0]!.mode).toBe('append');
  });

  const errorsOf = (spec: unknown) => {
    const out = buildPipeline(spec, 'bad.yaml');
    if ('pipeline' in out) throw new Error('expected errors');
    return out.errors;
  };

  it('names the file and the dotted field of schema errors', () => {
    const errors = errorsOf({ ...base, ingest: [{ name: 'load', table: 'nodots', source: { kind: 'http', url: 'not a url' } }] });
    expect(errors.map((e) => e.field).sort()).toEqual(['ingest.0.source.url', 'ingest.0.table']);
    expect(errors.every((e) => e.file === 'bad.yaml')).toBe(true);
    expect(errorsOf({ ...base, audits: [{ name: 'x', table: 'raw.events', check: 'not_null' }] }).map((e) => e.field)).toEqual(['audits.0.column']);
    expect(errorsOf({ ...base, extra: 1 })[0]!.field).toBeNull();
    expect(errorsOf({ ...base, ingest: [{ name: 'm', table: 'raw.x', mode: 'merge', source: { kind: 'rows', rows: [] } }] })[0]!.field).toBe('ingest.0.key');
  });

  it('checks cross-references: unknown ref, duplicate names, cycles, bad params, bad templates', () => {
    const withModels = (models: unknown[]) => errorsOf({ ...base, models, audits: [] });
    expect(withModels([{ name: 'a', sql: "SELECT * FROM {{ ref('nope') }}" }])).toEqual([
      expect.objectContaining({ field: 'models.0.sql', message: expect.stringContaining("ref('nope')") }),
    ]);
    expect(withModels([{ name: 'load', sql: 'SELECT 1' }])[0]!.field).toBe('models.0.name');
    expect(withModels([{ name: 'x', table: 'raw.events', sql: 'SELECT 1' }])[0]!.field).toBe('models.0.table');
    const cycle = withModels([
      { name: 'a', sql: "SELECT * FROM {{ ref('b') }}" },
      { name: 'b', sql: "SELECT * FROM {{ ref('c') }}" },
      { name: 'c', sql: "SELECT * FROM {{ ref('a') }}" },
    ]);
    expect(cycle).toEqual([expect.objectContaining({ field: 'models', message: expect.stringMatching(/cycle: a → b → c → a/) })]);
    expect(withModels([{ name: 'a', sql: 'SELECT {{ config(x) }}' }])[0]).toMatchObject({ field: 'models.0.sql', message: expect.stringContaining("model 'a'") });
    expect(withModels([{ name: 'a', sql: "SELECT {{ param('nope') }}" }])[0]!.field).toBe('models.0.sql');
    expect(errorsOf({ ...base, params: { days: { type: 'Int', default: 'x' } } })[0]!.field).toBe('params.days.default');
    expect(errorsOf({ ...base, params: { days: { type: 'Int', default: 0, min: 1 } } })[0]!.field).toBe('params.days.default');
    expect(errorsOf({ ...base, audits: [{ name: 'x', table: 'nope', check: 'row_count_min', min: 1 }] })[0]!.field).toBe('audits.0.table');
  });

  it('reports fields of params and audits with their dotted path', () => {
    const errors = errorsOf({ ...base, params: { days: { type: 'Integer' } } });
    expect(errors[0]!.field).toBe('params.days.type');
  });
});

describe('resolveParams', () => {
  const spec = buildPipeline(base, 'p.yaml');
  if (!('pipeline' in spec)) throw new Error('bad base');
  const p = spec.pipeline.spec;

  it('applies defaults and keeps given values', () => {
    expect(resolveParams(p, { label: 'x' })).toEqual({ days: 3, label: 'x' });
    expect(resolveParams(p, { label: 'x', days: 7 })).toEqual({ days: 7, label: 'x' });
    expect(resolveParams({ params: {} }, null)).toEqual({});
  });

  it('rejects wrong shapes, types, unknown names and out-of-range values, naming the param', () => {
    const bad = (given: unknown) => code(() => resolveParams(p, given));
    expect(bad([1])).toMatchObject({ code: 'INVALID_INPUT', field: 'params' });
    expect(bad('days=3')).toMatchObject({ code: 'INVALID_INPUT', field: 'params' });
    expect(bad({ label: 'x', nope: 1 })!.message).toContain("'nope'");
    expect(bad({ label: 'x', __proto__: 1, ['constructor']: 1 })!.message).toContain("'constructor'");
    expect(bad({ label: 'x', days: '3' })!.message).toMatch(/'days' must be an integer/);
    expect(bad({ label: 'x', days: 2.5 })!.message).toMatch(/'days' must be an integer/);
    expect(bad({ label: 'x', days: 31 })!.message).toMatch(/'days' must be at most 30/);
    expect(bad({ label: 'x', days: 0 })!.message).toMatch(/'days' must be at least 1/);
    expect(bad({})!.message).toMatch(/'label' is required/);
    expect(bad({ label: 5 })!.message).toMatch(/'label' must be a string/);
  });
});

describe('SQL templating', () => {
  const ctx = { models: new Map([['stg', 'bronze.stg']]), params: { days: 14, name: "O'Brien", on: true, ratio: 0.5 } };

  it('renders ref, source and param', () => {
    expect(renderSql("SELECT * FROM {{ ref('stg') }} JOIN {{source('raw','entries')}} USING (id) WHERE d < {{ param(\"days\") }}", ctx, "model 'm'")).toBe(
      'SELECT * FROM bronze.stg JOIN raw.entries USING (id) WHERE d < 14',
    );
    expect(renderSql("SELECT {{ param('name') }}, {{ param('on') }}, {{ param('ratio') }}", ctx, 'm')).toBe("SELECT 'O''Brien', TRUE, 0.5");
    expect(sqlLiteral(null, 'm', 'x')).toBe('NULL');
    expect(templateParts("{{ ref('a') }} {{ source('s', 't') }}", 'm')).toEqual([{ kind: 'ref', model: 'a' }, { kind: 'source', namespace: 's', table: 't' }]);
    expect(modelTable({ name: 'my-model' })).toBe('models.my_model');
  });

  it('refuses anything else between {{ }}, naming the model', () => {
    for (const bad of ["{{ ref('nope') }}", "{{ source('raw', 'x; DROP') }}", '{{ 1 + 1 }}', "{{ param('missing') }}", "{{ ref('stg') | upper }}"]) {
      const e = code(() => renderSql(`SELECT * FROM ${bad}`, ctx, "model 'mart'"));
      expect(e).toMatchObject({ code: 'INVALID_INPUT' });
      expect(e!.message).toContain("model 'mart'");
    }
  });
});

describe('loadPipelines', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cg-pipelines-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('loads YAML and TS files and reports the bad ones by file and field', async () => {
    await writeFile(join(dir, 'a.yaml'), 'name: a\ningest:\n  - name: load\n    table: raw.a\n    source: { kind: rows, rows: [{ id: 1 }] }\n');
    await writeFile(join(dir, 'b.mjs'), "export const pipeline = { name: 'b', models: [{ name: 'm', sql: 'SELECT 1 AS x' }] };\n");
    await writeFile(join(dir, 'c.yml'), 'name: c\ningest:\n  - name: load\n    table: raw.c\n    source: { kind: http, url: 42 }\n');
    await writeFile(join(dir, 'd.yaml'), 'name: [unclosed\n');
    await writeFile(join(dir, 'e.yaml'), 'name: a\n');
    await writeFile(join(dir, 'f.mjs'), 'export const nothing = 1;\n');
    await writeFile(join(dir, 'g.mjs'), 'throw new Error("boom at import");\n');
    await writeFile(join(dir, '_helper.mjs'), 'throw new Error("never imported");\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const { pipelines, errors } = await loadPipelines(dir);
    expect([...pipelines.keys()].sort()).toEqual(['a', 'b']);
    expect(pipelines.get('b')!.steps.map((s) => s.name)).toEqual(['m', 'publish']);
    expect(pipelines.get('a')!.file).toBe('a.yaml');
    const by = (file: string) => errors.filter((e) => e.file === file);
    expect(by('c.yml')).toEqual([expect.objectContaining({ field: 'ingest.0.source.url' })]);
    expect(by('d.yaml')).toEqual([expect.objectContaining({ field: null })]);
    expect(by('e.yaml')).toEqual([expect.objectContaining({ field: 'name', message: expect.stringContaining('a.yaml') })]);
    expect(by('f.mjs')).toEqual([expect.objectContaining({ field: null })]);
    expect(by('g.mjs')[0]!.message).toContain('boom at import');
    expect(errors).toHaveLength(5);
  });

  it('treats a missing folder as no pipelines', async () => {
    expect(await loadPipelines(join(dir, 'missing'))).toEqual({ pipelines: new Map(), errors: [] });
  });

  it('loads the demo glucose pipeline', async () => {
    const out = buildPipeline(glucose, 'glucose.ts');
    if (!('pipeline' in out)) throw new Error(JSON.stringify(out.errors));
    expect(out.pipeline.steps.map((s) => `${s.kind}:${s.name}`)).toEqual([
      'ingest:entries',
      'model:stg_entries',
      'model:fct_glucose_readings',
      'model:dim_date',
      'model:mrt_glucose_overview',
      'audit:sgv_not_null',
      'audit:sgv_in_range',
      'audit:stg_unique_reading_ts',
      'audit:category_values',
      'audit:mart_has_days',
      'publish:publish',
    ]);
    expect(resolveParams(out.pipeline.spec, {})).toEqual({ days: 14, badReadings: 0 });
    const { pipelines, errors } = await loadPipelines(join(import.meta.dirname, '../../pipelines'));
    expect(errors).toEqual([]);
    expect(pipelines.has('glucose')).toBe(true);
  });
});
