/**
 * A bound on how large one result may become as JSON values, checked value by value while the
 * result is converted, so no query can make the gateway build gigabytes of JS values
 * (`SELECT range(1e9)`, `list()` or `string_agg()` over a large table, `repeat('x', 1e9)`):
 *
 * - a list, map, array or struct's element count is checked before the value is converted (each
 *   element is at least two bytes of JSON), so an oversized nested value is never built;
 * - every converted value's JSON size is added after, so many values cannot add up past it either.
 */
import {
  DuckDBArrayVector, DuckDBListVector, DuckDBMapVector, DuckDBStructVector, DuckDBTypeId, type DuckDBDataChunk, type DuckDBType, type DuckDBVector,
} from '@duckdb/node-api';
import { LimitExceeded } from '../../../domain/errors.js';
import type { JsonValue } from '../../../ports/query-engine.js';
import { toJsonValue } from './json-values.js';

const MiB = 1024 * 1024;

export class ResultBudget {
  private used = 0;

  /** `hint`: what the caller can change to stay under it. */
  constructor(
    private readonly maxBytes: number,
    private readonly hint: string,
  ) {}

  /** Before converting item `index` of `vector`: refuses a nested value with too many elements to fit. */
  checkNested(vector: DuckDBVector, index: number): void {
    if (!isNested(vector.type)) return;
    const room = (this.maxBytes - this.used) / 2;
    if (nestedElements(vector, index, room) > room) throw this.exceeded();
  }

  /** After converting a value: counts its JSON size. */
  add(value: JsonValue): void {
    this.used += jsonSize(value) + 1;
    if (this.used > this.maxBytes) throw this.exceeded();
  }

  private exceeded(): LimitExceeded {
    const size = this.maxBytes >= MiB ? `${Math.round(this.maxBytes / MiB)} MiB` : `${this.maxBytes} bytes`;
    return new LimitExceeded(`the result is larger than ${size} as JSON; ${this.hint}`);
  }
}

/**
 * A chunk's rows as JSON values, value by value (not chunk.getRows()), each measured against
 * `budget`: `row(r)` converts the first `columns` columns of row `r`; `raw(r, c)` reads one value
 * as DuckDB gives it (for columns that are not returned, like cursor keys).
 */
export function chunkReader(chunk: DuckDBDataChunk, types: readonly DuckDBType[], columns: number, budget: ResultBudget) {
  const vectors = types.map((_, c) => chunk.getColumnVector(c));
  return {
    row(r: number): JsonValue[] {
      const out = new Array<JsonValue>(columns);
      for (let c = 0; c < columns; c++) {
        budget.checkNested(vectors[c]!, r);
        out[c] = toJsonValue(vectors[c]!.getItem(r), types[c]);
        budget.add(out[c]!);
      }
      return out;
    },
    raw: (r: number, c: number) => vectors[c]!.getItem(r),
  };
}

function isNested(t: DuckDBType): boolean {
  const id = t.typeId;
  return id === DuckDBTypeId.LIST || id === DuckDBTypeId.MAP || id === DuckDBTypeId.ARRAY || id === DuckDBTypeId.STRUCT;
}

/** Elements nested in item `index` (all levels), counting stops once past `stopAt`. */
function nestedElements(v: DuckDBVector, index: number, stopAt: number): number {
  if (v instanceof DuckDBListVector) return sliceElements(v.getItemVector(index), stopAt);
  if (v instanceof DuckDBMapVector) {
    // A MAP is a list of {key, value} structs underneath; node-api keeps that list unexported.
    const list = (v as unknown as { listVector?: unknown }).listVector;
    return list instanceof DuckDBListVector ? sliceElements(list.getItemVector(index), stopAt) : 0;
  }
  if (v instanceof DuckDBArrayVector) return v.type.length; // fixed by the type (DuckDB caps it)
  if (v instanceof DuckDBStructVector) {
    let n = 0;
    for (let k = 0; k < v.type.entryCount && n <= stopAt; k++) {
      const entry = v.entryVectorAt(k);
      if (isNested(entry.type)) n += nestedElements(entry, index, stopAt - n);
    }
    return n;
  }
  return 0;
}

function sliceElements(slice: DuckDBVector | null, stopAt: number): number {
  if (!slice) return 0;
  let n = slice.itemCount;
  if (!isNested(slice.type)) return n;
  for (let j = 0; j < slice.itemCount && n <= stopAt; j++) n += nestedElements(slice, j, stopAt - n);
  return n;
}

/** About the length of JSON.stringify(value) (escapes not counted). */
export function jsonSize(v: JsonValue): number {
  if (v === null) return 4;
  if (typeof v === 'string') return v.length + 2;
  if (typeof v === 'number') return 12;
  if (typeof v === 'boolean') return 5;
  let n = 2;
  if (Array.isArray(v)) for (const x of v) n += jsonSize(x) + 1;
  else for (const k in v) n += k.length + 4 + jsonSize(v[k]!);
  return n;
}
