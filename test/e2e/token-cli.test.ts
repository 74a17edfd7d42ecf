/**
 * The README's token command (`npm run -s token -- --sub alice --role engineer`, scripts/token.ts):
 * the token it prints gets into a gateway with the same AUTH_JWT_SECRET with those claims, and bad
 * calls say what is wrong and how to call it, with exit code 2 and no stack trace.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET } from '../support/auth.js';
import { startGateway, type Gateway } from '../support/gateway.js';

const root = path.resolve(import.meta.dirname, '../..');

/** Runs the command; `secret` null runs it without AUTH_JWT_SECRET. */
function token(args: string[], secret: string | null = SECRET) {
  const env: Record<string, string | undefined> = { ...process.env, AUTH_JWT_SECRET: secret ?? undefined };
  if (secret === null) delete env.AUTH_JWT_SECRET;
  const r = spawnSync('npm', ['run', '-s', 'token', '--', ...args], { cwd: root, env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

describe('npm run token (README)', () => {
  let g: Gateway;
  beforeAll(async () => {
    g = await startGateway({ AUTH_JWT_SECRET: SECRET });
  });
  afterAll(async () => g?.stop());

  const post = (query: string, tok: string, role?: string) =>
    fetch(`${g.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}`, ...(role ? { 'x-cascade-role': role } : {}) },
      body: JSON.stringify({ query }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } }));

  it('prints a token the gateway takes, with the subject and roles asked for', async () => {
    const made = token(['--sub', 'alice', '--role', 'engineer', '--role', 'viewer', '--ttl', '120']);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(made.stdout.split('.')[1]!, 'base64url').toString('utf8'));
    expect(claims).toMatchObject({ sub: 'alice', roles: ['engineer', 'viewer'] });
    expect(claims.exp - claims.iat).toBe(120);

    const created = await post('mutation { createBranch(name: "alice/work") { __typename } }', made.stdout);
    expect(created).toEqual({ status: 200, body: { data: { createBranch: { __typename: 'CreateBranchSuccess' } } } });
    const asViewer = await post('{ branch(name: "alice/work") { name } }', made.stdout, 'viewer');
    expect(asViewer.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const viewer = token([]); // defaults: viewer
    expect((await post('mutation { createBranch(name: "viewer/work") { __typename } }', viewer.stdout)).body.data.createBranch.__typename).toBe('Forbidden');
    const other = token(['--role', 'admin'], 'another-secret-that-is-at-least-32-characters');
    expect((await post('{ __typename }', other.stdout)).status).toBe(401);
  });

  it('answers --help, and a bad call with what is wrong and exit code 2, never a stack trace', () => {
    const help = token(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: npm run -s token -- [--sub <subject>] [--role <role>]... [--ttl <seconds>]');
    const bad: [string[], string | null, string][] = [
      [['--nope'], SECRET, "Unknown option '--nope'"],
      [['--sub'], SECRET, "Option '--sub <value>' argument missing"],
      [['--role', 'root'], SECRET, 'unknown role root; roles are viewer, analyst, engineer, admin'],
      [['--ttl=-5'], SECRET, '--ttl must be a positive number of seconds'],
      [['--ttl', 'soon'], SECRET, '--ttl must be a positive number of seconds'],
      [[], 'short', 'set AUTH_JWT_SECRET (at least 32 characters)'],
      [[], null, 'set AUTH_JWT_SECRET (at least 32 characters)'],
    ];
    for (const [args, secret, message] of bad) {
      const r = token(args, secret);
      expect({ args, status: r.status, stdout: r.stdout }).toEqual({ args, status: 2, stdout: '' });
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
