import type { DuckDBConnection } from '@duckdb/node-api';
import type { Where } from '../../domain/filters.js';
import type { DataFile, PartitionSpec, ScanPlan, Schema } from '../../domain/iceberg/types.js';
import type { WriteInput, WrittenFile } from '../../ports/query-engine.js';
import type { Scan } from './scan-sql.js';

type Target = { schema: Schema; spec: PartitionSpec; dir: string };
export async function writeDataFiles(_c: DuckDBConnection, _i: WriteInput, _t: Target): Promise<WrittenFile[]> {
  throw new Error('not yet');
}
export async function rewriteWithout(_c: DuckDBConnection, _p: ScanPlan, _s: Scan, _w: Where, _t: Target): Promise<{ replaced: DataFile[]; written: WrittenFile[]; deletedRows: number }> {
  throw new Error('not yet');
}
