/**
 * Shared execution of subscription events: when many subscribers run the same subscription document
 * with the same variables and the same role, the selection set is executed once per source event and
 * every one of them gets the same ExecutionResult object (a run with 5,000 `runEvents` subscribers
 * costs one execution per event, not 5,000).
 *
 * An envelop/yoga plugin that replaces the subscribe function (graphql-ws and SSE alike): the event
 * stream comes from graphql-js `createSourceEventStream` (the field's own `subscribe`, with
 * scope-auth's check at subscribe time, per subscriber as before), and each source payload is
 * executed through a memo keyed by the payload object itself (a WeakMap: subscribers of a run get
 * the same event instance, see RunTails in src/runs/tails.ts) and by
 * schema + document + operation name + variables + the caller's active roles and kind.
 *
 * What a shared result means for the rest of the pipeline:
 * - Results are never mutated afterwards: per-subscriber additions (request ids on errors, masked
 *   errors) copy the result (src/server/limits/request-id.ts, yoga's masked errors).
 * - Field resolvers run with the context of the subscriber whose pull executed the event first
 *   (its loaders and its logger's request id); everything that may differ between callers and
 *   matter to a read (the roles) is in the key.
 * - Variables that are not plain JSON (uploads, …) disable sharing for that subscription.
 * - return() on the stream reaches the source iterator (bus subscriptions end on unsubscribe).
 *
 * Direct delivery: when the transport put a sink on the context (graphql-ws does, see
 * src/server/ws-server.ts) and the source can hand items to a synchronous consumer
 * (src/util/direct-items.ts, a run's event tail), each event's shared result goes straight to the
 * sink while the subscriber's stream waits for its next event. Results with errors, results not
 * known synchronously and anything the sink refuses (a slow socket, an expired token) take the
 * usual path, through the stream and every plugin's wrappers, in order.
 */
import { createSourceEventStream, execute, getOperationAST, GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Actor } from '../src/auth/actor.js';
import { DIRECT_ITEMS, isDirectItemSource } from '../src/util/direct-items.js';

type MaybePromise<T> = T | Promise<T>;

/** Results by payload object, then by sharing key. */
const memo = new WeakMap<object, Map<string, MaybePromise<ExecutionResult>>>();

/** How many executions were shared vs run, and how many results went to a direct sink (tests and metrics). */
export const sharedExecutionStats = { executed: 0, shared: 0, direct: 0 };

/** Where the transport puts its direct sink on the context. */
export const DIRECT_SINK = Symbol('cascade.directSink');

/**
 * Sends a result without errors to the subscriber now, as the transport's own loop would have;
 * false when it cannot (the result then takes the usual path).
 */
export type DirectSink = (result: ExecutionResult) => boolean;

export function useSharedSubscriptionExecution(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(sharedSubscribe as never);
    },
  };
}

