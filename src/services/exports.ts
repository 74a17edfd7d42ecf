/**
 * Exports: `export` checks what was asked (the caller may read the ref; the table and its columns,
 * filter and order exist, or the query is one read-only SELECT over tables at the ref), pins it to
 * the commit the ref points at now (and the table's snapshot there), and signs a short-lived link
 * (export-links.ts). A download (`open`) checks the link, that its role still may read that ref,
 * and streams the rows of exactly that commit and snapshot from the QueryEngine, whole: no row cap;
 * the bytes a download may have depend on the role (EXPORT_MAX_BYTES_<ROLE>).
 */
import { Forbidden, InvalidInput } from '../domain/errors.js';
import { columnListProblem, parseWhere } from '../domain/filters.js';
import { currentSchema, type ScanPlan } from '../domain/iceberg/types.js';
import type { Actor } from '../auth/actor.js';
import { activeRole } from '../auth/actor.js';
import type { Role } from '../auth/roles.js';
import type { ExportFormat, ExportSource, QueryEngine } from '../ports/query-engine.js';
import type { CatalogService } from './catalog.js';
import { ExportLinks, MAX_TOKEN_CHARS, type ExportClaims } from './export-links.js';
import type { TableService } from './table-writes.js';
import { columnKinds } from './tables.js';

export const EXPORT_DEFAULT_SECONDS = 300;
export const EXPORT_MAX_SECONDS = 3600;
/** Longest `sql` an export takes (it travels in the link). */
export const EXPORT_MAX_SQL_CHARS = 8000;
/** A query export is stopped after this long, however slowly it is read. */
export const EXPORT_QUERY_TIMEOUT_MS = 60 * 60_000;

export interface ExportArgs {
  ref: string;
  table?: string | null;
  sql?: string | null;
  format: ExportFormat;
  columns?: string[] | null;
  where?: unknown;
  orderBy?: { column: string; direction?: 'ASC' | 'DESC' | null }[] | null;
  expiresInSeconds?: number | null;
}

export interface ExportLink {
  /** Path of the download on the gateway: `/exports/<token>`. */
  url: string;
  token: string;
  expiresAt: Date;
  format: ExportFormat;
  commitHash: string;
  snapshotId: string | null;
  table: string | null;
  sql: string | null;
  contentType: string;
  fileName: string;
}

export interface OpenedExport {
  contentType: string;
  fileName: string;
  /** Bytes this download may have (0: no limit). */
  maxBytes: number;
  role: Role;
  body: AsyncIterable<Uint8Array>;
}

const CONTENT_TYPES: Record<ExportFormat, string> = {
  CSV: 'text/csv; charset=utf-8',
  PARQUET: 'application/vnd.apache.parquet',
  ARROW: 'application/vnd.apache.arrow.stream',
};
const EXTENSIONS: Record<ExportFormat, string> = { CSV: 'csv', PARQUET: 'parquet', ARROW: 'arrows' };

export interface ExportsOptions {
  signingKey?: string;
  jwtSecret?: string;
  authEnabled: boolean;
  maxBytes: Record<Role, number>;
}

export class ExportService {
  private readonly links: ExportLinks;

  constructor(
    private readonly catalog: CatalogService,
    private readonly tables: TableService,
    private readonly engine: QueryEngine,
    private readonly opts: ExportsOptions,
  ) {
    this.links = new ExportLinks(opts);
  }

