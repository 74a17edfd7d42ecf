import { describe, expect, it } from 'vitest';
import { workerEnv } from '../../src/adapters/query-engine/duckdb/sql-workers.js';

describe("the environment of a user query's process", () => {
  it('keeps what a process needs and drops every credential the gateway may hold', () => {
    const env = workerEnv({
      PATH: '/usr/bin', HOME: '/home/g', TMPDIR: '/tmp', NODE_OPTIONS: '--enable-source-maps', LANG: 'C.UTF-8', TZ: 'UTC', CASCADE_HOME: '/data',
      AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's', AWS_SESSION_TOKEN: 't', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://s3',
      AUTH_JWT_SECRET: 'j', DATABASE_URL: 'postgres://u:p@h/db', MARTS_DATABASE_URL: 'postgres://u:p@h/m', GOOGLE_APPLICATION_CREDENTIALS: '/k.json',
      AZURE_STORAGE_KEY: 'a', GITHUB_TOKEN: 'g', SOME_API_KEY: 'k', PGPASSWORD: 'p',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/g', TMPDIR: '/tmp', NODE_OPTIONS: '--enable-source-maps', LANG: 'C.UTF-8', TZ: 'UTC', CASCADE_HOME: '/data' });
  });
});
