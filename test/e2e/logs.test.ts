/**
 * What the gateway process logs for errors a client made: one info line per operation with the
 * error codes and the request id the client got, and nothing at error level (operators alert on it).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startGatewayProcess } from '../support/process.js';
import { freePort } from '../support/services.js';

describe('logs of client errors (a gateway process)', () => {
  let child: ChildProcess | undefined;
  let home: string | undefined;
  afterAll(async () => {
    child?.kill('SIGKILL');
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('logs each failed or refused operation once at info with its codes and request id, never at error level', async () => {
    home = await fs.mkdtemp(path.join(os.tmpdir(), 'cascade-logs-'));
    const g = await startGatewayProcess({ CASCADE_HOME: home, LOG_LEVEL: 'info', NODE_ENV: 'production' }, await freePort());
    child = g.child;
    const post = async (query: string) => {
      const res = await fetch(`${g.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      return { requestId: res.headers.get('x-request-id')!, body: (await res.json()) as { errors?: { extensions: { code: string } }[] } };
    };
    const failed = [
      await post('{ branch(name: "no such branch") { name } }'), // INVALID_INPUT from a resolver
      await post('{ a: branch(name: "x..y") { name } b: defaultBranch { name } }'), // the same, next to a field that works
    ];
    // refused before they run: twice the same (validation results are cached), and one over the alias limit
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: defaultBranch { name }`).join(' ')} }`; // MAX_ALIASES is 30
    const refused = [await post('{ noSuchField }'), await post('{ noSuchField }'), await post(aliases)];
    for (const f of [...failed, ...refused.slice(0, 2)]) expect(f.body.errors?.[0]?.extensions.code, JSON.stringify(f.body)).toBe('INVALID_INPUT');
    expect(refused[2]!.body.errors?.[0]?.extensions.code, JSON.stringify(refused[2]!.body)).toBe('LIMIT_EXCEEDED');
    await new Promise((r) => setTimeout(r, 300));
    const lines = g.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; requestId?: string; errors?: string[] });
    expect(lines.filter((l) => l.level >= 50), 'error-level lines').toEqual([]);
    for (const f of failed) {
      const mine = lines.filter((l) => l.requestId === f.requestId);
      expect(mine.map((l) => [l.level, l.msg, l.errors]), f.requestId).toEqual([[30, 'operation finished with errors', ['INVALID_INPUT']]]);
    }
    for (const [i, f] of refused.entries()) {
      const mine = lines.filter((l) => l.requestId === f.requestId);
      expect(mine.map((l) => [l.level, l.msg, l.errors]), f.requestId).toEqual([[30, 'operation refused', [i < 2 ? 'INVALID_INPUT' : 'LIMIT_EXCEEDED']]]);
    }
  }, 120_000);
});
