/**
 * Chromium for browser tests (driven with playwright-core): `$CHROMIUM_PATH` when set, else Debian's
 * `chromium` package at /usr/bin/chromium. When that is missing and the tests run as root, it is
 * installed with `apt-get update && apt-get install -y chromium` (printing apt's progress); otherwise
 * the test fails saying how to install it. Never a skip.
 */
import { runWithProgress } from './process.js';
import { accessSync, constants } from 'node:fs';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

const log = (msg: string) => process.stderr.write(`[chromium] ${msg}\n`);

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `sh -c script`, streaming its output to stderr as progress; rejects with the output's tail on failure. */
function run(script: string): Promise<void> {
  return runWithProgress('sh', ['-c', script], `\`${script}\``, log, { ...process.env, DEBIAN_FRONTEND: 'noninteractive' });
}

let installing: Promise<string> | undefined;

/** The path of a Chromium executable, installing Debian's package first when needed (as root). */
export function chromiumPath(): Promise<string> {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (executable(given)) return Promise.resolve(given);
    return Promise.reject(new Error(`CHROMIUM_PATH=${given} is not an executable file`));
  }
  if (executable(DEBIAN_CHROMIUM)) return Promise.resolve(DEBIAN_CHROMIUM);
  if (process.getuid?.() !== 0) {
    return Promise.reject(
      new Error(
        `the browser tests need Chromium: ${DEBIAN_CHROMIUM} is missing. Install Debian's package ` +
          '(`sudo apt-get update && sudo apt-get install -y chromium`), or set CHROMIUM_PATH to a Chromium or Chrome executable.',
      ),
    );
  }
  installing ??= (async () => {
    log(`${DEBIAN_CHROMIUM} is missing: installing Debian's chromium package (apt-get update && apt-get install -y chromium); this takes a minute or two`);
    await run('apt-get update && apt-get install -y -o DPkg::Lock::Timeout=300 chromium');
    if (!executable(DEBIAN_CHROMIUM)) throw new Error(`apt-get installed chromium but ${DEBIAN_CHROMIUM} is still missing`);
    log(`installed ${DEBIAN_CHROMIUM}`);
    return DEBIAN_CHROMIUM;
  })();
  return installing;
}
