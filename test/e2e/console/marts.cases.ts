/** The console's Marts view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function martsCases(_env: ConsoleEnv): void {
  // cases for the Marts view are added here
}
