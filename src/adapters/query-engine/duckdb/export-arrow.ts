/**
 * DuckDB result chunks to an Arrow IPC stream (apache-arrow's RecordBatchStreamWriter). Fixed-width
 * values are copied as bytes: DuckDB's vectors hold integers, floats, dates (int32 days), times and
 * timestamps (int64 microseconds) exactly as Arrow lays them out, and its validity masks are Arrow's
 * validity bitmaps (LSB first). Strings and blobs are copied byte for byte from DuckDB's 16-byte
 * string_t (inline up to 12 bytes, else a pointer), never decoded to JS strings; booleans are
 * bit-packed; decimals widened to Arrow's 128 bits. Types with no such mapping are cast to VARCHAR
 * in the query (exportableSelect), nested ones as JSON text.
 */
import duckdb from '@duckdb/node-bindings';
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBType } from '@duckdb/node-api';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimeMicrosecond,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  type DataType,
} from 'apache-arrow';

/** How a column is copied: fixed width (bytes per value), variable (string_t), bits (boolean), decimal (source width). */
type Kind = { k: 'fixed'; width: number } | { k: 'var' } | { k: 'bool' } | { k: 'decimal'; width: number };

interface ColumnPlan {
  type: DataType;
  kind: Kind;
}

/** The Arrow type and copy of a DuckDB type, or null when the column must be cast to VARCHAR first. */
export function arrowColumn(t: DuckDBType): ColumnPlan | null {
  const fixed = (type: DataType, width: number): ColumnPlan => ({ type, kind: { k: 'fixed', width } });
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return { type: new Bool(), kind: { k: 'bool' } };
    case DuckDBTypeId.TINYINT: return fixed(new Int8(), 1);
    case DuckDBTypeId.SMALLINT: return fixed(new Int16(), 2);
    case DuckDBTypeId.INTEGER: return fixed(new Int32(), 4);
    case DuckDBTypeId.BIGINT: return fixed(new Int64(), 8);
    case DuckDBTypeId.UTINYINT: return fixed(new Uint8(), 1);
    case DuckDBTypeId.USMALLINT: return fixed(new Uint16(), 2);
    case DuckDBTypeId.UINTEGER: return fixed(new Uint32(), 4);
    case DuckDBTypeId.UBIGINT: return fixed(new Uint64(), 8);
    case DuckDBTypeId.FLOAT: return fixed(new Float32(), 4);
    case DuckDBTypeId.DOUBLE: return fixed(new Float64(), 8);
    case DuckDBTypeId.DATE: return fixed(new DateDay(), 4);
    case DuckDBTypeId.TIME: return fixed(new TimeMicrosecond(), 8);
    case DuckDBTypeId.TIMESTAMP: return fixed(new TimestampMicrosecond(), 8);
    case DuckDBTypeId.TIMESTAMP_TZ: return fixed(new TimestampMicrosecond('UTC'), 8);
    case DuckDBTypeId.TIMESTAMP_S: return fixed(new TimestampSecond(), 8);
    case DuckDBTypeId.TIMESTAMP_MS: return fixed(new TimestampMillisecond(), 8);
    case DuckDBTypeId.TIMESTAMP_NS: return fixed(new TimestampNanosecond(), 8);
    case DuckDBTypeId.VARCHAR: return { type: new Utf8(), kind: { k: 'var' } };
    case DuckDBTypeId.BLOB: return { type: new Binary(), kind: { k: 'var' } };
    case DuckDBTypeId.DECIMAL: {
      const d = t as DuckDBType & { width: number; scale: number };
      const width = d.width <= 4 ? 2 : d.width <= 9 ? 4 : d.width <= 18 ? 8 : 16;
      return { type: new Decimal(d.scale, d.width, 128), kind: { k: 'decimal', width } };
    }
    default:
      return null;
  }
}

/** Set bits per byte value. */
const POPCOUNT = Uint8Array.from({ length: 256 }, (_, v) => {
  let n = 0;
  for (let x = v; x; x >>= 1) n += x & 1;
  return n;
});

let kept: unknown = null;
/** A use of `v` the optimiser cannot drop (so `v` is not collected before this point). */
function keepAlive(v: unknown): void {
  kept = v;
  kept = null;
}

/** A growable byte buffer. */
class Bytes {
  buf: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, capacity));
  }
  reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  /** The bytes so far (a view: valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** One column's Arrow buffers for the rows of the batch being built. */
class ColumnBuilder {
  private values: Bytes;
  private offsets: Int32Array | null;
  private data: Bytes | null;
  private validity: Uint8Array;
  private nulls = 0;
  private rows = 0;

