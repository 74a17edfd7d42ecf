/**
 * Per-subject rate limit: a token bucket per key (the authenticated actor's subject, or the remote
 * address when the gateway runs open). Both carry LIMIT_EXCEEDED.
 *
 * Over HTTP one request takes one token when it arrives, after authentication and before its body
 * is read or parsed (yoga's onRequest), and an exhausted bucket is 429 with Retry-After: a client
 * over its limit costs next to nothing. Over graphql-ws each operation takes one and gets an error
 * result (the upgrade request never passes onRequest).
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { admittedActor } from '../auth/http-gate.js';
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

export function rateLimit(opts: RateLimitOptions, keyOf: (context: unknown) => string): Plugin {
  const buckets = new TokenBuckets(opts);
  const message = (wait: number) => `rate limit exceeded: retry in ${wait} s`;
  /** HTTP requests that took their token in onRequest (their operations take none). */
  const counted = new WeakSet<IncomingMessage>();
  const check = (context: unknown) => {
    const req = (context as { req?: IncomingMessage } | undefined)?.req;
    if (req && counted.has(req)) return null;
    const wait = buckets.take(keyOf(context));
    if (wait === 0) return null;
    return limitError(message(wait), { status: 429, headers: { 'Retry-After': String(wait) } });
  };
  return {
    onRequest({ request, serverContext, endResponse, fetchAPI }) {
      const req = (serverContext as { req?: IncomingMessage }).req;
      // CORS preflights and the GraphiQL page execute nothing.
      if (!req || request.method === 'OPTIONS' || (request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html'))) return;
      counted.add(req);
      const wait = buckets.take(keyOf({ req, actor: admittedActor(req) }));
      if (wait === 0) return;
      const body = errorBody(message(wait), 'LIMIT_EXCEEDED', request.headers.get('x-request-id') ?? '');
      endResponse(new fetchAPI.Response(body, { status: 429, headers: { 'content-type': 'application/json; charset=utf-8', 'retry-after': String(wait) } }));
    },
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
