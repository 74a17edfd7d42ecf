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
import { parseType } from '../domain/iceberg/type-strings.js';
import { parseTransform, transformResultType } from '../domain/iceberg/transforms.js';
import type { DataFile, NestedField, PartitionSpec, Schema, TableMetadata } from '../domain/iceberg/types.js';
import { expectedHash, refName } from '../domain/refs.js';
import { commitSnapshot, dataFileFromWritten, evolveSchema, newTableMetadata, rollbackTo, writeMetadataFile, type SchemaChange } from '../iceberg/table-writer.js';
import type { WrittenFile } from '../ports/query-engine.js';
import type { Commit, Operation, Reference } from '../ports/version-store.js';
import type { Actor } from './catalog.js';
import { readWriteInput, type DataFormat } from './table-input.js';
import type { TableView } from './table-view.js';
import { TableReads, columnKinds, currentSchema, pickSnapshot } from './tables.js';

const MAX_RETRIES = 5;
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
}

export class TableService extends TableReads {
  /** Reads the branch head (checking expectedHash), runs `build` against it, commits, and retries lost races. */
  private async commitOnHead<T>(
    branchName: string,
    expected: string | null | undefined,
    build: (head: Reference) => Promise<{ ops: Operation[]; message: string; result: (commit: Commit, addedContentIds: Record<string, string>) => T }>,
    actor: Actor,
  ): Promise<T> {
    const branch = this.allowWrite(actor, branchName);
    const want = expectedHash(expected);
    for (let attempt = 0; ; attempt++) {
      const head = await this.store.getReference(branch);
      if (head.type !== 'BRANCH') throw new InvalidInput(`'${branch}' is a tag; tables are written on branches`, 'branch');
      if (want && head.hash !== want) throw new ReferenceConflict(`branch '${branch}' is at ${head.hash}, not ${want}`, want, head.hash);
      const { ops, message, result } = await build(head);
      try {
        const out = await this.store.commit(branch, head.hash, { message: checkMessage(message), author: actor.subject }, ops);
        return result(out.commit, out.addedContentIds);
      } catch (e) {
        if (want || !(e instanceof ReferenceConflict) || attempt >= MAX_RETRIES) throw e;
      }
    }
  }

  /** The branch, if the actor may commit to it (checked before any file is written). */
  private allowWrite(actor: Actor, branchName: string) {
    const branch = refName(branchName, 'branch');
    this.catalog.policy.assertCanChangeBranch(actor, branch, 'commit');
    return branch;
  }

