/**
 * The pipelines this gateway knows: loaded from the pipelines folder at start, and again on each
 * load() (SIGHUP); a load replaces them all at once. A file that fails to load does not stop the
 * gateway; its error is kept and reported (logs and the `pipelineErrors` query).
 */
import type { Logger } from '../logger.js';
import { loadPipelines } from './load.js';
import type { Pipeline, PipelineLoadError } from './spec.js';

export class PipelineRegistry {
  private pipelines = new Map<string, Pipeline>();
  private loadErrors: PipelineLoadError[] = [];

  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    const { pipelines, errors } = await loadPipelines(this.dir);
    this.pipelines = pipelines;
    this.loadErrors = errors;
    for (const e of errors) this.logger.error({ file: e.file, field: e.field }, `pipeline file not loaded: ${e.message}`);
    this.logger.info({ dir: this.dir, pipelines: [...pipelines.keys()] }, 'pipelines loaded');
  }

  get(name: string): Pipeline | undefined {
    return this.pipelines.get(name);
  }

  list(): Pipeline[] {
    return [...this.pipelines.values()].sort((a, b) => a.spec.name.localeCompare(b.spec.name));
  }

  errors(): readonly PipelineLoadError[] {
    return this.loadErrors;
  }
}
