/**
 * Shared subscription execution (subscriptions/shared-execution.ts): subscribers of the same
 * document, variables and role get one execution and the same result object per source event;
 * different variables, roles or documents never get each other's results; errors stay shared
 * but unmutated; return() reaches the source. Direct delivery: results without errors go to the
 * transport's sink, the rest through the stream; the graphql-ws sink sends what graphql-ws would.
 */
import { GraphQLInt, GraphQLList, GraphQLObjectType, GraphQLSchema, GraphQLString, parse, type ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { resultWithRequestId } from '../../src/server/limits/request-id.js';
import { DIRECT_SINK, sharedExecutionStats, sharedSubscribe, sharingKey } from '../../subscriptions/shared-execution.js';
import { DIRECT_ITEMS } from '../../src/util/direct-items.js';

interface Tick {
  n: number;
}

/** A source that hands every subscriber the same tick objects; counts resolver calls and closes. */
function hub() {
  const subs = new Set<(t: Tick | null) => void>();
  let closed = 0;
  let resolved = 0;
  const stream = (): AsyncIterableIterator<Tick> => {
    const queue: (Tick | null)[] = [];
    let wake: (() => void) | null = null;
    const push = (t: Tick | null) => {
      queue.push(t);
      wake?.();
    };
    subs.add(push);
    const it: AsyncIterableIterator<Tick> = {
      [Symbol.asyncIterator]: () => it,
      async next() {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const t = queue.shift()!;
        return t === null ? { value: undefined, done: true } : { value: t, done: false };
      },
      async return() {
        subs.delete(push);
        closed++;
        return { value: undefined, done: true };
      },
    };
    return it;
  };
  const Tick = new GraphQLObjectType<Tick, { actor: { roles: string[] } }>({
    name: 'Tick',
    fields: {
      n: { type: GraphQLInt, resolve: (t) => (resolved++, t.n) },
      scaled: { type: GraphQLInt, args: { by: { type: GraphQLInt } }, resolve: (t, a: { by: number }) => t.n * a.by },
      role: { type: GraphQLString, resolve: (_t, _a, ctx) => ctx.actor.roles.join(',') },
      boom: { type: GraphQLString, resolve: () => { throw new Error('boom'); } },
      list: { type: new GraphQLList(GraphQLInt), resolve: (t) => [t.n, t.n] },
    },
  });
  const schema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
    subscription: new GraphQLObjectType({ name: 'Subscription', fields: { tick: { type: Tick, subscribe: () => stream(), resolve: (t: Tick) => t } } }),
  });
  return {
    schema,
    emit: (t: Tick | null) => [...subs].forEach((s) => s(t)),
    get subscribers() {
      return subs.size;
    },
    get closed() {
      return closed;
    },
    get resolved() {
      return resolved;
    },
  };
}

const ctx = (roles: string[]) => ({ actor: { subject: 's', roles, kind: 'user' as const } });

async function open(h: ReturnType<typeof hub>, query: string, variables: Record<string, unknown> | undefined, roles: string[], document = parse(query)) {
  const out = await sharedSubscribe({ schema: h.schema, document, variableValues: variables, contextValue: ctx(roles) });
  if (!(Symbol.asyncIterator in out)) throw new Error(`no stream: ${JSON.stringify(out)}`);
  return out;
}

