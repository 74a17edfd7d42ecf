/**
 * Subscriptions end when the caller's token expires: an envelop/yoga plugin completes every
 * subscription stream (graphql-ws and SSE alike) at `actor.expiresAt`.
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Actor } from './actor.js';

export function useSubscriptionsEndAtExpiry(): Plugin {
  return {
    onSubscribe({ args }) {
      const exp = (args.contextValue as { actor?: Actor }).actor?.expiresAt;
      if (exp == null) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (isAsyncIterable(result)) setResult(endAt(result, exp) as never);
        },
      };
    },
  };
}

const MAX_TIMER = 2 ** 31 - 1;

/** The items of `source` until `atMs` (epoch ms); then it completes and the source is closed. */
export function endAt<T>(source: AsyncIterable<T>, atMs: number): AsyncIterableIterator<T> {
  const it = source[Symbol.asyncIterator]();
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<IteratorResult<T>>((resolve) => {
    const arm = () => {
      const left = atMs - Date.now();
      if (left <= 0) return resolve({ value: undefined, done: true });
      timer = setTimeout(arm, Math.min(left, MAX_TIMER));
    };
    arm();
  });
  const finish = async () => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    await it.return?.();
  };
  const out: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => out,
    async next() {
      if (ended) return { value: undefined, done: true };
      const r = await Promise.race([it.next(), expired]);
      if (r.done) await finish();
      return r;
    },
    async return() {
      await finish();
      return { value: undefined, done: true };
    },
    async throw(e?: unknown) {
      await finish();
      throw e;
    },
  };
  return out;
}
