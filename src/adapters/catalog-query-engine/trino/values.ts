/**
 * Trino's result values → the API's JSON values and the column type names the DuckDB engine
 * reports, so `sql` answers alike on both engines: bigint and decimal as strings, timestamps
 * ISO-8601 (with zone: UTC with Z), dates YYYY-MM-DD, times HH:MM:SS[.ffffff], varbinary base64,
 * NaN/±Infinity as strings, arrays as arrays, rows as objects, maps with string keys as objects.
 *
 * The client reads every JSON number as its text (client.ts), so 64-bit values keep every digit;
 * here the column type decides what each becomes.
 */
import type { JsonValue } from '../../../ports/query-engine.js';
import { parseTimestamp } from '../../../domain/calendar.js';
import { microsToIso } from '../../../domain/iceberg/values.js';

/** Trino's typeSignature of a column (the client protocol's). */
export interface TrinoTypeSignature {
  rawType: string;
  arguments: { kind: string; value: unknown }[];
}

type Raw = unknown;

const argType = (t: TrinoTypeSignature, i: number) => t.arguments[i]?.value as TrinoTypeSignature;
const argLong = (t: TrinoTypeSignature, i: number) => Number(t.arguments[i]?.value);
/** A row field: `{ fieldName: { name }, typeSignature }` in Trino's protocol. */
const rowFields = (t: TrinoTypeSignature) =>
  t.arguments.map((a) => a.value as { fieldName?: { name?: string } | null; typeSignature: TrinoTypeSignature });

/** The DuckDB spelling of a Trino type (DuckDBType.toString()). */
export function duckTypeName(t: TrinoTypeSignature): string {
  switch (t.rawType) {
    case 'bigint': return 'BIGINT';
    case 'integer': return 'INTEGER';
    case 'smallint': return 'SMALLINT';
    case 'tinyint': return 'TINYINT';
    case 'double': return 'DOUBLE';
    case 'real': return 'FLOAT';
    case 'boolean': return 'BOOLEAN';
    case 'varchar': case 'char': return 'VARCHAR';
    case 'varbinary': return 'BLOB';
    case 'date': return 'DATE';
    case 'uuid': return 'UUID';
    case 'time': return 'TIME';
    case 'timestamp': return 'TIMESTAMP';
    case 'timestamp with time zone': return 'TIMESTAMP WITH TIME ZONE';
    case 'decimal': return `DECIMAL(${argLong(t, 0)},${argLong(t, 1)})`;
    case 'array': return `${duckTypeName(argType(t, 0))}[]`;
    case 'map': return `MAP(${duckTypeName(argType(t, 0))}, ${duckTypeName(argType(t, 1))})`;
    case 'row': return `STRUCT(${rowFields(t).map((f) => `${f.fieldName?.name ?? ''} ${duckTypeName(f.typeSignature)}`).join(', ')})`;
    default: return t.rawType.toUpperCase();
  }
}

function float(raw: Raw): JsonValue {
  const n = Number(raw);
  return Number.isFinite(n) ? n : String(raw);
}

/** `2020-01-02 03:04:05.123456[ UTC]` → ISO with microseconds, as the DuckDB engine prints timestamps. */
function timestamp(raw: string, zoned: boolean): string {
  // The zone is UTC (the session's, client.ts) or an offset such as +02:00; parseTimestamp reads both.
  const m = /^([^ ]+) ([^ ]+)(?: (.+))?$/.exec(raw);
  const zone = m?.[3] === undefined || m[3] === 'UTC' ? 'Z' : m[3];
  const parsed = m ? parseTimestamp(`${m[1]}T${m[2]}${zone}`) : null;
  if (!parsed) return raw;
  const iso = microsToIso(parsed.micros);
  return zoned ? `${iso}Z` : iso;
}

/** Trino's time `HH:MM:SS[.fff…]` → `HH:MM:SS[.ffffff]`, trailing zeros as the DuckDB engine prints them. */
function time(raw: string): string {
  const [hms, frac] = raw.split('.');
  if (!frac || /^0+$/.test(frac)) return hms!;
  return `${hms}.${(frac + '000000').slice(0, 6)}`;
}

/** One value of type `t` as the API's JSON. */
export function toJsonValue(raw: Raw, t: TrinoTypeSignature): JsonValue {
  if (raw === null || raw === undefined) return null;
  switch (t.rawType) {
    case 'bigint': case 'decimal': return String(raw);
    case 'integer': case 'smallint': case 'tinyint': return Number(raw);
    case 'double': case 'real': return float(raw);
    case 'boolean': return raw === true || raw === 'true';
    case 'timestamp': return timestamp(String(raw), false);
    case 'timestamp with time zone': return timestamp(String(raw), true);
    case 'time': return time(String(raw));
    case 'array': return (raw as Raw[]).map((x) => toJsonValue(x, argType(t, 0)));
    case 'map': {
      const entries = Object.entries(raw as Record<string, Raw>);
      const keyType = argType(t, 0);
      const valueType = argType(t, 1);
      if (keyType.rawType === 'varchar') return Object.fromEntries(entries.map(([k, v]) => [k, toJsonValue(v, valueType)]));
      return entries.map(([k, v]) => ({ key: toJsonValue(k, keyType), value: toJsonValue(v, valueType) }));
    }
    case 'row': {
      const fields = rowFields(t);
      const values = raw as Raw[];
      return Object.fromEntries(fields.map((f, i) => [f.fieldName?.name ?? `field${i}`, toJsonValue(values[i], f.typeSignature)]));
    }
    default: return typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? raw : JSON.stringify(raw);
  }
}
