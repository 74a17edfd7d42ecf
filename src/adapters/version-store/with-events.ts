/**
 * withEvents(store, bus): publishes a `referenceUpdated` event for every ref move, whatever the
 * adapter underneath. Events are published only after the move succeeded.
 */
import type { ReferenceUpdateEvent, ReferenceUpdateKind } from '../../domain/events.js';
import { ReferenceConflict } from '../../domain/errors.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../../domain/reference-retry.js';
import type { ReferenceType } from '../../domain/refs.js';
import type { EventBus } from '../../ports/event-bus.js';
import type { VersionStore } from '../../ports/version-store.js';

export function withEvents(store: VersionStore, bus: EventBus, onError: (e: unknown) => void = () => {}): VersionStore {
  const emit = (name: string, type: ReferenceType, kind: ReferenceUpdateKind, previousHash: string | null, hash: string | null) => {
    const event: ReferenceUpdateEvent = { name, type, kind, previousHash, hash, at: new Date().toISOString() };
    bus.publish('referenceUpdated', event).catch(onError);
  };
  return {
    ...bindAll(store),
    async createReference(name, type, hash) {
      const ref = await store.createReference(name, type, hash);
      emit(ref.name, ref.type, 'CREATED', null, ref.hash);
      return ref;
    },
    async deleteReference(name, type, expected) {
      const ref = await store.deleteReference(name, type, expected);
      emit(ref.name, ref.type, 'DELETED', ref.hash, null);
      return ref;
    },
    async assignReference(name, type, hash, expected) {
      // Without an expected hash, pin the head we read so the event's previousHash is exact.
      return retryOnReferenceConflict(async (lastTry) => {
        const before = expected ?? (await store.getReference(name)).hash;
        try {
          const ref = await store.assignReference(name, type, hash, before);
          emit(ref.name, ref.type, 'ASSIGNED', before, ref.hash);
          return ref;
        } catch (e) {
          if (expected || lastTry || !(e instanceof ReferenceConflict)) throw e;
          return TRY_AGAIN;
        }
      });
    },
    async commit(branch, expected, meta, ops) {
      const out = await store.commit(branch, expected, meta, ops);
      emit(branch, 'BRANCH', 'COMMITTED', out.previousHash, out.commit.hash);
      return out;
    },
    async merge(req) {
      const out = await store.merge(req);
      if (out.applied) emit(req.into, 'BRANCH', 'MERGED', out.previousHash, out.hash);
      return out;
    },
    async cherryPick(req) {
      const out = await store.cherryPick(req);
      if (out.applied) emit(req.into, 'BRANCH', 'MERGED', out.previousHash, out.hash);
      return out;
    },
  };
}

/** A plain object whose methods call through to `store` (so spreading keeps `this` right). */
export function bindAll(store: VersionStore): VersionStore {
  const out: Record<string, unknown> = {};
  let proto: object | null = store;
  while (proto && proto !== Object.prototype) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key in out) continue;
      const value = (store as unknown as Record<string, unknown>)[key];
      out[key] = typeof value === 'function' ? value.bind(store) : value;
    }
    proto = Object.getPrototypeOf(proto);
  }
  return out as unknown as VersionStore;
}
