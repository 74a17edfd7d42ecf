/**
 * Vitest global setup: one PostgreSQL, one Nessie and one S3 server (versitygw) per test run, shared
 * by all test files (each file makes its own database with createTestDatabase, its own branches on
 * Nessie, its own bucket with createTestBucket). The Nessie also serves its Iceberg REST catalog
 * with a warehouse on the S3 server (a bucket of its own): `inject('nessieCatalog')`.
 * CASCADE_TEST_DATABASE_URL / CASCADE_TEST_NESSIE_URI reuse servers that are already running; a
 * reused Nessie cannot have its catalog on this run's S3 server, so then a second Nessie serves it.
 * A service that cannot be installed or started fails the whole run with the reason; never a skip.
 */
import type { TestProject } from 'vitest/node';
import { createTestBucket, startS3Server, type S3Endpoint } from './s3.js';
import { checkNessie, checkPostgres, ensureJava, ensureNessieJar, nessieIcebergUri, startNessie, startPostgres, type RunningService } from './services.js';

async function postgres(): Promise<{ url: string; service?: RunningService }> {
  const reuse = process.env.CASCADE_TEST_DATABASE_URL;
  if (reuse) {
    await checkPostgres(reuse);
    return { url: reuse };
  }
  const service = await startPostgres();
  return { url: service.url, service };
}

interface NessieCatalog {
  /** API v2 of the Nessie serving the catalog (the run's Nessie unless CASCADE_TEST_NESSIE_URI is set). */
  apiUri: string;
  /** Iceberg REST base: `<uri>/<ref>` or `<uri>/<ref>@<hash>` is a catalog at that ref. */
  uri: string;
  /** `s3://<bucket>/warehouse`, the catalog's default warehouse. */
  warehouse: string;
}

/** The run's Nessie, with its Iceberg REST catalog's warehouse in a bucket of its own on the S3 server. */
async function nessie(s3: Promise<S3Endpoint>): Promise<{ url: string; service?: RunningService; catalog: NessieCatalog; catalogService?: RunningService }> {
  // Java and the jar (downloads on a first run) while the S3 server starts.
  const runtime = Promise.all([ensureJava(21), ensureNessieJar()]);
  const server = await s3.catch(() => {
    throw new Error('Nessie was not started: its catalog needs the S3 server');
  });
  await runtime;
  const warehouse = `s3://${await createTestBucket(server, 'nessie-warehouse')}/warehouse`;
  const withCatalog = () => startNessie({ s3Warehouse: { location: warehouse, ...server } });
  const reuse = process.env.CASCADE_TEST_NESSIE_URI;
  if (reuse) {
    await checkNessie(reuse);
    const catalogService = await withCatalog();
    return { url: reuse.replace(/\/$/, ''), catalog: { apiUri: catalogService.url, uri: nessieIcebergUri(catalogService.url), warehouse }, catalogService };
  }
  const service = await withCatalog();
  return { url: service.url, service, catalog: { apiUri: service.url, uri: nessieIcebergUri(service.url), warehouse } };
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3Server = startS3Server();
  const [s3Started, ...started] = await Promise.allSettled([s3Server, postgres(), nessie(s3Server)]);
  const stopAll = async () => {
    await Promise.allSettled([
      ...started.map((r) => (r.status === 'fulfilled' ? r.value.service?.stop() : undefined)),
      started[1].status === 'fulfilled' ? started[1].value.catalogService?.stop() : undefined,
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
  const [pg, ns] = started as [PromiseFulfilledResult<{ url: string }>, PromiseFulfilledResult<{ url: string; catalog: NessieCatalog }>];
  project.provide('databaseUrl', pg.value.url);
  project.provide('nessieUri', ns.value.url);
  project.provide('nessieCatalog', ns.value.catalog);
  const s3 = (s3Started as PromiseFulfilledResult<Awaited<ReturnType<typeof startS3Server>>>).value;
  project.provide('s3', { endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region });
  return stopAll;
}
