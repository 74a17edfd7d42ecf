/**
 * Direct items: an async iterator that may hand items straight to a synchronous consumer instead of
 * resolving a waiting next(). With thousands of subscribers of one stream, each item otherwise
 * travels a promise chain per subscriber (the stream, subscription wrappers, the transport's loop);
 * a consumer set here delivers it in the same call that produced it.
 *
 * The rules that keep the order of items: the iterator asks the consumer only while a next() is
 * waiting on an empty queue (so everything it yielded before has been consumed), and an item the
 * consumer refuses (returns false) and every item after it go the usual way, through next().
 */
export const DIRECT_ITEMS = Symbol('cascade.directItems');

/** true: the consumer delivered the item; false: the iterator yields it through next() as usual. */
export type DirectConsumer<T> = (item: T) => boolean;

export interface DirectItemSource<T> {
  /** Sets (or with null, clears) the consumer asked first for each item while a next() waits. */
  [DIRECT_ITEMS](consumer: DirectConsumer<T> | null): void;
}

export function isDirectItemSource<T>(v: unknown): v is DirectItemSource<T> {
  return v != null && typeof (v as Partial<DirectItemSource<T>>)[DIRECT_ITEMS] === 'function';
}
