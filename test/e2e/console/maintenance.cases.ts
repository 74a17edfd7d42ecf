/** The console's Maintenance view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function maintenanceCases(_env: ConsoleEnv): void {
  // cases for the Maintenance view are added here
}
