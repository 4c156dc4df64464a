"""Single-file outputs: one Parquet file, an Arrow IPC (Feather v2) file, or JSON Lines.

Each is written to a hidden temporary name beside OUTPUT and renamed over it only on success
(`commit`), so OUTPUT is never seen half-written; `abort` removes the temporary file.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pyarrow as pa

from edxlog import dataset as dsm


class Sink:
    def __init__(self, out: Path):
        self.out = out
        self.run_id = dsm.new_run_id()
        self.tmp_dir = out.parent / f".{out.name}.edxlog-tmp-{self.run_id}"
        self.tmp_dir.mkdir()
        self.tmp: Path = self.tmp_dir / "out.tmp"

    def write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        """Close the temporary file (everything is written)."""

    def commit(self) -> None:
        with open(self.tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(self.tmp, self.out)
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.tmp_dir, ignore_errors=True)

    discard = abort


class ParquetSink(Sink):
    """Row groups are built by `PartitionedWriter` (no partitions): big row groups, encoded on
    a pool thread while the reader goes on."""

    def __init__(self, out: Path, schema: pa.Schema, opts):
        super().__init__(out)
        self.schema = schema
        rel = self.tmp_dir.name
        self.writer = dsm.PartitionedWriter(
            out.parent, rel, self.run_id, (), schema,
            dsm.parquet_options(schema, opts.compression, opts.compression_level),
            threads=1, row_group_rows=opts.row_group_rows, single_file=out.name)

    def write(self, table: pa.Table) -> None:
        self.writer.write(table, "")

    def finish(self) -> None:
        files = self.writer.close()
        if files:
            os.replace(self.out.parent / files[0].tmp, self.tmp)
        else:  # no rows: still a valid file with the schema
            import pyarrow.parquet as pq

            pq.write_table(self.schema.empty_table(), self.tmp)

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.abort()
        super().abort()


class ArrowSink(Sink):
    def __init__(self, out: Path, schema: pa.Schema, opts):
        super().__init__(out)
        compression = None if opts.compression in ("none", "snappy", "gzip", "brotli") else opts.compression
        self.file = open(self.tmp, "wb")
        self.writer = pa.ipc.new_file(self.file, schema, options=pa.ipc.IpcWriteOptions(compression=compression))

    def write(self, table: pa.Table) -> None:
        self.writer.write_table(table)

    def finish(self) -> None:
        self.writer.close()
        self.file.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.file.close()
        super().abort()


def _json_value(v):
    if isinstance(v, dt.datetime):
        return v.isoformat().replace("+00:00", "Z")
    if isinstance(v, bytes):
        return v.hex() if len(v) == 16 else base64.b64encode(v).decode()
    if isinstance(v, list):
        if v and isinstance(v[0], tuple):  # a map: [(key, value), ...]
            return {k: _json_value(x) for k, x in v}
        return [_json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    return v


class JsonlSink(Sink):
    """One object per row, keys in schema order: ``time`` as ISO 8601 UTC (``Z``), ``event_id``
    as 32 hex digits, ``answers`` as an object of lists, nulls as null."""

    def __init__(self, out: Path, schema: pa.Schema, opts):
        super().__init__(out)
        self.file = open(self.tmp, "w", encoding="utf-8")

    def write(self, table: pa.Table) -> None:
        write = self.file.write
        for row in table.to_pylist():
            write(json.dumps({k: _json_value(v) for k, v in row.items()}, ensure_ascii=False))
            write("\n")

    def finish(self) -> None:
        self.file.close()

    def abort(self) -> None:
        with contextlib.suppress(Exception):
            self.file.close()
        super().abort()


def open_sink(fmt: str, out: Path, schema: pa.Schema, opts) -> Sink:
    return {"parquet": ParquetSink, "arrow": ArrowSink, "jsonl": JsonlSink}[fmt](out, schema, opts)
