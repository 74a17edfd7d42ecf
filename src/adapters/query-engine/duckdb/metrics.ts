/**
 * Manifest metrics of written Parquet files from `parquet_metadata()`: per leaf field id the value
 * count (nulls included), null count, compressed column size, and typed lower/upper bounds
 * aggregated over row groups. Bounds are full values (no truncation — the manifest writer applies
 * the table's metrics mode) and are left out for fields inside lists and maps, as Iceberg-Java does.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { IcebergType, PrimitiveType, Schema } from '../../../domain/iceberg/types.js';
import { comparePhysical, fromDuckText } from './duck-text.js';
import { sqlStringList } from './sql-text.js';

export interface FileMetrics {
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  lowerBounds: Map<number, unknown>;
  upperBounds: Map<number, unknown>;
}

interface Leaf {
  id: number;
  type: PrimitiveType;
  repeated: boolean;
}

/** Leaf columns by DuckDB's `path_in_schema` (`a`, `s, x`, `l, list, element`, `m, key_value, key`). */
export function leafPaths(schema: Schema): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  const walk = (path: string[], id: number, t: IcebergType, repeated: boolean) => {
    if (typeof t === 'string') out.set(path.join(', '), { id, type: t, repeated });
    else if (t.type === 'struct') for (const f of t.fields) walk([...path, f.name], f.id, f.type, repeated);
    else if (t.type === 'list') walk([...path, 'list', 'element'], t.elementId, t.element, true);
    else {
      walk([...path, 'key_value', 'key'], t.keyId, t.key, true);
      walk([...path, 'key_value', 'value'], t.valueId, t.value, true);
    }
  };
  for (const f of schema.fields) walk([f.name], f.id, f.type, false);
  return out;
}

function boundOf(leaf: Leaf, text: unknown): unknown {
  if (text === null || text === undefined || leaf.repeated) return undefined;
  const v = fromDuckText(leaf.type, String(text));
  return typeof v === 'number' && Number.isNaN(v) ? undefined : v;
}

export async function fileMetrics(conn: DuckDBConnection, paths: string[], schema: Schema): Promise<Map<string, FileMetrics>> {
  const out = new Map<string, FileMetrics>();
  if (paths.length === 0) return out;
  const leaves = leafPaths(schema);
  const reader = await conn.runAndReadAll(
    `SELECT file_name, path_in_schema, num_values, stats_null_count, total_compressed_size, stats_min_value, stats_max_value FROM parquet_metadata(${sqlStringList(paths)})`,
  );
  const nullsUnknown: [string, number][] = [];
  for (const [file, path, values, nulls, size, min, max] of reader.getRowsJS()) {
    const leaf = leaves.get(String(path));
    if (!leaf) continue;
    let m = out.get(String(file));
    if (!m) out.set(String(file), (m = { columnSizes: new Map(), valueCounts: new Map(), nullValueCounts: new Map(), lowerBounds: new Map(), upperBounds: new Map() }));
    const add = (map: Map<number, number>, v: unknown) => map.set(leaf.id, (map.get(leaf.id) ?? 0) + Number(v ?? 0));
    add(m.valueCounts, values);
    add(m.columnSizes, size);
    if (nulls === null || nulls === undefined) nullsUnknown.push([String(file), leaf.id]);
    else add(m.nullValueCounts, nulls);
    const lo = boundOf(leaf, min);
    const hi = boundOf(leaf, max);
    const prevLo = m.lowerBounds.get(leaf.id);
    const prevHi = m.upperBounds.get(leaf.id);
    if (lo !== undefined && (prevLo === undefined || comparePhysical(leaf.type, lo, prevLo) < 0)) m.lowerBounds.set(leaf.id, lo);
    if (hi !== undefined && (prevHi === undefined || comparePhysical(leaf.type, hi, prevHi) > 0)) m.upperBounds.set(leaf.id, hi);
  }
  // A row group without a null count makes the file's count unknown, not zero.
  for (const [file, id] of nullsUnknown) out.get(file)?.nullValueCounts.delete(id);
  return out;
}
