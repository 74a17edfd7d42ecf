/**
 * Cross-reference checks of a pipeline spec that the zod schema cannot express, and its steps in
 * run order: ingest steps, models in dependency order (a model depends on the models it ref()s and
 * the ingest steps whose tables it source()s), audits (each after the step that writes its table),
 * then `publish`. Names are unique across steps; ref() names a model; no cycles.
 */
import { isDomainError } from '../domain/errors.js';
import { paramProblem } from './params.js';
import { modelTable, templateParts, type TemplatePart } from './sql-template.js';
import type { PipelineSpec, PipelineStepInfo } from './spec.js';

export interface SpecProblem {
  field: string | null;
  message: string;
}

const TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,3}$/;

/** The table an audit checks: a model's or ingest step's table when it names one, else the name itself. */
export function auditTable(spec: PipelineSpec, table: string | undefined): string | null {
  if (table === undefined) return null;
  const model = spec.models.find((m) => m.name === table);
  if (model) return modelTable(model);
  const ingest = spec.ingest.find((i) => i.name === table);
  return ingest ? ingest.table : table;
}

export function checkPipeline(spec: PipelineSpec): { steps: PipelineStepInfo[] } | { errors: SpecProblem[] } {
  const errors: SpecProblem[] = [];
  const problem = (field: string | null, message: string) => errors.push({ field, message });

  for (const [name, p] of Object.entries(spec.params)) {
    if (p.type === 'Int' || p.type === 'Float') {
      if (p.min !== undefined && p.max !== undefined && p.min > p.max) problem(`params.${name}.min`, 'min is greater than max');
    } else if (p.min !== undefined || p.max !== undefined) problem(`params.${name}.min`, `min and max apply to Int and Float params only`);
    if (p.default !== undefined) {
      const why = paramProblem(p, p.default);
      if (why) problem(`params.${name}.default`, `the default ${why}`);
    }
  }

  // Step names unique across kinds; tables written once.
  const stepAt = new Map<string, string>();
  const writerOf = new Map<string, string>();
  const named = (field: string, name: string) => {
    if (name === 'publish') problem(field, "'publish' is the name of the pipeline's last step");
    const other = stepAt.get(name);
    if (other) problem(field, `step name '${name}' is already used by ${other}`);
    else stepAt.set(name, field.replace(/\.name$/, ''));
  };
  const writes = (field: string, table: string, step: string) => {
    const other = writerOf.get(table.toLowerCase());
    if (other) problem(field, `table ${table} is already written by step '${other}'`);
    else writerOf.set(table.toLowerCase(), step);
  };
  spec.ingest.forEach((s, i) => {
    named(`ingest.${i}.name`, s.name);
    writes(`ingest.${i}.table`, s.table, s.name);
    if (s.columns && s.key) for (const k of s.key) if (!s.columns.some((c) => c.name === k)) problem(`ingest.${i}.key`, `key column '${k}' is not among columns`);
  });
  spec.models.forEach((m, i) => {
    named(`models.${i}.name`, m.name);
    writes(`models.${i}.table`, modelTable(m), m.name);
  });
  spec.audits.forEach((a, i) => named(`audits.${i}.name`, a.name));

  // Templates: ref() to models, param() to params; dependencies.
  const models = new Set(spec.models.map((m) => m.name));
  const deps = (sql: string, field: string, where: string): string[] => {
    let parts: TemplatePart[];
    try {
      parts = templateParts(sql, where);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      problem(field, e.message);
      return [];
    }
    const out = new Set<string>();
    for (const p of parts) {
      if (p.kind === 'ref') {
        if (models.has(p.model)) out.add(p.model);
        else problem(field, `ref('${p.model}') names no model of this pipeline`);
      } else if (p.kind === 'param') {
        if (!Object.hasOwn(spec.params, p.name)) problem(field, `param('${p.name}') is not a param of this pipeline`);
      } else {
        const writer = writerOf.get(`${p.namespace}.${p.table}`.toLowerCase());
        if (writer) out.add(writer);
      }
    }
    return [...out];
  };
  const modelDeps = new Map(spec.models.map((m, i) => [m.name, deps(m.sql, `models.${i}.sql`, `model '${m.name}'`)]));

  const order = topological(spec.models.map((m) => m.name), (n) => (modelDeps.get(n) ?? []).filter((d) => models.has(d)));
  if ('cycle' in order) problem('models', `models depend on each other in a cycle: ${order.cycle.join(' → ')}`);

  const audits: PipelineStepInfo[] = spec.audits.map((a, i) => {
    const table = auditTable(spec, a.table);
    if (table !== null && !TABLE.test(table)) problem(`audits.${i}.table`, `'${a.table}' is neither a step of this pipeline nor a dotted table name such as raw.entries`);
    const on = new Set<string>();
    const writer = table === null ? undefined : writerOf.get(table.toLowerCase());
    if (writer) on.add(writer);
    if (a.sql) for (const d of deps(a.sql, `audits.${i}.sql`, `audit '${a.name}'`)) on.add(d);
    return { name: a.name, kind: 'audit', dependsOn: [...on] };
  });

  if (errors.length > 0 || 'cycle' in order) return { errors };
  const steps: PipelineStepInfo[] = [
    ...spec.ingest.map((s) => ({ name: s.name, kind: 'ingest' as const, dependsOn: [] })),
    ...order.order.map((n) => ({ name: n, kind: 'model' as const, dependsOn: modelDeps.get(n)! })),
    ...audits,
  ];
  steps.push({ name: 'publish', kind: 'publish', dependsOn: steps.map((s) => s.name) });
  return { steps };
}

/** Kahn's algorithm, keeping declaration order among ready nodes; or a cycle. */
function topological(nodes: string[], depsOf: (n: string) => string[]): { order: string[] } | { cycle: string[] } {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < nodes.length) {
    const next = nodes.find((n) => !done.has(n) && depsOf(n).every((d) => done.has(d)));
    if (next === undefined) return { cycle: findCycle(nodes.filter((n) => !done.has(n)), depsOf) };
    done.add(next);
    order.push(next);
  }
  return { order };
}

function findCycle(left: string[], depsOf: (n: string) => string[]): string[] {
  const path: string[] = [];
  let n = left[0]!;
  while (!path.includes(n)) {
    path.push(n);
    n = depsOf(n).find((d) => left.includes(d))!;
  }
  return [...path.slice(path.indexOf(n)), n];
}
