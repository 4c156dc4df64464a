"""Tracking logs into a Spark DataFrame, parsed on the executors by edxlog's Rust reader.

>>> df = edxlog.spark.read(spark, ["/data/tracking-2014.tar", "/data/2015/"])   # doctest: +SKIP
>>> df, report = edxlog.spark.read(spark, paths, report=True)                     # doctest: +SKIP
>>> df.groupBy("event_type").count().collect(); report.stats                      # doctest: +SKIP

How the work splits (docs/scaling.md): the driver lists the inputs into *work units* and Spark
runs one task per unit, inside ``DataFrame.mapInArrow``:

- a plain (uncompressed) tar archive — the course-data export format — is split into its
  members: the driver reads only the tar headers (``tarfile``), and each task reads one member's
  bytes at its offset, wrapped as a one-member tar so that ``source``, ``server`` and ``line`` are
  exactly what ``edxlog.read`` of the whole archive gives;
- a directory is walked (sorted, as ``edxlog.read`` walks it) and each file is a unit;
- anything else — a ``.tar.gz`` (one gzip stream cannot be split), a ``.gz`` or plain log, an
  archive whose headers ``tarfile`` cannot list cleanly (the core's damage handling then applies
  to the whole archive) — is one unit.

Paths must be readable under the same name on every executor (a shared file system).
URLs (``s3://...``, prefixes, globs; ``storage_options=``) are expanded on the driver by
``edxlog.remote`` into one unit per object, which the task streams in ranged reads. Rows come
out in no defined order across units (Spark's rule); within a unit they keep the input order.

The report (``report=True``) comes back through a Spark accumulator, keyed by work unit: each
task adds its unit's ``stats`` and ``rejects()`` when it has read the unit to the end, and a
re-executed task replaces its earlier entry, so retries and repeated actions never count twice.
It is filled by the first action that reads every unit to the end (``count()``, a write, a
``groupBy``...); ``report.complete`` says whether that has happened (an action with ``limit``
may stop early). Accumulators need the classic (non-Connect) SparkSession.
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

import edxlog
from edxlog import remote
from edxlog._core import rejects_schema

__all__ = ["read", "spark_schema", "plan", "Unit", "Report"]

_BLOCK = 512


# ---- the Spark schema ------------------------------------------------------------------------


def spark_type(arrow_type: pa.DataType):
    """The Spark SQL type of an Arrow type of edxlog's schema."""
    from pyspark.sql import types as T

    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return T.StringType()
    if pa.types.is_int64(arrow_type):
        return T.LongType()
    if pa.types.is_int32(arrow_type):
        return T.IntegerType()
    if pa.types.is_float64(arrow_type):
        return T.DoubleType()
    if pa.types.is_boolean(arrow_type):
        return T.BooleanType()
    if pa.types.is_fixed_size_binary(arrow_type) or pa.types.is_binary(arrow_type):
        return T.BinaryType()
    if pa.types.is_timestamp(arrow_type):
        return T.TimestampType() if arrow_type.tz is not None else T.TimestampNTZType()
    if pa.types.is_map(arrow_type):
        return T.MapType(spark_type(arrow_type.key_type), spark_type(arrow_type.item_type),
                         arrow_type.item_field.nullable)
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return T.ArrayType(spark_type(arrow_type.value_type), arrow_type.value_field.nullable)
    if pa.types.is_struct(arrow_type):
        return T.StructType([_spark_field(arrow_type.field(i)) for i in range(arrow_type.num_fields)])
    raise TypeError(f"no Spark type for Arrow type {arrow_type}")


def _spark_field(field: pa.Field):
    from pyspark.sql import types as T

    doc = (field.metadata or {}).get(b"doc")
    # Spark shows a field's "comment" metadata in DESCRIBE and keeps it in saved tables.
    metadata = {"comment": doc.decode()} if doc else {}
    return T.StructField(field.name, spark_type(field.type), field.nullable, metadata)


def spark_schema(arrow_schema: pa.Schema = None):
    """``edxlog.SCHEMA`` (or a projection of it) as a Spark ``StructType``: strings, longs and
    doubles as such, ``event_id`` (fixed_size_binary(16)) as binary, ``time`` (timestamp[us,
    UTC]) as TimestampType, ``answers`` as map<string, array<string>>, ``correct_map`` as
    array<struct<...>>, ``warnings`` as array<string>. Each field's doc becomes its comment."""
    from pyspark.sql import types as T

    arrow_schema = edxlog.SCHEMA if arrow_schema is None else arrow_schema
    return T.StructType([_spark_field(f) for f in arrow_schema])


