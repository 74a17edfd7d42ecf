/** The console's Runs view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function runsCases(_env: ConsoleEnv): void {
  // cases for the Runs view are added here
}
