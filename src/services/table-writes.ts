/**
 * Table writes. Each write: read the branch head, build new Iceberg files (data, manifests,
 * metadata — all under fresh names, never overwriting), then ONE catalog commit guarded by the head
 * it read. If the commit loses a race, nothing references the new files; a caller that gave no
 * expectedHash gets the write re-applied on the new head (the data files are reused).
 */
import { randomUUID } from 'node:crypto';
import { checkMessage } from '../domain/commit-meta.js';
import { contentKey, type IcebergTableContent } from '../domain/content.js';
import { InvalidInput, NotFound, ReferenceConflict } from '../domain/errors.js';
import { parseWhere } from '../domain/filters.js';
import { parseType, refuseFixed } from '../domain/iceberg/type-strings.js';
import { parseTransform, transformResultType, transformText } from '../domain/iceberg/transforms.js';
import { currentSchema, type DataFile, type NestedField, type PartitionSpec, type ScanPlan, type Schema, type TableMetadata } from '../domain/iceberg/types.js';
import { retryOnReferenceConflict, TRY_AGAIN } from '../domain/reference-retry.js';
import { expectedHash, refName } from '../domain/refs.js';
import { mappingFromSchema, mappingResolvesCurrentNames, NAME_MAPPING_PROPERTY, parseNameMapping, serializeNameMapping } from '../iceberg/name-mapping.js';
import { parseTableMetadata } from '../iceberg/metadata-json.js';
import { removeSnapshotRef, setProperties, snapshotOfRef, tagSnapshot } from '../iceberg/snapshot-refs.js';
import { commitSnapshotWithMetadata, dataFileFromWritten, evolveSchema, newTableMetadata, rollbackTo, writeMetadata, type MetadataFile, type SchemaChange } from '../iceberg/table-writer.js';
import type { WriteInput, WrittenFile } from '../ports/query-engine.js';
import type { Commit, Operation, Reference } from '../ports/version-store.js';
import { Lru } from '../util/lru.js';
import { makeTempDir } from '../util/temp-dir.js';
import type { Actor } from './catalog.js';
import { readWriteInput, type DataFormat } from './table-input.js';
import { INCOMING, mergeQuery, missingNamespaceOps, sameColumns, stagedPlan } from './table-materialize.js';
import type { TableView } from './table-view.js';
import { TableReads, columnKinds, pickSnapshot } from './tables.js';

const COLUMN_NAME = /^[^\u0000-\u001f.]{1,128}$/;

export interface WriteArgs {
  branch: string;
  table: string;
  rows?: unknown;
  file?: File | null;
  format?: DataFormat | null;
  where?: unknown;
  expectedHash?: string | null;
  message?: string | null;
  /** Engine input from trusted code (pipeline steps), instead of rows or file. */
  input?: WriteInput;
}

export interface MaterializeArgs {
  branch: string;
  table: string;
  /** A read-only SELECT over the branch's tables (dotted names) and `tables`. */
  query: string;
  /** Extra relations the query may read by name (e.g. staged incoming rows). */
  tables?: Map<string, ScanPlan>;
  /** replace (default): a missing table, or one whose columns differ from the result's, is (re)created from the result; keep: write into the table's schema. */
  schema?: 'replace' | 'keep';
  timeoutMs?: number;
  expectedHash?: string | null;
  message?: string | null;
}

export class TableService extends TableReads {
  /** Metadata files this gateway has just written, as parsed from the text it wrote (see `remember`). */
  private readonly written = new Lru<string, TableMetadata>(100);

  /** A metadata file just written: the next write or read of the table takes it from here instead of fetching it back. */
  private remember(file: MetadataFile): void {
    this.written.set(file.location, parseTableMetadata(file.json));
  }

  override async metadata(location: string): Promise<TableMetadata> {
    return this.written.get(location) ?? super.metadata(location);
  }

