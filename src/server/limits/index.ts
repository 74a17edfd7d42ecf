/** The limits checked before execution, as yoga/envelop plugins. */
import type { Plugin } from 'graphql-yoga';
import type { Limits } from '../../config.js';
import { aliasLimit } from './aliases.js';
import { depthLimit } from './depth.js';
import { disableIntrospection } from './introspection.js';
import { persistedOperations, type AllowList } from './persisted.js';
import type { RateLimit } from './rate-limit.js';
import { tokenLimit } from './tokens.js';
import { uploadLimits, type UploadDir } from './upload-size.js';

export type { Limits } from '../../config.js';

export interface LimitPluginDeps {
  allowList?: AllowList;
  rateLimit?: RateLimit;
  uploadDir?: UploadDir;
}

/**
 * The limits checked before execution, in order (every limit set to 0 is off). The execute-time
 * ones, the cost limit and the query timeout, are steps of src/server/operation-steps.ts.
 */
export function limitPlugins(limits: Limits, deps: LimitPluginDeps): Plugin[] {
  const plugins: Plugin[] = [];
  if (deps.allowList) plugins.push(persistedOperations(deps.allowList));
  plugins.push(uploadLimits(limits, deps.uploadDir));
  if (limits.maxTokens > 0) plugins.push(tokenLimit(limits.maxTokens));
  if (limits.maxDepth > 0) plugins.push(depthLimit(limits.maxDepth));
  if (limits.maxAliases > 0) plugins.push(aliasLimit(limits.maxAliases));
  if (!limits.introspection) plugins.push(...disableIntrospection());
  if (deps.rateLimit) plugins.push(deps.rateLimit.plugin());
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
