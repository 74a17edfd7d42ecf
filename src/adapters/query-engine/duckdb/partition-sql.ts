/**
 * Partition transforms as SQL over the typed columns, so DuckDB computes partition values while
 * it streams rows into COPY … PARTITION_BY. bucket[N] needs Iceberg's Murmur3 hash, which DuckDB
 * lacks: a JS scalar function (transforms.ts) computes it from the value's text.
 */
import { DuckDBScalarFunction, INTEGER, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import { InvalidInput } from '../../../domain/errors.js';
import { applyTransform, parseTransform, transformResultType } from '../../../domain/iceberg/transforms.js';
import { decimalOf, fieldsById, isPrimitive } from '../../../domain/iceberg/type-strings.js';
import type { PartitionSpec, PrimitiveType, Schema } from '../../../domain/iceberg/types.js';
import { fromDuckText } from './duck-text.js';
import { quoteIdent, sqlString } from './sql-text.js';

export interface PartitionColumn {
  /** Partition field name. */
  name: string;
  /** Column name in the COPY query. */
  alias: string;
  /** SQL over the written columns; null for void (always NULL, not partitioned by). */
  sql: string | null;
  resultType: PrimitiveType;
  transform: string;
}

const registered = new WeakSet<DuckDBConnection>();

/** cg_iceberg_bucket(text, type, n): Iceberg bucket of a value given as DuckDB text (binary as base64). */
export function registerBucket(conn: DuckDBConnection): void {
  if (registered.has(conn)) return;
  registered.add(conn);
  conn.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: 'cg_iceberg_bucket',
      returnType: INTEGER,
      parameterTypes: [VARCHAR, VARCHAR, INTEGER],
      mainFunction: (_info, input, output) => {
        const values = input.getColumnVector(0);
        const types = input.getColumnVector(1);
        const ns = input.getColumnVector(2);
        for (let i = 0; i < input.rowCount; i++) {
          const v = values.getItem(i) as string | null;
          const type = types.getItem(i) as PrimitiveType;
          const parsed = v === null ? null : isBytes(type) ? Buffer.from(v, 'base64') : fromDuckText(type, v);
          output.setItem(i, parsed === null ? null : (applyTransform(`bucket[${ns.getItem(i)}]`, type, parsed) as number));
        }
        output.flush();
      },
    }),
  );
}

export function partitionColumns(spec: PartitionSpec, schema: Schema): PartitionColumn[] {
  const fields = fieldsById(schema);
  return spec.fields.map((p, i) => {
    const source = fields.get(p.sourceId);
    if (!source) throw new InvalidInput(`partition field ${p.name} has no source column ${p.sourceId}`, 'spec');
    if (!schema.fields.some((f) => f.id === p.sourceId)) throw new InvalidInput(`partitioning by nested field ${source.name} is not supported`, 'spec');
    const resultType = transformResultType(p.transform, source.type);
    const src = source.type as PrimitiveType;
    const c = quoteIdent(source.name);
    const t = parseTransform(p.transform);
    let sql: string | null;
    switch (t.kind) {
      case 'identity': sql = c; break;
      case 'void': sql = null; break;
      case 'year': sql = `date_diff('year', DATE '1970-01-01', CAST(${c} AS DATE))`; break;
      case 'month': sql = `date_diff('month', DATE '1970-01-01', CAST(${c} AS DATE))`; break;
      case 'day': sql = `CAST(${c} AS DATE)`; break;
      case 'hour': sql = `date_diff('hour', TIMESTAMP '1970-01-01', CAST(${c} AS TIMESTAMP))`; break;
      case 'truncate': {
        const w = t.width;
        const dec = decimalOf(src);
        if (src === 'int' || src === 'long') sql = `(${c} - (((${c} % ${w}) + ${w}) % ${w}))`;
        else if (src === 'string') sql = `substring(${c}, 1, ${w})`;
        else if (src === 'binary') sql = `CASE WHEN octet_length(${c}) <= ${w} THEN ${c} ELSE from_hex(substring(hex(${c}), 1, ${2 * w})) END`;
        else if (dec) {
          const unscaled = `CAST(${c} * ${10n ** BigInt(dec.scale)} AS HUGEINT)`;
          sql = `CAST(CAST(${unscaled} - (((${unscaled} % ${w}) + ${w}) % ${w}) AS DECIMAL(38, 0)) / ${10n ** BigInt(dec.scale)} AS DECIMAL(${dec.precision}, ${dec.scale}))`;
        } else throw new InvalidInput(`truncate cannot be applied to ${src}`, 'spec');
        break;
      }
      case 'bucket': {
        const text = isBytes(src) ? `to_base64(${c})` : `CAST(${c} AS VARCHAR)`;
        sql = `cg_iceberg_bucket(${text}, ${sqlString(src)}, ${t.n})`;
        break;
      }
      default:
        throw new InvalidInput(`unknown transform ${p.transform}`, 'spec');
    }
    if (!isPrimitive(source.type) && sql !== null) throw new InvalidInput(`cannot partition by nested column ${source.name}`, 'spec');
    // Binary partition keys travel as base64: DuckDB's partition keys are text, and bytes that are
    // not UTF-8 fail there.
    if (sql !== null && isBytes(resultType)) sql = `to_base64(${sql})`;
    return { name: p.name, alias: `__cg_p${i}`, sql, resultType, transform: p.transform };
  });
}

/** A partition key string from COPY's partition_keys → the physical partition value. */
export function partitionValue(col: PartitionColumn, text: string | null): unknown {
  if (text === null || col.sql === null) return null;
  return isBytes(col.resultType) ? new Uint8Array(Buffer.from(text, 'base64')) : fromDuckText(col.resultType, text);
}

/** binary and fixed[L]: values DuckDB holds as BLOB, passed around as base64 text. */
function isBytes(t: string): boolean {
  return t === 'binary' || t.startsWith('fixed');
}
