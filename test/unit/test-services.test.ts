import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createTestBucket, testS3Client } from '../support/s3.js';
import { createTestDatabase } from '../support/services.js';

describe('test services from the global setup', () => {
  it('gives each caller its own PostgreSQL database', async () => {
    const a = await createTestDatabase(inject('databaseUrl'));
    const b = await createTestDatabase(inject('databaseUrl'));
    expect(a).not.toBe(b);
    const client = new pg.Client({ connectionString: a });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string }>('select current_database() as db');
      expect(a.endsWith(`/${rows[0]!.db}`)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('runs a Nessie API v2 server', async () => {
    const res = await fetch(`${inject('nessieUri')}/config`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { defaultBranch: string; actualApiVersion: number };
    expect(body.defaultBranch).toBe('main');
    expect(body.actualApiVersion).toBe(2);
  });

  it("serves Nessie's Iceberg REST catalog with its warehouse in a bucket of the S3 server", async () => {
    const catalog = inject('nessieCatalog');
    const res = await fetch(`${catalog.uri}/main/v1/config`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { defaults: Record<string, string>; overrides: Record<string, string> };
    expect(body.defaults.warehouse).toBe(catalog.warehouse);
    expect(catalog.warehouse).toMatch(/^s3:\/\/nessie-warehouse-[a-z0-9-]+\/warehouse$/);
    expect(body.overrides['s3.endpoint']).toBe(inject('s3').endpoint);
    if (!process.env.CASCADE_TEST_NESSIE_URI) expect(catalog.apiUri).toBe(inject('nessieUri'));
  });

  it('runs an S3 server (versitygw) and gives each caller its own bucket', async () => {
    const s3 = inject('s3');
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const a = await createTestBucket(s3);
    const b = await createTestBucket(s3);
    expect(a).not.toBe(b);
    const client = testS3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: a, Key: 'k', Body: 'v' }));
      const got = await client.send(new GetObjectCommand({ Bucket: a, Key: 'k' }));
      expect(await got.Body!.transformToString()).toBe('v');
    } finally {
      client.destroy();
    }
  });
});
