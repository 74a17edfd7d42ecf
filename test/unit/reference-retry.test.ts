/** The one retry policy for a compare-and-swap that lost a race (src/domain/reference-retry.ts). */
import { describe, expect, it } from 'vitest';
import { REFERENCE_RETRIES, retryOnReferenceConflict, TRY_AGAIN } from '../../src/domain/reference-retry.js';

describe('retryOnReferenceConflict', () => {
  it('runs the attempt again until it returns a value', async () => {
    let calls = 0;
    const out = await retryOnReferenceConflict(async () => (++calls < 3 ? TRY_AGAIN : 'done'));
    expect(out).toBe('done');
    expect(calls).toBe(3);
  });

  it('tells the attempt when no retry is left, so it throws its own conflict', async () => {
    const lastTries: boolean[] = [];
    await expect(
      retryOnReferenceConflict(async (lastTry) => {
        lastTries.push(lastTry);
        if (lastTry) throw new Error('branch moved');
        return TRY_AGAIN;
      }),
    ).rejects.toThrow('branch moved');
    expect(lastTries).toEqual([...Array(REFERENCE_RETRIES).fill(false), true]);
  });

  it('passes an attempt\'s error through at once', async () => {
    let calls = 0;
    await expect(retryOnReferenceConflict(async () => { calls++; throw new Error('not found'); })).rejects.toThrow('not found');
    expect(calls).toBe(1);
  });
});
