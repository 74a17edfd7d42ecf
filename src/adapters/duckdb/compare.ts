import type { DuckDBConnection } from '@duckdb/node-api';
import type { DataComparison } from '../../ports/query-engine.js';
import type { Scan } from './scan-sql.js';

export async function compareScans(_conn: DuckDBConnection, _from: Scan, _to: Scan, _sampleSize: number): Promise<DataComparison> {
  throw new Error('not yet');
}
