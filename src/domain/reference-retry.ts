/**
 * The one policy for a compare-and-swap that lost a race on a reference: try again on the new head,
 * at most REFERENCE_RETRIES more times. Every writer that moves a ref without an expected hash from
 * its caller (commits, merges, table writes, a run's publish) goes through here, so they agree on
 * how hard they try before a ReferenceConflict reaches the client.
 */

/** What an attempt returns when it lost the race and may be run again on the new head. */
export const TRY_AGAIN: unique symbol = Symbol('try again on the new head');

/** Retries after the first attempt. */
export const REFERENCE_RETRIES = 5;

/**
 * Runs `attempt` until it returns a value. It returns TRY_AGAIN after losing a race it may retry;
 * `lastTry` tells it that no retry is left, so it must throw its conflict instead.
 */
export async function retryOnReferenceConflict<T>(attempt: (lastTry: boolean) => Promise<T | typeof TRY_AGAIN>): Promise<T> {
  for (let n = 0; ; n++) {
    const out = await attempt(n >= REFERENCE_RETRIES);
    if (out !== TRY_AGAIN) return out;
    if (n >= REFERENCE_RETRIES) throw new Error('an attempt asked to try again after its last try');
  }
}
