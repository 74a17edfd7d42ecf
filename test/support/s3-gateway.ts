/** A gateway's warehouse on the test S3 server (test/support/s3.ts): its environment, and the bucket as the SDK lists it. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { testS3Client, type S3Endpoint } from './s3.js';

/** The environment of a gateway whose warehouse is `s3://<bucket>/<prefix>` on the test server. */
export function s3GatewayEnv(s3: S3Endpoint, bucket: string, prefix = 'warehouse'): Record<string, string> {
  return {
    WAREHOUSE: `s3://${bucket}/${prefix}`,
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
  };
}

/**
 * The environment of a gateway over the test Nessie (`inject('nessieCatalog')`) whose Iceberg REST
 * catalog keeps its warehouse on the test S3 server: the gateway reads and writes that warehouse.
 */
export function nessieS3GatewayEnv(s3: S3Endpoint, catalog: { apiUri: string; warehouse: string }): Record<string, string> {
  return {
    NESSIE_URI: catalog.apiUri,
    WAREHOUSE: catalog.warehouse.replace(/\/+$/, ''),
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    S3_PATH_STYLE: 'true',
  };
}

/** Every key in the bucket, straight from the server (not through the gateway). */
export async function listBucket(s3: S3Endpoint, bucket: string): Promise<string[]> {
  const client = testS3Client(s3);
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys;
}
