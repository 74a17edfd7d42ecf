/** pino logger; each request gets a child logger carrying its request id. */
import { pino, type Logger } from 'pino';
import { LogDestination } from './log-destination.js';

export type { Logger };

const base = { service: 'cascade-gateway' };

/** One for the process, shared by every logger: there is one stdout, and its lines stay in order. */
let stdout: LogDestination | undefined;

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base,
      redact: { paths: ['req.headers.authorization', '*.authorization', '*.token'], censor: '[redacted]' },
    },
    (stdout ??= new LogDestination(process.stdout, base)),
  );
}

/** Log lines dropped because stdout's reader was not keeping up (src/log-destination.ts). */
export const droppedLogLines = (): number => stdout?.dropped ?? 0;

/** Before exiting: waits up to `ms` for queued log lines to be written. */
export const flushLogs = (ms: number): Promise<void> => stdout?.flushWithin(ms) ?? Promise.resolve();

interface LazyChild {
  parent: Logger;
  bindings: Record<string, unknown>;
  child: Logger | undefined;
}

const childOf = (t: LazyChild): Logger => (t.child ??= t.parent.child(t.bindings));

const lazyChildHandler: ProxyHandler<LazyChild> = {
  get(t, key) {
    const child = childOf(t);
    const v: unknown = Reflect.get(child, key, child);
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(child) : v;
  },
  set: (t, key, value) => Reflect.set(childOf(t), key, value),
  has: (t, key) => Reflect.has(childOf(t), key),
  getPrototypeOf: (t) => Reflect.getPrototypeOf(childOf(t)),
};

/**
 * `parent.child(bindings)`, made when it is first used: most requests log nothing, and making a
 * pino child (its bindings serialised and redacted) is a measurable part of a small request.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new Proxy<LazyChild>({ parent, bindings, child: undefined }, lazyChildHandler) as unknown as Logger;
}
