/**
 * The spec's Avro schemas for v2 manifest lists (`manifest_file`) and manifests (`manifest_entry`),
 * with `field-id` on every field and `element-id` on lists, named as Iceberg-Java names them so
 * readers that resolve by name or by id both find every field. Maps with int keys are arrays of
 * key/value records (logicalType map), as the spec requires for non-string keys.
 */
import { decimalOf, fixedLengthOf } from '../domain/iceberg/type-strings.js';
import type { PrimitiveType } from '../domain/iceberg/types.js';

type AvroSchema = Record<string, unknown>;

const opt = (name: string, type: unknown, fieldId: number, doc?: string) => ({ name, type: ['null', type], default: null, 'field-id': fieldId, ...(doc ? { doc } : {}) });
const req = (name: string, type: unknown, fieldId: number, doc?: string) => ({ name, type, 'field-id': fieldId, ...(doc ? { doc } : {}) });
const intMap = (value: 'long' | 'bytes', keyId: number, valueId: number) => ({
  type: 'array',
  logicalType: 'map',
  items: { type: 'record', name: `k${keyId}_v${valueId}`, fields: [req('key', 'int', keyId), req('value', value, valueId)] },
});

export const MANIFEST_LIST_SCHEMA: AvroSchema = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    req('manifest_path', 'string', 500, 'Location URI with FS scheme'),
    req('manifest_length', 'long', 501, 'Total file size in bytes'),
    req('partition_spec_id', 'int', 502, 'Spec ID used to write'),
    req('content', 'int', 517, 'Contents of the manifest: 0=data, 1=deletes'),
    req('sequence_number', 'long', 515, 'Sequence number when the manifest was added'),
    req('min_sequence_number', 'long', 516, 'Lowest sequence number in the manifest'),
    req('added_snapshot_id', 'long', 503, 'Snapshot ID that added the manifest'),
    req('added_data_files_count', 'int', 504, 'Added entry count'),
    req('existing_data_files_count', 'int', 505, 'Existing entry count'),
    req('deleted_data_files_count', 'int', 506, 'Deleted entry count'),
    req('added_rows_count', 'long', 512, 'Added rows count'),
    req('existing_rows_count', 'long', 513, 'Existing rows count'),
    req('deleted_rows_count', 'long', 514, 'Deleted rows count'),
    opt('partitions', {
      type: 'array',
      items: {
        type: 'record',
        name: 'r508',
        fields: [
          req('contains_null', 'boolean', 509, 'True if any file has a null partition value'),
          opt('contains_nan', 'boolean', 518, 'True if any file has a nan partition value'),
          opt('lower_bound', 'bytes', 510, 'Partition lower bound for all files'),
          opt('upper_bound', 'bytes', 511, 'Partition upper bound for all files'),
        ],
      },
      'element-id': 508,
    }, 507, 'Summary for each partition'),
    opt('key_metadata', 'bytes', 519, 'Encryption key metadata blob'),
  ],
};

/** Smallest byte count whose two's complement holds every unscaled value of `precision` digits. */
export function decimalBytes(precision: number): number {
  let n = 1;
  while (2n ** BigInt(8 * n - 1) - 1n < 10n ** BigInt(precision) - 1n) n++;
  return n;
}

/** Avro type of a partition value (spec Appendix A); fixed types get names unique per field. */
export function avroPrimitive(type: PrimitiveType, fieldId: number): unknown {
  switch (type) {
    case 'boolean': case 'int': case 'long': case 'float': case 'double': case 'string':
      return type;
    case 'binary': return 'bytes';
    case 'date': return { type: 'int', logicalType: 'date' };
    case 'time': return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz': return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'uuid': return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
  }
  const dec = decimalOf(type);
  if (dec) return { type: 'fixed', name: `decimal_${dec.precision}_${dec.scale}_${fieldId}`, size: decimalBytes(dec.precision), logicalType: 'decimal', precision: dec.precision, scale: dec.scale };
  return { type: 'fixed', name: `fixed_${fieldId}`, size: fixedLengthOf(type) ?? 0 };
}

/** Avro-safe field name, as Iceberg-Java's AvroSchemaUtil.makeCompatibleName does it. */
export function avroName(name: string): string {
  let out = '';
  for (const [i, ch] of Array.from(name).entries()) {
    if (/[A-Za-z_]/.test(ch) || (i > 0 && /[0-9]/.test(ch))) out += ch;
    else if (/[0-9]/.test(ch)) out += `_${ch}`;
    else out += `_x${ch.codePointAt(0)!.toString(16).toUpperCase()}`;
  }
  return out || '_';
}

export interface PartitionFieldType {
  name: string;
  fieldId: number;
  type: PrimitiveType;
}

export function manifestEntrySchema(partition: PartitionFieldType[]): AvroSchema {
  const dataFile = {
    type: 'record',
    name: 'r2',
    fields: [
      req('content', 'int', 134, 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes'),
      req('file_path', 'string', 100, 'Location URI with FS scheme'),
      req('file_format', 'string', 101, 'File format name: avro, orc, or parquet'),
      req('partition', {
        type: 'record',
        name: 'r102',
        fields: partition.map((p) => opt(avroName(p.name), avroPrimitive(p.type, p.fieldId), p.fieldId)),
      }, 102, 'Partition data tuple, schema based on the partition spec'),
      req('record_count', 'long', 103, 'Number of records in the file'),
      req('file_size_in_bytes', 'long', 104, 'Total file size in bytes'),
      opt('column_sizes', intMap('long', 117, 118), 108, 'Map of column id to total size on disk'),
      opt('value_counts', intMap('long', 119, 120), 109, 'Map of column id to total count, including null and NaN'),
      opt('null_value_counts', intMap('long', 121, 122), 110, 'Map of column id to null value count'),
      opt('nan_value_counts', intMap('long', 138, 139), 137, 'Map of column id to number of NaN values in the column'),
      opt('lower_bounds', intMap('bytes', 126, 127), 125, 'Map of column id to lower bound'),
      opt('upper_bounds', intMap('bytes', 129, 130), 128, 'Map of column id to upper bound'),
      opt('key_metadata', 'bytes', 131, 'Encryption key metadata blob'),
      opt('split_offsets', { type: 'array', items: 'long', 'element-id': 133 }, 132, 'Splittable offsets'),
      opt('equality_ids', { type: 'array', items: 'int', 'element-id': 136 }, 135, 'Equality comparison field IDs'),
      opt('sort_order_id', 'int', 140, 'Sort order ID'),
      opt('referenced_data_file', 'string', 143, 'Fully qualified location (URI with FS scheme) of a data file that all deletes reference'),
    ],
  };
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      req('status', 'int', 0),
      opt('snapshot_id', 'long', 1),
      opt('sequence_number', 'long', 3),
      opt('file_sequence_number', 'long', 4),
      req('data_file', dataFile, 2),
    ],
  };
}
