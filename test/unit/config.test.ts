import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 4000, host: '127.0.0.1', hostExplicit: false, demo: true, protectedBranches: ['main'], logLevel: 'info', shutdownTimeoutMs: 3000 });
    expect(c.home).toMatch(/\.cascade$/);
    expect(c.warehouse).toBe(`file://${c.home}/warehouse`);
    expect(c.objectCache).toEqual({ dir: `${c.home}/cache/objects`, maxBytes: 4096 * 1024 * 1024 });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '5000', HOST: '0.0.0.0', CASCADE_HOME: '/tmp/x', CASCADE_DEMO: '0', NESSIE_URI: 'http://h:19120/api/v2/',
      DATABASE_URL: 'postgres://u:p@h/db', PROTECTED_BRANCHES: 'main, release/*', LOCATION_ALIASES: 's3a://b/=file:///mnt/',
      SHUTDOWN_TIMEOUT_MS: '10000', OBJECT_CACHE_MB: '10',
    });
    expect(c).toMatchObject({
      port: 5000, host: '0.0.0.0', hostExplicit: true, home: '/tmp/x', demo: false, nessieUri: 'http://h:19120/api/v2',
      databaseUrl: 'postgres://u:p@h/db', protectedBranches: ['main', 'release/*'],
      locationAliases: [{ prefix: 's3a://b/', replacement: 'file:///mnt/' }], shutdownTimeoutMs: 10_000,
      objectCache: { dir: '/tmp/x/cache/objects', maxBytes: 10 * 1024 * 1024 },
    });
  });

  it('names the bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ NESSIE_URI: 'ftp://x' })).toThrow(/NESSIE_URI/);
    expect(() => loadConfig({ CASCADE_DEMO: 'maybe' })).toThrow(/CASCADE_DEMO/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(ConfigError);
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/AUTH_JWT_SECRET/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT_MS: '0' })).toThrow(/SHUTDOWN_TIMEOUT_MS/);
  });
});
