/**
 * The repository stands alone: no source, test, script or config file names a path above its root
 * (a sibling folder, or an absolute path of the machine it was written on). A fresh clone with
 * nothing beside it must pass its own tests. A line that holds such a path as data (a traversal
 * attack, a path to scrub) says so with `path-check: data` on it.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Files that are code or configuration: what runs, builds or configures the project. */
const CHECKED = /(\.(ts|mts|cts|js|mjs|cjs|json|sh|ya?ml|toml)|^Dockerfile|^\.ci\/run|\.gitignore)$/;
const SKIPPED = /^(package-lock\.json|test\/fixtures\/)/;

/** A relative path token: `..` segments first, as a string or shell word holds it. */
const RELATIVE = /(?<![\w.$/)\]-])\.\.(?:\/[\w.@-]*)*/g;
/** Absolute paths of a developer's or CI's machine, never of a clone. */
const MACHINE_PATH = /(?<![\w.])(\/work\/|\/home\/\w+\/|\/root\/(?!\.cache)|\/Users\/\w+\/)/g;

function repositoryFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && CHECKED.test(f) && !SKIPPED.test(f) && fs.existsSync(path.join(root, f)));
}

/** Every place in `text` (a file at `file`, relative to the root) that reaches above the root. */
export function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  const dir = path.join(root, path.dirname(file));
  text.split('\n').forEach((line, i) => {
    if (line.includes('path-check: data')) return;
    for (const m of line.matchAll(RELATIVE)) {
      const resolved = path.resolve(dir, m[0]);
      if (resolved !== root && !resolved.startsWith(root + path.sep)) found.push(`${file}:${i + 1}: ${m[0]}`);
    }
    if (/\.\.\/shared\b|\bshared\/(fixtures|api-contract|specs)\b/.test(line)) found.push(`${file}:${i + 1}: names the design folder beside the repository`);
    for (const m of line.matchAll(MACHINE_PATH)) found.push(`${file}:${i + 1}: ${m[0]} (a path of one machine)`);
  });
  return found;
}

describe('the repository stands alone', () => {
  it('no source, test, script or config file refers to a path above the repository root', () => {
    const files = repositoryFiles();
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => outsideReferences(f, fs.readFileSync(path.join(root, f), 'utf8')));
    expect(found).toEqual([]);
  });

  it('catches a sibling folder, a climb past the root and a machine path, not paths inside', () => {
    // The design folder's name is put together here, so this file itself never names it.
    const sibling = ['..', 'shared', 'fixtures'].join('/');
    expect(outsideReferences('test/unit/x.test.ts', `path.resolve(root, '${sibling}')`)).toHaveLength(1);
    expect(outsideReferences('test/unit/x.test.ts', "import x from '../../../elsewhere/x.js'")).toHaveLength(1); // path-check: data
    expect(outsideReferences('scripts/x.sh', 'cat /work/x/API.md')).toHaveLength(1); // path-check: data
    expect(outsideReferences('test/unit/x.test.ts', "'../../../../etc/passwd' // path-check: data")).toEqual([]);
    expect(outsideReferences('test/unit/x.test.ts', "import x from '../../src/server/app.js'; path.resolve(here, '../..')")).toEqual([]);
    expect(outsideReferences('.ci/run', 'cd "$(dirname "$0")/.."')).toEqual([]);
  });
});