# ---- work units ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One task's input: a whole file or remote object (``member`` is None), or one member of
    a plain tar."""

    path: str
    #: For a file found in a directory walk or under a URL prefix: the server its directory
    #: gives (contract §1).
    server: Optional[str] = None
    member: Optional[str] = None
    offset: int = 0
    size: Optional[int] = 0
    #: ``path`` is a URL of one object (opened with ``edxlog.remote``).
    remote: bool = False

    def describe(self) -> str:
        return f"{self.path}!{self.member}" if self.member is not None else self.path


def plan(sources: Any, *, split_members: bool = True,
         storage_options: Optional[Mapping[str, Any]] = None) -> List[Unit]:
    """The work units of ``sources`` (a path or URL, or a list of them), in input order."""
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    units: List[Unit] = []
    for source in sources:
        if remote.is_url(source):
            # Each object is one unit: listing a remote tar's members would cost a request per
            # member on the driver.
            units.extend(Unit(obj.url, obj.server, size=obj.size, remote=True)
                         for obj in remote.expand([source], storage_options))
            continue
        path = os.fspath(source)
        if not isinstance(path, str) or path == "-":
            raise TypeError(f"edxlog.spark.read takes paths readable by every executor, not {source!r}")
        if os.path.isdir(path):
            for rel in _walk(path):
                parts = rel.split("/")
                server = parts[0] if len(parts) > 1 else None
                units.extend(_file_units(os.path.join(path, rel), server, split_members))
        elif os.path.exists(path):
            units.extend(_file_units(path, None, split_members))
        else:
            raise FileNotFoundError(2, "No such file or directory", path)
    return units


def _walk(root: str) -> List[str]:
    """Files under ``root`` as relative '/'-paths, sorted by bytes (as the core walks them)."""
    found = []
    for here, dirs, files in os.walk(root):
        for name in files:
            found.append(os.path.relpath(os.path.join(here, name), root).replace(os.sep, "/"))
    return sorted(found, key=os.fsencode)


def _file_units(path: str, server: Optional[str], split_members: bool) -> List[Unit]:
    with open(path, "rb") as f:
        head = f.read(_BLOCK)
    if head[:2] == b"\x1f\x8b":
        try:  # a .tar.gz is one gzip stream: it cannot be split, but its members set the server
            head = zlib.decompressobj(31).decompress(head, _BLOCK)
        except zlib.error:
            return [Unit(path, server)]
        return [Unit(path, None if _is_tar(head) else server)]
    if not _is_tar(head):
        return [Unit(path, server)]
    members = _tar_members(path) if split_members else None
    return [Unit(path)] if members is None else members


def _is_tar(head: bytes) -> bool:
    return head[257:262] == b"ustar"


def _tar_members(path: str) -> Optional[List[Unit]]:
    """The regular members of a plain tar, or None when its headers do not read cleanly (the
    whole archive is then one unit, so the core reports the damage as ``read`` would)."""
    size = os.path.getsize(path)
    units = []
    try:
        with tarfile.open(path, "r:") as tar:
            for info in tar:
                if not info.isreg() or info.sparse is not None:
                    continue
                if info.offset_data + info.size > size:
                    return None
                units.append(Unit(path, None, info.name, info.offset_data, info.size))
    except (tarfile.TarError, OSError, UnicodeError):
        return None
    return units


class _MemberAsTar(io.RawIOBase):
    """One member of a tar on disk, read in place as a one-member tar (header, data, end)."""

    def __init__(self, unit: Unit):
        info = tarfile.TarInfo(unit.member)
        info.size = unit.size
        self._header = info.tobuf(tarfile.GNU_FORMAT, "utf-8", "surrogateescape")
        self._tail = b"\0" * (-unit.size % _BLOCK + 2 * _BLOCK)
        self._file = open(unit.path, "rb")
        self._file.seek(unit.offset)
        self._data_left = unit.size
        self._pos = 0  # within header + data + tail
        self.name = unit.path

    def readable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        view = memoryview(buf)
        header_left = len(self._header) - self._pos
        if header_left > 0:
            k = min(header_left, len(view))
            view[:k] = self._header[self._pos:self._pos + k]
            self._pos += k
            return k
        if self._data_left > 0:
            k = self._file.readinto(view[: min(len(view), self._data_left)])
            if not k:
                # The file is shorter than the header said: stop here, as the archive does (the
                # core reports the member as cut short).
                self._data_left = 0
                self._tail = b""
                return 0
            self._data_left -= k
            self._pos += k
            return k
        k = min(len(self._tail), len(view))
        view[:k] = self._tail[:k]
        self._tail = self._tail[k:]
        return k

    def close(self) -> None:
        self._file.close()
        super().close()


def _open_unit(unit: Unit, storage_options: Optional[Mapping[str, Any]]) -> Any:
    if unit.remote:
        fs, path = remote.filesystem(unit.path, storage_options)
        return remote.RemoteObject(url=unit.path, size=unit.size, server=unit.server, fs=fs, path=path).open()
    if unit.member is None:
        return unit.path
    return io.BufferedReader(_MemberAsTar(unit), buffer_size=1 << 20)


# ---- the executor side -----------------------------------------------------------------------


class _ReadUnits:
    """The ``mapInArrow`` function: reads the units whose indexes arrive, yields Spark batches."""

    def __init__(self, units, read_options, storage_options, arrow_schema, report):
        self.units = units
        self.read_options = read_options
        self.storage_options = storage_options
        self.arrow_schema = arrow_schema
        self.report = report

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for ids in batches:
            for index in ids.column(0).to_pylist():
                yield from self._read(index, self.units[index])

    def _read(self, index: int, unit: Unit) -> Iterator[pa.RecordBatch]:
        source = _open_unit(unit, self.storage_options)
        try:
            with edxlog.read(source, **self.read_options) as reader:
                for batch in reader:
                    yield self._to_spark(batch, unit)
                if self.report is not None:
                    self.report.add({index: (reader.stats, reader.rejects().to_pylist())})
        finally:
            if not isinstance(source, str):
                source.close()

    def _to_spark(self, batch: pa.RecordBatch, unit: Unit) -> pa.RecordBatch:
        columns = []
        for name, field in zip(batch.schema.names, self.arrow_schema):
            column = batch.column(name)
            if name == "server" and unit.server is not None and not unit.remote:
                column = pa.array([unit.server] * batch.num_rows, pa.string())
            columns.append(column.cast(field.type) if column.type != field.type else column)
        return pa.RecordBatch.from_arrays(columns, schema=self.arrow_schema)


# ---- the report ------------------------------------------------------------------------------


def _report_param():
    from pyspark.accumulators import AccumulatorParam

    class UnitReports(AccumulatorParam):
        """{unit index: (stats, rejects)}; a later report of a unit replaces the earlier one."""

        def zero(self, value):
            return {}

        def addInPlace(self, a, b):
            a.update(b)
            return a

    return UnitReports()


class Report:
    """Counters and rejects of a Spark read, filled as actions read the work units."""

    def __init__(self, accumulator, units: Sequence[Unit]):
        self._acc = accumulator
        self.units = list(units)

    @property
    def complete(self) -> bool:
        """Whether every work unit has been read to the end (by any action so far)."""
        return len(self._acc.value) == len(self.units)

    @property
    def stats(self) -> Dict[str, int]:
        """``edxlog.Reader.stats`` summed over the units read to the end."""
        total: Dict[str, int] = {}
        for stats, _ in self._acc.value.values():
            for key, value in stats.items():
                total[key] = total.get(key, 0) + value
        return total

    def unit_stats(self) -> List[Tuple[str, Optional[Dict[str, int]]]]:
        """(unit, stats or None when not read to the end yet), in input order."""
        got = self._acc.value
        return [(u.describe(), got[i][0] if i in got else None) for i, u in enumerate(self.units)]

    def rejects(self) -> pa.Table:
        """The rejects (source, line, error, raw) of the units read to the end, in input order;
        each unit keeps its first ``max_rejects``."""
        got = self._acc.value
        rows = [r for i in sorted(got) for r in got[i][1]]
        return pa.Table.from_pylist(rows, schema=rejects_schema())


# ---- the entry point -------------------------------------------------------------------------


def read(spark: Any, sources: Any, *, report: bool = False, split_members: bool = True,
         storage_options: Optional[Mapping[str, Any]] = None,
         **read_options: Any) -> Union[Any, Tuple[Any, Report]]:
    """Tracking logs as a ``pyspark.sql.DataFrame`` with the columns of ``edxlog.SCHEMA`` (or
    ``columns=``), parsed by the Rust reader on the executors. ``sources``: a path or a list of
    paths (files, directories, archives) that every executor can read. ``read_options`` are
    those of ``edxlog.read`` (``columns``, ``event_types``, ``batch_size``, ``max_line_bytes``,
    ``max_rejects``, ``on_error``; ``threads`` defaults to 1, one per Spark task core).
    URLs (``s3://bucket/prefix/``, globs) are expanded on the driver by ``edxlog.remote``, one
    unit per object; ``storage_options`` go to fsspec on the driver and, with the tasks, on
    the executors (prefer credentials from the environment or an instance role).

    With ``report=True`` returns ``(df, report)``: ``report`` (:class:`Report`) gathers the
    stats and rejects of every unit as actions on ``df`` read them (see the module docs).
    ``split_members=False`` reads each archive in one task."""
    units = plan(sources, split_members=split_members, storage_options=storage_options)
    read_options = {"threads": 1, **read_options}
    columns = read_options.get("columns")
    arrow_schema = edxlog.SCHEMA if columns is None else pa.schema([edxlog.SCHEMA.field(c) for c in columns])
    schema = spark_schema(arrow_schema)
    target = _spark_arrow_schema(schema, spark.conf.get("spark.sql.session.timeZone"))
    accumulator = spark.sparkContext.accumulator({}, _report_param()) if report else None
    ids = spark.range(0, len(units), 1, numPartitions=max(1, len(units)))
    storage = dict(storage_options) if storage_options else None
    df = ids.mapInArrow(_ReadUnits(units, read_options, storage, target, accumulator), schema)
    return (df, Report(accumulator, units)) if report else df


def _spark_arrow_schema(schema, timezone: str) -> pa.Schema:
    """The Arrow schema Spark expects from mapInArrow for ``schema`` (timestamps are instants:
    the zone is only a label)."""
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema, timezone=timezone)
