/**
 * Pipeline models with `engine: trino`: the model's SQL runs on Trino at the run branch's head and
 * its result lands as an Iceberg table on that branch, committed by Trino through Nessie's REST
 * catalog (`CREATE OR REPLACE TABLE … AS`): one commit, recorded by the run like any other step.
 * The gateway checks the query first, as for `sql`: one read-only SELECT/WITH over tables that exist
 * on the branch, each `namespace.table` (Trino reads one namespace level).
 */
import type { Actor } from '../auth/actor.js';
import { contentKey } from '../domain/content.js';
import { InvalidInput, ReferenceConflict } from '../domain/errors.js';
import { refName } from '../domain/refs.js';
import type { CatalogQueryEngine } from '../ports/catalog-query-engine.js';
import type { QueryEngine } from '../ports/query-engine.js';
import type { Commit, VersionStore } from '../ports/version-store.js';
import type { CatalogService } from './catalog.js';
import type { TableReads } from './tables.js';

export interface TrinoModelArgs {
  branch: string;
  table: string;
  query: string;
  timeoutMs: number;
}

export class TrinoModels {
  constructor(
    private readonly catalog: CatalogService,
    private readonly store: VersionStore,
    private readonly tables: Pick<TableReads, 'tableAt' | 'metadata'>,
    /** Parses the query for the check (the gateway's DuckDB parser, as `sql` uses). */
    private readonly parser: Pick<QueryEngine, 'referencedTables'>,
    private readonly trino: CatalogQueryEngine,
  ) {}

  async materialize(args: TrinoModelArgs, actor: Actor): Promise<{ commits: Commit[]; addedRows: number; created: boolean }> {
    const branch = refName(args.branch, 'branch');
    this.catalog.policy.assertCanChangeBranch(actor, branch, 'commit');
    const key = contentKey(args.table, 'table');
    const oneLevel = (name: string) => name.split('.').length === 2;
    if (!oneLevel(key)) throw new InvalidInput(`a Trino model writes namespace.table (one namespace level), not '${key}'`, 'table');
    const head = await this.store.getReference(branch);
    const point = { refName: head.name, commitHash: head.hash };
    for (const name of await this.parser.referencedTables(args.query)) {
      if (!oneLevel(name)) throw new InvalidInput(`Trino reads tables as namespace.table, not '${name}'`, 'query');
      if (!(await this.tables.tableAt(point, name))) throw new InvalidInput(`unknown table '${name.slice(0, 200)}' on ${head.name}`, 'query');
    }
    const namespace = key.slice(0, key.indexOf('.'));
    let base = head.hash;
    if (!(await this.store.getContent(head.hash, namespace))) base = (await this.catalog.createNamespace(branch, namespace, head.hash, actor)).commit.hash;
    const existed = (await this.tables.tableAt({ refName: head.name, commitHash: base }, key)) !== null;

    await this.trino.createTableAs(branch, key, args.query, args.timeoutMs);

    // Trino committed on the branch (a replace can be more than one commit); the run branch is the
    // run's alone, so the new commits sit on `base`.
    const after = await this.store.getReference(branch);
    const commits: Commit[] = [];
    for (let hash = after.hash; hash !== base; ) {
      const commit = await this.store.getCommit(hash);
      const parent = commit.parentHashes[0];
      if (!parent || commits.length >= 20) {
        throw new ReferenceConflict(`branch '${branch}' moved during the Trino model (expected commits on ${base})`, base, after.hash);
      }
      commits.unshift(commit);
      hash = parent;
    }
    if (commits.length === 0) throw new InvalidInput(`Trino made no commit for '${key}' on ${branch}`, 'table');
    const view = await this.tables.tableAt({ refName: after.name, commitHash: after.hash }, key);
    if (!view) throw new InvalidInput(`Trino did not create '${key}' on ${branch}`, 'table');
    const m = await this.tables.metadata(view.content.metadataLocation);
    const current = m.snapshots.find((s) => s.snapshotId === m.currentSnapshotId);
    return { commits, addedRows: Number(current?.summary?.['total-records'] ?? 0), created: !existed };
  }
}
