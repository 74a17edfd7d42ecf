/** Child processes and GraphQL calls shared by the benchmarks' scenarios (bench/runs-*.ts, bench/http-run.ts). */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export interface Env {
  progress: (line: string) => void;
  tempDir: (prefix: string) => Promise<string>;
  /** Registers a cleanup of the scenario (run when it ends, or on exit/signal). */
  onCleanup: (fn: () => Promise<unknown>) => void;
}

export interface ChildHandle {
  proc: ChildProcess;
  /** The `ready` message (servers: { url }). */
  ready: Record<string, unknown>;
  send: (m: unknown) => void;
  /** Sends `m` and waits for the next message of type `reply`. */
  request: <T = Record<string, unknown>>(m: unknown, reply: string, timeoutMs?: number) => Promise<T>;
  stop: () => Promise<void>;
}

/** Forks bench/<script> under tsx with an IPC channel and waits for its { type: 'ready' }. */
export async function startChild(script: string, args: string[], label: string, env: Env, opts: { nodeArgs?: string[] } = {}): Promise<ChildHandle> {
  const proc = fork(path.join(HERE, script), args, {
    execArgv: ['--import', import.meta.resolve('tsx'), ...(opts.nodeArgs ?? [])],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  proc.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    if (proc.connected) proc.send({ type: 'stop' });
    const t = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    if (!proc.connected) proc.kill('SIGTERM');
    await exited;
    clearTimeout(t);
  };
  env.onCleanup(stop);
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: not ready after 180 s`)), 180_000);
    const onMessage = (m: { type?: string }) => {
      if (m?.type === 'ready') {
        clearTimeout(timer);
        proc.off('message', onMessage);
        resolve(m as Record<string, unknown>);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label}: exited (${signal ?? code}) before it was ready: ${stderr.trim().slice(-1500)}`));
    });
  });
  const send = (m: unknown) => {
    if (!proc.connected) throw new Error(`${label}: the child process is gone: ${stderr.trim().slice(-1500)}`);
    proc.send(m as never);
  };
  const request = <T,>(m: unknown, reply: string, timeoutMs = 600_000) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.off('message', onMessage);
        reject(new Error(`${label}: no '${reply}' answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      const onMessage = (msg: { type?: string; error?: string }) => {
        if (msg?.type === reply || msg?.type === 'failed') {
          clearTimeout(timer);
          proc.off('message', onMessage);
          if (msg.type === 'failed') reject(new Error(`${label}: ${msg.error}`));
          else resolve(msg as T);
        }
      };
      proc.on('message', onMessage);
      try {
        send(m);
      } catch (e) {
        clearTimeout(timer);
        proc.off('message', onMessage);
        reject(e as Error);
      }
    });
  return { proc, ready, send, request, stop };
}

/** POST a GraphQL operation; throws on HTTP or GraphQL errors. */
export async function gql<T = any>(url: string, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (!res.ok || body.errors?.length) throw new Error(`GraphQL ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 1000)}`);
  return body.data as T;
}

export interface RunEventRow {
  seq: number;
  type: string;
  step: string | null;
  at: string;
  data: Record<string, unknown> | null;
}

export const START_RUN = `mutation($pipeline: String!, $params: JSON, $target: String) {
  startRun(pipeline: $pipeline, params: $params, target: $target) {
    __typename
    ... on StartRunSuccess { run { runId status } }
    ... on Error { message }
  }
}`;

/** startRun; returns the run id (throws on an error result). */
export async function startRun(url: string, pipeline: string, params: Record<string, unknown>, target?: string): Promise<string> {
  const d = await gql<{ startRun: { __typename: string; run?: { runId: string }; message?: string } }>(url, START_RUN, { pipeline, params, target });
  if (!d.startRun.run) throw new Error(`startRun ${pipeline}: ${d.startRun.__typename}: ${d.startRun.message ?? ''}`);
  return d.startRun.run.runId;
}

export async function runState(url: string, runId: string, after = 0): Promise<{ status: string; error: string | null; events: RunEventRow[] }> {
  const d = await gql<{ run: { status: string; error: string | null; events: RunEventRow[] } | null }>(
    url,
    `query($id: ID!, $after: Int) { run(id: $id) { status error events(after: $after) { seq type step at data } } }`,
    { id: runId, after },
  );
  if (!d.run) throw new Error(`run ${runId} not found`);
  return d.run;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of a histogram of [value, count] pairs. */
export function histPercentile(hist: Map<number, number>, p: number): number {
  const total = [...hist.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, n] of [...hist.entries()].sort((a, b) => a[0] - b[0])) {
    seen += n;
    if (seen >= rank) return v;
  }
  return NaN;
}
