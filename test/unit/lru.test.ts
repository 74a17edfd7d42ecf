/** src/util/lru.ts: the least recently used entry goes first, a hit on the newest included. */
import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/util/lru.js';

const keys = (lru: Lru<string, number>, all: string[]) => all.filter((k) => lru.has(k));

describe('Lru', () => {
  it('evicts the least recently used entry, whether the last hit was on the newest entry or not', () => {
    const lru = new Lru<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a moves past b
    lru.set('c', 3);
    expect(keys(lru, ['a', 'b', 'c'])).toEqual(['a', 'c']);
    expect(lru.get('c')).toBe(3); // the newest: its place stays
    expect(lru.get('c')).toBe(3);
    lru.set('d', 4);
    expect(keys(lru, ['a', 'b', 'c', 'd'])).toEqual(['c', 'd']);
    expect(lru.get('c')).toBe(3);
    lru.set('e', 5);
    expect(keys(lru, ['c', 'd', 'e'])).toEqual(['c', 'e']);
    expect(lru.get('x')).toBeUndefined();
    expect(lru.size).toBe(2);
  });

  it('holds nothing with room for nothing', () => {
    const lru = new Lru<string, number>(0);
    lru.set('a', 1);
    expect(lru.get('a')).toBeUndefined();
  });
});
