/** withMetrics(port, name, histogram): times every async method call of a port. */
import type { Histogram } from 'prom-client';

export function withMetrics<T extends object>(port: T, portName: string, histogram: Histogram<'port' | 'method' | 'outcome'>): T {
  return new Proxy(port, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const end = histogram.startTimer({ port: portName, method: prop });
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (e) {
          end({ outcome: 'error' });
          throw e;
        }
        if (result instanceof Promise) {
          return result.then(
            (v) => (end({ outcome: 'ok' }), v),
            (e) => {
              end({ outcome: 'error' });
              throw e;
            },
          );
        }
        end({ outcome: 'ok' });
        return result;
      };
    },
  });
}
