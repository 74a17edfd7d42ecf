/**
 * Nested JSON values (structs, lists, maps) converted leaf by leaf, with a matching "does not fit"
 * test. DuckDB's JSON casts either give up on the whole value (a missing key fails a strict cast)
 * or quietly turn a bad leaf into NULL (TRY_CAST), so both are built here from JSON pieces: missing
 * keys read as NULL, unknown keys, wrong shapes and unconvertible leaves are reported.
 */
import { decimalOf } from '../../../domain/iceberg/type-strings.js';
import type { IcebergType } from '../../../domain/iceberg/types.js';
import { duckType, sqlString } from './sql-text.js';

const isNull = (j: string) => `(${j} IS NULL OR json_type(${j}) = 'NULL')`;
const member = (j: string, name: string) => `json_extract(${j}, ${sqlString(`/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`)})`;

/**
 * DuckDB's text → DATE and → TIME casts stop at the value and ignore what follows it: '0044-03-15 BC'
 * would be AD 44 and '2020-01-01T10:00Z' would lose its time. Text must be the whole value.
 */
const WHOLE_TEXT: Record<string, string> = {
  date: String.raw`\s*[+-]?\d{1,7}[-/]\d{1,2}[-/]\d{1,2}( \(BC\))?\s*`,
  // Iceberg times end at 23:59:59.999999 (DuckDB, like PostgreSQL, also takes 24:00:00, which Java and Python readers cannot hold).
  time: String.raw`\s*([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?\s*`,
};

/**
 * A value as a primitive type, NULL when it does not convert. `text`: the user's text (CSV, JSON),
 * binary then base64; `wholeText`: text that must be the whole value (dates, times, decimals).
 */
export function primitiveFromText(x: string, t: string, text: boolean, wholeText = text): string {
  const dt = duckType(t as IcebergType);
  const whole = wholeText ? WHOLE_TEXT[t] : undefined;
  if (whole) return `CASE WHEN regexp_full_match(${x}, '${whole}') THEN TRY_CAST(${x} AS ${dt}) END`;
  if (t === 'int' || t === 'long') return `CASE WHEN TRY_CAST(${x} AS DOUBLE) = TRY_CAST(${x} AS ${dt}) THEN TRY_CAST(${x} AS ${dt}) END`;
  const dec = wholeText ? decimalOf(t) : null;
  if (dec) {
    // DuckDB rounds digits past the scale away ('0.005' as decimal(10,2) is 0.01): such a value does not convert.
    const finer = `regexp_matches(${x}, '\\.\\d{${dec.scale}}\\d*[1-9]')`;
    const finerExponent = `(regexp_matches(${x}, '[eE]') AND TRY_CAST(${x} AS DOUBLE) <> TRY_CAST(TRY_CAST(${x} AS ${dt}) AS DOUBLE))`;
    return `CASE WHEN NOT (${finer} OR ${finerExponent}) THEN TRY_CAST(${x} AS ${dt}) END`;
  }
  if (t === 'binary' || t.startsWith('fixed')) {
    const bytes = text ? `TRY(from_base64(${x}))` : `TRY_CAST(${x} AS BLOB)`;
    const len = /^fixed\[(\d+)\]$/.exec(t)?.[1];
    return len ? `CASE WHEN octet_length(${bytes}) = ${len} THEN ${bytes} END` : bytes;
  }
  return `TRY_CAST(${x} AS ${dt})`;
}

/** SQL for JSON value `j` as type `t`. */
export function jsonValue(j: string, t: IcebergType, depth = 0): string {
  if (typeof t === 'string') return `CASE WHEN json_type(${j}) IN ('OBJECT', 'ARRAY') THEN NULL ELSE ${primitiveFromText(`json_extract_string(${j}, '$')`, t, true)} END`;
  const v = `__cg_j${depth}`;
  let body: string;
  if (t.type === 'struct') body = `struct_pack(${t.fields.map((f) => `"${f.name.replaceAll('"', '""')}" := ${jsonValue(member(j, f.name), f.type, depth + 1)}`).join(', ')})`;
  else if (t.type === 'list') body = `list_transform(TRY_CAST(${j} AS JSON[]), lambda ${v}: ${jsonValue(v, t.element, depth + 1)})`;
  else {
    const key = primitiveFromText(`${v}.key`, typeof t.key === 'string' ? t.key : 'string', true);
    body = `map_from_entries(list_transform(map_entries(TRY_CAST(${j} AS MAP(VARCHAR, JSON))), lambda ${v}: struct_pack(k := ${key}, v := ${jsonValue(`${v}.value`, t.value, depth + 1)})))`;
  }
  return `CASE WHEN ${isNull(j)} THEN NULL ELSE ${body} END`;
}

/** SQL true when JSON value `j` (not NULL) does not fit type `t`; `required` refuses NULL too. */
export function jsonMisfit(j: string, t: IcebergType, required = false, depth = 0): string {
  const nullCase = required ? 'true' : 'false';
  if (typeof t === 'string') return `CASE WHEN ${isNull(j)} THEN ${nullCase} ELSE ${jsonValue(j, t, depth)} IS NULL END`;
  const v = `__cg_m${depth}`;
  let bad: string;
  if (t.type === 'struct') {
    const names = `[${t.fields.map((f) => sqlString(f.name)).join(', ')}]`;
    const parts = [
      `json_type(${j}) <> 'OBJECT'`,
      `len(list_filter(json_keys(${j}), lambda ${v}: NOT list_contains(${names}, ${v}))) > 0`,
      ...t.fields.map((f) => jsonMisfit(member(j, f.name), f.type, f.required, depth + 1)),
    ];
    bad = `(${parts.join(' OR ')})`;
  } else if (t.type === 'list') {
    bad = `CASE WHEN json_type(${j}) <> 'ARRAY' THEN true ELSE list_bool_or(list_transform(CAST(${j} AS JSON[]), lambda ${v}: ${jsonMisfit(v, t.element, t.elementRequired, depth + 1)})) END`;
  } else {
    const key = primitiveFromText(`${v}.key`, typeof t.key === 'string' ? t.key : 'string', true);
    const entries = `map_entries(CAST(${j} AS MAP(VARCHAR, JSON)))`;
    // Keys must also stay distinct as the key type ("01" and "1" are one int key).
    bad =
      `CASE WHEN json_type(${j}) <> 'OBJECT' THEN true ELSE list_bool_or(list_transform(${entries}, lambda ${v}: ${key} IS NULL OR ${jsonMisfit(`${v}.value`, t.value, t.valueRequired, depth + 1)})) ` +
      `OR len(list_distinct(list_transform(${entries}, lambda ${v}: ${key}))) <> len(${entries}) END`;
  }
  // Evaluated only for non-null objects/arrays; CASE (not OR, which DuckDB evaluates in full) keeps
  // the casts above from seeing the other shape: an object for a list, an array for a map.
  return `CASE WHEN ${isNull(j)} THEN ${nullCase} WHEN json_type(${j}) NOT IN ('OBJECT', 'ARRAY') THEN true ELSE coalesce(${bad}, false) END`;
}
