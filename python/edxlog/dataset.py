"""Parquet datasets of tracking logs: hive partitions, a manifest, atomic commits.

A dataset is a directory::

    OUTPUT/
      date=2014-05-02/part-<run>-00001.parquet     data files (hive partitions)
      _rejects/rejects-<run>.parquet               the lines that gave no row, per run
      _edxlog_manifest.json                        what came from where (see Manifest)
      _tmp/<run>/                                  files of a run not committed yet
      _edxlog.lock                                 held while a run writes

Names that start with ``_`` are skipped by pyarrow, Spark and Hive when they discover a dataset.

**Atomicity.** A run writes every file under ``_tmp/<run>/`` (invisible to queries), then
commits: the new manifest, listing the files at their final names *and* the renames still to
do ("pending"), replaces the old one atomically; then the files are renamed into place and the
manifest is saved once more without "pending". A run killed before the first manifest write
leaves only ``_tmp/`` junk, removed by the next run, and the dataset is as before; a run killed
after it is rolled forward by the next run (``Dataset.open`` replays "pending"). So a data file
is visible only once complete, and the manifest is the truth.

**Partition values are untrusted** (they come from the logs): every byte outside
``[A-Za-z0-9_.-]`` is percent-encoded (``/``, ``%``, NUL, ``..`` can never form a path), and the
result is a lossless ``key=value`` segment that pyarrow, DuckDB and Spark decode back. A value
whose encoding is longer than :data:`MAX_ENCODED_VALUE` bytes cannot be a file name; it is stored
under ``key=<prefix>~<hash>`` (``~`` never appears in a lossless segment) and its exact value is
in the data files' own column (read with hive partitioning off to see it). So is the literal
string ``__HIVE_DEFAULT_PARTITION__``, which hive readers turn into null however it is escaped.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import struct
import threading
import time
import uuid
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

MANIFEST = "_edxlog_manifest.json"
LOCK = "_edxlog.lock"
TMP = "_tmp"
REJECTS = "_rejects"
FORMAT = "edxlog-dataset"
FORMAT_VERSION = 1

#: Keys ``--partition-by`` accepts. ``date`` is the UTC date of ``time`` (not a column of the
#: files; hive readers add it from the path); the others are columns kept in the files too.
PARTITION_KEYS = ("date", "course_id", "event_type", "server")
NULL_SEGMENT = "__HIVE_DEFAULT_PARTITION__"
#: Longest percent-encoded value kept whole in a directory name (file names stop at 255 bytes).
MAX_ENCODED_VALUE = 200
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")

# Row groups close at whichever comes first (query engines like big row groups).
ROW_GROUP_ROWS = 1_000_000
ROW_GROUP_BYTES = 128 * 1024 * 1024
#: Arrow bytes buffered or being encoded at once, over all partitions; past it the biggest
#: buffer is written as a (smaller) row group. Keeps peak memory bounded whatever the input.
BUFFER_BUDGET = 40 * 1024 * 1024
MAX_OPEN_FILES = 64

# Low-cardinality strings get dictionary pages; the long unique texts (event_id, context,
# extra, event, page, ...) would only pay for a hash table that overflows and falls back.
DICTIONARY_COLUMNS = (
    "source", "server", "username", "ip", "agent", "host", "accept_language", "name",
    "event_source", "event_type", "course_id", "org_id", "problem_id", "success", "video_id",
    "video_code", "video_speed", "book_type", "seq_id", "location",
)
# Statistics where queries filter: `WHERE time BETWEEN ...` prunes row groups and pages.
STATISTICS_COLUMNS = (
    "time", "line", "source", "server", "username", "event_source", "event_type",
    "course_id", "org_id", "user_id",
)


def parquet_options(schema: pa.Schema, compression: str = "zstd", level: Optional[int] = None) -> dict:
    """ParquetWriter keyword arguments for `schema` (query-friendly defaults)."""
    names = set(schema.names)
    return dict(
        compression=None if compression == "none" else compression,
        # zstd 1: the fastest level; 3 saves ~8 % of size for ~20 % more encoding time.
        compression_level=level if level is not None or compression != "zstd" else 1,
        use_dictionary=[c for c in DICTIONARY_COLUMNS if c in names],
        write_statistics=[c for c in STATISTICS_COLUMNS if c in names],
        write_page_index=True,
    )


# ---- partition values → safe directory names ---------------------------------------------


def encode_value(value: Optional[str]) -> str:
    """The directory-name form of one partition value (see the module docstring)."""
    if value is None:
        return NULL_SEGMENT
    raw = value.encode("utf-8", "surrogatepass")
    enc = "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in raw)
    if enc == NULL_SEGMENT:  # keep its rows apart from the nulls' (readers still say null)
        enc = "%5F" + enc[1:]
    if len(enc) <= MAX_ENCODED_VALUE:
        return enc
    digest = hashlib.blake2b(raw, digest_size=8).hexdigest()
    head = enc[: MAX_ENCODED_VALUE - 40]
    cut = head.rfind("%", len(head) - 2)  # never end inside a %XX escape
    if cut != -1:
        head = head[:cut]
    return f"{head}~{digest}"


def partition_dir(keys: Iterable[str], values: Iterable[Optional[str]]) -> str:
    return "/".join(f"{k}={encode_value(v)}" for k, v in zip(keys, values))


def partition_arrays(table: pa.Table, keys: tuple[str, ...]) -> list[pa.Array]:
    """One array per partition key, for every row of `table` (``date``: date32 of the UTC time,
    a cast 10x cheaper than formatting every row; only the distinct dates become text)."""
    out = []
    for key in keys:
        if key == "date":
            col = table.column("time").cast(pa.date32())
        else:
            col = table.column(key)
        out.append(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
    return out


def split_by_partition(table: pa.Table, keys: tuple[str, ...]) -> Iterator[tuple[tuple, pa.Table]]:
    """(values, rows) per partition, rows in input order; one pass for a one-partition table."""
    if not keys:
        yield (), table
        return
    arrays = partition_arrays(table, keys)
    codes = None
    dictionaries = []
    for arr in arrays:
        enc = pc.dictionary_encode(arr, null_encoding="encode")
        dictionaries.append(enc.dictionary)
        idx = enc.indices.cast(pa.int64())
        codes = idx if codes is None else pc.add(pc.multiply(codes, _int64(len(enc.dictionary))), idx)
    distinct = pc.unique(codes)
    if len(distinct) == 1:
        yield _values(distinct[0].as_py(), dictionaries), table
        return
    order = pc.sort_indices(codes)  # stable: input order within each partition
    sorted_codes = pc.take(codes, order)
    counts = pc.value_counts(sorted_codes)  # in order of first appearance = sorted order
    taken = table.take(order)
    start = 0
    for item in counts:
        code, n = item["values"].as_py(), item["counts"].as_py()
        yield _values(code, dictionaries), taken.slice(start, n)
        start += n


def _int64(n: int) -> pa.Scalar:
    # from a buffer: converting a Python int would make pyarrow import pandas (~0.3 s)
    return pa.Array.from_buffers(pa.int64(), 1, [None, pa.py_buffer(struct.pack("<q", n))])[0]


def _values(code: int, dictionaries: list[pa.Array]) -> tuple:
    out = []
    for d in reversed(dictionaries):
        code, i = divmod(code, len(d))
        value = d[i].as_py()
        out.append(value.isoformat() if hasattr(value, "isoformat") else value)
    return tuple(reversed(out))


# ---- writing partitioned files on a thread pool -------------------------------------------


@dataclass
class WrittenFile:
    """A finished data file: where it is now (tmp), where it goes, and whose rows it holds."""

    tmp: str  # relative to the dataset root
    final: str
    rows: int = 0
    #: [member, first row, row count] runs, in file order (a member's rows are contiguous
    #: within a file because rows arrive in input order).
    members: list = field(default_factory=list)


class _OpenFile:
    def __init__(self, written: WrittenFile):
        self.written = written
        self.writer: Optional[pq.ParquetWriter] = None
        self.buffer: list[pa.Table] = []
        self.buffer_rows = 0
        self.buffer_bytes = 0
        self.queue: deque = deque()  # tables (row groups) or None (= close)
        self.scheduled = False


class PartitionedWriter:
    """Streams tables into one Parquet file per partition, encoding on a thread pool.

    `write(table, member)` splits rows by partition and buffers them; a buffer that reaches a
    row group (ROW_GROUP_ROWS / ROW_GROUP_BYTES) is encoded by a pool thread while the caller
    goes on reading (pyarrow releases the GIL while encoding). A file's row groups are written
    in order by one drain task at a time. Memory: at most BUFFER_BUDGET Arrow bytes are
    buffered or queued; at most MAX_OPEN_FILES files are open (the least recently used is
    finished, and its partition continues in a new file).
    """

    def __init__(self, root: Path, tmp_rel: str, run_id: str, keys: tuple[str, ...], schema: pa.Schema,
                 options: dict, *, threads: int = 2, budget: Optional[int] = None,
                 row_group_rows: int = ROW_GROUP_ROWS, single_file: Optional[str] = None):
        self.root = root
        self.tmp_rel = tmp_rel
        self.run_id = run_id
        self.keys = keys
        self.schema = schema
        self.options = options
        self.budget = BUFFER_BUDGET if budget is None else budget
        self.row_group_rows = row_group_rows
        self.single_file = single_file  # no partitions: one file at this final name
        self.files: "OrderedDict[str, _OpenFile]" = OrderedDict()  # partition dir -> open file
        self.finished: list[WrittenFile] = []
        self.seq = 0
        self.held = 0  # Arrow bytes buffered + queued
        self.cond = threading.Condition()
        self.error: Optional[BaseException] = None
        self.pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="edxlog-write")

    # -- caller side --

    def write(self, table: pa.Table, member: str) -> None:
        if table.num_rows == 0:
            return
        for values, part in split_by_partition(table, self.keys):
            pdir = partition_dir(self.keys, values)
            f = self.files.get(pdir)
            if f is None:
                f = self._open(pdir)
            else:
                self.files.move_to_end(pdir)
            runs = f.written.members
            if runs and runs[-1][0] == member:
                runs[-1][2] += part.num_rows
            else:
                runs.append([member, f.written.rows, part.num_rows])
            f.written.rows += part.num_rows
            f.buffer.append(part)
            f.buffer_rows += part.num_rows
            nbytes = part.nbytes
            f.buffer_bytes += nbytes
            with self.cond:
                self.held += nbytes
            if f.buffer_rows >= self.row_group_rows or f.buffer_bytes >= min(ROW_GROUP_BYTES, self.budget):
                self._submit(f)
        self._relieve()

    def close(self) -> list[WrittenFile]:
        """Write what is buffered, finish every file, and return them all."""
        for pdir in list(self.files):
            self._finish(pdir)
        self.pool.shutdown(wait=True)
        self._check()
        return self.finished

    def abort(self) -> None:
        """Stop without finishing (the caller removes the tmp directory)."""
        with self.cond:
            self.error = self.error or KeyboardInterrupt()
            for f in self.files.values():
                f.queue.clear()
        self.pool.shutdown(wait=True, cancel_futures=True)
        for f in self.files.values():
            with contextlib.suppress(Exception):
                if f.writer is not None:
                    f.writer.close()

    # -- internals --

    def _open(self, pdir: str) -> _OpenFile:
        if len(self.files) >= MAX_OPEN_FILES:
            self._finish(next(iter(self.files)))
        self.seq += 1
        if self.single_file is not None:
            final = self.single_file
        else:
            final = f"{pdir}/part-{self.run_id}-{self.seq:05d}.parquet" if pdir else \
                f"part-{self.run_id}-{self.seq:05d}.parquet"
        tmp = f"{self.tmp_rel}/{self.seq:05d}.parquet.tmp"
        f = _OpenFile(WrittenFile(tmp=tmp, final=final))
        self.files[pdir] = f
        return f

    def _finish(self, pdir: str) -> None:
        f = self.files.pop(pdir)
        if f.buffer:
            self._submit(f)
        self._enqueue(f, None)
        self.finished.append(f.written)

    def _submit(self, f: _OpenFile) -> None:
        table = pa.concat_tables(f.buffer) if len(f.buffer) > 1 else f.buffer[0]
        f.buffer, f.buffer_rows, f.buffer_bytes = [], 0, 0
        self._enqueue(f, table)

    def _enqueue(self, f: _OpenFile, item) -> None:
        with self.cond:
            self._check()
            f.queue.append(item)
            if not f.scheduled:
                f.scheduled = True
                self.pool.submit(self._drain, f)

    def _relieve(self) -> None:
        """Over budget: queue the biggest buffers as row groups, then wait for the encoders."""
        buffered = sum(f.buffer_bytes for f in self.files.values())
        with self.cond:
            queued = self.held - buffered
        if buffered + queued <= self.budget:
            return
        for f in sorted(self.files.values(), key=lambda f: f.buffer_bytes, reverse=True):
            if buffered <= self.budget // 2 or not f.buffer:
                break
            buffered -= f.buffer_bytes
            self._submit(f)
        with self.cond:
            while self.held - buffered > self.budget // 2 and self.error is None:
                self.cond.wait(0.5)
            self._check()

    def _drain(self, f: _OpenFile) -> None:
        try:
            while True:
                with self.cond:
                    if not f.queue or self.error is not None:
                        f.scheduled = False
                        return
                    item = f.queue.popleft()
                if item is None:
                    if f.writer is not None:
                        f.writer.close()
                        f.writer = None
                    continue
                if f.writer is None:
                    path = self.root / f.written.tmp
                    path.parent.mkdir(parents=True, exist_ok=True)
                    f.writer = pq.ParquetWriter(path, self.schema, **self.options)
                f.writer.write_table(item, row_group_size=item.num_rows)
                with self.cond:
                    self.held -= item.nbytes
                    self.cond.notify_all()
        except BaseException as e:  # reported to the caller at its next call
            with self.cond:
                self.error = self.error or e
                f.scheduled = False
                self.cond.notify_all()

    def _check(self) -> None:
        if self.error is not None and not isinstance(self.error, KeyboardInterrupt):
            raise self.error


# ---- the manifest and atomic commits ------------------------------------------------------


class DatasetError(Exception):
    """The dataset cannot be used as asked (locked, other options, unreadable manifest)."""


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary name and a rename (fsync'd)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


class Dataset:
    """An open dataset directory, locked for one run.

    ``manifest`` (a dict, saved as JSON)::

        format, version, partition_by, columns      fixed when the dataset is created
        members: {name: {size, sha256, archive, source, rows, rejects, run}}
        files:   {relative path: {rows, run, members: [[member, first row, count], ...]}}
        rejects: {relative path: {rows, run}}
        archives: {absolute path: {size, mtime_ns, members: [[name, size, sha256], ...]}}
                  (listing cache: an archive whose size and mtime did not change is not re-hashed)
        runs:    [{id, started, finished, inputs, summary counts}]
        pending: null, or {run, renames: [[tmp, final], ...], deletes: [path, ...]}
    """

    def __init__(self, root: Path):
        self.root = root
        self.manifest: dict = {}
        self._lock_fd: Optional[int] = None
        #: Set for a dataset staged from a URL (edxlog.remote_dataset): fetches one of the
        #: dataset's files into ``root`` before it is read.
        self.fetch: Optional[Callable[[str], None]] = None

    def local(self, rel: str) -> Path:
        """The local path of a file of the dataset (fetched first when the dataset is staged)."""
        path = self.root / rel
        if self.fetch is not None and not path.exists():
            self.fetch(rel)
        return path

    @classmethod
    def open(cls, root: Path) -> "Dataset":
        root.mkdir(parents=True, exist_ok=True)
        ds = cls(root)
        ds._lock()
        try:
            ds._load()
            ds._recover()
        except BaseException:
            ds.close()
            raise
        return ds

    def close(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def _lock(self) -> None:
        import fcntl

        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES):
                raise DatasetError(f"{self.root}: another edxlog convert is writing to this dataset") from None
            raise
        self._lock_fd = fd

    def _load(self) -> None:
        path = self.root / MANIFEST
        if not path.exists():
            if any(p.name not in (LOCK, TMP) for p in self.root.iterdir()):
                raise DatasetError(f"{self.root}: not empty and not an edxlog dataset (no {MANIFEST})")
            self.manifest = {}
            return
        try:
            m = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise DatasetError(f"{path}: unreadable manifest: {e}") from None
        if m.get("format") != FORMAT:
            raise DatasetError(f"{path}: not an edxlog dataset manifest")
        if m.get("version", 0) > FORMAT_VERSION:
            raise DatasetError(f"{path}: made by a newer edxlog (manifest version {m.get('version')})")
        self.manifest = m

    @property
    def exists(self) -> bool:
        return bool(self.manifest)

    def create(self, partition_by: list[str], columns: list[str]) -> None:
        self.manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "partition_by": partition_by,
            "columns": columns,
            "members": {},
            "files": {},
            "rejects": {},
            "archives": {},
            "runs": [],
            "pending": None,
        }

    def _recover(self) -> None:
        """Roll a committed-but-interrupted run forward, then drop uncommitted tmp files."""
        if self.manifest.get("pending"):
            self._apply(self.manifest["pending"])
            self.manifest["pending"] = None
            self.save()
        shutil.rmtree(self.root / TMP, ignore_errors=True)

    def _apply(self, pending: dict) -> None:
        for tmp, final in pending["renames"]:
            src, dst = self.root / tmp, self.root / final
            if src.exists():
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
        for rel in pending["deletes"]:
            with contextlib.suppress(FileNotFoundError):
                (self.root / rel).unlink()
        for d in {(self.root / final).parent for _, final in pending["renames"]}:
            _fsync_dir(d)

    def save(self) -> None:
        write_atomic(self.root / MANIFEST, json.dumps(self.manifest, indent=1, sort_keys=True).encode())

    def commit(self, renames: list[tuple[str, str]], deletes: list[str]) -> None:
        """Make a run's files visible: manifest first (with the renames pending), then renames."""
        for tmp, _ in renames:  # data on disk before the manifest points at it
            with open(self.root / tmp, "rb") as f:
                os.fsync(f.fileno())
        pending = {"renames": [list(r) for r in renames], "deletes": list(deletes)}
        self.manifest["pending"] = pending
        self.save()
        self._apply(pending)
        self.manifest["pending"] = None
        self.save()
