/** What bench/run.ts hands every suite, and the scaffolding suites share. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface SuiteRunOptions {
  quick: boolean;
  outDir: string;
  progress: (line: string) => void;
  tempDir: (prefix: string) => Promise<string>;
  /** Cleanups of the caller, run on exit or signal (a suite also cleans up after itself). */
  cleanups: (() => Promise<unknown>)[];
}

/**
 * Cleanups a suite registers as it starts things (`own(() => server.stop())`), run newest first
 * by `cleanup` (also registered with the caller, for an exit or signal midway); a failed one is
 * reported and the rest still run.
 */
export function ownedCleanups(opts: SuiteRunOptions): { own: (fn: () => Promise<unknown>) => void; cleanup: () => Promise<void> } {
  const mine: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const c of mine.splice(0).reverse()) await c().catch((e: unknown) => opts.progress(`cleanup failed: ${(e as Error).message}`));
  };
  opts.cleanups.push(cleanup);
  return { own: (fn) => void mine.push(fn), cleanup };
}

async function ancestry(): Promise<Set<number>> {
  const pids = new Set<number>();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

/** Other benchmark runs (`bench/run.ts`) and vitest processes: "pid command" lines. */
export async function otherRuns(): Promise<string[]> {
  const mine = await ancestry();
  const out: string[] = [];
  for (const pattern of ['bench/run.ts', 'vitest']) {
    let text = '';
    try {
      text = (await execFileAsync('pgrep', ['-af', pattern])).stdout;
    } catch (e) {
      if ((e as { code?: number }).code !== 1) throw e; // 1: nothing matched
    }
    for (const line of text.split('\n')) {
      const pid = Number(line.split(' ')[0]);
      if (line.trim() && !mine.has(pid) && !out.some((l) => l.startsWith(`${pid} `))) out.push(line.trim().slice(0, 200));
    }
  }
  return out;
}

