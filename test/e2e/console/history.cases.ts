/** The console's History view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function historyCases(_env: ConsoleEnv): void {
  // cases for the History view are added here
}