  constructor(readonly plan: ColumnPlan, private readonly capacity: number) {
    const k = plan.kind;
    const width = k.k === 'fixed' ? k.width : k.k === 'decimal' ? 16 : k.k === 'bool' ? 1 / 8 : 0;
    this.values = new Bytes(Math.ceil(capacity * width) + 8);
    this.offsets = k.k === 'var' ? new Int32Array(capacity + 1) : null;
    this.data = k.k === 'var' ? new Bytes(capacity * 16) : null;
    this.validity = new Uint8Array(Math.ceil(capacity / 8));
  }

  /** Appends `count` rows of a DuckDB vector, starting at this batch's row `this.rows`. */
  append(vector: duckdb.Vector, count: number): void {
    const base = this.rows;
    // Validity: DuckDB's mask (or none: all valid), at this batch's bit position. Batches start on
    // chunk boundaries, so the position is a whole byte but for a short chunk before the last.
    const got = duckdb.vector_get_validity(vector, Math.ceil(count / 64) * 8);
    const mask = got && got.length > 0 ? got : null;
    if (base % 8 === 0) {
      const bytes = Math.ceil(count / 8);
      if (mask) {
        this.validity.set(mask.subarray(0, bytes), base >> 3);
        if (count % 8) this.validity[(base >> 3) + bytes - 1]! &= (1 << count % 8) - 1; // no bits past the rows
        let valid = 0;
        for (let b = 0; b < bytes; b++) valid += POPCOUNT[mask[b]!]!;
        const tail = count % 8;
        if (tail) valid -= POPCOUNT[mask[bytes - 1]! & ~((1 << tail) - 1) & 0xff]!; // bits past the chunk's rows
        this.nulls += count - valid;
      } else {
        this.validity.fill(0xff, base >> 3, (base >> 3) + bytes);
      }
    } else {
      for (let i = 0; i < count; i++) {
        const bit = base + i;
        if (!mask || (mask[i >> 3]! & (1 << (i & 7))) !== 0) this.validity[bit >> 3]! |= 1 << (bit & 7);
        else this.nulls++;
      }
    }
    const k = this.plan.kind;
    if (k.k === 'fixed') {
      const bytes = count * k.width;
      this.values.reserve(bytes);
      this.values.buf.set(duckdb.vector_get_data(vector, bytes), this.values.length);
      this.values.length += bytes;
    } else if (k.k === 'bool') {
      const src = duckdb.vector_get_data(vector, count);
      const need = Math.ceil((base + count) / 8);
      this.values.reserve(need - this.values.length);
      const out = this.values.buf;
      for (let i = 0; i < count; i++) {
        const bit = base + i;
        if (src[i]) out[bit >> 3]! |= 1 << (bit & 7);
      }
      this.values.length = need;
    } else if (k.k === 'decimal') {
      const src = duckdb.vector_get_data(vector, count * k.width);
      this.values.reserve(count * 16);
      const out = new DataView(this.values.buf.buffer, this.values.buf.byteOffset + this.values.length, count * 16);
      const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
      for (let i = 0; i < count; i++) {
        if (k.width === 16) {
          out.setBigUint64(i * 16, view.getBigUint64(i * 16, true), true);
          out.setBigInt64(i * 16 + 8, view.getBigInt64(i * 16 + 8, true), true);
          continue;
        }
        const v = k.width === 8 ? view.getBigInt64(i * 8, true) : BigInt(k.width === 4 ? view.getInt32(i * 4, true) : view.getInt16(i * 2, true));
        out.setBigInt64(i * 16, v, true);
        out.setBigInt64(i * 16 + 8, v < 0n ? -1n : 0n, true);
      }
      this.values.length += count * 16;
    } else {
      this.appendStrings(duckdb.vector_get_data(vector, count * 16), mask, base, count);
    }
    this.rows += count;
  }

