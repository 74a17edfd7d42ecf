/**
 * Table reads: tables on a ref, their Iceberg metadata, snapshots, rows, SQL and comparisons.
 * Metadata files are immutable, so they are cached by location across requests.
 */
import { contentKey, type IcebergTableContent } from '../domain/content.js';
import { InvalidInput, NotFound } from '../domain/errors.js';
import { columnListProblem, parseWhere, type ColumnKind } from '../domain/filters.js';
import { formatType } from '../domain/iceberg/type-strings.js';
import type { IcebergType, NestedField, ScanPlan, Schema, Snapshot, TableMetadata } from '../domain/iceberg/types.js';
import { currentSchema } from '../domain/iceberg/types.js';
import { MAX_PAGE_BYTES, pageSize } from '../domain/paging.js';
import { historyTruncated, withEarlierHistory, type EarlierMetadata } from '../iceberg/catalog-history.js';
import { parseTableMetadata } from '../iceberg/metadata-json.js';
import { snapshotOfRef } from '../iceberg/snapshot-refs.js';
import { tableHealth, type TableHealth } from '../iceberg/table-health.js';
import { ManifestCache, planScan, selectSnapshot } from '../iceberg/scan-planner.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { QueryEngine, RowPage, SqlResult } from '../ports/query-engine.js';
import type { VersionStore } from '../ports/version-store.js';
import { Lru, WeightedLru } from '../util/lru.js';
import { remainingMs } from '../util/deadline.js';
import type { Actor, CatalogService } from './catalog.js';
import { paginate, type Connection, type PageArgs } from './pagination.js';
import type { TableView } from './table-view.js';
import { DUCKDB_ONLY, type SqlEngineInfo, type SqlEngineName, type SqlEngines } from './sql-engines.js';
import type { CommitHash, RefName } from '../domain/refs.js';

export interface RefPoint {
  refName: string | null;
  commitHash: string;
}

export interface RowsArgs {
  first?: number | null;
  after?: string | null;
  columns?: string[] | null;
  snapshotId?: string | null;
  asOf?: Date | null;
  /** A snapshot ref of the table's own metadata (a tag or branch), instead of snapshotId/asOf. */
  snapshotRef?: string | null;
  where?: unknown;
  orderBy?: { column: string; direction?: 'ASC' | 'DESC' | null }[] | null;
}

export const MAX_SQL_ROWS = 10_000;
/** Earlier commits of a table walked back at most to put together a history its catalog did not keep in the file. */
export const MAX_HISTORY_COMMITS = 1000;
export const SQL_TIMEOUT_MS = 30_000;

export class TableReads {
  private readonly metadataCache = new Lru<string, TableMetadata>(2_000);
  /** Metadata with the history put together from earlier commits, by metadata location (see tableMetadata). */
  private readonly historyCache = new Lru<string, TableMetadata>(500);
  /** Parsed manifest lists and manifests, shared by every scan. */
  protected readonly manifests = new ManifestCache();
  /** Scan plans by (metadata, snapshot, current or time travel), bounded by files held. */
  private readonly planCache = new WeightedLru<string, ScanPlan>(200_000, (p) => p.dataFiles.length + p.deleteFiles.length);
  /** Parsed metadata objects are immutable: an id per object keys the plans made from it. */
  private readonly metadataIds = new WeakMap<TableMetadata, number>();
  private nextMetadataId = 0;

  constructor(
    protected readonly catalog: CatalogService,
    protected readonly store: VersionStore,
    protected readonly objects: ObjectStore,
    protected readonly engine: QueryEngine,
    protected readonly sqlEngines: SqlEngines = DUCKDB_ONLY,
  ) {}

  /** The engines `sql` can run on, with their versions. */
  async listSqlEngines(actor: Actor): Promise<SqlEngineInfo[]> {
    this.catalog.policy.require(actor, 'viewer', 'sqlEngines');
    const out: SqlEngineInfo[] = [{ engine: 'DUCKDB', version: await this.engine.version(), isDefault: this.sqlEngines.default === 'DUCKDB' }];
    if (this.sqlEngines.trino) out.push({ engine: 'TRINO', version: await this.sqlEngines.trino.version(), isDefault: this.sqlEngines.default === 'TRINO' });
    return out;
  }

  /** The ref expression's commit, or the default branch head; the actor must be allowed to read it. */
  async at(ref: string | null, actor: Actor): Promise<RefPoint> {
    if (ref == null) {
      this.catalog.policy.require(actor, 'viewer', 'reading');
      const d = await this.catalog.defaultBranch();
      return { refName: d.name, commitHash: d.hash };
    }
    const r = await this.catalog.resolveFor(actor, ref);
    return { refName: r.reference?.name ?? null, commitHash: r.hash };
  }