  async create(args: ExportArgs, actor: Actor): Promise<ExportLink> {
    const role = activeRole(actor);
    if (!role) throw new Forbidden('exporting needs the viewer role');
    const hasTable = args.table != null;
    const hasSql = args.sql != null;
    if (hasTable === hasSql) throw new InvalidInput('give exactly one of table and sql', hasTable ? 'sql' : 'table');
    if (!(args.format in CONTENT_TYPES)) throw new InvalidInput('format must be CSV, PARQUET or ARROW', 'format');
    const seconds = args.expiresInSeconds ?? EXPORT_DEFAULT_SECONDS;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > EXPORT_MAX_SECONDS) throw new InvalidInput(`expiresInSeconds must be 1..${EXPORT_MAX_SECONDS}`, 'expiresInSeconds');
    const base = { sub: actor.subject, role, fmt: args.format };
    let claims: ExportClaims;
    if (hasTable) {
      this.catalog.policy.require(actor, 'viewer', 'export');
      const resolved = await this.catalog.resolveFor(actor, args.ref);
      const point = { refName: resolved.reference?.name ?? null, commitHash: resolved.hash };
      const view = await this.tables.requireTable(point, args.table!);
      const m = await this.tables.tableMetadata(view);
      const kinds = columnKinds(currentSchema(m));
      if (args.columns != null) {
        const problem = columnListProblem(args.columns, kinds);
        if (problem) throw new InvalidInput(problem, 'columns');
      }
      for (const o of args.orderBy ?? []) if (!kinds.has(o.column)) throw new InvalidInput(`unknown column '${o.column.slice(0, 100)}' in orderBy`, 'orderBy');
      parseWhere(args.where, kinds); // throws InvalidInput now rather than at download
      claims = {
        ...base,
        ref: point.refName,
        refType: resolved.reference?.type ?? null,
        commit: resolved.hash,
        table: view.key,
        snap: m.currentSnapshotId,
        ...(args.columns != null ? { cols: args.columns } : {}),
        ...(args.where != null ? { where: args.where } : {}),
        ...(args.orderBy?.length ? { order: args.orderBy.map((o) => ({ column: o.column, direction: o.direction ?? 'ASC' })) } : {}),
      };
    } else {
      this.catalog.policy.require(actor, 'analyst', 'export of sql');
      const sql = args.sql!;
      if (sql.length === 0 || sql.length > EXPORT_MAX_SQL_CHARS) throw new InvalidInput(`sql must be 1..${EXPORT_MAX_SQL_CHARS} characters`, 'sql');
      if (args.columns != null || args.where != null || args.orderBy != null) throw new InvalidInput('columns, where and orderBy go with table; write them into the query', 'sql');
      const resolved = await this.catalog.resolveFor(actor, args.ref);
      const point = { refName: resolved.reference?.name ?? null, commitHash: resolved.hash };
      await this.queryPlans(sql, point); // the same checks as `sql`: one read-only SELECT, tables that exist at the ref
      claims = { ...base, ref: point.refName, refType: resolved.reference?.type ?? null, commit: resolved.hash, sql };
    }
    const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + seconds * 1000);
    const token = await this.links.sign(claims, expiresAt);
    if (token.length > MAX_TOKEN_CHARS) throw new InvalidInput('the export is too long to fit a link: use a shorter query or filter', hasSql ? 'sql' : 'where');
    const name = (claims.table ?? 'query').replace(/[^A-Za-z0-9._-]+/g, '_');
    return {
      url: `/exports/${token}`,
      token,
      expiresAt,
      format: args.format,
      commitHash: claims.commit,
      snapshotId: claims.snap ?? null,
      table: claims.table ?? null,
      sql: claims.sql ?? null,
      contentType: CONTENT_TYPES[args.format],
      fileName: `${name}-${claims.commit.slice(0, 12)}.${EXTENSIONS[args.format]}`,
    };
  }

  /** A download: the link checked (Unauthenticated), its role's read checked (Forbidden), the stream ready to pull. */
  async open(token: string): Promise<OpenedExport> {
    const c = await this.links.verify(token);
    const actor: Actor = { subject: c.sub, roles: [c.role], kind: 'user' };
    const policy = this.catalog.policy;
    if (!policy.canRead(actor, { name: c.ref, type: c.refType }, (await this.catalog.defaultBranch()).name)) {
      throw new Forbidden(`the role '${c.role}' of this link may no longer read ${c.ref ?? 'that commit'}`);
    }
    if (c.sql != null && !policy.has(actor, 'analyst')) throw new Forbidden('an export of sql needs the analyst role');
    const point = { refName: c.ref, commitHash: c.commit };
    let source: ExportSource;
    if (c.table != null) {
      const view = await this.tables.requireTable(point, c.table);
      const m = await this.tables.tableMetadata(view);
      const plan: ScanPlan = await this.tables.scanPlan(m, c.snap ?? null, null);
      const kinds = columnKinds(plan.schema);
      source = { kind: 'plan', plan, columns: c.cols, where: parseWhere(c.where, kinds), orderBy: c.order };
    } else {
      source = { kind: 'query', sql: c.sql!, tables: await this.queryPlans(c.sql!, point), timeoutMs: EXPORT_QUERY_TIMEOUT_MS };
    }
    const name = (c.table ?? 'query').replace(/[^A-Za-z0-9._-]+/g, '_');
    return {
      contentType: CONTENT_TYPES[c.fmt],
      fileName: `${name}-${c.commit.slice(0, 12)}.${EXTENSIONS[c.fmt]}`,
      maxBytes: this.opts.maxBytes[c.role] ?? 0,
      role: c.role,
      body: this.engine.exportStream(source, c.fmt),
    };
  }

  /** The plans of the tables a query reads, each at its current snapshot at the commit. */
  private async queryPlans(sql: string, point: { refName: string | null; commitHash: string }): Promise<Map<string, ScanPlan>> {
    const names = await this.engine.referencedTables(sql);
    const plans = new Map<string, ScanPlan>();
    for (const name of names) {
      const view = await this.tables.tableAt(point, name);
      if (!view) throw new InvalidInput(`unknown table '${name}' at ${point.refName ?? point.commitHash}`, 'sql');
      plans.set(name, await this.tables.scanPlan(await this.tables.metadata(view.content.metadataLocation), null, null));
    }
    return plans;
  }
}