  /**
   * Strings and blobs: DuckDB's string_t is 16 bytes, a uint32 length, then up to 12 bytes inline,
   * or (longer) a 4-byte prefix and a pointer into the chunk's string heap. Longer values are read
   * from native memory in runs, not one call each: values whose bytes start inside or right after
   * the run so far (DuckDB mostly lays a chunk's strings out one after the other, a dictionary's
   * repeats point at the same bytes) join it, and a run is read with one call when the next value
   * does not join it. A run only spans bytes some value covers, so nothing outside DuckDB's strings
   * is ever read. Offsets of the run's values are kept, their bytes copied once the run is read.
   */
  private appendStrings(src: Uint8Array, mask: Uint8Array | null, base: number, count: number): void {
    const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
    const offsets = this.offsets!;
    const data = this.data!;
    // The data length is exact once the lengths are known: sum them first (one pass over the lengths).
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (mask && (mask[i >> 3]! & (1 << (i & 7))) === 0) continue; // a NULL's string_t is not initialised: never read it
      total += view.getUint32(i * 16, true);
    }
    data.reserve(total);
    const out = data.buf;
    let pos = data.length;
    // The run being gathered: native addresses [runStart, runEnd), the string_t that points at its
    // start, and its members (row, address) whose bytes are copied once it is read.
    let runStart = 0;
    let runEnd = 0;
    let runAt = -1;
    if (this.runRows.length < count) {
      this.runRows = new Int32Array(count);
      this.runAddrs = new Float64Array(count);
    }
    const members = this.runRows;
    const memberAddr = this.runAddrs;
    let nMembers = 0;
    const flushRun = () => {
      const bytes = duckdb.get_data_from_pointer(src.buffer as ArrayBuffer, src.byteOffset + runAt + 8, runEnd - runStart);
      for (let m = 0; m < nMembers; m++) {
        const row = members[m]!;
        const to = offsets[base + row]!;
        const len = offsets[base + row + 1]! - to;
        const from = memberAddr[m]! - runStart;
        if (len < 64) for (let b = 0; b < len; b++) out[to + b] = bytes[from + b]!;
        else out.set(bytes.subarray(from, from + len), to);
      }
      nMembers = 0;
      runAt = -1;
    };
    for (let i = 0; i < count; i++) {
      if (mask && (mask[i >> 3]! & (1 << (i & 7))) === 0) {
        offsets[base + i + 1] = pos;
        continue;
      }
      const at = i * 16;
      const len = view.getUint32(at, true);
      if (len <= 12) {
        for (let b = 0; b < len; b++) out[pos + b] = src[at + 4 + b]!;
      } else {
        // Addresses are below 2^53 (user space is 47 bits): exact as numbers.
        const addr = view.getUint32(at + 8, true) + view.getUint32(at + 12, true) * 0x1_0000_0000;
        if (runAt >= 0 && (addr < runStart || addr > runEnd)) flushRun();
        if (runAt < 0) {
          runAt = at;
          runStart = addr;
          runEnd = addr + len;
        } else if (addr + len > runEnd) {
          runEnd = addr + len;
        }
        members[nMembers] = i;
        memberAddr[nMembers++] = addr;
      }
      offsets[base + i + 1] = pos + len;
      pos += len;
    }
    if (runAt >= 0) flushRun();
    data.length = pos;
  }

  /** Scratch for appendStrings' runs: rows and native addresses of one chunk's long values. */
  private runRows = new Int32Array(4096);
  private runAddrs = new Float64Array(4096);

  /**
   * The Arrow data of the rows appended since the last reset, as views of the builder's buffers:
   * valid until reset(), which is called once the batch has been copied out.
   */
  finish(): ReturnType<typeof makeData> {
    const length = this.rows;
    const nullCount = this.nulls;
    const nullBitmap = nullCount > 0 ? this.validity.subarray(0, Math.ceil(length / 8)) : undefined;
    const type = this.plan.type;
    if (this.plan.kind.k === 'var') {
      const valueOffsets = this.offsets!.subarray(0, length + 1);
      return makeData({ type: type as Utf8, length, nullCount, nullBitmap, valueOffsets, data: this.data!.view() } as never);
    }
    return makeData({ type, length, nullCount, nullBitmap, data: this.values.view() } as never);
  }

  /** Starts the next batch in the same buffers (offsets[0] stays 0; bits are set by OR, so cleared). */
  reset(): void {
    this.validity.fill(0, 0, Math.ceil(this.rows / 8));
    if (this.plan.kind.k === 'bool') this.values.buf.fill(0, 0, this.values.length);
    this.values.length = 0;
    if (this.data) this.data.length = 0;
    this.rows = 0;
    this.nulls = 0;
  }
}

/**
 * A stream writer whose bytes are collected after each write instead of queued for a reader, and
 * joined into one piece: a copy, so the batch's buffers (views of the column builders') can be
 * reused at once.
 */
class BytesOutWriter extends RecordBatchStreamWriter {
  private out: Uint8Array[] = [];
  private bytes = 0;
  protected override _write(chunk: ArrayBufferView | ArrayBufferLike | Iterable<number> | string | null | undefined): this {
    if (chunk && ArrayBuffer.isView(chunk) && chunk.byteLength > 0) {
      this.out.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.bytes += chunk.byteLength;
      this._position += chunk.byteLength;
    }
    return this;
  }
  constructor(private readonly pool: PiecePool) {
    super();
  }
  /** What was written since the last call, as one piece (or none), in a buffer of the pool. */
  takePiece(): Uint8Array[] {
    if (this.bytes === 0) return [];
    const piece = this.pool.take(this.bytes);
    let at = 0;
    for (const part of this.out) {
      piece.set(part, at);
      at += part.byteLength;
    }
    this.out = [];
    this.bytes = 0;
    return [piece];
  }
}

