/**
 * An ingest step: rows from the source into the target table on the run branch. The table is
 * created (with missing namespaces) when the branch lacks it, from `columns` or from the columns
 * the engine infers from the data. append: each batch of a rows function is one append commit, a
 * file or an HTTP source one append; merge: all incoming rows are spooled, then upserted by key in
 * one commit (the engine computes the result). An HTTP source resumes after the newest cursor
 * value already in the table.
 */
import { InvalidInput } from '../../domain/errors.js';
import { currentSchema } from '../../domain/iceberg/types.js';
import type { IngestStep } from '../../pipelines/spec.js';
import type { WriteInput } from '../../ports/query-engine.js';
import type { Commit } from '../../ports/version-store.js';
import type { StepContext, StepOutcome } from '../step-context.js';
import { fileInput } from './file-source.js';
import { httpPages, maxCursor, shownUrl, type Cursor, type HttpSource } from './http-source.js';
import { rowBatches } from './row-batches.js';
import { NdjsonSpool } from './spool.js';

interface Progress {
  rowsRead: number;
  rowsWritten: number;
  commits: Commit[];
}

export async function runIngest(step: IngestStep, ctx: StepContext): Promise<StepOutcome> {
  const p: Progress = { rowsRead: 0, rowsWritten: 0, commits: [] };
  const src = step.source;
  let detail: string;
  if (src.kind === 'file') {
    const { input, files } = await fileInput(src, ctx.pipelinesDir);
    await ensureTable(step, input, ctx, p);
    const n = await write(step, input, ctx, p);
    p.rowsRead += n;
    ctx.progress({ rowsRead: p.rowsRead, rowsWritten: p.rowsWritten });
    detail = `from ${files} file(s)`;
  } else if (src.kind === 'rows' && step.mode === 'append') {
    let batches = 0;
    for await (const batch of rowBatches(src, ctx.params)) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      p.rowsRead += batch.length;
      if (batch.length > 0) {
        const input: WriteInput = { kind: 'rows', rows: batch };
        await ensureTable(step, input, ctx, p);
        await write(step, input, ctx, p);
      }
      batches++;
      ctx.progress({ rowsRead: p.rowsRead, rowsWritten: p.rowsWritten });
    }
    if (p.rowsRead === 0 && step.columns) await ensureTable(step, null, ctx, p);
    detail = `in ${batches} batch(es)`;
  } else {
    const spool = await NdjsonSpool.open();
    try {
      const batches = src.kind === 'rows' ? rowBatches(src, ctx.params) : httpPages(src, await sinceCursor(src, step, ctx), ctx.signal);
      for await (const batch of batches) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        await spool.write(batch);
        p.rowsRead += batch.length;
        ctx.progress({ rowsRead: p.rowsRead });
      }
      await spool.close();
      const input: WriteInput = { kind: 'file', localPath: spool.path, format: 'NDJSON' };
      if (spool.rows > 0) {
        await ensureTable(step, input, ctx, p);
        await write(step, input, ctx, p);
      } else if (step.columns) {
        await ensureTable(step, null, ctx, p);
      }
      ctx.progress({ rowsRead: p.rowsRead, rowsWritten: p.rowsWritten });
      detail = src.kind === 'http' ? `from ${shownUrl(src.url)}` : '';
    } finally {
      await spool.cleanup();
    }
  }
  const verb = step.mode === 'merge' ? `merged by ${step.key!.join(', ')} into` : 'appended to';
  return {
    rowsRead: p.rowsRead,
    rowsWritten: p.rowsWritten,
    commits: p.commits,
    message: `${p.rowsRead} rows read ${detail}, ${p.rowsWritten} ${verb} ${step.table}`.replace(/\s+,/, ','),
  };
}

/** Creates the target table when the run branch lacks it: from `columns`, else inferred from `sample`. */
async function ensureTable(step: IngestStep, sample: WriteInput | null, ctx: StepContext, p: Progress): Promise<void> {
  const point = await ctx.tables.at(ctx.branch, ctx.actor);
  if (await ctx.tables.tableAt(point, step.table)) return;
  let columns = step.columns;
  if (!columns) {
    if (!sample) throw new InvalidInput(`ingest step '${step.name}': ${step.table} does not exist and there are no rows to infer its columns from; declare columns`, 'columns');
    columns = await ctx.engine.describe(sample);
  }
  const out = await ctx.tables.createTable({ branch: ctx.branch, name: step.table, columns, createNamespaces: true, message: `Create ${step.table} (ingest step ${step.name})` }, ctx.actor);
  p.commits.push(out.commit);
  await ctx.log('INFO', `created ${step.table}`, { columns: columns.map((c) => `${c.name} ${c.type}`) });
}

/** Appends or merges `input`; returns the rows it held. */
async function write(step: IngestStep, input: WriteInput, ctx: StepContext, p: Progress): Promise<number> {
  if (step.mode === 'merge') {
    const out = await ctx.tables.mergeByKey({ branch: ctx.branch, table: step.table, input, key: step.key!, message: `Ingest step ${step.name}: merge into ${step.table} by ${step.key!.join(', ')}` }, ctx.actor);
    if (!out) return 0;
    p.commits.push(out.commit);
    p.rowsWritten += out.incomingRows;
    return out.incomingRows;
  }
  const out = await ctx.tables.write('append', { branch: ctx.branch, table: step.table, input, message: `Ingest step ${step.name}: append to ${step.table}` }, ctx.actor);
  const n = Number(out.addedRows);
  p.commits.push(out.commit);
  p.rowsWritten += n;
  return n;
}

/** The first cursor: the larger of `since` and the newest cursor value already in the target table. */
async function sinceCursor(src: HttpSource, step: IngestStep, ctx: StepContext): Promise<Cursor | null> {
  let since: Cursor | null = src.since ?? null;
  const view = await ctx.tables.tableAt(await ctx.tables.at(ctx.branch, ctx.actor), step.table);
  if (!view) return since;
  const schema = currentSchema(await ctx.tables.metadata(view.content.metadataLocation));
  if (!schema.fields.some((f) => f.name === src.cursorField)) return since;
  const table = step.table.split('.').map((x) => `"${x}"`).join('.');
  const r = await ctx.tables.sql(ctx.branch, `SELECT max("${src.cursorField.replaceAll('"', '""')}") FROM ${table}`, 1, ctx.actor);
  const newest = r.rows[0]?.[0];
  if (typeof newest === 'number' || typeof newest === 'string') since = maxCursor(since, newest);
  if (since !== null) await ctx.log('INFO', `reading ${shownUrl(src.url)} after ${src.cursorField} ${since}`);
  return since;
}
