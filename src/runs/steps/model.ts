/**
 * A model step: its SQL rendered (ref/source/param) and materialised on the run branch as its
 * table in one commit; the engine writes the result straight to Parquet. A missing table, or one
 * whose columns differ from the result's, is (re)created from the result's columns.
 */
import { modelTable, renderSql } from '../../pipelines/sql-template.js';
import type { ModelStep } from '../../pipelines/spec.js';
import type { StepContext, StepOutcome } from '../step-context.js';
import { InvalidInput } from '../../domain/errors.js';
import type { Commit } from '../../ports/version-store.js';

/** Model SQL as the engine takes it: one statement without a trailing semicolon. */
export function statement(sql: string): string {
  return sql.trim().replace(/;\s*$/, '').trim();
}

export function renderStepSql(sql: string, ctx: Pick<StepContext, 'pipeline' | 'params'>, where: string): string {
  const models = new Map(ctx.pipeline.spec.models.map((m) => [m.name, modelTable(m)]));
  return statement(renderSql(sql, { models, params: ctx.params }, where));
}

/** How long a Trino model may run. */
const TRINO_MODEL_TIMEOUT_MS = 30 * 60_000;

export async function runModel(step: ModelStep, ctx: StepContext): Promise<StepOutcome> {
  const query = renderStepSql(step.sql, ctx, `model '${step.name}'`);
  const table = modelTable(step);
  let out: { commits: Commit[]; addedRows: number; created: boolean };
  if (step.engine === 'trino') {
    if (!ctx.trino) throw new InvalidInput(`model '${step.name}' runs on Trino (engine: trino), and this gateway has no Trino (set TRINO_URL)`, 'engine');
    out = await ctx.trino.materialize({ branch: ctx.branch, table, query, timeoutMs: TRINO_MODEL_TIMEOUT_MS }, ctx.actor);
  } else {
    const built = await ctx.tables.materialize({ branch: ctx.branch, table, query, message: `Model ${step.name}: build ${table}` }, ctx.actor);
    out = { ...built, commits: [built.commit] };
  }
  ctx.progress({ rowsWritten: out.addedRows });
  return {
    rowsRead: 0,
    rowsWritten: out.addedRows,
    commits: out.commits,
    message: `${out.created ? 'created' : 'rebuilt'} ${table} with ${out.addedRows} rows`,
  };
}