/**
 * Buffers for the pieces handed out, reused once the reader is done with them: piece `i` (in the
 * order handed out) is free once `released(i)` says so (the reader has asked for the one after
 * it). A piece that outlives its buffer's turn gets a new buffer, so reuse never overwrites a
 * piece still in use. Without reuse every 4 MB piece would be a new ArrayBuffer alive while it is
 * written, promoted by V8's young-generation collections, and the export would run a full
 * mark-compact every few pieces (10M rows: ~25 of them, half the time).
 */
export class PiecePool {
  private readonly free: Uint8Array[] = [];
  private readonly lent: { buf: Uint8Array; seq: number }[] = [];
  private seq = 0;

  /** Without `released`, every piece gets a new buffer (nothing is reused). */
  constructor(private readonly released?: (seq: number) => boolean) {}

  /** A buffer of `size` bytes (contents undefined: the caller writes every byte). */
  take(size: number): Uint8Array {
    if (!this.released) return Buffer.allocUnsafeSlow(size);
    while (this.lent.length > 0 && this.released(this.lent[0]!.seq)) this.free.push(this.lent.shift()!.buf);
    const i = this.free.findIndex((b) => b.byteLength >= size);
    // Every byte is written (the writer writes its padding as zero bytes): no need to zero it first.
    const buf = i >= 0 ? this.free.splice(i, 1)[0]! : Buffer.allocUnsafeSlow(size + (size >> 3));
    this.lent.push({ buf, seq: this.seq++ });
    return buf.subarray(0, size);
  }
}

/** Rows per record batch: the first batch small (time to first byte), then larger. */
const FIRST_BATCH_ROWS = 2048;
const BATCH_ROWS = 128 * 1024;
/** Rows a batch may hold (BATCH_ROWS plus one DuckDB chunk). */
const CAPACITY = BATCH_ROWS + 4096;

/**
 * Turns DuckDB chunks into Arrow IPC stream bytes, one piece per message: `start` the schema,
 * `add` any record batch completed, `end` the last one and the end-of-stream marker, each piece
 * in a buffer of the pool (the caller's until the pool reuses it).
 */
export class ArrowStreamEncoder {
  private readonly builders: ColumnBuilder[];
  private readonly schema: Schema;
  private readonly writer: BytesOutWriter;
  private rows = 0;
  private batches = 0;

  /** `pool`: where pieces are made (by default, a new buffer each). */
  constructor(names: string[], types: DuckDBType[], pool = new PiecePool()) {
    this.writer = new BytesOutWriter(pool);
    const plans = types.map((t, i) => {
      const p = arrowColumn(t);
      if (!p) throw new Error(`column '${names[i]}': type ${t.toString()} has no Arrow mapping (it should have been cast)`);
      return p;
    });
    this.schema = new Schema(plans.map((p, i) => new Field(names[i]!, p.type, true)));
    this.builders = plans.map((p) => new ColumnBuilder(p, CAPACITY));
  }

  /** The schema message: the stream's first bytes, before any row. */
  start(): Uint8Array[] {
    this.writer.reset(undefined, this.schema);
    return this.writer.takePiece();
  }

  add(chunk: DuckDBDataChunk): Uint8Array[] {
    const count = chunk.rowCount;
    const out = this.rows + count > CAPACITY ? this.flush() : [];
    const raw = chunk.chunk;
    for (let c = 0; c < this.builders.length; c++) this.builders[c]!.append(duckdb.data_chunk_get_vector(raw, c), count);
    // The vectors' memory belongs to the chunk, freed when the chunk is collected: keep it reachable
    // until every column has been copied.
    keepAlive(raw);
    this.rows += count;
    if (this.rows >= (this.batches === 0 ? FIRST_BATCH_ROWS : BATCH_ROWS)) out.push(...this.flush());
    return out;
  }

  end(): Uint8Array[] {
    const out = this.rows > 0 ? this.flush() : [];
    this.writer.close(); // writes the end-of-stream marker
    return [...out, ...this.writer.takePiece()];
  }

  private flush(): Uint8Array[] {
    const children = this.builders.map((b) => b.finish());
    const batch = new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: this.rows, nullCount: 0, children }));
    this.writer.write(batch);
    const piece = this.writer.takePiece(); // copied out: the builders' buffers are free again
    for (const b of this.builders) b.reset();
    this.rows = 0;
    this.batches++;
    return piece;
  }
}