describe('shared subscription execution', () => {
  it('executes each event once for subscribers of the same document, variables and role, and hands out one result object', async () => {
    const h = hub();
    const doc = parse('subscription($by: Int) { tick { n scaled(by: $by) } }');
    const subs = await Promise.all([1, 2, 3].map(() => open(h, '', { by: 2 }, ['viewer'], doc)));
    const before = h.resolved;
    const tick = { n: 7 };
    h.emit(tick);
    const results = await Promise.all(subs.map((s) => s.next()));
    expect(results.map((r) => r.value)).toEqual(Array(3).fill({ data: { tick: { n: 7, scaled: 14 } } }));
    expect(results[1]!.value).toBe(results[0]!.value);
    expect(results[2]!.value).toBe(results[0]!.value);
    expect(h.resolved - before).toBe(1);
  });

  it('never shares across different variables, roles or documents', async () => {
    const h = hub();
    const q = 'subscription($by: Int) { tick { scaled(by: $by) role } }';
    const doc = parse(q);
    const a = await open(h, q, { by: 2 }, ['viewer'], doc);
    const b = await open(h, q, { by: 3 }, ['viewer'], doc);
    const c = await open(h, q, { by: 2 }, ['admin'], doc);
    const d = await open(h, 'subscription { tick { n } }', undefined, ['viewer']);
    h.emit({ n: 5 });
    const [ra, rb, rc, rd] = await Promise.all([a, b, c, d].map((s) => s.next()));
    expect(ra!.value).toEqual({ data: { tick: { scaled: 10, role: 'viewer' } } });
    expect(rb!.value).toEqual({ data: { tick: { scaled: 15, role: 'viewer' } } });
    expect(rc!.value).toEqual({ data: { tick: { scaled: 10, role: 'admin' } } });
    expect(rd!.value).toEqual({ data: { tick: { n: 5 } } });
    expect(sharingKey({ schema: h.schema, document: doc, variableValues: { by: 2 }, contextValue: ctx(['viewer']) })).not.toBe(
      sharingKey({ schema: h.schema, document: doc, variableValues: { by: 2 }, contextValue: ctx(['analyst']) }),
    );
  });

  it('does not share when the variables are not plain JSON', () => {
    const h = hub();
    const doc = parse('subscription($by: Int) { tick { n } }');
    expect(sharingKey({ schema: h.schema, document: doc, variableValues: { f: new Blob(['x']) }, contextValue: ctx(['viewer']) })).toBeNull();
    expect(sharingKey({ schema: h.schema, document: doc, variableValues: { by: 1n } as never, contextValue: ctx(['viewer']) })).toBeNull();
  });

  it('shares a result with errors without letting a subscriber’s request id reach another', async () => {
    const h = hub();
    const doc = parse('subscription { tick { n boom } }');
    const [a, b] = await Promise.all([open(h, '', undefined, ['viewer'], doc), open(h, '', undefined, ['viewer'], doc)]);
    h.emit({ n: 1 });
    const [ra, rb] = await Promise.all([a.next(), b.next()]);
    const shared = ra.value as ExecutionResult;
    expect(rb.value).toBe(shared);
    const withA = resultWithRequestId(shared, 'req-a', { ws: true });
    const withB = resultWithRequestId(shared, 'req-b', { ws: true });
    expect(withA.errors![0]!.extensions.requestId).toBe('req-a');
    expect(withB.errors![0]!.extensions.requestId).toBe('req-b');
    expect(shared.errors![0]!.extensions.requestId).toBeUndefined();
    expect(shared.errors![0]!.message).toBe('boom');
  });

  it('return() closes the source; the source ending completes the stream', async () => {
    const h = hub();
    const doc = parse('subscription { tick { n } }');
    const a = await open(h, '', undefined, ['viewer'], doc);
    const b = await open(h, '', undefined, ['viewer'], doc);
    expect(h.subscribers).toBe(2);
    await a.return!();
    expect(h.closed).toBe(1);
    expect(h.subscribers).toBe(1);
    h.emit(null);
    expect(await b.next()).toEqual({ value: undefined, done: true });
  });

  it('bad variables are an error result, as the default executor gives them', async () => {
    const h = hub();
    const out = (await sharedSubscribe({ schema: h.schema, document: parse('subscription($by: Int!) { tick { scaled(by: $by) } }'), variableValues: {}, contextValue: ctx(['viewer']) })) as ExecutionResult;
    expect(out.errors?.[0]?.message).toMatch(/\$by/);
    expect(out.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', http: { status: 400 } });
  });

  it('counts shared executions', () => {
    expect(sharedExecutionStats.shared).toBeGreaterThan(0);
  });
});

describe('shared payload serialisation over graphql-ws', () => {
  it('sends exactly what graphql-ws would, serialising a shared payload once', async () => {
    const { stringifyMessage, MessageType } = await import('graphql-ws');
    const { sharedPayloadReplacer, withSharedPayload } = await import('../../src/server/ws-shared-json.js');
    const payload = { data: { runEvents: { seq: 3, type: 'STEP_PROGRESS', message: 'a "quoted" \u0000 and \u2028 text', data: { rows: [1, 2] } } } };
    const plain = (id: string) => JSON.stringify({ id, type: 'next', payload });
    const viaMarker = (id: string) => withSharedPayload(stringifyMessage({ id, type: MessageType.Next, payload }, sharedPayloadReplacer));
    expect(viaMarker('a')).toBe(plain('a'));
    expect(viaMarker('b-"x"')).toBe(plain('b-"x"'));
    // Other messages pass unchanged, and a marker not followed by a send does not leak into them.
    stringifyMessage({ id: 'c', type: MessageType.Next, payload }, sharedPayloadReplacer);
    const complete = stringifyMessage({ id: 'c', type: MessageType.Complete }, sharedPayloadReplacer);
    expect(withSharedPayload(complete)).toBe(complete);
    const err = stringifyMessage({ id: 'e', type: MessageType.Error, payload: [{ message: 'x' }] }, sharedPayloadReplacer);
    expect(withSharedPayload(err)).toBe(JSON.stringify({ id: 'e', type: 'error', payload: [{ message: 'x' }] }));
  });
});

describe('the graphql-ws direct sink (src/server/ws-server.ts)', () => {
  /** A socket that records what it is sent; `bufferedAmount` and `readyState` as a test sets them. */
  function fakeSocket() {
    return { OPEN: 1, readyState: 1, bufferedAmount: 0, sent: [] as string[], send(m: string) { this.sent.push(m); } };
  }

  it('sends the message graphql-ws would send, while the subscription is open, the socket keeps up and the token is valid', async () => {
    const { stringifyMessage, MessageType } = await import('graphql-ws');
    const { withDirectSink } = await import('../../src/server/ws-server.js');
    const socket = fakeSocket();
    const ctx = { subscriptions: { 'op-1': null } as Record<string, null>, extra: { socket, request: {} } };
    const context = withDirectSink({ actor: { roles: ['viewer'], expiresAt: Date.now() + 60_000 } }, ctx as never, 'op-1');
    const sink = (context as unknown as Record<symbol, (r: ExecutionResult) => boolean>)[DIRECT_SINK]!;
    const result: ExecutionResult = { data: { runEvents: { seq: 7, type: 'STEP_PROGRESS', data: { rowsRead: 10, note: 'a "quoted" \u2028 text' } } } };

    expect(sink(result)).toBe(true);
    expect(socket.sent).toEqual([stringifyMessage({ id: 'op-1', type: MessageType.Next, payload: result })]);

    socket.bufferedAmount = 256 * 1024; // a write backlog: graphql-ws's own loop paces this subscriber
    expect(sink(result)).toBe(false);
    socket.bufferedAmount = 0;
    socket.readyState = 2; // closing
    expect(sink(result)).toBe(false);
    socket.readyState = 1;
    delete ctx.subscriptions['op-1']; // the client completed the subscription
    expect(sink(result)).toBe(false);
    expect(socket.sent).toHaveLength(1);
  });

  it('refuses once the caller’s token has expired, so the stream ends at expiry as before', async () => {
    const { withDirectSink } = await import('../../src/server/ws-server.js');
    const socket = fakeSocket();
    const ctx = { subscriptions: { x: null }, extra: { socket, request: {} } };
    const context = withDirectSink({ actor: { roles: ['viewer'], expiresAt: Date.now() - 1 } }, ctx as never, 'x');
    const sink = (context as unknown as Record<symbol, (r: ExecutionResult) => boolean>)[DIRECT_SINK]!;
    expect(sink({ data: { x: 1 } })).toBe(false);
    expect(socket.sent).toEqual([]);
  });
});

describe('direct delivery from a direct-items source (src/util/direct-items.ts)', () => {
  it('hands results without errors to the sink; a result with errors, and one the sink refuses, come through the stream', async () => {
    let consumer: ((t: Tick) => boolean) | null = null;
    const queue: Tick[] = [];
    let wake: (() => void) | null = null;
    const source = {
      [Symbol.asyncIterator]() {
        return this;
      },
      [DIRECT_ITEMS](c: ((t: Tick) => boolean) | null) {
        consumer = c;
      },
      async next(): Promise<IteratorResult<Tick>> {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        return { value: queue.shift()!, done: false };
      },
      async return(): Promise<IteratorResult<Tick>> {
        return { value: undefined, done: true };
      },
    };
    // As the run tail does: the consumer first, the queue when it refuses.
    const emit = (t: Tick) => {
      if (consumer?.(t)) return;
      queue.push(t);
      wake?.();
    };
    const TickType = new GraphQLObjectType<Tick>({
      name: 'Tick',
      fields: {
        n: { type: GraphQLInt },
        odd: { type: GraphQLString, resolve: (t) => { if (t.n % 2) throw new Error('odd'); return 'even'; } },
      },
    });
    const schema = new GraphQLSchema({
      query: new GraphQLObjectType({ name: 'Query', fields: { x: { type: GraphQLInt } } }),
      subscription: new GraphQLObjectType({ name: 'Subscription', fields: { tick: { type: TickType, subscribe: () => source, resolve: (t: Tick) => t } } }),
    });
    const sent: ExecutionResult[] = [];
    let accept = true;
    const contextValue = { actor: { roles: ['viewer'] }, [DIRECT_SINK]: (r: ExecutionResult) => accept && (sent.push(r), true) };
    const stream = (await sharedSubscribe({ schema, document: parse('subscription { tick { n odd } }'), contextValue })) as AsyncIterableIterator<ExecutionResult>;
    const pulled = stream.next();
    const before = { ...sharedExecutionStats };
    const counts = () => ({ executed: sharedExecutionStats.executed - before.executed, shared: sharedExecutionStats.shared - before.shared, direct: sharedExecutionStats.direct - before.direct });
    emit({ n: 2 });
    expect(sent.map((r) => r.data)).toEqual([{ tick: { n: 2, odd: 'even' } }]);
    emit({ n: 3 }); // an error: not for the sink
    const withError = (await pulled).value as ExecutionResult;
    expect(withError.data).toEqual({ tick: { n: 3, odd: null } });
    expect(withError.errors?.[0]?.message).toBe('odd');
    accept = false;
    emit({ n: 4 }); // refused by the sink (say, a write backlog)
    expect(((await stream.next()).value as ExecutionResult).data).toEqual({ tick: { n: 4, odd: 'even' } });
    expect(sent).toHaveLength(1);
    // One subscriber: each event executed once, none shared (the stream's second look at 3 and 4 is not another subscriber).
    expect(counts()).toEqual({ executed: 3, shared: 0, direct: 1 });
    await stream.return!();
  });
});

