/** A run's params checked against the pipeline's declaration, defaults applied. */
import { InvalidInput } from '../domain/errors.js';
import type { ParamSpec, PipelineSpec } from './spec.js';

/**
 * The run's params: `given` (an object of name → value; null means none) checked against the spec,
 * defaults applied. @throws InvalidInput('params') naming the bad param.
 */
export function resolveParams(spec: Pick<PipelineSpec, 'params'>, given: unknown): Record<string, unknown> {
  const input = given ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new InvalidInput('params must be an object of param name to value', 'params');
  const values = input as Record<string, unknown>;
  const known = Object.keys(spec.params);
  for (const k of Object.keys(values)) {
    if (!Object.hasOwn(spec.params, k)) {
      throw new InvalidInput(`unknown param '${k.slice(0, 100)}'${known.length ? ` (params: ${known.join(', ')})` : ' (this pipeline has no params)'}`, 'params');
    }
  }
  const out: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(spec.params)) {
    const v = Object.hasOwn(values, name) && values[name] !== null && values[name] !== undefined ? values[name] : p.default;
    if (v === undefined) throw new InvalidInput(`param '${name}' is required`, 'params');
    const problem = paramProblem(p, v);
    if (problem) throw new InvalidInput(`param '${name}' ${problem}`, 'params');
    out[name] = v;
  }
  return out;
}

/** Why `v` is not a valid value of `p`, or null. */
export function paramProblem(p: ParamSpec, v: unknown): string | null {
  switch (p.type) {
    case 'Int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) return `must be an integer, got ${describe(v)}`;
      break;
    case 'Float':
      if (typeof v !== 'number' || !Number.isFinite(v)) return `must be a number, got ${describe(v)}`;
      break;
    case 'String':
      if (typeof v !== 'string') return `must be a string, got ${describe(v)}`;
      if (v.length > 10_000) return 'must be at most 10000 characters';
      return null;
    case 'Boolean':
      return typeof v === 'boolean' ? null : `must be true or false, got ${describe(v)}`;
  }
  const n = v as number;
  if (p.min !== undefined && n < p.min) return `must be at least ${p.min}, got ${n}`;
  if (p.max !== undefined && n > p.max) return `must be at most ${p.max}, got ${n}`;
  return null;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.slice(0, 50))}`;
  if (Array.isArray(v)) return 'a list';
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : `${typeof v} ${String(v).slice(0, 50)}`;
}
