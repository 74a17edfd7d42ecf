import { totalmem } from 'node:os';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../resolvers/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { operationCost } from '../../src/server/limits/cost.js';
import { TokenBuckets } from '../../src/server/limits/rate-limit.js';
import { scrubPaths } from '../../src/util/public-message.js';

const cost = (q: string, vars?: Record<string, unknown>) => operationCost(schema, parse(q), undefined, vars);

describe('operation cost', () => {
  it('weights connections by first, the default page when omitted, and leaves are free', () => {
    expect(cost('{ __typename defaultBranch { name hash } }')).toBe(1);
    expect(cost('{ references(first: 1000) { nodes { name hash } } }')).toBe(1 + 1000 * 1);
    expect(cost('{ references { nodes { name } } }')).toBe(1 + 50);
    const nested = cost('query($n: Int) { references(first: $n) { nodes { ... on Branch { log(first: $n) { nodes { hash } } } } } }', { n: 1000 });
    expect(nested).toBeGreaterThan(1_000_000);
  });

  it('measures fragments once, even when they fan out exponentially', () => {
    const fan = Array.from({ length: 60 }, (_, i) => (i === 0 ? 'fragment F0 on Branch { head { hash } }' : `fragment F${i} on Branch { ...F${i - 1} ...F${i - 1} }`));
    const started = performance.now();
    const c = operationCost(schema, parse(`${fan.join(' ')} { defaultBranch { ...F59 } }`), undefined, {}, 50_000);
    expect(c).toBe(Infinity); // 2^59 heads, stopped at the limit
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('token buckets', () => {
  it('allows the burst, then the refill rate, per key', () => {
    let now = 0;
    const b = new TokenBuckets({ perSecond: 2, burst: 3 }, () => now);
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([0, 0, 0]);
    expect(b.take('a')).toBe(1);
    expect(b.take('b')).toBe(0);
    now = 500;
    expect(b.take('a')).toBe(0);
    expect(b.take('a')).toBeGreaterThanOrEqual(1);
  });
});

describe('limit configuration', () => {
  it('has the documented defaults and reads every variable', () => {
    expect(loadConfig({}).limits).toEqual({
      maxDepth: 15, maxCost: 50_000, maxAliases: 30, maxTokens: 5000, maxBodyBytes: 10 * 2 ** 20, maxUploadBytes: 256 * 2 ** 20,
      rateLimit: { perSecond: 200, burst: 1000 }, queryTimeoutMs: 30_000, sqlMemoryBytes: Math.floor(totalmem() / 8), persistedOperationsFile: undefined, introspection: true,
    });
    expect(loadConfig({}).http).toEqual({ corsOrigins: [], hstsMaxAge: undefined });
    const c = loadConfig({ MAX_DEPTH: '0', INTROSPECTION: '0', CORS_ORIGINS: 'https://a.example.com, http://localhost:5173/', HSTS_MAX_AGE: '600', RATE_LIMIT_PER_SECOND: '0.5' });
    expect(c.limits).toMatchObject({ maxDepth: 0, introspection: false, rateLimit: { perSecond: 0.5, burst: 1000 } });
    expect(loadConfig({ SQL_MEMORY_MB: '512' }).limits.sqlMemoryBytes).toBe(512 * 2 ** 20);
    expect(loadConfig({ SQL_MEMORY_MB: '0' }).limits.sqlMemoryBytes).toBe(0);
    expect(() => loadConfig({ SQL_MEMORY_MB: 'lots' })).toThrow(/SQL_MEMORY_MB/);
    expect(c.http).toEqual({ corsOrigins: ['https://a.example.com', 'http://localhost:5173'], hstsMaxAge: 600 });
    expect(() => loadConfig({ MAX_TOKENS: '-1' })).toThrow(ConfigError);
    expect(() => loadConfig({ CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
  });
});

describe('production messages', () => {
  it('scrub absolute paths and URLs but keep branch names and keys', () => {
    expect(scrubPaths('location "file:///tmp/x/../../etc/passwd" is outside')).toBe('location "<path>" is outside');
    expect(scrubPaths('IO Error: No files found that match the pattern "/home/u/.cascade/warehouse/a.parquet"')).not.toContain('/home'); // path-check: data
    expect(scrubPaths("branch 'feature/glucose/x' and table raw.entries at main~1")).toBe("branch 'feature/glucose/x' and table raw.entries at main~1");
  });
});