  private async headTable(head: Reference, name: string): Promise<{ view: TableView; m: TableMetadata }> {
    const view = await this.requireTable({ refName: head.name, commitHash: head.hash }, name);
    return { view, m: await this.metadata(view.content.metadataLocation) };
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
    args: { branch: string; name: string; columns: { name: string; type: string; required?: boolean | null; doc?: string | null }[]; partitionBy?: { column: string; transform: string }[] | null; expectedHash?: string | null; message?: string | null },
    actor: Actor,
  ) {
    this.allowWrite(actor, args.branch);
    const key = contentKey(args.name, 'name');
    const schema = schemaFromColumns(args.columns);
    const spec = specFromPartitionBy(args.partitionBy ?? [], schema);
    const location = `${this.objects.root}/${key.replaceAll('.', '/')}-${randomUUID()}`;
    const m = newTableMetadata({ location, schema, spec, properties: {} });
    const metadataLocation = await writeMetadataFile(this.objects, m);
    const content = this.contentFor(null, metadataLocation, m);
    return this.commitOnHead(args.branch, args.expectedHash, async (head) => ({
      ops: [{ type: 'PUT', key, content }],
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
    const scratch = await this.objects.scratchDir();
    try {
      const input = await readWriteInput(args, scratch.path);
      let written: { files: WrittenFile[]; uploaded: DataFile[]; forMetadata: string } | null = null;
      const out = await this.commitOnHead(args.branch, args.expectedHash, async (head) => {
        const { view, m } = await this.headTable(head, key);
        const schema = currentSchema(m);
        const spec = m.partitionSpecs.find((s) => s.specId === m.defaultSpecId)!;
        let removed: DataFile[] = [];
        let replaceAll = false;
        let added: DataFile[];
        if (mode === 'overwrite') {
          const where = parseWhere(args.where, columnKinds(schema));
          const plan = await this.localPlan(m, null, null);
          if (where) {
            const rewrite = await this.engine.rewriteWithout(plan, where, { schema, spec, dir: scratch.path });
            removed = rewrite.replaced;
            added = await this.upload(m, rewrite.written, spec.specId);
          } else {
            replaceAll = true;
            added = [];
          }
          written = null; // an overwrite depends on the head's files: rebuild on every attempt
        } else {
          added = [];
        }
        if (!written || written.forMetadata !== m.location) {
          const files = await this.engine.writeDataFiles(input, { schema, spec, dir: scratch.path });
          written = { files, uploaded: await this.upload(m, files, spec.specId), forMetadata: m.location };
        }
        added = [...added, ...written.uploaded];
        const next = await commitSnapshot(this.objects, m, {
          operation: mode === 'append' ? 'append' : 'overwrite',
          added,
          removed,
          keepExistingManifests: !replaceAll,
        });
        const metadataLocation = await writeMetadataFile(this.objects, next, view.content.metadataLocation);
        const content = this.contentFor(view, metadataLocation, next);
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
      await scratch.cleanup();
    }
  }

  /** Moves written files under the table's data folder and describes them as manifest entries. */
  private async upload(m: TableMetadata, files: WrittenFile[], specId: number): Promise<DataFile[]> {
    const schema = currentSchema(m);
    return Promise.all(
      files.map(async (f) => {
        const location = `${m.location.replace(/\/+$/, '')}/data/${randomUUID()}.parquet`;
        await this.objects.putFile(f.localPath, location);
        return dataFileFromWritten(f, location, schema, specId);
      }),
    );
  }

  async evolveSchema(args: { branch: string; table: string; changes: SchemaChange[]; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    if (args.changes.length === 0) throw new InvalidInput('changes must not be empty', 'changes');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Evolve the schema of ${key}`, (m) => evolveSchema(m, args.changes));
  }

  async rollback(args: { branch: string; table: string; toSnapshotId?: string | null; toTimestamp?: Date | null; expectedHash?: string | null }, actor: Actor) {
    const key = contentKey(args.table, 'table');
    if ((args.toSnapshotId == null) === (args.toTimestamp == null)) throw new InvalidInput('give exactly one of toSnapshotId and toTimestamp', 'toSnapshotId');
    return this.metadataChange(args.branch, key, args.expectedHash, actor, `Roll back ${key}`, (m) => {
      const s = pickSnapshot(m, args.toSnapshotId ?? null, args.toTimestamp ?? null);
      if (!s) throw new NotFound(args.toSnapshotId != null ? `snapshot ${args.toSnapshotId} not found in ${key}` : `${key} had no snapshot at ${args.toTimestamp!.toISOString()}`);
      return rollbackTo(m, s.snapshotId);
    });
  }

  private async metadataChange(branch: string, key: string, expected: string | null | undefined, actor: Actor, message: string, change: (m: TableMetadata) => TableMetadata) {
    return this.commitOnHead(branch, expected, async (head) => {
      const { view, m } = await this.headTable(head, key);
      const next = change(m);
      const metadataLocation = await writeMetadataFile(this.objects, next, view.content.metadataLocation);
      const content = this.contentFor(view, metadataLocation, next);
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
    } catch (e) {
      throw new InvalidInput(`columns[${i}].type: ${(e as Error).message}`, 'columns');
    }
  });
  return { schemaId: 0, fields };
}

export function specFromPartitionBy(partitionBy: { column: string; transform: string }[], schema: Schema): PartitionSpec {
  const fields = partitionBy.map((p, i) => {
    const source = schema.fields.find((f) => f.name === p.column);
    if (!source) throw new InvalidInput(`partitionBy[${i}]: unknown column '${p.column}'`, 'partitionBy');
    const t = parseTransform(p.transform);
    if (t.kind === 'unknown') throw new InvalidInput(`partitionBy[${i}]: unknown transform '${p.transform}'`, 'partitionBy');
    transformResultType(p.transform, source.type);
    const suffix = t.kind === 'identity' ? '' : t.kind === 'bucket' ? `_bucket` : t.kind === 'truncate' ? '_trunc' : `_${t.kind}`;
    return { sourceId: source.id, fieldId: 1000 + i, name: `${p.column}${suffix}`, transform: p.transform.trim().toLowerCase() };
  });
  return { specId: 0, fields };
}