  async table(ref: string | null, name: string, actor: Actor): Promise<TableView | null> {
    let point: RefPoint;
    try {
      point = await this.at(ref, actor);
    } catch (e) {
      if (e instanceof NotFound) return null;
      throw e;
    }
    return this.tableAt(point, name);
  }

  async tableAt(point: RefPoint, name: string): Promise<TableView | null> {
    const key = contentKey(name, 'name');
    const content = await this.store.getContent(point.commitHash as never, key);
    if (!content || content.type !== 'ICEBERG_TABLE') return null;
    return { ...point, key, content: content as IcebergTableContent & { id: string } };
  }

  /**
   * Opposite of resolvers' tableId: `<ref>@<hash>|<key>`. Ids are client-supplied, so for a caller
   * limited to some refs (a viewer) the hash must lie on the named ref's history.
   */
  async tableById(id: string, actor: Actor): Promise<TableView | null> {
    const m = /^([^@|]*)@([0-9a-f]{8,64})\|(.+)$/.exec(id);
    if (!m) return null;
    const point = { refName: m[1] || null, commitHash: m[2]! };
    if (!this.catalog.policy.has(actor, 'analyst')) {
      const ref = point.refName === null ? null : await this.catalog.resolveOrNull(point.refName);
      await this.catalog.assertCanRead(actor, { name: ref?.reference?.name ?? null, type: ref?.reference?.type ?? null });
      if (!ref || (await this.store.commonAncestor(point.commitHash as never, ref.hash)) !== point.commitHash) return null;
    }
    return this.tableAt(point, m[3]!);
  }

  async requireTable(point: RefPoint, name: string): Promise<TableView> {
    const t = await this.tableAt(point, name);
    if (!t) throw new NotFound(`table '${name}' does not exist at ${point.refName ?? point.commitHash}`);
    return t;
  }

  /** Tables (not namespaces) on a ref, sorted by key, paged. One getContents call per page. */
  async listTables(point: RefPoint, args: PageArgs & { namespace?: string | null }): Promise<Connection<TableView>> {
    const namespace = args.namespace == null ? undefined : contentKey(args.namespace, 'namespace');
    return paginate(args, async (q) => {
      const items: { key: string }[] = [];
      let after = q.after ?? undefined;
      let next: string | null = null;
      // Skip namespaces: keep reading entry pages until a page of tables is full.
      for (;;) {
        const page = await this.store.entries(point.commitHash as never, { first: q.first, after, namespace });
        for (const e of page.items) if (e.type === 'ICEBERG_TABLE') items.push({ key: e.key });
        next = page.nextCursor;
        if (items.length >= q.first || next === null) break;
        after = next;
      }
      const contents = await this.store.getContents(point.commitHash as never, items.map((i) => i.key));
      const views = items.flatMap((i) => {
        const c = contents.get(i.key);
        return c && c.type === 'ICEBERG_TABLE' ? [{ ...point, key: i.key, content: c as IcebergTableContent & { id: string } }] : [];
      });
      return { items: views, nextCursor: next };
    });
  }

  async metadata(location: string): Promise<TableMetadata> {
    const cached = this.metadataCache.get(location);
    if (cached) return cached;
    const bytes = await this.objects.read(location);
    let m: TableMetadata;
    try {
      m = parseTableMetadata(new TextDecoder().decode(bytes));
    } catch (e) {
      throw new InvalidInput(`${location} is not valid Iceberg table metadata: ${(e as Error).message}`, 'metadataLocation');
    }
    this.metadataCache.set(location, m);
    return m;
  }

