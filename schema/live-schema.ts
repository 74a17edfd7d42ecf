/**
 * The schema the gateway serves: the static Pothos schema plus one typed field per published mart
 * (schema/mart-fields.ts), rebuilt when a publish (on any instance: the bus carries `martUpdated`)
 * changes the set of marts or their columns. Requests pick up the current schema when they start;
 * running operations and open subscriptions keep theirs, so a rebuild drops nothing.
 */
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../src/logger.js';
import type { EventBus } from '../src/ports/event-bus.js';
import type { PublishedMart } from '../src/ports/mart-store.js';
import { martsSignature, withMartFields } from './mart-fields.js';

export class LiveSchema {
  private schema: GraphQLSchema;
  private signature = '[]';
  private refreshing: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(
    private readonly base: GraphQLSchema,
    private readonly listMarts: () => Promise<PublishedMart[]>,
    private readonly logger: Logger,
  ) {
    this.schema = base;
  }

  get current(): GraphQLSchema {
    return this.schema;
  }

  /** Rebuilds the schema if the marts changed; refreshes run one after another. */
  refresh(): Promise<void> {
    this.refreshing = this.refreshing.then(async () => {
      const marts = await this.listMarts();
      const signature = martsSignature(marts);
      if (signature === this.signature) return;
      this.schema = withMartFields(this.base, marts, (msg) => this.logger.warn(msg));
      this.signature = signature;
      this.logger.info({ marts: marts.map((m) => m.name) }, 'schema rebuilt with the typed mart fields');
    }).catch((e) => this.logger.error({ err: e }, 'rebuilding the schema for the marts failed; serving the previous one'));
    return this.refreshing;
  }

  /** Refreshes now, then after every `martUpdated` notice until stop(). */
  async start(bus: EventBus): Promise<void> {
    const { events, ready } = bus.subscribe('martUpdated', this.stopping.signal);
    await ready;
    await this.refresh();
    void (async () => {
      for await (const _ of events) await this.refresh();
    })().catch((e) => this.logger.warn({ err: e }, 'watching mart updates stopped'));
  }

  stop(): void {
    this.stopping.abort();
  }
}
