/**
 * Apache Iceberg table metadata, normalised: v1 and v2 metadata parse into these shapes; the writer
 * emits v2. Field names follow the spec's JSON (kebab-case keys are mapped to camelCase).
 * 64-bit ids and counts are decimal strings or bigint where they can exceed 2^53.
 */

export type PrimitiveType =
  | 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'time' | 'timestamp' | 'timestamptz'
  | 'string' | 'uuid' | 'binary' | `decimal(${number},${number})` | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  initialDefault?: unknown;
  writeDefault?: unknown;
}

export interface StructType { type: 'struct'; fields: NestedField[] }
export interface ListType { type: 'list'; elementId: number; element: IcebergType; elementRequired: boolean }
export interface MapType { type: 'map'; keyId: number; key: IcebergType; valueId: number; value: IcebergType; valueRequired: boolean }
export type IcebergType = PrimitiveType | StructType | ListType | MapType;

export interface Schema {
  schemaId: number;
  identifierFieldIds?: number[];
  fields: NestedField[];
}

export interface PartitionFieldSpec {
  sourceId: number;
  fieldId: number;
  name: string;
  /** identity, year, month, day, hour, bucket[N], truncate[W], void */
  transform: string;
}

export interface PartitionSpec {
  specId: number;
  fields: PartitionFieldSpec[];
}

export interface SortField {
  sourceId: number;
  transform: string;
  direction: 'asc' | 'desc';
  nullOrder: 'nulls-first' | 'nulls-last';
}

export interface SortOrder {
  orderId: number;
  fields: SortField[];
}

export interface Snapshot {
  /** 64-bit, decimal string */
  snapshotId: string;
  parentSnapshotId?: string;
  sequenceNumber: number;
  timestampMs: number;
  /** Absent for v1 snapshots that embed `manifests` instead. */
  manifestList?: string;
  /** v1 only: manifest paths listed in the snapshot itself. */
  manifests?: string[];
  summary: { operation: string } & Record<string, string>;
  schemaId?: number;
}

export interface SnapshotRef {
  snapshotId: string;
  type: 'branch' | 'tag';
  maxRefAgeMs?: number;
  maxSnapshotAgeMs?: number;
  minSnapshotsToKeep?: number;
}

export interface TableMetadata {
  formatVersion: 1 | 2;
  tableUuid: string;
  location: string;
  lastSequenceNumber: number;
  lastUpdatedMs: number;
  lastColumnId: number;
  schemas: Schema[];
  currentSchemaId: number;
  partitionSpecs: PartitionSpec[];
  defaultSpecId: number;
  lastPartitionId: number;
  properties: Record<string, string>;
  /** "-1" or absent when the table has no snapshot. */
  currentSnapshotId: string | null;
  snapshots: Snapshot[];
  snapshotLog: { timestampMs: number; snapshotId: string }[];
  metadataLog: { timestampMs: number; metadataFile: string }[];
  sortOrders: SortOrder[];
  defaultSortOrderId: number;
  refs: Record<string, SnapshotRef>;
}

/** The schema the metadata names current (the first one if none matches). */
export function currentSchema(m: TableMetadata): Schema {
  return m.schemas.find((s) => s.schemaId === m.currentSchemaId) ?? m.schemas[0]!;
}

export type FileContent = 'DATA' | 'POSITION_DELETES' | 'EQUALITY_DELETES';

/** A data or delete file as a manifest entry describes it (only live entries reach a scan). */
export interface DataFile {
  content: FileContent;
  /**
   * Location of the file. In a ScanPlan it is resolved through ObjectStore.resolve (aliases applied);
   * in manifests read or written it is the location as recorded.
   */
  filePath: string;
  /** In a ScanPlan: the location as recorded in the manifest, when it differs from filePath (position
   * delete files refer to data files by their recorded location). */
  recordedPath?: string;
  fileFormat: 'PARQUET' | 'AVRO' | 'ORC';
  specId: number;
  /** Partition tuple by partition field name. */
  partition: Record<string, unknown>;
  recordCount: number;
  fileSizeInBytes: number;
  columnSizes?: Map<number, number>;
  valueCounts?: Map<number, number>;
  nullValueCounts?: Map<number, number>;
  nanValueCounts?: Map<number, number>;
  /** Iceberg single-value binary serialisation, by field id. */
  lowerBounds?: Map<number, Uint8Array>;
  upperBounds?: Map<number, Uint8Array>;
  splitOffsets?: number[];
  equalityIds?: number[];
  sortOrderId?: number;
  /** Position deletes: the one data file all its deletes refer to, when known (field 143). */
  referencedDataFile?: string;
  /** Data sequence number (inherited from the manifest when null in the entry). */
  sequenceNumber: number;
  fileSequenceNumber: number;
  /** Snapshot that added the file. */
  snapshotId: string;
}

/** What a query engine needs to read one snapshot of a table. */
export interface ScanPlan {
  /** Schema rows are read with (the snapshot's schema for time travel, else the current one). */
  schema: Schema;
  snapshotId: string | null;
  dataFiles: DataFile[];
  deleteFiles: DataFile[];
  /** Identity-partition source fields, for files that lack the column (Hive-style layouts). */
  partitionSpecs: PartitionSpec[];
  /** The table's `schema.name-mapping.default`: how columns of files without field ids are found. */
  nameMapping?: NameMapping | null;
}

/** One entry of a name mapping: the names a field's column may have in files without field ids. */
export interface MappedField {
  fieldId?: number;
  names: string[];
  fields?: MappedField[];
}
export type NameMapping = MappedField[];

/** Manifest entry status (field 0). */
export type EntryStatus = 'EXISTING' | 'ADDED' | 'DELETED';

/** One row of a manifest: a data or delete file with its tracking fields (inheritance applied). */
export interface ManifestEntry {
  status: EntryStatus;
  dataFile: DataFile;
}

/** A manifest as a manifest list (or a v1 snapshot's `manifests`) describes it. */
export interface ManifestFile {
  manifestPath: string;
  manifestLength: number;
  partitionSpecId: number;
  content: 'DATA' | 'DELETES';
  sequenceNumber: number;
  minSequenceNumber: number;
  /** 64-bit, decimal string ("0" when unknown, as for v1 `manifests` lists). */
  addedSnapshotId: string;
  addedFilesCount: number | null;
  existingFilesCount: number | null;
  deletedFilesCount: number | null;
  addedRowsCount: number | null;
  existingRowsCount: number | null;
  deletedRowsCount: number | null;
  partitions?: FieldSummary[];
}

/** Manifest list partition summary for one partition field (bounds in single-value binary form). */
export interface FieldSummary {
  containsNull: boolean;
  containsNan?: boolean;
  lowerBound?: Uint8Array;
  upperBound?: Uint8Array;
}
