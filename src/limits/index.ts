/** The limits as yoga/envelop plugins, in the order they apply (parse → validate → execute). */
import type { Plugin } from 'graphql-yoga';
import { aliasLimit } from './aliases.js';
import { costCheck, costLimit, type CostCheck } from './cost.js';
import { depthLimit } from './depth.js';
import { disableIntrospection } from './introspection.js';
import { persistedOperations, type AllowList } from './persisted.js';
import type { RateLimit } from './rate-limit.js';
import { QueryTimeout, queryTimeout } from './timeout.js';
import { tokenLimit } from './tokens.js';
import { uploadLimits, type UploadDir } from './upload-size.js';

export interface Limits {
  maxDepth: number;
  maxCost: number;
  maxAliases: number;
  maxTokens: number;
  maxBodyBytes: number;
  maxUploadBytes: number;
  rateLimit: { perSecond: number; burst: number };
  queryTimeoutMs: number;
  /** Memory of one `sql` query (DuckDB's limit; its process is stopped a headroom past it); 0: none. */
  sqlMemoryBytes: number;
  persistedOperationsFile?: string;
  introspection: boolean;
}

/**
 * The limits checked as an operation executes, made once: yoga's plugins (below) and the direct
 * POST path (src/direct-execution.ts) apply the same ones. Absent when set to 0.
 */
export interface ExecutionLimits {
  cost?: CostCheck;
  timeout?: QueryTimeout;
}

export function executionLimits(limits: Limits): ExecutionLimits {
  return {
    cost: limits.maxCost > 0 ? costCheck(limits.maxCost) : undefined,
    timeout: limits.queryTimeoutMs > 0 ? new QueryTimeout(limits.queryTimeoutMs) : undefined,
  };
}

/** Every limit set to 0 is off. */
export function limitPlugins(
  limits: Limits,
  deps: { execution: ExecutionLimits; allowList?: AllowList; rateLimit?: RateLimit; uploadDir?: UploadDir },
): Plugin[] {
  const plugins: Plugin[] = [];
  if (deps.allowList) plugins.push(persistedOperations(deps.allowList));
  plugins.push(uploadLimits(limits, deps.uploadDir));
  if (limits.maxTokens > 0) plugins.push(tokenLimit(limits.maxTokens));
  if (limits.maxDepth > 0) plugins.push(depthLimit(limits.maxDepth));
  if (limits.maxAliases > 0) plugins.push(aliasLimit(limits.maxAliases));
  if (!limits.introspection) plugins.push(...disableIntrospection());
  if (deps.rateLimit) plugins.push(deps.rateLimit.plugin());
  if (deps.execution.cost) plugins.push(costLimit(deps.execution.cost));
  if (deps.execution.timeout) plugins.push(queryTimeout(deps.execution.timeout));
  return plugins;
}

/** Rate-limit key: the token's subject when callers authenticate, else the remote address. */
export function rateKeyFor(authenticated: boolean) {
  return (context: unknown): string => {
    const c = context as { actor?: { subject?: string }; remoteAddress?: string; req?: { socket?: { remoteAddress?: string } } };
    if (authenticated && c.actor?.subject) return `sub:${c.actor.subject}`;
    return `addr:${c.remoteAddress ?? c.req?.socket?.remoteAddress ?? 'unknown'}`;
  };
}
