/**
 * PyIceberg for interoperability tests: a virtualenv under `${CASCADE_CACHE:-~/.cache/cascade}`
 * with a pinned `pyiceberg[pyarrow,sql-sqlite,s3fs]` from PyPI (s3fs for s3:// tables behind
 * Nessie's Iceberg REST catalog), created once and reused; a venv made for fewer extras gets the
 * missing ones installed into it. Installing prints progress; failing to install throws with the
 * reason (the suite never skips).
 */
import { execFile } from 'node:child_process';
import { runWithProgress } from './process.js';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { cacheDir } from './services.js';

const execFileAsync = promisify(execFile);

export const PYICEBERG_VERSION = '0.12.0';
const EXTRAS = ['pyarrow', 'sql-sqlite', 's3fs'];
const REQUIREMENT = `pyiceberg[${EXTRAS.join(',')}]==${PYICEBERG_VERSION}`;

const log = (msg: string) => process.stderr.write(`[pyiceberg] ${msg}\n`);

function venvDir(): string {
  return path.join(cacheDir(), 'venv-pyiceberg');
}

function venvPython(dir: string): string {
  return process.platform === 'win32' ? path.join(dir, 'Scripts', 'python.exe') : path.join(dir, 'bin', 'python');
}

/** Runs a command, streaming its output to stderr so a long pip install shows progress. */
function run(cmd: string, args: string[], what: string): Promise<void> {
  return runWithProgress(cmd, args, what, log);
}

/** Cross-process lock: mkdir is atomic; a lock older than 15 minutes is considered stale. */
async function withLock<T>(lock: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      await fs.mkdir(lock);
      break;
    } catch {
      const age = Date.now() - (await fs.stat(lock).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 15 * 60_000) await fs.rm(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

let ready: Promise<string> | undefined;

/** The python executable of a venv with PyIceberg installed (installing it on first use). */
export function ensurePyIceberg(): Promise<string> {
  ready ??= (async () => {
    const dir = venvDir();
    const marker = path.join(dir, `.installed-${PYICEBERG_VERSION}-${EXTRAS.join('-')}`);
    const python = venvPython(dir);
    if (existsSync(marker) && existsSync(python)) return python;
    await fs.mkdir(path.dirname(dir), { recursive: true });
    return withLock(`${dir}.lock`, async () => {
      if (existsSync(marker) && existsSync(python)) return python;
      const base = process.env.CASCADE_PYTHON ?? 'python3';
      // A venv of the same PyIceberg with fewer extras (an older marker) only needs the missing ones.
      const reuse = existsSync(python) && existsSync(path.join(dir, `.installed-${PYICEBERG_VERSION}`));
      log(`${reuse ? `adding to ${dir}` : `creating ${dir} with ${base} and installing`} ${REQUIREMENT} from PyPI (once; cached)`);
      try {
        if (!reuse) {
          await fs.rm(dir, { recursive: true, force: true });
          await run(base, ['-m', 'venv', dir], `creating a virtualenv with ${base} (set CASCADE_PYTHON to a Python 3.9+ with the venv module)`);
        }
        await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', REQUIREMENT], `pip install ${REQUIREMENT}`);
        await execFileAsync(python, ['-c', 'import pyiceberg, pyarrow, sqlalchemy, s3fs']);
      } catch (e) {
        throw new Error(`PyIceberg could not be installed for the interoperability tests: ${(e as Error).message}`);
      }
      await fs.writeFile(marker, `${REQUIREMENT}\n`);
      log(`ready: ${python}`);
      return python;
    });
  })();
  ready.catch(() => (ready = undefined));
  return ready;
}

/** Runs a Python script with PyIceberg available; resolves with stdout, rejects with stderr. */
export async function runPython(script: string, args: string[] = [], opts: { timeoutMs?: number } = {}): Promise<string> {
  const python = await ensurePyIceberg();
  try {
    const { stdout } = await execFileAsync(python, ['-c', script, ...args], { timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`python failed: ${err.message}\n${err.stderr ?? ''}`);
  }
}
