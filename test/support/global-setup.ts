/**
 * Vitest global setup: one PostgreSQL, one Nessie and one S3 server (versitygw) per test run, shared
 * by all test files (each file makes its own database with createTestDatabase, its own branches on
 * Nessie, its own bucket with createTestBucket).
 * CASCADE_TEST_DATABASE_URL / CASCADE_TEST_NESSIE_URI reuse servers that are already running.
 * A service that cannot be installed or started fails the whole run with the reason; never a skip.
 */
import type { TestProject } from 'vitest/node';
import { startS3Server } from './s3.js';
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
  const [s3Started, ...started] = await Promise.allSettled([startS3Server(), postgres(), nessie()]);
  const stopAll = async () => {
    await Promise.allSettled([
      ...started.map((r) => (r.status === 'fulfilled' ? r.value.service?.stop() : undefined)),
      s3Started.status === 'fulfilled' ? s3Started.value.stop() : undefined,
    ]);
  };
  const failures = [s3Started, ...started].flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message ?? String(r.reason)] : []));
  if (failures.length > 0) {
    await stopAll();
    // Vitest 3.2 reports a throwing globalSetup but still exits 0; make sure the run fails.
    process.exitCode = 1;
    throw new Error(`test services could not be started:\n- ${failures.join('\n- ')}`);
  }
  const [pg, ns] = started as PromiseFulfilledResult<{ url: string; service?: RunningService }>[];
  project.provide('databaseUrl', pg!.value.url);
  project.provide('nessieUri', ns!.value.url);
  const s3 = (s3Started as PromiseFulfilledResult<Awaited<ReturnType<typeof startS3Server>>>).value;
  project.provide('s3', { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region });
  return stopAll;
}
