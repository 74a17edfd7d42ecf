/**
 * An audit step: one check on the run branch, computed by the engine through the same sandboxed
 * SQL as the `sql` query (counts only come back). failingRows: rows that fail (not_null, unique —
 * every row whose key another row shares —, accepted_values, range, custom sql: rows it returns);
 * row_count_min: how many rows are missing; freshness: 1 or 0. NULLs pass accepted_values and range.
 * SQL errors (unknown table or column) are thrown: the run engine fails the step.
 */
import { InvalidInput } from '../../domain/errors.js';
import { quoteIdent } from '../../domain/filters.js';
import type { AuditResult } from '../../domain/runs.js';
import { sqlLiteral } from '../../pipelines/sql-template.js';
import type { AuditStep } from '../../pipelines/spec.js';
import { auditTable } from '../../pipelines/steps.js';
import type { StepContext } from '../step-context.js';
import { renderStepSql } from './model.js';

type Check = { failing: bigint; message: string | null };

export async function runAudit(step: AuditStep, ctx: StepContext): Promise<AuditResult> {
  const table = auditTable(ctx.pipeline.spec, step.table);
  const t = table === null ? '' : table.split('.').map(quoteIdent).join('.');
  const where = `audit '${step.name}'`;
  const scalar = async (sql: string) => {
    const r = await ctx.tables.sql(ctx.branch, sql, 1, ctx.actor);
    return r.rows[0]?.[0] ?? null;
  };
  const count = async (sql: string) => BigInt(String((await scalar(sql)) ?? 0));
  const col = step.column === undefined ? '' : quoteIdent(step.column);
  const lit = (v: unknown) => sqlLiteral(v, where, 'value');
  const rows = (n: bigint, what: string): Check => ({ failing: n, message: n === 0n ? null : `${n} row(s) of ${table} ${what}` });

  let check: Check;
  switch (step.check) {
    case 'not_null':
      check = rows(await count(`SELECT count(*) FROM ${t} WHERE ${col} IS NULL`), `have NULL in ${step.column}`);
      break;
    case 'unique': {
      const cols = (step.columns ?? [step.column!]).map(quoteIdent).join(', ');
      const n = await count(`SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM ${t} GROUP BY ${cols} HAVING count(*) > 1)`);
      check = rows(n, `share their (${(step.columns ?? [step.column!]).join(', ')}) with another row`);
      break;
    }
    case 'accepted_values': {
      const values = step.values!.map(lit).join(', ');
      check = rows(await count(`SELECT count(*) FROM ${t} WHERE ${col} IS NOT NULL AND ${col} NOT IN (${values})`), `have ${step.column} outside [${step.values!.join(', ')}]`);
      break;
    }
    case 'range': {
      const bad = [step.min !== undefined ? `${col} < ${lit(step.min)}` : null, step.max !== undefined ? `${col} > ${lit(step.max)}` : null].filter((c) => c !== null);
      check = rows(await count(`SELECT count(*) FROM ${t} WHERE ${bad.join(' OR ')}`), `have ${step.column} outside ${step.min ?? '…'}..${step.max ?? '…'}`);
      break;
    }
    case 'row_count_min': {
      const min = Number(step.min);
      if (!Number.isSafeInteger(min)) throw new InvalidInput(`${where}: min must be an integer`, 'min');
      const n = await count(`SELECT count(*) FROM ${t}`);
      const missing = n >= BigInt(min) ? 0n : BigInt(min) - n;
      check = { failing: missing, message: missing === 0n ? null : `${table} has ${n} row(s), fewer than ${min}` };
      break;
    }
    case 'freshness':
      check = freshness(await scalar(`SELECT max(${col}) FROM ${t}`), step, table!);
      break;
    case 'sql': {
      const query = renderStepSql(step.sql!, ctx, where);
      check = { failing: await count(`SELECT count(*) FROM (${query}) AS __cg_audit`), message: null };
      if (check.failing > 0n) check.message = `the audit query returned ${check.failing} failing row(s)`;
      break;
    }
  }
  return {
    name: step.name,
    table: table ?? '',
    check: step.check,
    severity: step.severity,
    passed: check.failing === 0n,
    failingRows: check.failing,
    message: check.message,
  };
}

/** Newest value → age: epoch ms for numbers, ISO timestamps (no zone: UTC) and dates. */
function freshness(newest: unknown, step: AuditStep, table: string): Check {
  if (newest === null || newest === undefined) return { failing: 1n, message: `${table} has no ${step.column} values` };
  const text = String(newest);
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) || /^\d{4}-\d\d-\d\d$/.test(text) ? text : `${text}Z`);
  if (!Number.isFinite(ms)) return { failing: 1n, message: `the newest ${step.column} (${text}) is not a timestamp` };
  const age = Math.round((Date.now() - ms) / 1000);
  const fresh = age <= step.maxAgeSeconds!;
  return { failing: fresh ? 0n : 1n, message: `newest ${step.column} is ${text} (${age} s old; at most ${step.maxAgeSeconds} s allowed)` };
}
