/**
 * An uploaded file as resolvers and services see it: File-shaped (name, size, type, stream(), …)
 * and carrying the local path it was streamed to, so a consumer that reads files from disk (DuckDB)
 * can take it as is. The HTTP server makes them (src/server/uploads.ts); the table services read them.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** An uploaded file kept on local disk for the length of its request. */
export class UploadedFile {
  readonly lastModified = Date.now();
  readonly webkitRelativePath = '';

  constructor(
    /** Where the bytes are (removed when the request ends). */
    readonly path: string,
    readonly name: string,
    readonly type: string,
    public size: number,
  ) {}

  stream(): ReadableStream<Uint8Array> {
    return Readable.toWeb(createReadStream(this.path)) as unknown as ReadableStream<Uint8Array>;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.path));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await readFile(this.path);
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return readFile(this.path, 'utf8');
  }

  get [Symbol.toStringTag](): string {
    return 'File';
  }
}

/** The local path of a File that is an upload kept on disk, else null. */
export function uploadedPath(file: unknown): string | null {
  return file instanceof UploadedFile ? file.path : null;
}

