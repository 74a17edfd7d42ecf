/**
 * Vitest global setup: one PostgreSQL and one Nessie per test run, shared by all test files
 * (each file makes its own database with createTestDatabase and its own branches on Nessie).
 * CASCADE_TEST_DATABASE_URL / CASCADE_TEST_NESSIE_URI reuse servers that are already running.
 * A service that cannot be installed or started fails the whole run with the reason; never a skip.
 */
import type { TestProject } from 'vitest/node';
import { checkNessie, checkPostgres, startNessie, startPostgres, type RunningService } from './services.js';

async function postgres(): Promise<{ url: string; service?: RunningService }> {
  const reuse = process.env.CASCADE_TEST_DATABASE_URL;
  if (reuse) {
    await checkPostgres(reuse);
    return { url: reuse };
  }
  const service = await startPostgres();
  return { url: service.url, service };
}

async function nessie(): Promise<{ url: string; service?: RunningService }> {
  const reuse = process.env.CASCADE_TEST_NESSIE_URI;
  if (reuse) {
    await checkNessie(reuse);
    return { url: reuse.replace(/\/$/, '') };
  }
  const service = await startNessie();
  return { url: service.url, service };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = await Promise.allSettled([postgres(), nessie()]);
  const stopAll = async () => {
    await Promise.allSettled(started.map((r) => (r.status === 'fulfilled' ? r.value.service?.stop() : undefined)));
  };
  const failures = started.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message ?? String(r.reason)] : []));
  if (failures.length > 0) {
    await stopAll();
    // Vitest 3.2 reports a throwing globalSetup but still exits 0; make sure the run fails.
    process.exitCode = 1;
    throw new Error(`test services could not be started:\n- ${failures.join('\n- ')}`);
  }
  const [pg, ns] = started as PromiseFulfilledResult<{ url: string; service?: RunningService }>[];
  project.provide('databaseUrl', pg!.value.url);
  project.provide('nessieUri', ns!.value.url);
  return stopAll;
}
