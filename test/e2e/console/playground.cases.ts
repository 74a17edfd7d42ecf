/** The console's Playground view in the browser (cases registered into test/e2e/console.test.ts). */
import type { ConsoleEnv } from './env.js';

export function playgroundCases(_env: ConsoleEnv): void {
  // cases for the Playground view are added here
}
