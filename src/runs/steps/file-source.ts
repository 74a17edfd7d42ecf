/**
 * A `file` source: a path or glob relative to the pipelines folder (or absolute). Pipeline files
 * are trusted configuration, so any readable path is allowed, but a path or glob that matches no
 * file is a clear InvalidInput. The engine reads the glob itself.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidInput } from '../../domain/errors.js';
import { globToRegExp } from '../../domain/globs.js';
import type { SourceSpec } from '../../pipelines/spec.js';
import type { WriteInput } from '../../ports/query-engine.js';

type FileSource = Extract<SourceSpec, { kind: 'file' }>;
type Format = 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET';

const GLOB = /[*?[]/;
const MAX_FILES = 100_000;

function formatOf(path: string): Format | null {
  const ext = extname(path).toLowerCase();
  return ({ '.ndjson': 'NDJSON', '.jsonl': 'NDJSON', '.json': 'JSON', '.csv': 'CSV', '.parquet': 'PARQUET' } as Record<string, Format>)[ext] ?? null;
}

/** Files under `base` whose path relative to it matches `pattern` (`*`, `?`, `**`). */
async function matching(base: string, pattern: string): Promise<string[]> {
  const re = globToRegExp(pattern.split(sep).join('/'));
  const out: string[] = [];
  const walk = async (dir: string, depth: number) => {
    if (depth > 20 || out.length >= MAX_FILES) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full, depth + 1);
      else if (e.isFile() && re.test(relative(base, full).split(sep).join('/'))) out.push(full);
    }
  };
  await walk(base, 0);
  return out;
}

export async function fileInput(src: FileSource, pipelinesDir: string): Promise<{ input: Extract<WriteInput, { kind: 'file' }>; files: number }> {
  const path = isAbsolute(src.path) ? src.path : resolve(pipelinesDir, src.path);
  const format = src.format ?? formatOf(path);
  if (!format) throw new InvalidInput(`the file source ${src.path} needs a format (its name does not end in .ndjson, .jsonl, .json, .csv or .parquet)`, 'source.format');
  if (!GLOB.test(path)) {
    const s = await stat(path).catch(() => null);
    if (!s?.isFile()) throw new InvalidInput(`the file source ${src.path} does not exist (looked for ${path})`, 'source.path');
    return { input: { kind: 'file', localPath: path, format }, files: 1 };
  }
  const parts = path.split(sep);
  const firstGlob = parts.findIndex((p) => GLOB.test(p));
  const base = parts.slice(0, firstGlob).join(sep) || sep;
  const files = await matching(base, parts.slice(firstGlob).join(sep));
  if (files.length === 0) throw new InvalidInput(`the file source ${src.path} matches no file (looked in ${base})`, 'source.path');
  return { input: { kind: 'file', localPath: path, format }, files: files.length };
}
