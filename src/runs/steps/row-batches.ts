/**
 * A `rows` source as batches: inline rows are one batch; a function of the params may return rows,
 * a promise of rows, or an (async) iterable of batches. Every batch must be an array of objects.
 */
import { InvalidInput } from '../../domain/errors.js';
import type { SourceSpec } from '../../pipelines/spec.js';

type Row = Record<string, unknown>;

function checkBatch(batch: unknown, n: number): Row[] {
  if (!Array.isArray(batch)) throw new InvalidInput(`the rows function's batch ${n} is not an array of rows`, 'source.rows');
  for (const [i, r] of batch.entries()) {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidInput(`batch ${n}, row ${i} is not an object keyed by column name`, 'source.rows');
  }
  return batch as Row[];
}

function isIterable(v: unknown): v is Iterable<unknown> | AsyncIterable<unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (Symbol.asyncIterator in v || Symbol.iterator in v);
}

export async function* rowBatches(source: Extract<SourceSpec, { kind: 'rows' }>, params: Record<string, unknown>): AsyncGenerator<Row[]> {
  if (typeof source.rows !== 'function') {
    yield checkBatch(source.rows, 0);
    return;
  }
  const out: unknown = await source.rows(params);
  if (isIterable(out)) {
    let n = 0;
    for await (const batch of out as AsyncIterable<unknown>) yield checkBatch(batch, n++);
    return;
  }
  yield checkBatch(out, 0);
}
