/** /readyz of a gateway whose warehouse is on S3 (WAREHOUSE=s3://…): says which bucket and why, never a key. */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGateway, type Gateway } from '../support/gateway.js';
import { createTestBucket } from '../support/s3.js';

const s3 = inject('s3');

describe('/readyz with an S3 warehouse', () => {
  let bucket: string;
  let g: Gateway | undefined;
  beforeAll(async () => {
    bucket = await createTestBucket(s3, 'readyz');
  });
  afterEach(async () => {
    await g?.stop();
    g = undefined;
  });

  const start = (env: Record<string, string>) =>
    startGateway({ AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_REGION: s3.region, AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.secretAccessKey, ...env });

  const readyz = async () => {
    const res = await fetch(`${g!.url}/readyz`);
    const text = await res.text();
    return { status: res.status, text, body: JSON.parse(text) as { status: string; backends: Record<string, string | null> } };
  };

  it('is ready when the bucket answers', async () => {
    g = await start({ WAREHOUSE: `s3://${bucket}/warehouse` });
    const r = await readyz();
    expect(r.status).toBe(200);
    expect(r.body.backends['object-store-s3']).toBeNull();
  });

  it('names the bucket, and neither key, when the credentials are wrong', async () => {
    const accessKeyId = `WRONG${randomBytes(6).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(20).toString('base64url');
    g = await start({ WAREHOUSE: `s3://${bucket}/warehouse`, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey });
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('unavailable');
    expect(r.body.backends['object-store-s3']).toMatch(new RegExp(`S3 bucket '${bucket}'.*refused the credentials`));
    for (const s of [accessKeyId, secretAccessKey, s3.secretAccessKey]) expect(r.text).not.toContain(s);
  });

  it('names the bucket when it does not exist', async () => {
    const missing = `missing-${randomBytes(6).toString('hex')}`;
    g = await start({ WAREHOUSE: `s3://${missing}/warehouse` });
    const r = await readyz();
    expect(r.status).toBe(503);
    expect(r.body.backends['object-store-s3']).toMatch(new RegExp(`S3 bucket '${missing}'.*does not exist`));
    for (const s of [s3.accessKeyId, s3.secretAccessKey]) expect(r.text).not.toContain(s);
  });
});
