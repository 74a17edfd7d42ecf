/**
 * DuckDB result types as Iceberg types in the API's spelling (`long`, `decimal(18,3)`,
 * `list<string>`, `struct<a: int>`), for tables created from a query's or a file's columns.
 * Types Iceberg has no counterpart for (INTERVAL, UNION, BIT, …) become `string`; 128-bit and
 * unsigned 64-bit integers become `decimal(38,0)`.
 */
import { DuckDBTypeId, type DuckDBType } from '@duckdb/node-api';
import type { ColumnDescription } from '../../../ports/query-engine.js';

const name = (n: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? n : `\`${n.replaceAll('`', '')}\``);

export function icebergTypeOf(t: DuckDBType): string {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return 'boolean';
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return 'int';
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return 'long';
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return 'decimal(38,0)';
    case DuckDBTypeId.FLOAT: return 'float';
    case DuckDBTypeId.DOUBLE: return 'double';
    case DuckDBTypeId.DECIMAL: return `decimal(${t.width},${t.scale})`;
    case DuckDBTypeId.DATE: return 'date';
    case DuckDBTypeId.TIME: return 'time';
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return 'timestamp';
    case DuckDBTypeId.TIMESTAMP_TZ: return 'timestamptz';
    case DuckDBTypeId.UUID: return 'uuid';
    case DuckDBTypeId.BLOB: return 'binary';
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return `list<${icebergTypeOf(t.valueType)}>`;
    case DuckDBTypeId.MAP: return `map<${icebergTypeOf(t.keyType)}, ${icebergTypeOf(t.valueType)}>`;
    case DuckDBTypeId.STRUCT:
      if (t.entryNames.length === 0) return 'string';
      return `struct<${t.entryNames.map((n, i) => `${name(n)}: ${icebergTypeOf(t.entryTypes[i]!)}`).join(', ')}>`;
    default:
      // VARCHAR (and JSON), ENUM, INTERVAL, TIME_TZ, BIT, UNION, SQLNULL…: text.
      return 'string';
  }
}

export function describeColumns(names: readonly string[], types: readonly DuckDBType[]): ColumnDescription[] {
  return names.map((n, i) => ({ name: n, type: icebergTypeOf(types[i]!) }));
}
