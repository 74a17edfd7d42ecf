/**
 * Writes a run's events and status changes to the RunStore (durable first), then tells the bus, so
 * a subscriber that hears a notice always finds the event in the store.
 */
import type { Logger } from '../logger.js';
import type { NewRunEvent, PipelineRun, RunEvent } from '../domain/runs.js';
import type { EventBus } from '../ports/event-bus.js';
import type { RunChange, RunStore } from '../ports/run-store.js';

export class RunRecorder {
  constructor(
    private readonly runs: RunStore,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async event(runId: string, event: NewRunEvent): Promise<RunEvent> {
    const stored = await this.runs.appendEvent(runId, event);
    await this.noticeEvent(stored);
    return stored;
  }

  async update(runId: string, change: RunChange, event?: NewRunEvent): Promise<PipelineRun> {
    const out = await this.runs.updateRun(runId, change, event);
    if (out.event) await this.noticeEvent(out.event);
    if (change.status) await this.noticeRun(out.run);
    return out.run;
  }

  async noticeEvent(event: RunEvent): Promise<void> {
    await this.bus.publish('runEvent', { runId: event.runId, seq: event.seq }).catch((e) => this.logger.warn({ err: e }, 'publishing a run event notice failed'));
  }

  async noticeRun(run: PipelineRun): Promise<void> {
    await this.bus
      .publish('runUpdated', { runId: run.runId, pipeline: run.pipeline, status: run.status })
      .catch((e) => this.logger.warn({ err: e }, 'publishing a run update failed'));
  }
}