  /** Reads the branch head (checking expectedHash), runs `build` against it, commits, and retries lost races. */
  private async commitOnHead<T>(
    branchName: string,
    expected: string | null | undefined,
    build: (head: Reference) => Promise<{ ops: Operation[]; message: string; result: (commit: Commit, addedContentIds: Record<string, string>) => T }>,
    actor: Actor,
  ): Promise<T> {
    const branch = this.allowWrite(actor, branchName);
    const want = expectedHash(expected);
    return retryOnReferenceConflict(async (lastTry) => {
      const head = await this.store.getReference(branch);
      if (head.type !== 'BRANCH') throw new InvalidInput(`'${branch}' is a tag; tables are written on branches`, 'branch');
      if (want && head.hash !== want) throw new ReferenceConflict(`branch '${branch}' is at ${head.hash}, not ${want}`, want, head.hash);
      const { ops, message, result } = await build(head);
      try {
        const out = await this.store.commit(branch, head.hash, { message: checkMessage(message), author: actor.subject }, ops);
        return result(out.commit, out.addedContentIds);
      } catch (e) {
        if (want || !(e instanceof ReferenceConflict) || lastTry) throw e;
        return TRY_AGAIN;
      }
    });
  }

  /** The branch, if the actor may commit to it (checked before any file is written). */
  private allowWrite(actor: Actor, branchName: string) {
    const branch = refName(branchName, 'branch');
    this.catalog.policy.assertCanChangeBranch(actor, branch, 'commit');
    return branch;
  }

  private async headTable(head: Reference, name: string): Promise<{ view: TableView; m: TableMetadata }> {
    const view = await this.requireTable({ refName: head.name, commitHash: head.hash }, name);
    // With the history a catalog kept only in its commits: the file written next keeps all of it.
    return { view, m: await this.tableMetadata(view) };
  }

  private contentFor(view: { content?: { id: string } } | null, location: string, m: TableMetadata): IcebergTableContent {
    return {
      type: 'ICEBERG_TABLE',
      ...(view?.content ? { id: view.content.id } : {}),
      metadataLocation: location,
      snapshotId: m.currentSnapshotId ?? '-1',
      schemaId: m.currentSchemaId,
      specId: m.defaultSpecId,
      sortOrderId: m.defaultSortOrderId,
    };
  }

  private viewAfter(head: Reference, key: string, commit: Commit, content: IcebergTableContent, id: string | undefined): TableView {
    return { refName: head.name, commitHash: commit.hash, key, content: { ...content, id: id ?? content.id ?? '' } };
  }

