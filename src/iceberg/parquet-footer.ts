/**
 * Low-level checks of a Parquet file that is to be kept as an Iceberg data file as it is (upload
 * pass-through): every page of every column chunk is walked by its header (Parquet V1 data pages
 * and dictionary pages only, with encodings every Iceberg reader decodes), and the structures a
 * reader may use to skip data that the gateway does not verify — bloom filters and page indexes
 * (column/offset index) — are dropped from the footer, which is re-written in place (the data
 * pages are not touched; the bytes they took stay in the file, unreferenced). Row-group statistics
 * stay: the caller checks them against the values.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { decodeStruct, encodeStruct, field, list, num, struct, ThriftError, type TStruct } from './thrift-compact.js';

const MAGIC = 'PAR1';
const MAX_FOOTER = 64 * 2 ** 20;
/** Codecs Iceberg readers (Java, PyIceberg/pyarrow) all read: UNCOMPRESSED, SNAPPY, GZIP, ZSTD. */
const CODECS = new Set([0, 1, 2, 6]);
/** PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY for values; RLE, BIT_PACKED for levels. */
const VALUE_ENCODINGS = new Set([0, 2, 8]);
const LEVEL_ENCODINGS = new Set([3, 4]);
const PAGE = { DATA: 0, DICTIONARY: 2 } as const;

export interface ParquetFooter {
  size: number;
  /** Offset of the footer's thrift bytes. */
  footerStart: number;
  meta: TStruct;
}

export class NotPassable extends Error {}

async function readAt(h: FileHandle, pos: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  const { bytesRead } = await h.read(buf, 0, length, pos);
  return buf.subarray(0, bytesRead);
}

async function readFooter(h: FileHandle): Promise<ParquetFooter> {
  const size = (await h.stat()).size;
  if (size < 12) throw new NotPassable('not a Parquet file');
  const head = await readAt(h, 0, 4);
  const tail = await readAt(h, size - 8, 8);
  const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');
  if (text(head) !== MAGIC || text(tail.subarray(4)) !== MAGIC) throw new NotPassable('not a plain Parquet file (encrypted or damaged)');
  const len = Buffer.from(tail).readUInt32LE(0);
  const footerStart = size - 8 - len;
  if (len > MAX_FOOTER || footerStart < 4) throw new NotPassable('footer length out of range');
  const bytes = await readAt(h, footerStart, len);
  const { value, end } = decodeStruct(bytes);
  if (end !== len) throw new NotPassable('footer has trailing bytes');
  return { size, footerStart, meta: value };
}

/** Each column chunk's metadata (ColumnChunk field 3), by row group. */
function chunks(meta: TStruct): { chunk: TStruct; md: TStruct }[][] {
  return list(field(meta, 4)).map((rg) =>
    list(field(struct(rg), 1)).map((c) => {
      const chunk = struct(c);
      const md = struct(field(chunk, 3));
      if (!chunk || !md) throw new NotPassable('column chunk without metadata');
      return { chunk, md };
    }),
  );
}

/** Walks the pages of one column chunk, checking page types, encodings and sizes. */
async function walkPages(h: FileHandle, md: TStruct, fileEnd: number): Promise<void> {
  const dataOffset = num(field(md, 9));
  const dictOffset = num(field(md, 11));
  const compressed = num(field(md, 7));
  const numValues = num(field(md, 5));
  if (dataOffset === undefined || compressed === undefined || numValues === undefined) throw new NotPassable('column chunk metadata incomplete');
  const start = dictOffset !== undefined && dictOffset > 0 && dictOffset < dataOffset ? dictOffset : dataOffset;
  const end = start + compressed;
  if (start < 4 || end > fileEnd) throw new NotPassable('column chunk outside the data');
  let pos = start;
  let values = 0;
  let first = true;
  let window = 4096;
  while (pos < end) {
    let header: TStruct;
    let headerLen: number;
    for (;;) {
      const bytes = await readAt(h, pos, Math.min(window, end - pos));
      try {
        const d = decodeStruct(bytes);
        header = d.value;
        headerLen = d.end;
        break;
      } catch (e) {
        if (!(e instanceof ThriftError) || bytes.length < window || window >= 1 << 24) throw new NotPassable('unreadable page header');
        window *= 4;
      }
    }
    const type = num(field(header, 1));
    const size = num(field(header, 3));
    if (size === undefined || size < 0) throw new NotPassable('page without a size');
    if (type === PAGE.DICTIONARY) {
      if (!first) throw new NotPassable('dictionary page after data pages');
      const dict = struct(field(header, 7));
      if (!dict || !VALUE_ENCODINGS.has(num(field(dict, 2)) ?? -1)) throw new NotPassable('dictionary page encoding');
    } else if (type === PAGE.DATA) {
      const dp = struct(field(header, 5));
      if (!dp) throw new NotPassable('data page without a header');
      if (!VALUE_ENCODINGS.has(num(field(dp, 2)) ?? -1)) throw new NotPassable('data page encoding');
      if (!LEVEL_ENCODINGS.has(num(field(dp, 3)) ?? -1) || !LEVEL_ENCODINGS.has(num(field(dp, 4)) ?? -1)) throw new NotPassable('level encoding');
      values += num(field(dp, 1)) ?? 0;
    } else {
      throw new NotPassable(`page type ${type} (only V1 data and dictionary pages pass through)`);
    }
    first = false;
    pos += headerLen + size;
  }
  if (pos !== end) throw new NotPassable('pages do not add up to the column chunk');
  if (values !== numValues) throw new NotPassable('page value counts do not add up');
}

/**
 * Checks the file's pages and codecs, and drops bloom filters and page indexes from its footer
 * (re-writing the footer in place when there were any). Throws NotPassable when the file should be
 * rewritten instead. Returns the footer as it now is.
 */
export async function prepareForPassThrough(path: string): Promise<ParquetFooter> {
  const h = await open(path, 'r+');
  try {
    let footer: ParquetFooter;
    try {
      footer = await readFooter(h);
    } catch (e) {
      if (e instanceof ThriftError) throw new NotPassable('unreadable footer');
      throw e;
    }
    const { meta } = footer;
    if (field(meta, 8) !== undefined) throw new NotPassable('encrypted file');
    let strip = false;
    for (const rg of chunks(meta)) {
      for (const { chunk, md } of rg) {
        if (field(chunk, 1) !== undefined) throw new NotPassable('column chunk in another file');
        if (field(chunk, 8) !== undefined || field(chunk, 9) !== undefined) throw new NotPassable('encrypted column');
        if (!CODECS.has(num(field(md, 4)) ?? -1)) throw new NotPassable('compression codec');
        await walkPages(h, md, footer.footerStart);
        if (chunk.fields.some((f) => f.id >= 4 && f.id <= 7) || md.fields.some((f) => f.id === 14 || f.id === 15)) strip = true;
      }
    }
    if (!strip) return footer;
    for (const rg of chunks(meta)) {
      for (const { chunk, md } of rg) {
        chunk.fields = chunk.fields.filter((f) => f.id < 4 || f.id > 7);
        md.fields = md.fields.filter((f) => f.id !== 14 && f.id !== 15);
      }
    }
    const bytes = encodeStruct(meta);
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(bytes.length, 0);
    trailer.write(MAGIC, 4, 'latin1');
    await h.truncate(footer.footerStart);
    await h.write(bytes, 0, bytes.length, footer.footerStart);
    await h.write(trailer, 0, 8, footer.footerStart + bytes.length);
    return { size: footer.footerStart + bytes.length + 8, footerStart: footer.footerStart, meta };
  } finally {
    await h.close();
  }
}
