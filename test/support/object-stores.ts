/**
 * ObjectStore wrappers for tests of what reads through the port:
 * - `remoteView(local, root)`: a local store seen under a non-file root (`mem://bucket/wh`), so the
 *   query engine must fetch its objects through the port as it does for `s3://` (no server needed);
 * - `instrumented(store)`: counts `readStream` calls (the GETs of data files) per location, and can
 *   make the next reads fail part way through or hang until released.
 */
import { Readable } from 'node:stream';
import { InvalidInput } from '../../src/domain/errors.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

export function remoteView(local: ObjectStore, root = 'mem://bucket/wh'): ObjectStore {
  const toLocal = (location: string): string => {
    if (location !== root && !location.startsWith(`${root}/`)) throw new InvalidInput(`location ${JSON.stringify(location.slice(0, 200))} is outside the warehouse`, 'location');
    return local.root + location.slice(root.length);
  };
  const toRemote = (location: string) => root + location.slice(local.root.length);
  return {
    kind: 'remote-view',
    root,
    resolve: (location) => toRemote(local.resolve(toLocal(location))),
    read: (location) => local.read(toLocal(location)),
    readStream: (location) => local.readStream(toLocal(location)),
    write: (location, bytes, opts) => local.write(toLocal(location), bytes, opts),
    put: (location, source, opts) => local.put(toLocal(location), source, opts),
    head: (location) => local.head(toLocal(location)),
    async *list(prefix) {
      for await (const o of local.list(toLocal(prefix))) yield { ...o, location: toRemote(o.location) };
    },
    delete: (location) => local.delete(toLocal(location)),
  };
}

export interface Instrumented extends ObjectStore {
  /** readStream calls so far, by location. */
  readonly gets: Map<string, number>;
  /** All readStream calls so far. */
  getCount(): number;
  /** The next `n` reads send `bytes` bytes, then fail (a connection lost mid-download). */
  failReads(n: number, bytes?: number): void;
  /** Reads wait (before their first byte) until the returned function is called. */
  holdReads(): () => void;
}

export function instrumented(store: ObjectStore): Instrumented {
  const gets = new Map<string, number>();
  let failing = 0;
  let failAfter = 0;
  let hold: Promise<void> | null = null;
  return {
    kind: store.kind,
    root: store.root,
    resolve: (location) => store.resolve(location),
    read: (location) => store.read(location),
    write: (location, bytes, opts) => store.write(location, bytes, opts),
    put: (location, source, opts) => store.put(location, source, opts),
    head: (location) => store.head(location),
    list: (prefix) => store.list(prefix),
    delete: (location) => store.delete(location),
    gets,
    getCount: () => [...gets.values()].reduce((a, b) => a + b, 0),
    failReads(n, bytes = 10) {
      failing = n;
      failAfter = bytes;
    },
    holdReads() {
      let release!: () => void;
      hold = new Promise((r) => (release = r));
      return () => {
        hold = null;
        release();
      };
    },
    async readStream(location) {
      gets.set(location, (gets.get(location) ?? 0) + 1);
      if (hold) await hold;
      const source = await store.readStream(location);
      if (failing <= 0) return source;
      failing--;
      const limit = failAfter;
      source.destroy();
      const bytes = (await store.read(location)).subarray(0, limit);
      return Readable.from(
        (async function* () {
          yield bytes;
          throw new Error('connection reset by test');
        })(),
      );
    },
  };
}
