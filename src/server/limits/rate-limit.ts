/**
 * Per-subject rate limit: a token bucket per key (the authenticated actor's subject, or the remote
 * address when the gateway runs open). Both carry LIMIT_EXCEEDED.
 *
 * Over HTTP one request takes one token when it arrives, after authentication and before its body
 * is read or parsed (in the HTTP handler, RateLimit.refuseHttp), and an exhausted bucket is 429 with Retry-After: a client
 * over its limit costs next to nothing. Over graphql-ws each operation takes one and gets an error
 * result (the upgrade request is not charged).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { admittedActor } from '../../auth/http-gate.js';
import { ErrorCode } from '../../domain/errors.js';
import { errorBody, limitError } from './errors.js';

export interface RateLimitOptions {
  perSecond: number;
  burst: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly opts: RateLimitOptions, private readonly now: () => number = () => performance.now()) {}

  /** Takes one token; returns 0 when granted, else the seconds until one is available. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.opts.burst, at: t };
    b.tokens = Math.min(this.opts.burst, b.tokens + ((t - b.at) / 1000) * this.opts.perSecond);
    b.at = t;
    if (this.buckets.size > 10_000 && !this.buckets.has(key)) this.sweep(t);
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.opts.perSecond));
  }

  /** Drops buckets that have refilled completely (they behave exactly like absent ones). */
  private sweep(t: number) {
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((t - b.at) / 1000) * this.opts.perSecond >= this.opts.burst) this.buckets.delete(k);
    }
  }
}

/**
 * The per-subject limit. Over HTTP the gateway's request handler calls `refuseHttp` once per request
 * (so GraphQL over HTTP, answered by yoga or by the direct path, takes one token per request);
 * `plugin()` charges operations that did not arrive that way (graphql-ws).
 */
export class RateLimit {
  private readonly buckets: TokenBuckets;

  constructor(opts: RateLimitOptions, private readonly keyOf: (context: unknown) => string) {
    this.buckets = new TokenBuckets(opts);
  }

  /** Takes the request's token; true when it answered 429 (Retry-After) instead. */
  refuseHttp(req: IncomingMessage, res: ServerResponse): boolean {
    // CORS preflights and the GraphiQL page execute nothing.
    if (req.method === 'OPTIONS' || (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html'))) return false;
    (req as CountedRequest)[COUNTED] = true;
    const wait = this.buckets.take(this.keyOf({ req, actor: admittedActor(req) }));
    if (wait === 0) return false;
    res.writeHead(429, { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(wait) });
    res.end(errorBody(message(wait), ErrorCode.LIMIT_EXCEEDED, String(req.headers['x-request-id'] ?? '')));
    return true;
  }

  plugin(): Plugin {
    const check = (context: unknown) => {
      const c = context as { req?: CountedRequest } | undefined;
      if (c?.req?.[COUNTED]) return null;
      const wait = this.buckets.take(this.keyOf(context));
      if (wait === 0) return null;
      return limitError(message(wait), { status: 429, headers: { 'Retry-After': String(wait) } });
    };
    return {
      onExecute({ args, setResultAndStopExecution }) {
        const err = check(args.contextValue);
        if (err) setResultAndStopExecution({ errors: [err] });
      },
      onSubscribe({ args, setResultAndStopExecution }) {
        const err = check(args.contextValue);
        if (err) setResultAndStopExecution({ errors: [err] });
      },
    };
  }
}

/**
 * Marks an HTTP request that took its token on arrival (its operations take none). A property, not
 * a WeakSet: a weakly held entry per request keeps the request alive past minor GCs.
 */
const COUNTED = Symbol('rate-limit counted');
type CountedRequest = IncomingMessage & { [COUNTED]?: boolean };

const message = (wait: number) => `rate limit exceeded: retry in ${wait} s`;
