/** Values the global setup (test/support/global-setup.ts) provides to every test file via `inject`. */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** PostgreSQL server URL (its `postgres` database); use createTestDatabase() for a private one. */
    databaseUrl: string;
    /** Nessie REST API v2 base URI, e.g. http://127.0.0.1:19120/api/v2. */
    nessieUri: string;
    /** S3 server (versitygw) and its root account; use createTestBucket() (test/support/s3.ts) for a private bucket. */
    s3: { endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
    /**
     * Nessie's Iceberg REST catalog, its warehouse on the S3 server: the API v2 of the Nessie serving
     * it (nessieUri unless CASCADE_TEST_NESSIE_URI is set), the catalog base (`<uri>/<ref>` or
     * `<uri>/<ref>@<hash>`, e.g. http://127.0.0.1:19120/iceberg/main) and the warehouse (`s3://<bucket>/warehouse`).
     */
    nessieCatalog: { apiUri: string; uri: string; warehouse: string };
  }
}
