/**
 * Per-subject rate limit: a token bucket per key (the authenticated actor's subject, or the remote
 * address when the gateway runs open). Over HTTP an exhausted bucket is 429 with Retry-After; over
 * graphql-ws the operation gets an error result. Both carry LIMIT_EXCEEDED.
 */
import type { Plugin } from 'graphql-yoga';
import { limitError } from './errors.js';

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

export function rateLimit(opts: RateLimitOptions, keyOf: (context: unknown) => string): Plugin {
  const buckets = new TokenBuckets(opts);
  const check = (context: unknown) => {
    const wait = buckets.take(keyOf(context));
    if (wait === 0) return null;
    return limitError(`rate limit exceeded: retry in ${wait} s`, { status: 429, headers: { 'Retry-After': String(wait) } });
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
