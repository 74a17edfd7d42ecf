/**
 * The templating of pipeline SQL, dbt's small subset: `{{ ref('model') }}` is the model's table,
 * `{{ source('ns', 'table') }}` a table the pipeline reads (`ns.table`), `{{ param('name') }}` a
 * run parameter as a SQL literal. Anything else between `{{ }}` is an error naming the step.
 */
import { InvalidInput } from '../domain/errors.js';
import type { ModelStep } from './spec.js';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const EXPR = /\{\{([\s\S]*?)\}\}/g;
const STR = `\\s*(?:'([^'\\\\]*)'|"([^"\\\\]*)")\\s*`;
const REF = new RegExp(`^ref\\(${STR}\\)$`);
const SOURCE = new RegExp(`^source\\(${STR},${STR}\\)$`);
const PARAM = new RegExp(`^param\\(${STR}\\)$`);

export type TemplatePart =
  | { kind: 'ref'; model: string }
  | { kind: 'source'; namespace: string; table: string }
  | { kind: 'param'; name: string };

/** Where a model is materialised. */
export function modelTable(m: Pick<ModelStep, 'name' | 'table'>): string {
  return m.table ?? `models.${m.name.replaceAll('-', '_')}`;
}

/** One `{{ … }}` expression, or an error naming `where` (e.g. "model 'stg_entries'"). */
function parseExpr(text: string, where: string): TemplatePart {
  const e = text.trim();
  let m = REF.exec(e);
  if (m) return { kind: 'ref', model: m[1] ?? m[2]! };
  m = SOURCE.exec(e);
  if (m) {
    const namespace = m[1] ?? m[2]!;
    const table = m[3] ?? m[4]!;
    if (!IDENT.test(namespace) || !IDENT.test(table)) throw new InvalidInput(`${where}: source('${namespace}', '${table}') is not a valid table name`, 'sql');
    return { kind: 'source', namespace, table };
  }
  m = PARAM.exec(e);
  if (m) return { kind: 'param', name: m[1] ?? m[2]! };
  throw new InvalidInput(`${where}: unknown template expression {{ ${e.slice(0, 100)} }} (use ref('model'), source('ns', 'table') or param('name'))`, 'sql');
}

/** Every template expression of `sql`, in order. @throws InvalidInput for one that is not ref/source/param. */
export function templateParts(sql: string, where: string): TemplatePart[] {
  return [...sql.matchAll(EXPR)].map((m) => parseExpr(m[1]!, where));
}

/** A JS value as a SQL literal: numbers plain, strings quoted with quotes doubled, booleans, NULL. */
export function sqlLiteral(v: unknown, where: string, name: string): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new InvalidInput(`${where}: param '${name}' is not a finite number`, 'params');
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
  throw new InvalidInput(`${where}: param '${name}' cannot be used in SQL`, 'params');
}

export interface RenderContext {
  /** Model name → its table (dotted). */
  models: ReadonlyMap<string, string>;
  params: Readonly<Record<string, unknown>>;
}

/** The SQL with every template expression replaced. @throws InvalidInput naming `where`. */
export function renderSql(sql: string, ctx: RenderContext, where: string): string {
  return sql.replace(EXPR, (_all, inner: string) => {
    const p = parseExpr(inner, where);
    if (p.kind === 'ref') {
      const table = ctx.models.get(p.model);
      if (!table) throw new InvalidInput(`${where}: ref('${p.model}') names no model of this pipeline`, 'sql');
      return table;
    }
    if (p.kind === 'source') return `${p.namespace}.${p.table}`;
    if (!Object.hasOwn(ctx.params, p.name)) throw new InvalidInput(`${where}: param('${p.name}') is not a param of this pipeline`, 'sql');
    return sqlLiteral(ctx.params[p.name], where, p.name);
  });
}