  /**
   * The table's metadata with its whole snapshot history. Nessie's Iceberg REST catalog writes
   * metadata files that keep only the current snapshot (src/iceberg/catalog-history.ts); then the
   * files of the table's earlier commits give the earlier snapshots: the commits that touched the
   * key, walked back from the view's commit by first parents while the content id stays the same,
   * until a file with its own complete history (or MAX_HISTORY_COMMITS). A file that can no longer
   * be read ends the walk. Kept by metadata location, as the files are immutable.
   */
  async tableMetadata(view: TableView): Promise<TableMetadata> {
    const location = view.content.metadataLocation;
    const m = await this.metadata(location);
    if (!historyTruncated(m)) return m;
    const cached = this.historyCache.get(location);
    if (cached) return cached;
    const earlier: EarlierMetadata[] = [];
    const seen = new Set([location]);
    let walked = 0;
    let after: string | undefined;
    walk: for (;;) {
      const page = await this.store.log(view.commitHash as never, { first: 100, after, filter: { touchesKey: view.key } });
      for (const c of page.items) {
        if (++walked > MAX_HISTORY_COMMITS) break walk;
        const content = await this.store.getContent(c.hash, view.key);
        if (!content || content.type !== 'ICEBERG_TABLE' || content.id !== view.content.id) break walk;
        if (seen.has(content.metadataLocation)) continue;
        seen.add(content.metadataLocation);
        const known = this.historyCache.get(content.metadataLocation);
        let earlierMetadata: TableMetadata;
        try {
          earlierMetadata = known ?? (await this.metadata(content.metadataLocation));
        } catch {
          break walk; // removed or unreadable: the history ends here
        }
        earlier.push({ location: content.metadataLocation, metadata: earlierMetadata });
        if (known || !historyTruncated(earlierMetadata)) break walk;
      }
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    const full = withEarlierHistory(m, earlier);
    this.historyCache.set(location, full);
    return full;
  }

  async snapshots(view: TableView, args: PageArgs): Promise<Connection<{ table: TableView; snapshot: Snapshot }>> {
    const m = await this.tableMetadata(view);
    const newestFirst = [...m.snapshots].sort((a, b) => b.sequenceNumber - a.sequenceNumber || b.timestampMs - a.timestampMs);
    return paginate(args, async (q) => {
      const start = q.after ? Number(q.after) : 0;
      const items = newestFirst.slice(start, start + q.first).map((snapshot) => ({ table: view, snapshot }));
      const end = start + items.length;
      return { items, nextCursor: end < newestFirst.length ? String(end) : null };
    });
  }

  /** A snapshot by id, or the one current at `asOf`; the current snapshot when neither is given. */
  async snapshot(view: TableView, id: string | null, asOf: Date | null): Promise<{ table: TableView; snapshot: Snapshot } | null> {
    const m = await this.tableMetadata(view);
    const s = pickSnapshot(m, id, asOf);
    return s ? { table: view, snapshot: s } : null;
  }

  async dataFiles(view: TableView, snapshotId: string, args: PageArgs) {
    const m = await this.tableMetadata(view);
    const plan = await planScan(this.objects, m, { snapshotId, cache: this.manifests });
    const files = [...plan.dataFiles, ...plan.deleteFiles];
    return paginate(args, async (q) => {
      const start = q.after ? Number(q.after) : 0;
      const items = files.slice(start, start + q.first);
      const end = start + items.length;
      return { items, nextCursor: end < files.length ? String(end) : null };
    });
  }

  stats(m: TableMetadata) {
    const s = m.snapshots.find((x) => x.snapshotId === m.currentSnapshotId);
    return {
      rowCount: s?.summary['total-records'] ?? '0',
      fileCount: Number(s?.summary['total-data-files'] ?? 0),
      totalBytes: s?.summary['total-files-size'] ?? '0',
    };
  }

  /** Files and snapshots of the table at its current snapshot (iceberg/table-health.ts). */
  async health(view: TableView): Promise<TableHealth> {
    const m = await this.tableMetadata(view);
    return tableHealth(m, await this.scanPlan(m, null, null));
  }

  /** Health of the tables on the default branch (at most `limit`), for the Prometheus gauges. */
  async defaultBranchHealth(limit: number): Promise<{ table: string; health: TableHealth }[]> {
    const d = await this.catalog.defaultBranch();
    const point = { refName: d.name, commitHash: d.hash };
    const out: { table: string; health: TableHealth }[] = [];
    let after: string | null = null;
    do {
      const page = await this.listTables(point, { first: Math.min(100, limit - out.length), after });
      for (const e of page.edges) out.push({ table: e.node.key, health: await this.health(e.node) });
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && out.length < limit);
    return out;
  }

  /** A page of rows; totalCount (a count over the whole table, maybe a full scan) only `withTotal`. */
  async rows(view: TableView, args: RowsArgs, withTotal = true): Promise<RowPage> {
    const m = await this.tableMetadata(view);
    if ([args.snapshotId, args.asOf, args.snapshotRef].filter((v) => v != null).length > 1) {
      throw new InvalidInput('give one of snapshotId, asOf and snapshotRef', 'snapshotId');
    }
    const snapshotId = args.snapshotRef != null ? snapshotOfRef(m, args.snapshotRef) : (args.snapshotId ?? null);
    const plan = await this.scanPlan(m, snapshotId, args.asOf ?? null);
    const kinds = columnKinds(plan.schema);
    const columnsProblem = args.columns == null ? null : columnListProblem(args.columns, kinds);
    if (columnsProblem) throw new InvalidInput(columnsProblem, 'columns');
    for (const o of args.orderBy ?? []) if (!kinds.has(o.column)) throw new InvalidInput(`unknown column '${o.column.slice(0, 100)}' in orderBy`, 'orderBy');
    return this.engine.rows(plan, {
      columns: args.columns ?? undefined,
      where: parseWhere(args.where, kinds),
      orderBy: (args.orderBy ?? []).map((o) => ({ column: o.column, direction: o.direction ?? 'ASC' })),
      first: pageSize(args.first),
      after: args.after ?? undefined,
      withTotal,
    });
  }

  private metadataId(m: TableMetadata): number {
    let id = this.metadataIds.get(m);
    if (id === undefined) this.metadataIds.set(m, (id = this.nextMetadataId++));
    return id;
  }

  /** Plans a snapshot read: its files by resolved location (ObjectStore.resolve), as the engine reads them. */
  async scanPlan(m: TableMetadata, snapshotId: string | null, asOf: Date | null): Promise<ScanPlan> {
    if (m.currentSnapshotId === null && snapshotId === null && asOf === null) {
      return { schema: currentSchema(m), snapshotId: null, dataFiles: [], deleteFiles: [], partitionSpecs: m.partitionSpecs };
    }
    // A snapshot's files never change: plans are kept by (metadata file, snapshot).
    const snapshot = selectSnapshot(m, { snapshotId: snapshotId ?? undefined, asOfMs: asOf?.getTime() });
    const key = snapshot === null ? null : `${this.metadataId(m)}|${snapshot.snapshotId}|${snapshotId === null && asOf === null ? 'current' : 'travel'}`;
    const cached = key === null ? undefined : this.planCache.get(key);
    if (cached) return cached;
    const plan = await planScan(this.objects, m, { snapshotId: snapshotId ?? undefined, asOfMs: asOf?.getTime(), cache: this.manifests });
    if (key !== null) this.planCache.set(key, plan);
    return plan;
  }

  /**
   * Read-only SQL at `ref` on DuckDB or Trino. Both get the same check here, before the query leaves
   * the gateway: one SELECT/WITH (DuckDB's parser), only tables that exist at the ref (so no system
   * tables or other catalogs), a row cap, and the time limit. `deadline`: the operation's (a
   * performance.now() value, see util/deadline.ts); the query stops then at the latest.
   */
  async sql(ref: string, query: string, maxRows: number | null, actor: Actor, deadline?: number, engine?: SqlEngineName | null) {
    this.catalog.policy.require(actor, 'analyst', 'sql');
    if (typeof query !== 'string' || query.length === 0 || query.length > 100_000) throw new InvalidInput('query must be 1..100000 characters', 'query');
    const rows = maxRows ?? 1000;
    if (!Number.isInteger(rows) || rows < 1 || rows > MAX_SQL_ROWS) throw new InvalidInput(`maxRows must be 1..${MAX_SQL_ROWS}`, 'maxRows');
    const on = engine ?? this.sqlEngines.default;
    const trino = this.sqlEngines.trino;
    if (on === 'TRINO' && !trino) throw new InvalidInput('engine TRINO: this gateway has no Trino (set TRINO_URL)', 'engine');
    const point = await this.at(ref, actor);
    const names = await this.engine.referencedTables(query);
    const views = new Map<string, TableView>();
    for (const name of names) {
      const view = await this.tableAt(point, name);
      if (!view) throw new InvalidInput(`unknown table '${name}' at ${ref}`, 'query');
      views.set(name, view);
    }
    const limits = { maxRows: rows, timeoutMs: remainingMs(deadline, SQL_TIMEOUT_MS), maxBytes: MAX_PAGE_BYTES };
    if (on === 'TRINO') {
      const nested = names.find((n) => n.split('.').length !== 2);
      if (nested) throw new InvalidInput(`Trino reads tables as namespace.table (one namespace level), not '${nested}'`, 'query');
      // Nessie's REST catalog wants a ref name beside the hash; any will do for a hash (a detached `@hash` uses the default branch).
      const refName = (point.refName ?? (await this.catalog.defaultBranch()).name) as RefName;
      const result = await trino!.sql(query, { ref: refName, hash: point.commitHash as CommitHash }, limits);
      return { ...result, columns: await this.withTableCase(result.columns, [...views.values()]) };
    }
    const plans = new Map<string, ScanPlan>();
    for (const [name, view] of views) plans.set(name, await this.scanPlan(await this.metadata(view.content.metadataLocation), null, null));
    return this.engine.sql(query, plans, limits);
  }

  /** Trino lower-cases every name: a column gets back the case it has in the tables read, where that is unambiguous. */
  private async withTableCase(columns: SqlResult['columns'], views: TableView[]): Promise<SqlResult['columns']> {
    const byLower = new Map<string, Set<string>>();
    for (const view of views) {
      for (const f of currentSchema(await this.metadata(view.content.metadataLocation)).fields) {
        byLower.set(f.name.toLowerCase(), (byLower.get(f.name.toLowerCase()) ?? new Set<string>()).add(f.name));
      }
    }
    return columns.map((c) => {
      const names = byLower.get(c.name);
      return names?.size === 1 ? { ...c, name: [...names][0]! } : c;
    });
  }

  /** Schema difference by field id and data difference (in the engine) of two versions of a table. */
  async compare(name: string, from: string, to: string, sampleSize: number, actor: Actor) {
    this.catalog.policy.require(actor, 'analyst', 'compareTable');
    if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 1000) throw new InvalidInput('sampleSize must be 0..1000', 'sampleSize');
    const side = async (spec: string, field: string) => {
      const [ref, snap] = spec.split('#') as [string, string | undefined];
      if (snap !== undefined && !/^-?\d{1,19}$/.test(snap)) throw new InvalidInput(`${field}: snapshot id must be an integer`, field);
      const view = await this.requireTable(await this.at(ref, actor), name);
      const m = await this.tableMetadata(view);
      const plan = await this.scanPlan(m, snap ?? null, null);
      return plan;
    };
    const [a, b] = await Promise.all([side(from, 'from'), side(to, 'to')]);
    return { schema: compareSchemas(a.schema, b.schema), data: await this.engine.compare(a, b, sampleSize) };
  }
}