  async createTable(
    args: {
      branch: string;
      name: string;
      columns: { name: string; type: string; required?: boolean | null; doc?: string | null }[];
      partitionBy?: { column: string; transform: string }[] | null;
      expectedHash?: string | null;
      message?: string | null;
      /** Create missing parent namespaces in the same commit. */
      createNamespaces?: boolean;
    },
    actor: Actor,
  ) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.name, 'name');
    const schema = schemaFromColumns(args.columns);
    const spec = specFromPartitionBy(args.partitionBy ?? [], schema);
    const location = `${this.objects.root}/${key.replaceAll('.', '/')}-${randomUUID()}`;
    const m = newTableMetadata({ location, schema, spec, properties: {} });
    const file = await writeMetadata(this.objects, m);
    this.remember(file);
    const content = this.contentFor(null, file.location, m);
    return this.commitOnHead(args.branch, args.expectedHash, async (head) => ({
      ops: [...(args.createNamespaces ? await missingNamespaceOps(this.store, head.hash, key) : []), { type: 'PUT', key, content }],
      message: args.message ?? `Create table ${key}`,
      result: (commit, added) => ({ table: this.viewAfter(head, key, commit, content, added[key]), commit }),
    }), actor);
  }

  async registerTable(args: { branch: string; name: string; metadataLocation: string; expectedHash?: string | null }, actor: Actor) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.name, 'name');
    const location = this.objects.resolve(args.metadataLocation);
    const m = await this.metadata(location);
    const content = this.contentFor(null, location, m);
    return this.commitOnHead(args.branch, args.expectedHash, async (head) => ({
      ops: [{ type: 'PUT', key, content }],
      message: `Register table ${key} from ${location}`,
      result: (commit, added) => ({ table: this.viewAfter(head, key, commit, content, added[key]), commit }),
    }), actor);
  }

  async write(mode: 'append' | 'overwrite', args: WriteArgs, actor: Actor) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.table, 'table');
    // Where an upload that is not on disk yet is spooled to (the engine reads input files locally).
    const scratch = args.input === undefined ? await makeTempDir('cg-input-') : null;
    try {
      const input = args.input ?? (await readWriteInput(args, scratch!.path, { allowNoRows: mode === 'overwrite' }));
      // An uploaded Parquet file is ours (a request's upload folder): an append may keep it as the data file as it is.
      const ownParquet = args.input === undefined && input.kind === 'file' && input.format === 'PARQUET' && mode === 'append';
      let written: { files: WrittenFile[]; uploaded: DataFile[]; forMetadata: string; forSchema: string } | null = null;
      const out = await this.commitOnHead(args.branch, args.expectedHash, async (head) => {
        const { view, m } = await this.headTable(head, key);
        const schema = currentSchema(m);
        const spec = m.partitionSpecs.find((s) => s.specId === m.defaultSpecId)!;
        let removed: DataFile[] = [];
        let replaceAll = false;
        let added: DataFile[];
        if (mode === 'overwrite') {
          const where = parseWhere(args.where, columnKinds(schema));
          const plan = await this.scanPlan(m, null, null);
          if (where) {
            const rewrite = await this.engine.rewriteWithout(plan, where, { schema, spec, location: dataLocation(m) });
            removed = rewrite.replaced;
            added = asDataFiles(m, rewrite.written, spec.specId);
          } else {
            replaceAll = true;
            added = [];
          }
          written = null; // an overwrite depends on the head's files: rebuild on every attempt
        } else {
          added = [];
        }
        const mappingText = m.properties[NAME_MAPPING_PROPERTY];
        const mapping = parseNameMapping(mappingText);
        const forSchema = JSON.stringify([schema.fields.map((f) => [f.id, f.name, f.type, f.required]), spec.fields, mappingText ?? null]);
        const passedThrough = written?.files.some((f) => f.passedThrough) ?? false;
        if (!written || written.forMetadata !== m.location || (passedThrough && written.forSchema !== forSchema)) {
          // A file kept as it was on an earlier attempt no longer fits: rewrite it (the engine kept a
          // copy, so the upload is still where it was).
          const mayPass = ownParquet && !passedThrough && (mappingText === undefined || (mapping !== null && mappingResolvesCurrentNames(mapping, schema)));
          const files = await this.engine.writeDataFiles(mayPass ? { ...(input as Extract<WriteInput, { kind: 'file' }>), passThrough: true } : input, { schema, spec, location: dataLocation(m) });
          // As for `rows: []`: an uploaded file without rows is a mistake, not an empty snapshot to commit.
          if (args.input === undefined && mode === 'append' && files.every((f) => f.recordCount === 0)) {
            throw new InvalidInput('the file has no rows: nothing to append', 'file');
          }
          written = { files, uploaded: asDataFiles(m, files, spec.specId), forMetadata: m.location, forSchema };
        }
        added = [...added, ...written.uploaded];
        // Files without field ids are read through the name mapping: the first one sets it.
        const needsMapping = written.files.some((f) => f.passedThrough) && mappingText === undefined;
        const base = needsMapping ? { ...m, properties: { ...m.properties, [NAME_MAPPING_PROPERTY]: serializeNameMapping(mappingFromSchema(schema)) } } : m;
        const { metadata: next, file } = await commitSnapshotWithMetadata(
          this.objects,
          base,
          { operation: mode === 'append' ? 'append' : 'overwrite', added, removed, keepExistingManifests: !replaceAll },
          view.content.metadataLocation,
        );
        this.remember(file);
        const content = this.contentFor(view, file.location, next);
        const addedRows = written.files.reduce((n, f) => n + f.recordCount, 0);
        return {
          ops: [{ type: 'PUT', key, content }],
          message: args.message ?? `${mode === 'append' ? 'Append' : 'Overwrite'} ${addedRows} rows ${mode === 'append' ? 'to' : 'in'} ${key}`,
          result: (commit: Commit) => {
            const table = this.viewAfter(head, key, commit, content, view.content.id);
            const snapshot = next.snapshots.find((s) => s.snapshotId === next.currentSnapshotId)!;
            return { table, commit, snapshot: { table, snapshot }, addedRows: String(addedRows) };
          },
        };
      }, actor);
      return out;
    } finally {
      await scratch?.cleanup();
    }
  }

  /**
   * Replaces a table's contents with a query's result in ONE commit, the engine writing the result
   * straight to Parquet. With schema 'replace', a missing table (and its missing namespaces) or one
   * whose columns differ from the result's is created anew from the result's columns (keeping the
   * content id); otherwise the table gets an overwrite snapshot.
   */
  async materialize(args: MaterializeArgs, actor: Actor) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.table, 'table');
    return this.commitOnHead(args.branch, args.expectedHash, async (head) => {
      const point = { refName: head.name, commitHash: head.hash };
      const tables = new Map(args.tables ?? []);
      const given = new Set([...tables.keys()].map((k) => k.toLowerCase()));
      for (const name of await this.engine.referencedTables(args.query)) {
        if (given.has(name.toLowerCase())) continue;
        const view = await this.tableAt(point, name);
        if (!view) throw new InvalidInput(`unknown table '${name.slice(0, 200)}' on ${head.name}`, 'query');
        tables.set(name, await this.scanPlan(await this.metadata(view.content.metadataLocation), null, null));
      }
      const input: WriteInput = { kind: 'query', sql: args.query, tables, ...(args.timeoutMs ? { timeoutMs: args.timeoutMs } : {}) };
      const existing = await this.tableAt(point, key);
      let m = existing ? await this.tableMetadata(existing) : null;
      let fresh = false;
      if (args.schema === 'keep') {
        if (!m) throw new NotFound(`table '${key}' does not exist on ${head.name}`);
      } else {
        const columns = await this.engine.describe(input);
        if (!m || !sameColumns(currentSchema(m), columns)) {
          const schema = schemaFromColumns(columns);
          const location = `${this.objects.root}/${key.replaceAll('.', '/')}-${randomUUID()}`;
          m = newTableMetadata({ location, schema, spec: { specId: 0, fields: [] }, properties: {} });
          fresh = true;
        }
      }
      const schema = currentSchema(m!);
      const spec = m!.partitionSpecs.find((s) => s.specId === m!.defaultSpecId)!;
      const files = await this.engine.writeDataFiles(input, { schema, spec, location: dataLocation(m!) });
      const added = asDataFiles(m!, files, spec.specId);
      const { metadata: next, file } = await commitSnapshotWithMetadata(
        this.objects,
        m!,
        { operation: fresh ? 'append' : 'overwrite', added, removed: [], keepExistingManifests: false },
        fresh ? undefined : existing!.content.metadataLocation,
      );
      this.remember(file);
      const content = this.contentFor(existing, file.location, next);
      const rows = files.reduce((n, f) => n + f.recordCount, 0);
      return {
        ops: [...(existing ? [] : await missingNamespaceOps(this.store, head.hash, key)), { type: 'PUT', key, content }],
        message: args.message ?? `Materialize ${rows} rows in ${key}`,
        result: (commit: Commit, addedIds: Record<string, string>) => ({
          table: this.viewAfter(head, key, commit, content, existing?.content.id ?? addedIds[key]),
          commit,
          addedRows: rows,
          created: fresh,
        }),
      };
    }, actor);
  }

  /**
   * Upsert by key in ONE commit: the incoming rows are staged as Parquet with the table's schema,
   * then the table is overwritten with its rows whose key is not incoming plus the incoming rows
   * (computed by the engine). Null when the input has no rows.
   */
  async mergeByKey(args: { branch: string; table: string; input: WriteInput; key: string[]; message?: string | null }, actor: Actor) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.table, 'table');
    if (args.key.length === 0) throw new InvalidInput('merge needs key columns', 'key');
    const head = await this.store.getReference(refName(args.branch, 'branch'));
    const { m } = await this.headTable(head, key);
    const schema = currentSchema(m);
    const query = mergeQuery(key, schema, args.key);
    // The incoming rows are staged in the warehouse (where any engine can read them) and removed after.
    const staging = `${this.objects.root}/${STAGING}/${randomUUID()}`;
    try {
      const staged = await this.engine.writeDataFiles(args.input, { schema, spec: { specId: 0, fields: [] }, location: staging });
      if (staged.length === 0) return null;
      const incoming = staged.reduce((n, f) => n + f.recordCount, 0);
      const out = await this.materialize(
        { branch: args.branch, table: key, query, tables: new Map([[INCOMING, stagedPlan(staged, schema)]]), schema: 'keep', message: args.message ?? `Merge ${incoming} rows into ${key} by ${args.key.join(', ')}` },
        actor,
      );
      return { ...out, incomingRows: incoming };
    } finally {
      await this.removeAll(`${staging}/`);
    }
  }

  /** Best effort: every object under `prefix` deleted (a failure leaves an orphan, never fails the write). */
  private async removeAll(prefix: string): Promise<void> {
    try {
      for await (const o of this.objects.list(prefix)) await this.objects.delete(o.location);
    } catch {
      // Orphans under the staging prefix hold no table's data; nothing refers to them.
    }
  }

  async evolveSchema(args: { branch: string; table: string; changes: SchemaChange[]; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    if (args.changes.length === 0) throw new InvalidInput('changes must not be empty', 'changes');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Evolve the schema of ${key}`, (m) => evolveSchema(m, args.changes));
  }

  async rollback(
    args: { branch: string; table: string; toSnapshotId?: string | null; toTimestamp?: Date | null; toSnapshotRef?: string | null; expectedHash?: string | null },
    actor: Actor,
  ) {
    const key = contentKey(args.table, 'table');
    const given = [args.toSnapshotId, args.toTimestamp, args.toSnapshotRef].filter((v) => v != null).length;
    if (given !== 1) throw new InvalidInput('give exactly one of toSnapshotId, toTimestamp and toSnapshotRef', 'toSnapshotId');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Roll back ${key}`, (m) => {
      if (args.toSnapshotRef != null) return rollbackTo(m, snapshotOfRef(m, args.toSnapshotRef));
      const s = pickSnapshot(m, args.toSnapshotId ?? null, args.toTimestamp ?? null);
      if (!s) throw new NotFound(args.toSnapshotId != null ? `snapshot ${args.toSnapshotId} not found in ${key}` : `${key} had no snapshot at ${args.toTimestamp!.toISOString()}`);
      return rollbackTo(m, s.snapshotId);
    });
  }

  /** A tag on one of the table's snapshots, in its own metadata (a catalog commit). */
  async tagSnapshot(args: { branch: string; table: string; name: string; snapshotId: string; maxRefAgeMs?: number | null; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Tag snapshot ${args.snapshotId} of ${key} as ${args.name}`, (m) =>
      tagSnapshot(m, args.name, args.snapshotId, args.maxRefAgeMs),
    );
  }

  async removeSnapshotRef(args: { branch: string; table: string; name: string; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Remove snapshot ref ${args.name} of ${key}`, (m) => removeSnapshotRef(m, args.name));
  }

  async setTableProperties(args: { branch: string; table: string; set?: unknown; remove?: string[] | null; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    const set = args.set ?? {};
    if (typeof set !== 'object' || set === null || Array.isArray(set)) throw new InvalidInput('set must be a JSON object of property values', 'set');
    const remove = args.remove ?? [];
    if (Object.keys(set).length === 0 && remove.length === 0) throw new InvalidInput('give properties to set or to remove', 'set');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Set properties of ${key}`, (m) => setProperties(m, set as Record<string, unknown>, remove));
  }

  /**
   * Compaction: the rows of `inputFiles` (with `deleteFiles` applied) rewritten into new files and
   * committed as one `replace` snapshot that removes those files. Guarded by what it read: every
   * input must still be live at the head it commits on (a concurrent append is kept: the commit is
   * rebuilt on the new head with the same new files); otherwise REFERENCE_CONFLICT and nothing lands.
   */
  async rewriteFiles(args: { branch: string; table: string; inputFiles: string[]; deleteFiles: string[]; message: string; targetFileSizeBytes?: number }, actor: Actor) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.table, 'table');
    let written: { files: DataFile[]; forMetadata: string; forDeletes: string } | null = null;
    return this.commitOnHead(args.branch, null, async (head) => {
      const { view, m } = await this.headTable(head, key);
      const plan = await this.scanPlan(m, null, null);
      const live = new Map(plan.dataFiles.map((f) => [f.filePath, f]));
      const inputs = args.inputFiles.map((p) => live.get(p));
      const missing = args.inputFiles.filter((_p, i) => !inputs[i]);
      if (missing.length > 0) {
        throw new ReferenceConflict(`${missing.length} file(s) the compaction reads were removed from ${key} on ${head.name} since it was planned: plan again`, null, head.hash);
      }
      const dropped = new Set(args.deleteFiles);
      const deletes = plan.deleteFiles.filter((d) => dropped.has(d.filePath));
      const schema = currentSchema(m);
      const spec = m.partitionSpecs.find((s) => s.specId === m.defaultSpecId)!;
      // The rows are read as any read sees them: every live delete file applied (the scan scopes
      // each to its partition and sequence numbers). A delete file that landed since the files were
      // written means writing them again, or its deletes would be lost.
      const forDeletes = plan.deleteFiles.map((d) => d.filePath).sort().join('\n');
      if (!written || written.forMetadata !== m.location || written.forDeletes !== forDeletes) {
        const source = { ...plan, dataFiles: inputs as DataFile[] };
        const files = await this.engine.writeDataFiles(
          { kind: 'query', sql: 'SELECT * FROM compaction_input', tables: new Map([['compaction_input', source]]) },
          { schema, spec, location: dataLocation(m), targetFileSizeBytes: args.targetFileSizeBytes },
        );
        written = { files: asDataFiles(m, files, spec.specId), forMetadata: m.location, forDeletes };
      }
      const { metadata: next, file } = await commitSnapshotWithMetadata(
        this.objects,
        m,
        { operation: 'replace', added: written.files, removed: [...(inputs as DataFile[]), ...deletes], keepExistingManifests: true, cache: this.manifests },
        view.content.metadataLocation,
      );
      this.remember(file);
      const content = this.contentFor(view, file.location, next);
      return {
        ops: [{ type: 'PUT', key, content }],
        message: args.message,
        result: (commit: Commit) => ({ table: this.viewAfter(head, key, commit, content, view.content.id), commit, addedFiles: written!.files.length }),
      };
    }, actor);
  }

  /**
   * Commits new metadata of a table made by maintenance (expiry) at exactly `expectedHash`: the
   * plan was checked against that head, so a moved branch is a ReferenceConflict, not a retry.
   */
  async commitMaintenance(args: { branch: string; table: string; expectedHash: string; message: string; metadata: TableMetadata }, actor: Actor) {
    return this.metadataChange(args.branch, contentKey(args.table, 'table'), args.expectedHash, actor, args.message, () => args.metadata);
  }

  private async metadataChange(branch: string, key: string, expected: string | null | undefined, actor: Actor, message: string, change: (m: TableMetadata) => TableMetadata) {
    return this.commitOnHead(branch, expected, async (head) => {
      const { view, m } = await this.headTable(head, key);
      const next = change(m);
      const file = await writeMetadata(this.objects, next, view.content.metadataLocation);
      this.remember(file);
      const content = this.contentFor(view, file.location, next);
      return {
        ops: [{ type: 'PUT', key, content }],
        message,
        result: (commit: Commit) => ({ table: this.viewAfter(head, key, commit, content, view.content.id), commit }),
      };
    }, actor);
  }

  async dropTable(args: { branch: string; name: string; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.name, 'name');
    return this.commitOnHead(args.branch, args.expectedHash, async (head) => {
      await this.headTable(head, key);
      return { ops: [{ type: 'DELETE', key }], message: `Drop table ${key}`, result: (commit: Commit) => ({ name: key, commit }) };
    }, actor);
  }
}

/** Where a merge stages its incoming rows, under the warehouse root. */
const STAGING = '.staging';

/** The table's data folder: where the engine writes its new data files. */
const dataLocation = (m: TableMetadata) => `${m.location.replace(/\/+$/, '')}/data`;

/** Files the engine wrote for the table, as manifest entries. */
function asDataFiles(m: TableMetadata, files: WrittenFile[], specId: number): DataFile[] {
  const schema = currentSchema(m);
  return files.map((f) => dataFileFromWritten(f, f.location, schema, specId));
}

export function schemaFromColumns(columns: { name: string; type: string; required?: boolean | null; doc?: string | null }[]): Schema {
  if (columns.length === 0) throw new InvalidInput('a table needs at least one column', 'columns');
  if (columns.length > 1000) throw new InvalidInput('at most 1000 columns', 'columns');
  let next = 0;
  const nextId = () => ++next;
  const seen = new Set<string>();
  const fields: NestedField[] = columns.map((c, i) => {
    if (!COLUMN_NAME.test(c.name)) throw new InvalidInput(`columns[${i}].name must be 1..128 characters without '.' or control characters`, 'columns');
    if (seen.has(c.name.toLowerCase())) throw new InvalidInput(`duplicate column '${c.name}'`, 'columns');
    seen.add(c.name.toLowerCase());
    return { id: nextId(), name: c.name, required: c.required ?? false, type: { type: 'struct', fields: [] }, ...(c.doc ? { doc: c.doc } : {}) };
  });
  // Nested types take ids after every top-level column, as Iceberg assigns them.
  columns.forEach((c, i) => {
    try {
      fields[i]!.type = parseType(c.type, nextId);
      refuseFixed(fields[i]!.type, c.name);
    } catch (e) {
      throw new InvalidInput(`columns[${i}].type: ${(e as Error).message}`, 'columns');
    }
  });
  return { schemaId: 0, fields };
}

/**
 * The partition spec of `createTable(partitionBy:)`, under the rules Iceberg's Java PartitionSpec
 * builder enforces, so every engine can read it: field names unique (two fields named alike make
 * manifests no Avro reader accepts), a name that is a column's only for an identity field of that
 * column, and no redundant fields (a column once per transform, and at most one of year, month,
 * day and hour).
 */
export function specFromPartitionBy(partitionBy: { column: string; transform: string }[], schema: Schema): PartitionSpec {
  const seen = new Map<string, number>(); // redundancy key → index
  const names = new Map<string, number>(); // field name → index
  const columnNames = new Set(schema.fields.map((f) => f.name));
  const fields = partitionBy.map((p, i) => {
    const at = `partitionBy[${i}]`;
    const source = schema.fields.find((f) => f.name === p.column);
    if (!source) throw new InvalidInput(`${at}: unknown column '${p.column}'`, 'partitionBy');
    const t = parseTransform(p.transform);
    if (t.kind === 'unknown') throw new InvalidInput(`${at}: unknown transform '${p.transform}'`, 'partitionBy');
    try {
      transformResultType(p.transform, source.type);
    } catch (e) {
      throw new InvalidInput(`${at}: ${(e as Error).message}`, 'partitionBy');
    }
    const transform = transformText(t);
    const time = ['year', 'month', 'day', 'hour'].includes(t.kind);
    const key = `${source.id}:${time ? 'time' : transform}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      const why = time ? 'a column takes at most one of year, month, day and hour' : 'the same transform of the same column twice';
      throw new InvalidInput(`${at}: ${p.transform} of '${p.column}' is redundant with partitionBy[${earlier}] (${why})`, 'partitionBy');
    }
    seen.set(key, i);
    const suffix = t.kind === 'identity' ? '' : t.kind === 'bucket' ? `_bucket` : t.kind === 'truncate' ? '_trunc' : `_${t.kind}`;
    const name = `${p.column}${suffix}`;
    const twice = names.get(name);
    if (twice !== undefined) throw new InvalidInput(`${at}: its field name '${name}' is already that of partitionBy[${twice}]`, 'partitionBy');
    names.set(name, i);
    if (t.kind !== 'identity' && columnNames.has(name)) {
      throw new InvalidInput(`${at}: its field name '${name}' is the name of a column; rename that column`, 'partitionBy');
    }
    return { sourceId: source.id, fieldId: 1000 + i, name, transform };
  });
  return { specId: 0, fields };
}
