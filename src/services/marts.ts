/**
 * Marts: publishing the Iceberg tables of namespace `marts` at a ref into the MartStore, and typed
 * reads of the published marts for dashboards.
 *
 * publish({ from, marts }) resolves `from` (default: the default branch), takes every table directly
 * in namespace `marts` at that commit (or the named ones: an unknown name is NotFound), and hands
 * the store one batch: each mart's rows go from the snapshot's Parquet files to COPY as CSV written
 * by the engine, never as JS objects. Marts whose snapshot (and columns) are already published are
 * left alone. Every mart that changed gets a `martUpdated` notice on the bus. Needs engineer.
 * Reads (list, get, rows, aggregate) need viewer.
 */
import type { Actor } from '../auth/actor.js';
import { NotFound } from '../domain/errors.js';
import { formatType } from '../domain/iceberg/type-strings.js';
import type { EventBus } from '../ports/event-bus.js';
import type { MartAggregate, MartPublishInput, MartRowQuery, MartStore, PublishedMart } from '../ports/mart-store.js';
import type { QueryEngine, RowPage } from '../ports/query-engine.js';
import type { CatalogService } from './catalog.js';
import type { TableView } from './table-view.js';
import type { RefPoint, TableReads } from './tables.js';

/** The Iceberg namespace whose tables are marts. */
export const MARTS_NAMESPACE = 'marts';
/** Snapshot id recorded for a table that has no snapshot yet (Iceberg's own "none"). */
export const NO_SNAPSHOT = '-1';

export interface PublishMartsArgs {
  /** Ref expression to publish from; the default branch when absent. */
  from?: string | null;
  /** Mart names (table names without `marts.`); every mart table when absent. */
  marts?: string[] | null;
}

export type MartRowsArgs = Omit<MartRowQuery, 'withTotal'>;

export class MartService {
  constructor(
    private readonly catalog: CatalogService,
    private readonly tables: TableReads,
    private readonly engine: QueryEngine,
    readonly store: MartStore,
    private readonly bus: EventBus,
  ) {}

  private async point(from: string | null | undefined, actor: Actor): Promise<RefPoint & { ref: string }> {
    if (from == null) {
      const d = await this.catalog.defaultBranch();
      return { refName: d.name, commitHash: d.hash, ref: d.name };
    }
    const r = await this.catalog.resolveFor(actor, from, 'from');
    return { refName: r.reference?.name ?? null, commitHash: r.hash, ref: r.reference?.name ?? `@${r.hash}` };
  }

  /** Tables directly in namespace `marts` at the commit, by mart name. */
  private async martTables(point: RefPoint): Promise<Map<string, TableView>> {
    const out = new Map<string, TableView>();
    let after: string | null = null;
    for (;;) {
      const page = await this.tables.listTables(point, { first: 1000, after, namespace: MARTS_NAMESPACE });
      for (const e of page.edges) {
        const rest = e.node.key.slice(MARTS_NAMESPACE.length + 1);
        if (e.node.key.startsWith(`${MARTS_NAMESPACE}.`) && !rest.includes('.')) out.set(rest, e.node);
      }
      if (!page.pageInfo.hasNextPage) return out;
      after = page.pageInfo.endCursor;
    }
  }

  private async input(point: RefPoint & { ref: string }, name: string, view: TableView): Promise<MartPublishInput> {
    const m = await this.tables.metadata(view.content.metadataLocation);
    const plan = await this.tables.scanPlan(m, null, null);
    const schema = plan.schema;
    return {
      name,
      columns: schema.fields.map((f) => ({ name: f.name, type: formatType(f.type), nullable: !f.required })),
      source: { ref: point.ref, commitHash: point.commitHash, table: view.key, snapshotId: m.currentSnapshotId ?? NO_SNAPSHOT },
      writeCsv: (sink) => this.engine.exportCsv(plan, sink),
    };
  }

  /**
   * Publishes the marts at `from` in one atomic swap; returns them (unchanged ones as they were).
   * @throws Forbidden (needs engineer; `from` must be readable), NotFound (ref, or a named mart
   *   that is not a table in `marts` there), InvalidInput (bad ref, names or columns)
   */
  async publish(args: PublishMartsArgs, actor: Actor): Promise<PublishedMart[]> {
    this.catalog.policy.require(actor, 'engineer', 'publishing marts');
    const point = await this.point(args.from, actor);
    const available = await this.martTables(point);
    let names = [...available.keys()];
    if (args.marts != null) {
      const missing = args.marts.filter((n) => !available.has(n));
      if (missing.length > 0) {
        throw new NotFound(`no table ${missing.map((n) => `'${MARTS_NAMESPACE}.${String(n).slice(0, 100)}'`).join(', ')} at ${point.ref}`);
      }
      names = [...new Set(args.marts)];
    }
    const inputs = await Promise.all(names.map((n) => this.input(point, n, available.get(n)!)));
    const outcomes = await this.store.publish(inputs);
    for (const o of outcomes) if (o.changed) await this.bus.publish('martUpdated', { name: o.mart.name });
    return outcomes.map((o) => o.mart);
  }

  private canRead(actor: Actor) {
    this.catalog.policy.require(actor, 'viewer', 'reading marts');
  }

  async list(actor: Actor): Promise<PublishedMart[]> {
    this.canRead(actor);
    return this.store.list();
  }

  /** With `cached`, possibly the store's cached copy (see MartStore.get): for reads, not after a publish elsewhere. */
  async get(name: string, actor: Actor, opts?: { cached?: boolean }): Promise<PublishedMart | null> {
    this.canRead(actor);
    return this.store.get(name, opts);
  }

  /** @throws NotFound (no such mart), InvalidInput (where, orderBy, columns, first, after) */
  async rows(name: string, args: MartRowsArgs, actor: Actor, withTotal = false): Promise<RowPage> {
    this.canRead(actor);
    return this.store.rows(name, { ...args, withTotal });
  }

  /**
   * Marts as publishes change them (the named one, or every one): each `martUpdated` notice is read
   * back from the store, so a subscriber on any instance sees the mart as published.
   */
  async updates(name: string | null, actor: Actor): Promise<AsyncIterableIterator<PublishedMart>> {
    this.canRead(actor);
    const notices = this.bus.subscribe('martUpdated');
    await notices.ready;
    const store = this.store;
    async function* updates(): AsyncGenerator<PublishedMart> {
      for (;;) {
        const n = await notices.events.next();
        if (n.done) return;
        if (name !== null && n.value.name !== name) continue;
        const mart = await store.get(n.value.name);
        if (mart) yield mart;
      }
    }
    const gen = updates();
    const it: AsyncIterableIterator<PublishedMart> = {
      [Symbol.asyncIterator]: () => it,
      next: () => gen.next(),
      async return() {
        // Wakes the generator parked on the next notice, so unsubscribing never waits for one.
        await notices.events.return?.();
        return gen.return(undefined);
      },
    };
    return it;
  }

  /** @throws NotFound, InvalidInput (where) */
  async aggregate(name: string, where: unknown, actor: Actor): Promise<MartAggregate> {
    this.canRead(actor);
    return this.store.aggregate(name, where);
  }
}
