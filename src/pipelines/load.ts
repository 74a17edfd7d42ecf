/**
 * Loads the pipeline files of a folder: `*.yaml`/`*.yml` (parsed with `yaml`) and `*.ts`/`*.js`/
 * `*.mjs` (imported; the default export or a `pipeline` export is the spec). Files whose name starts
 * with `_` or `.` and `*.d.ts` are skipped (helpers). A file that fails to load becomes a
 * PipelineLoadError naming the file and the dotted path of the bad field; the others load anyway.
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { pipelineSchema, type Pipeline, type PipelineLoadError } from './spec.js';
import { checkPipeline } from './steps.js';

export { resolveParams } from './params.js';

const YAML_EXT = new Set(['.yaml', '.yml']);
const CODE_EXT = new Set(['.ts', '.js', '.mjs']);

export async function loadPipelines(dir: string): Promise<{ pipelines: Map<string, Pipeline>; errors: PipelineLoadError[] }> {
  const pipelines = new Map<string, Pipeline>();
  const errors: PipelineLoadError[] = [];
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { pipelines, errors };
    return { pipelines, errors: [{ file: dir, field: null, message: `the pipelines folder cannot be read: ${(e as Error).message}` }] };
  }
  const byName = new Map<string, string>();
  for (const name of names) {
    const ext = extname(name).toLowerCase();
    if (name.startsWith('_') || name.startsWith('.') || name.endsWith('.d.ts') || !(YAML_EXT.has(ext) || CODE_EXT.has(ext))) continue;
    const out = await loadPipelineFile(join(dir, name), name);
    if ('errors' in out) {
      errors.push(...out.errors);
      continue;
    }
    const first = byName.get(out.pipeline.spec.name);
    if (first) {
      errors.push({ file: name, field: 'name', message: `pipeline '${out.pipeline.spec.name}' is already defined in ${first}` });
      continue;
    }
    byName.set(out.pipeline.spec.name, name);
    pipelines.set(out.pipeline.spec.name, out.pipeline);
  }
  return { pipelines, errors };
}

/** Each module file's last successful import, and the files ever tried. */
const modules = new Map<string, { mtimeMs: number; module: Record<string, unknown> }>();
const tried = new Set<string>();

/**
 * Imports a TypeScript or JavaScript pipeline file. An unchanged file (same modification time) is
 * the module imported before. A file imported, or tried, before is imported afresh in a tsx
 * namespace of its own: Node's module cache (tsx's too) would otherwise keep answering with what
 * it read the first time. Each such fresh import keeps a small loader hook registered.
 */
async function importModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  const { mtimeMs } = await stat(file);
  const known = modules.get(file);
  if (known?.mtimeMs === mtimeMs) return known.module;
  const url = pathToFileURL(file).href;
  let module: Record<string, unknown>;
  if (!tried.has(file)) {
    tried.add(file);
    module = (await import(url)) as Record<string, unknown>;
  } else {
    const { register } = await import('tsx/esm/api');
    module = (await register({ namespace: `pipeline-${randomUUID()}` }).import(url, import.meta.url)) as Record<string, unknown>;
    // A file tsx compiles as CommonJS comes back with its exports once more under `default`.
    const inner = module.default as Record<string, unknown> | undefined;
    if (inner && typeof inner === 'object' && !('name' in inner) && ('default' in inner || 'pipeline' in inner)) module = inner;
  }
  modules.set(file, { mtimeMs, module });
  return module;
}

/** One file: the pipeline, or its errors. `file` is how errors name it. */
export async function loadPipelineFile(path: string, file = path): Promise<{ pipeline: Pipeline } | { errors: PipelineLoadError[] }> {
  let raw: unknown;
  try {
    if (YAML_EXT.has(extname(path).toLowerCase())) {
      raw = YAML.parse(await readFile(path, 'utf8'), { prettyErrors: true });
    } else {
      const mod = await importModule(path);
      raw = mod.default ?? mod.pipeline;
      if (raw === undefined) return { errors: [{ file, field: null, message: 'the module exports no pipeline (a default export or `export const pipeline`)' }] };
    }
  } catch (e) {
    return { errors: [{ file, field: null, message: `cannot be read: ${(e as Error).message.split('\n').slice(0, 6).join('\n')}` }] };
  }
  return buildPipeline(raw, file);
}

/** Validates a spec object (schema, then cross-references) and computes its steps. */
export function buildPipeline(raw: unknown, file: string): { pipeline: Pipeline } | { errors: PipelineLoadError[] } {
  const parsed = pipelineSchema.safeParse(raw);
  if (!parsed.success) {
    return { errors: parsed.error.issues.map((i) => ({ file, field: i.path.length > 0 ? i.path.map(String).join('.') : null, message: i.message })) };
  }
  const spec = parsed.data;
  const checked = checkPipeline(spec);
  if ('errors' in checked) return { errors: checked.errors.map((e) => ({ file, ...e })) };
  return { pipeline: { spec, file, steps: checked.steps } };
}
