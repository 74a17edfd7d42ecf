/** Starts the gateway as its own process (`node --import tsx src/main.ts`), for tests that SIGKILL it. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/**
 * Spawns the gateway on 127.0.0.1:`port` with `env` (demo off; LOG_LEVEL warn unless given) and waits until /readyz answers.
 * `stdout`: a file descriptor for the gateway's stdout instead of a pipe read into `log()`.
 */
export async function startGatewayProcess(
  env: Record<string, string>,
  port: number,
  readyMs = 90_000,
  stdout: 'pipe' | number = 'pipe',
): Promise<{ child: ChildProcess; url: string; log: () => string }> {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1', CASCADE_DEMO: '0' },
    stdio: ['ignore', stdout, 'pipe'],
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`gateway did not become ready:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, log: () => output };
}

/** POSTs an operation to a gateway process; the parsed body (data and errors). */
export async function postGraphql(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const res = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return res.json();
}

/** Like postGraphql, but fails on any GraphQL error; the data. */
export async function graphqlData(url: string, query: string, variables?: Record<string, unknown>): Promise<any> {
  const body = await postGraphql(url, query, variables);
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * Runs a setup command (an install), streaming its output line by line to `log` so a long install
 * shows progress; rejects with `what failed` and the output's tail.
 */
export function runWithProgress(cmd: string, args: string[], what: string, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let tail = '';
    const onData = (b: Buffer) => {
      const s = b.toString();
      tail = (tail + s).slice(-4000);
      for (const line of s.split('\n')) if (line.trim()) log(line.trimEnd());
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (e) => reject(new Error(`${what}: could not run ${cmd}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (exit ${code}):\n${tail}`))));
  });
}