/** graphql-js `subscribe`, with each event's execution shared by subscribers of the same key. */
export async function sharedSubscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const source = await createSourceEventStream(args);
  if (!isAsyncIterable(source)) {
    // As @graphql-tools/executor (yoga's default): errors before any resolver ran (variables,
    // operation) are the client's: 400 over HTTP, BAD_USER_INPUT (INVALID_INPUT once masked).
    for (const e of source.errors ?? []) {
      if (e.path) continue;
      const ext = ((e as { extensions: Record<string, unknown> }).extensions ??= {});
      ext.http = { ...(ext.http as object | undefined), status: 400 };
      ext.code = 'BAD_USER_INPUT';
    }
    return source;
  }
  const key = sharingKey(args);
  const operation = getOperationAST(args.document, args.operationName);
  const run = (payload: unknown) => {
    sharedExecutionStats.executed++;
    return execute({ ...args, rootValue: payload });
  };
  const mapEvent = (payload: unknown, countShared = true): MaybePromise<ExecutionResult> => {
    if (key === null || payload === null || (typeof payload !== 'object' && typeof payload !== 'function')) return run(payload);
    let byKey = memo.get(payload);
    if (!byKey) {
      byKey = new Map();
      memo.set(payload, byKey);
    }
    const known = byKey.get(key);
    if (known !== undefined) {
      if (countShared) sharedExecutionStats.shared++;
      return known;
    }
    let result: MaybePromise<ExecutionResult>;
    try {
      result = run(payload);
    } catch (e) {
      result = Promise.reject(e);
    }
    byKey.set(key, result);
    if (result instanceof Promise) {
      // Later subscribers get the settled value without another microtask hop through the promise.
      const map = byKey;
      result.then(
        (r) => {
          if (map.get(key) === result) map.set(key, r);
        },
        () => undefined,
      );
    }
    return result;
  };
  const sink = key === null ? undefined : (args.contextValue as { [DIRECT_SINK]?: DirectSink } | null | undefined)?.[DIRECT_SINK];
  // Events the direct consumer looked at and passed on to the stream: their second look is not a share.
  const passedOn = new WeakSet<object>();
  if (sink && isDirectItemSource(source)) {
    source[DIRECT_ITEMS]((payload) => {
      const result = mapEvent(payload);
      if (!(result instanceof Promise) && result.errors === undefined && sink(result)) {
        sharedExecutionStats.direct++;
        return true;
      }
      if (typeof payload === 'object' && payload !== null) passedOn.add(payload);
      return false;
    });
  }
  const streamEvent = (payload: unknown) => mapEvent(payload, !(typeof payload === 'object' && payload !== null && passedOn.delete(payload)));
  return mapSource(source, streamEvent, (e) => {
    // As @graphql-tools/executor: a failing source is a GraphQL error at the operation.
    throw e instanceof GraphQLError ? e : new GraphQLError((e as Error)?.message ?? String(e), { originalError: e as Error, nodes: operation ? [operation] : undefined });
  });
}

/**
 * What decides an event's result besides the payload: schema, document (yoga's parser cache hands
 * out one DocumentNode per query text), operation, variables, and the caller's roles and kind.
 * Null: do not share.
 */
export function sharingKey(args: ExecutionArgs): string | null {
  const vars = plainJson(args.variableValues ?? null);
  if (vars === null) return null;
  const actor = (args.contextValue as { actor?: Actor } | null | undefined)?.actor;
  const who = actor ? plainJson([actor.kind ?? null, actor.roles]) : '-';
  if (who === null) return null;
  return `${idOf(args.schema)}:${idOf(args.document)}:${args.operationName ?? ''}:${who}:${vars}`;
}

const ids = new WeakMap<object, number>();
let nextId = 0;
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = ++nextId;
    ids.set(o, id);
  }
  return id;
}

/** JSON of a value made of plain objects, arrays, strings, finite numbers, booleans and null; else null. */
function plainJson(v: unknown): string | null {
  return isPlain(v, 0) ? JSON.stringify(v) : null;
}

function isPlain(v: unknown, depth: number): boolean {
  if (depth > 32) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.every((x) => isPlain(x, depth + 1));
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v).every((x) => x !== undefined && isPlain(x, depth + 1));
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

/**
 * `source` mapped through `fn`, pulled one at a time. return() and throw() reach the source; an
 * error of `fn` closes the source and is thrown; an error of the source goes through `onSourceError`.
 * One promise step per item when `fn` answers synchronously (the shared result is usually known):
 * this runs once per subscriber per event.
 */
export function mapSource<T, R>(source: AsyncIterable<T>, fn: (v: T) => MaybePromise<R>, onSourceError: (e: unknown) => never): AsyncIterableIterator<R> {
  const it = source[Symbol.asyncIterator]();
  const close = async () => {
    await it.return?.();
  };
  const fail = async (e: unknown): Promise<never> => {
    await close().catch(() => undefined);
    throw e;
  };
  const step = (r: IteratorResult<T>): MaybePromise<IteratorResult<R>> => {
    if (r.done) return { value: undefined, done: true };
    let value: MaybePromise<R>;
    try {
      value = fn(r.value);
    } catch (e) {
      return fail(e);
    }
    return value instanceof Promise ? value.then((v) => ({ value: v, done: false }), fail) : { value, done: false };
  };
  const out: AsyncIterableIterator<R> = {
    [Symbol.asyncIterator]: () => out,
    next() {
      let pulled: Promise<IteratorResult<T>>;
      try {
        pulled = it.next();
      } catch (e) {
        pulled = Promise.reject(e);
      }
      return pulled.then(step, onSourceError);
    },
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    async throw(e?: unknown) {
      await close();
      throw e;
    },
  };
  return out;
}