export function pickSnapshot(m: TableMetadata, id: string | null, asOf: Date | null): Snapshot | null {
  if (id != null) return m.snapshots.find((s) => s.snapshotId === id) ?? null;
  if (asOf != null) {
    const t = asOf.getTime();
    const log = m.snapshotLog.length > 0 ? m.snapshotLog : m.snapshots.map((s) => ({ timestampMs: s.timestampMs, snapshotId: s.snapshotId }));
    const hit = [...log].filter((e) => e.timestampMs <= t).sort((a, b) => b.timestampMs - a.timestampMs)[0];
    return hit ? (m.snapshots.find((s) => s.snapshotId === hit.snapshotId) ?? null) : null;
  }
  return m.snapshots.find((s) => s.snapshotId === m.currentSnapshotId) ?? null;
}

export function columnKinds(schema: Schema): Map<string, ColumnKind> {
  return new Map(schema.fields.map((f) => [f.name, kindOf(f.type)]));
}

function kindOf(t: IcebergType): ColumnKind {
  if (typeof t !== 'string') return 'other';
  if (t === 'int' || t === 'long') return 'integer';
  if (t === 'float' || t === 'double') return 'float';
  if (t.startsWith('decimal')) return 'decimal';
  if (t === 'string' || t === 'uuid') return 'string';
  if (t === 'boolean') return 'boolean';
  if (t === 'date') return 'date';
  if (t === 'time') return 'time';
  if (t === 'timestamp' || t === 'timestamptz') return 'timestamp';
  return 'other';
}

function compareSchemas(a: Schema, b: Schema) {
  const byId = (s: Schema) => new Map<number, NestedField>(s.fields.map((f) => [f.id, f]));
  const from = byId(a);
  const to = byId(b);
  return {
    addedColumns: b.fields.filter((f) => !from.has(f.id)),
    removedColumns: a.fields.filter((f) => !to.has(f.id)),
    renamedColumns: b.fields.flatMap((f) => {
      const old = from.get(f.id);
      return old && old.name !== f.name ? [{ id: f.id, from: old.name, to: f.name }] : [];
    }),
    typeChanges: b.fields.flatMap((f) => {
      const old = from.get(f.id);
      const [x, y] = [old && formatType(old.type), formatType(f.type)];
      return old && x !== y ? [{ id: f.id, name: f.name, from: x!, to: y }] : [];
    }),
  };
}
