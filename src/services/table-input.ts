/** Turns appendRows/overwriteRows input (JSON rows or an uploaded file) into engine input. */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { InvalidInput } from '../domain/errors.js';
import type { WriteInput } from '../ports/query-engine.js';
import { uploadedPath } from '../util/uploaded-file.js';

export type DataFormat = 'JSON' | 'NDJSON' | 'CSV' | 'PARQUET';
export const MAX_JSON_ROWS = 100_000;

export async function readWriteInput(
  args: { rows?: unknown; file?: File | null; format?: DataFormat | null },
  scratchDir: string,
  /** overwriteRows: no rows replaces the matching rows (or all) with nothing, i.e. deletes them. */
  opts: { allowNoRows?: boolean } = {},
): Promise<WriteInput> {
  const hasRows = args.rows !== undefined && args.rows !== null;
  if (hasRows === Boolean(args.file)) throw new InvalidInput('give exactly one of rows and file', 'rows');
  if (hasRows) {
    if (args.format && args.format !== 'JSON') throw new InvalidInput('rows are JSON; use file for other formats', 'format');
    const rows = args.rows;
    if (!Array.isArray(rows)) throw new InvalidInput('rows must be a JSON array of objects', 'rows');
    if (rows.length === 0 && !opts.allowNoRows) throw new InvalidInput('rows must not be empty', 'rows');
    if (rows.length > MAX_JSON_ROWS) throw new InvalidInput(`at most ${MAX_JSON_ROWS} rows per call; upload a file for more`, 'rows');
    for (const [i, r] of rows.entries()) {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new InvalidInput(`rows[${i}] must be an object keyed by column name`, 'rows');
    }
    return { kind: 'rows', rows: rows as Record<string, unknown>[] };
  }
  const file = args.file!;
  const format = args.format ?? formatFromName(file.name);
  if (!format) throw new InvalidInput('format is required when the file name does not say (.ndjson, .jsonl, .json, .csv, .parquet)', 'format');
  if (file.size === 0) throw new InvalidInput('the uploaded file is empty', 'file');
  // An upload the HTTP layer already streamed to disk is read where it is.
  const onDisk = uploadedPath(file);
  if (onDisk) return { kind: 'file', localPath: onDisk, format };
  const localPath = path.join(scratchDir, `upload.${format.toLowerCase()}`);
  // Stream to disk chunk by chunk (yoga's File is a ponyfill, so no Readable.fromWeb).
  const reader = file.stream().getReader();
  const out = await open(localPath, 'w');
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      await out.write(value);
    }
  } finally {
    await out.close();
  }
  return { kind: 'file', localPath, format };
}

function formatFromName(name: string): DataFormat | null {
  const ext = path.extname(name ?? '').toLowerCase();
  return ({ '.ndjson': 'NDJSON', '.jsonl': 'NDJSON', '.json': 'JSON', '.csv': 'CSV', '.parquet': 'PARQUET' } as const)[ext as '.csv'] ?? null;
}
