/** The console's Sql view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function sqlCases(_env: ConsoleEnv): void {
  // cases for the Sql view are added here
}
