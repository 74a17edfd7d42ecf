import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
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
});
