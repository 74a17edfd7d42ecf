/**
 * Physical layout of Parquet files: the column tree with Iceberg field ids, read once per file with
 * `parquet_schema()` and cached by path (data files are immutable, so an entry never goes stale).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlStringList } from './sql-text.js';

export interface PNode {
  name: string;
  fieldId: number | null;
  /** Parquet physical type for leaves, null for groups. */
  physical: string | null;
  logical: string | null;
  repeated: boolean;
  children: PNode[];
}

export interface FileLayout {
  /** Top-level columns. */
  columns: PNode[];
  /** Every top-level column carries a field id (else columns are matched by name). */
  hasIds: boolean;
  /** Identical for files whose columns can be read by the same projection. */
  key: string;
}

const MAX_ENTRIES = 100_000;
const BATCH = 500;

export class LayoutCache {
  private readonly cache = new Map<string, FileLayout>();

  /** Layouts of `paths`, reading the footers of those not seen yet in batches. */
  async get(conn: DuckDBConnection, paths: string[]): Promise<Map<string, FileLayout>> {
    const missing = [...new Set(paths.filter((p) => !this.cache.has(p)))];
    for (let i = 0; i < missing.length; i += BATCH) {
      const batch = missing.slice(i, i + BATCH);
      const reader = await conn.runAndReadAll(
        `SELECT file_name, name, field_id, type, logical_type, converted_type, repetition_type, num_children FROM parquet_schema(${sqlStringList(batch)})`,
      );
      const byFile = new Map<string, Record<string, unknown>[]>();
      for (const row of reader.getRowObjectsJS()) {
        const f = String(row.file_name);
        let list = byFile.get(f);
        if (!list) byFile.set(f, (list = []));
        list.push(row);
      }
      for (const [file, rows] of byFile) this.put(file, toLayout(rows));
    }
    const out = new Map<string, FileLayout>();
    for (const p of paths) {
      const l = this.cache.get(p);
      if (!l) throw new Error(`no Parquet schema for ${p}`);
      out.set(p, l);
    }
    return out;
  }

  private put(path: string, layout: FileLayout): void {
    if (this.cache.size >= MAX_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(path, layout);
  }
}

/** Rebuilds the tree from parquet_schema's rows, which come in depth-first order. */
function toLayout(rows: Record<string, unknown>[]): FileLayout {
  let i = 0;
  const node = (): PNode => {
    const r = rows[i++];
    if (!r) throw new Error('truncated Parquet schema');
    const n = r.num_children == null ? 0 : Number(r.num_children);
    const children: PNode[] = [];
    for (let k = 0; k < n; k++) children.push(node());
    return {
      name: String(r.name),
      fieldId: r.field_id == null ? null : Number(r.field_id),
      physical: n === 0 && r.type != null ? String(r.type) : null,
      logical: r.logical_type != null ? String(r.logical_type) : r.converted_type != null ? String(r.converted_type) : null,
      repeated: r.repetition_type === 'REPEATED',
      children,
    };
  };
  const root = node();
  const columns = root.children;
  return { columns, hasIds: columns.length > 0 && columns.every((c) => c.fieldId !== null), key: JSON.stringify(columns) };
}

/** The element node of a Parquet LIST group (3-level `list.element`, or legacy 2-level). */
export function listElement(n: PNode): PNode | undefined {
  const rep = n.children[0];
  if (!rep) return undefined;
  // Parquet's backward-compatibility rules: a leaf, a multi-field group or an `array`/`_tuple` group is the element.
  if (rep.children.length !== 1 || rep.name === 'array' || rep.name === `${n.name}_tuple`) return rep;
  return rep.children[0];
}

/** [key, value] nodes of a Parquet MAP group. */
export function mapEntries(n: PNode): [PNode | undefined, PNode | undefined] {
  const kv = n.children[0];
  return [kv?.children[0], kv?.children[1]];
}
