/** The shared deadline timer of the query timeout, and the per-document cost cache. */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../resolvers/index.js';
import { costCheck, costLimit } from '../../src/server/limits/cost.js';
import { Deadlines, remainingMs } from '../../src/util/deadline.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const never = new Promise<string>(() => {});

describe('Deadlines', () => {
  it('settles with the work when it finishes first, with the timeout when the deadline comes first', async () => {
    const d = new Deadlines();
    const start = performance.now();
    const fast = d.race(sleep(5).then(() => 'done'), start + 200, () => 'late');
    const slow = d.race(never, start + 30, () => 'late');
    const slower = d.race(never, start + 60, () => 'late2');
    const failing = expect(d.race(Promise.reject(new Error('boom')), start + 200, () => 'late')).rejects.toThrow('boom');
    expect(await fast).toBe('done');
    await failing;
    expect(await slow).toBe('late');
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
    expect(await slower).toBe('late2');
    expect(performance.now() - start).toBeGreaterThanOrEqual(59);
    expect(d.size).toBe(0);
  });

  it('re-arms after the operation it was armed for finished early', async () => {
    const d = new Deadlines();
    const start = performance.now();
    const first = d.race(sleep(1).then(() => 'a'), start + 20, () => 'late');
    const second = d.race(never, start + 40, () => 'timed out');
    expect(await first).toBe('a');
    expect(await second).toBe('timed out');
    expect(d.size).toBe(0);
  });

  it('remainingMs caps at the maximum and never goes below 1', () => {
    expect(remainingMs(undefined, 500)).toBe(500);
    expect(remainingMs(performance.now() + 10_000, 500)).toBe(500);
    expect(remainingMs(performance.now() - 10, 500)).toBe(1);
    expect(remainingMs(performance.now() + 100, 500)).toBeLessThanOrEqual(100);
  });
});

describe('cost limit cache', () => {
  type Hook = (p: { args: unknown; setResultAndStopExecution: (r: unknown) => void }) => void;
  const run = (plugin: ReturnType<typeof costLimit>, document: ReturnType<typeof parse>, variableValues?: Record<string, unknown>) => {
    let stopped: unknown;
    (plugin.onExecute as unknown as Hook)({ args: { schema, document, variableValues }, setResultAndStopExecution: (r) => (stopped = r) });
    return stopped;
  };

  it('remembers the cost of a literal document, and measures again when a variable sets a page size', () => {
    const plugin = costLimit(costCheck(100));
    const literal = parse('{ references(first: 1000) { nodes { name } } }');
    expect(run(plugin, literal)).toBeDefined();
    expect(run(plugin, literal)).toBeDefined();
    const small = parse('{ references(first: 10) { nodes { name } } }');
    expect(run(plugin, small)).toBeUndefined();
    const byVariable = parse('query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }');
    expect(run(plugin, byVariable, { n: 5 })).toBeUndefined();
    expect(run(plugin, byVariable, { n: 1000 })).toBeDefined();
    expect(run(plugin, byVariable, { n: 5 })).toBeUndefined();
  });
});
