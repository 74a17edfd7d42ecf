/** The console's Tables view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function tablesCases(_env: ConsoleEnv): void {
  // cases for the Tables view are added here
}
