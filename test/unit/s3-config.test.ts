/** WAREHOUSE=s3://… and the AWS variables (src/config.ts), and what the S3 store refuses to be made with. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/object-store/s3/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { InvalidInput } from '../../src/domain/errors.js';

describe('S3 configuration', () => {
  it('keeps the local warehouse by default, for file:// and for a path (made absolute)', () => {
    expect(loadConfig({ CASCADE_HOME: '/tmp/h' }).warehouse).toBe('file:///tmp/h/warehouse');
    expect(loadConfig({ WAREHOUSE: 'file:///data/wh' }).warehouse).toBe('file:///data/wh');
    expect(loadConfig({ WAREHOUSE: '/data/wh' }).warehouse).toBe('/data/wh');
    expect(loadConfig({ WAREHOUSE: 'wh' }).warehouse).toBe(path.resolve('wh'));
  });

  it('reads WAREHOUSE=s3://bucket/prefix (s3a:// and s3n:// as s3://) with AWS defaults', () => {
    const c = loadConfig({ WAREHOUSE: 's3://lake/warehouse/' });
    expect(c.warehouse).toBe('s3://lake/warehouse');
    expect(c.s3).toEqual({ region: 'us-east-1', endpoint: undefined, pathStyle: false, credentials: undefined });
    expect(loadConfig({ WAREHOUSE: 's3a://lake/wh' }).warehouse).toBe('s3://lake/wh');
    expect(loadConfig({ WAREHOUSE: 's3n://lake' }).warehouse).toBe('s3://lake');
  });

  it('reads the region, credentials, endpoint and path style', () => {
    const c = loadConfig({
      WAREHOUSE: 's3://lake/wh',
      AWS_REGION: 'eu-west-3',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_ENDPOINT_URL: 'http://generic:9000',
      AWS_ENDPOINT_URL_S3: 'http://s3.local:7070/',
    });
    expect(c.s3).toEqual({
      region: 'eu-west-3',
      endpoint: 'http://s3.local:7070',
      pathStyle: true,
      credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    });
    expect(loadConfig({ WAREHOUSE: 's3://lake/wh', AWS_ENDPOINT_URL: 'http://generic:9000' }).s3.endpoint).toBe('http://generic:9000');
    expect(loadConfig({ WAREHOUSE: 's3://lake/wh', AWS_ENDPOINT_URL: 'http://generic:9000', S3_PATH_STYLE: '0' }).s3.pathStyle).toBe(false);
    expect(loadConfig({ WAREHOUSE: 's3://lake/wh', S3_PATH_STYLE: 'true' }).s3.pathStyle).toBe(true);
  });

  it('refuses what cannot work, naming the variable', () => {
    const refused = (env: Record<string, string>, variable: string) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(variable);
    };
    refused({ WAREHOUSE: 'http://lake/wh' }, 'WAREHOUSE');
    refused({ WAREHOUSE: 's3://' }, 'WAREHOUSE');
    refused({ WAREHOUSE: 's3://x/wh' }, 'WAREHOUSE');
    refused({ WAREHOUSE: 's3://lake/wh', AWS_ENDPOINT_URL_S3: 'ftp://x' }, 'AWS_ENDPOINT_URL_S3');
    refused({ WAREHOUSE: 's3://lake/wh', S3_PATH_STYLE: 'maybe' }, 'S3_PATH_STYLE');
    refused({ WAREHOUSE: 's3://lake/wh', AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }, 'AWS_SECRET_ACCESS_KEY');
    // A lone key id does not matter while the warehouse is local.
    expect(loadConfig({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }).s3.credentials).toBeUndefined();
  });

  it('makes no S3 store over a local alias target or a bad warehouse', () => {
    const make = (warehouse: string, replacement = 's3://lake/other') => () =>
      createS3ObjectStore({ warehouse, aliases: [{ prefix: 's3a://old/', replacement }], region: 'us-east-1', pathStyle: true });
    for (const bad of [make('s3://lake/wh', 'file:///mnt/copy/'), make('file:///wh'), make('s3://x/wh'), make('s3://lake/../wh')]) {
      expect(bad).toThrow(InvalidInput);
    }
    const store = make('s3a://lake/wh/')();
    expect(store.root).toBe('s3://lake/wh');
    expect(store.resolve('s3a://old/t/data/a.parquet')).toBe('s3://lake/other/t/data/a.parquet');
    // Keys are kept as they are: `//` is no `/`, and nothing is percent-decoded.
    expect(store.resolve('s3://lake/wh/a//b%20c')).toBe('s3://lake/wh/a//b%20c');
    expect(() => store.resolve('s3://lake/wh/../other/x')).not.toThrow();
    expect(() => store.resolve('s3://lake/wh/../secret')).toThrow(InvalidInput);
    store.close();
  });
});
