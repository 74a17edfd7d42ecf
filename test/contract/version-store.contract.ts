/**
 * The VersionStore contract: one suite every adapter runs (embedded PGlite, embedded PostgreSQL,
 * Nessie), so they are proven to mean the same thing. Backend test files are one call:
 *
 *   describeVersionStore('nessie', async () => ({ store: createNessieVersionStore({ uri }) }));
 *
 * Every test creates its own uniquely named refs (mostly from `store.noAncestorHash`), so the suite
 * runs against a shared server whose default branch and reference list hold other tests' data.
 * Assertions are on error classes, `code` and fields, never on message text.
 */
import { describe } from 'vitest';
import { describeCommits } from './version-store/commits.js';
import { describeConcurrency } from './version-store/concurrency.js';
import { describeContentLog } from './version-store/content-log.js';
import { describeRefExpressions } from './version-store/expressions.js';
import { describeHistory } from './version-store/history.js';
import { describeMerge } from './version-store/merge.js';
import { describeReferences } from './version-store/references.js';
import { type MakeStore, useStore } from './version-store/support.js';

export type { MakeStore };

export function describeVersionStore(name: string, makeStore: MakeStore): void {
  describe(`VersionStore contract: ${name}`, () => {
    const ctx = useStore(makeStore);
    describeReferences(ctx);
    describeRefExpressions(ctx);
    describeCommits(ctx);
    describeHistory(ctx);
    describeContentLog(ctx);
    describeMerge(ctx);
    describeConcurrency(ctx);
  });
}
