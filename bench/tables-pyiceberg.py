"""PyIceberg side of the tables benchmark (bench/tables-support.ts, PyIcebergWorker).

A SqlCatalog on SQLite with a local file:// warehouse under argv[1], or, when argv[2] is given
({"uri": ".../iceberg/main", "properties": {"s3.endpoint": ...}}), Nessie's Iceberg REST catalog
with its warehouse on S3 (bench/tables-s3.ts). One JSON command per stdin
line, one JSON answer per stdout line:
  {"op": "append", "name": "t1", "path": "/x.parquet"}
    -> creates bench.t1 from the file's Arrow schema (untimed), then times separately
       pyarrow.parquet.read_table(path) (readMs) and table.append(arrow_table) (appendMs, and the
       process's CPU time in it, every thread: appendCpuMs).
  {"op": "files", "name": "t1"} -> {"paths": [...]}: the data files of bench.t1's current snapshot.
  {"op": "parquet", "paths": [...]} -> {"files": [...]}: per Parquet file its size, rows, row groups,
       compression codecs, writer and whether every column carries a field id (untimed; the bench
       reports what each side wrote).
"""
import json
import os
import sys
import time

import pyarrow
import pyarrow.parquet as pq
import pyiceberg
from pyiceberg.catalog.sql import SqlCatalog


def describe(path: str) -> dict:
    local = path[len("file://"):] if path.startswith("file://") else path
    meta = pq.ParquetFile(local).metadata
    codecs = sorted({meta.row_group(g).column(c).compression for g in range(meta.num_row_groups) for c in range(meta.num_columns)})
    schema = meta.schema.to_arrow_schema()
    field_ids = all(f.metadata is not None and b"PARQUET:field_id" in f.metadata for f in schema)
    return {
        "bytes": os.path.getsize(local),
        "rows": meta.num_rows,
        "rowGroups": meta.num_row_groups,
        "codecs": codecs,
        "createdBy": meta.created_by,
        "fieldIds": field_ids,
    }


def main() -> None:
    root = sys.argv[1]
    if len(sys.argv) > 2:
        from pyiceberg.catalog.rest import RestCatalog
        rest = json.loads(sys.argv[2])
        catalog = RestCatalog("nessie", **{"uri": rest["uri"], **rest["properties"]})
        catalog.create_namespace_if_not_exists("bench")
    else:
        catalog = SqlCatalog("bench", uri=f"sqlite:///{root}/catalog.db", warehouse=f"file://{root}/warehouse")
        catalog.create_namespace("bench")
    print(json.dumps({"ready": True, "pyiceberg": pyiceberg.__version__, "pyarrow": pyarrow.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            cmd = json.loads(line)
            if cmd["op"] == "files":
                table = catalog.load_table(f"bench.{cmd['name']}")
                print(json.dumps({"paths": [t.file.file_path for t in table.scan().plan_files()]}), flush=True)
                continue
            if cmd["op"] == "parquet":
                print(json.dumps({"files": [describe(p) for p in cmd["paths"]]}), flush=True)
                continue
            if cmd["op"] != "append":
                raise ValueError(f"unknown op {cmd['op']}")
            path = cmd["path"]
            table = catalog.create_table(f"bench.{cmd['name']}", schema=pq.read_schema(path))
            t0 = time.perf_counter()
            data = pq.read_table(path)
            t1 = time.perf_counter()
            c1 = time.process_time()
            table.append(data)
            c2 = time.process_time()
            t2 = time.perf_counter()
            summary = table.current_snapshot().summary
            out = {"readMs": (t1 - t0) * 1000, "appendMs": (t2 - t1) * 1000, "appendCpuMs": (c2 - c1) * 1000, "addedRows": int(summary["added-records"])}
        except Exception as e:  # reported to the bench, which fails the scenario
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
