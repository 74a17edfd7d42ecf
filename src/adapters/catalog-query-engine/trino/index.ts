/**
 * The CatalogQueryEngine on Trino (`trino-client`): queries run with their session catalog set to
 * a catalog at the commit asked for (catalogs.ts), so `namespace.table` names read that commit;
 * results are capped in rows and JSON bytes, and cancelled in Trino past the time limit.
 *
 * Limits of the mechanism: Trino's Iceberg REST catalog sees one namespace level (`a.b` tables;
 * nested namespaces are not readable through Trino), and Trino must allow dynamic catalogs
 * (`catalog.management=dynamic`).
 */
import type { ContentKey } from '../../../domain/content.js';
import { DomainError, InvalidInput, LimitExceeded } from '../../../domain/errors.js';
import type { CatalogCommit, CatalogQueryEngine } from '../../../ports/catalog-query-engine.js';
import type { JsonValue } from '../../../ports/query-engine.js';
import type { TrinoConfig } from '../../../config.js';
import type { RefName } from '../../../domain/refs.js';
import { CommitCatalogs } from './catalogs.js';
import { TrinoSession, type Column } from './client.js';
import { duckTypeName, toJsonValue } from './values.js';

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** `ns.table` → `"ns"."table"`; Trino reads one namespace level. */
function tableName(key: ContentKey): string {
  const parts = key.split('.');
  if (parts.length !== 2) throw new InvalidInput(`Trino reads tables in a one-level namespace (namespace.table), not '${key}'`, 'table');
  return parts.map(quoteIdent).join('.');
}

export function createTrinoEngine(config: TrinoConfig): CatalogQueryEngine {
  const session = new TrinoSession({ url: config.url, user: config.user, password: config.password });
  const catalogs = new CommitCatalogs(session, { prefix: config.catalog, properties: config.catalogProperties, idleMs: config.catalogIdleMs });

  /** Runs `fn` with the catalog; if another gateway dropped it meanwhile, makes it again once. */
  const withCatalog = async <T>(make: () => Promise<string>, fn: (catalog: string) => Promise<T>): Promise<T> => {
    const catalog = await make();
    try {
      return await fn(catalog);
    } catch (e) {
      if (!(e instanceof DomainError) || !/Catalog '[^']*' (not found|does not exist)/i.test(e.message)) throw e;
      catalogs.forget(catalog);
      return fn(await make());
    }
  };

  return {
    kind: 'trino',

    async version() {
      const rows = await session.rows('SELECT node_version FROM system.runtime.nodes WHERE coordinator LIMIT 1', { timeoutMs: 10_000 });
      return String(rows[0]?.[0] ?? 'unknown');
    },

    sql: (query, at: CatalogCommit, limits) =>
      withCatalog(() => catalogs.atCommit(at.ref, at.hash), async (catalog) => {
        const started = performance.now();
        const rows: JsonValue[][] = [];
        let bytes = 0;
        let truncated = false;
        let overBytes = false;
        const columns: Column[] = await session.run(query, {
          catalog,
          timeoutMs: limits.timeoutMs,
          onRows: (cols, page) => {
            for (const raw of page) {
              if (rows.length >= limits.maxRows) {
                truncated = true;
                return false;
              }
              const row = raw.map((v, i) => toJsonValue(v, cols[i]!.typeSignature));
              bytes += JSON.stringify(row).length;
              if (bytes > limits.maxBytes) {
                overBytes = true;
                return false;
              }
              rows.push(row);
            }
            return true;
          },
        });
        if (overBytes) throw new LimitExceeded(`the result is larger than ${limits.maxBytes} bytes; select fewer rows or columns`);
        return {
          columns: columns.map((c) => ({ name: c.name, type: duckTypeName(c.typeSignature) })),
          rows,
          truncated,
          elapsedMs: Math.round(performance.now() - started),
        };
      }),

    createTableAs: (branch: RefName, table: ContentKey, query: string, timeoutMs: number) =>
      withCatalog(() => catalogs.onBranch(branch), async (catalog) => {
        await session.run(`CREATE OR REPLACE TABLE ${tableName(table)} AS ${query}`, { catalog, timeoutMs });
      }),

    async check() {
      await session.rows(`SHOW SCHEMAS FROM ${quoteIdent(config.catalog)}`, { timeoutMs: 10_000 });
    },

    async close() {
      catalogs.close();
    },
  };
}
