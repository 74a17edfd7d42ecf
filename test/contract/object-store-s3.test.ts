import { PutObjectCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/object-store/s3/index.js';
import { createTestBucket, testS3Client } from '../support/s3.js';
import { CONTRACT_ALIASES, describeObjectStore, MAIN_TEXT, SHADOW_TEXT, SHADOWED_TEXT } from './object-store.contract.js';

describeObjectStore('s3 (versitygw)', async () => {
  const s3 = inject('s3');
  const bucket = await createTestBucket(s3, 'contract');
  const client = testS3Client(s3);
  const put = (key: string, body: string) => client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  await put('main/a.txt', MAIN_TEXT);
  await put('shadow/other.txt', SHADOW_TEXT);
  await put('shadow/bunnies/a.txt', SHADOWED_TEXT);
  await put('secret.txt', 'no');
  await put('wh-sibling/x', 'no');
  client.destroy();
  const store = createS3ObjectStore({
    warehouse: `s3://${bucket}/wh`,
    aliases: [
      // One replacement without and one with a trailing slash, one written s3a:// by Spark: all accepted.
      { prefix: CONTRACT_ALIASES.main[0], replacement: `s3://${bucket}/main` },
      { prefix: CONTRACT_ALIASES.main[1], replacement: `s3a://${bucket}/main/` },
      { prefix: CONTRACT_ALIASES.shadow, replacement: `s3://${bucket}/shadow/` },
    ],
    region: s3.region,
    endpoint: s3.endpoint,
    pathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    // S3's smallest part: the contract's 5 MiB stream goes up as a multipart upload of two parts.
    partSizeBytes: 5 * 1024 * 1024,
  });
  return {
    store,
    outside: [`s3://${bucket}/secret.txt`, `s3a://${bucket}/secret.txt`, `s3://${bucket}/wh-sibling/x`, `s3://other-bucket/wh/x`, `file:///etc/passwd`, '/etc/passwd'],
    cleanup: async () => store.close(),
  };
});
