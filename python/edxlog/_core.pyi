"""Type stubs of the compiled core (`src/python/`)."""

import os
from types import ModuleType
from typing import IO, Any, Iterator, Literal, Optional, Sequence, Union, final

import pyarrow as pa

__all__ = ["Reader", "schema", "schema_markdown", "rejects_schema", "EdxlogError", "ArchiveError", "__version__", "DEFAULTS", "STATS_FIELDS", "_testing"]

__version__: str
#: The defaults of `read()`'s keywords: batch_size, max_line_bytes, max_rejects.
DEFAULTS: dict[str, int]
#: The keys of `Reader.stats`, in order.
STATS_FIELDS: tuple[str, ...]
#: Internal hooks for edxlog's own tests and benchmarks (panic_on, inflate_only, debug_build):
#: not part of the API.
_testing: ModuleType

class EdxlogError(ValueError):
    """Base class of edxlog's errors (a ValueError)."""

class ArchiveError(EdxlogError):
    """A corrupt tar or gzip stream, or input that is not tracking logs (with on_error="raise")."""

def schema() -> pa.Schema:
    """The schema of `read()`'s batches (also `edxlog.SCHEMA`)."""

def schema_markdown() -> str:
    """docs/schema.md, generated from the schema definition."""

def rejects_schema() -> pa.Schema:
    """The schema of `Reader.rejects()`: (source, line, error, raw)."""

_Source = Union[str, os.PathLike[str], IO[bytes], Sequence[Union[str, os.PathLike[str], IO[bytes]]]]

@final
class Reader:
    """A lazy stream of `pyarrow.RecordBatch` over tracking logs, in input order.

    Also an Arrow PyCapsule stream: `pyarrow.RecordBatchReader.from_stream(reader)`,
    `duckdb.sql("select ... from reader")` and polars pull it batch by batch without the GIL.
    Handing it to such a consumer consumes it; `stats` and `rejects()` stay available.

    Threads: a reader may be iterated from several Python threads at once. Each batch goes to
    exactly one caller (which one is not defined), none is lost or repeated; waits release the
    GIL. Ctrl-C (KeyboardInterrupt) while reading stops the read and releases its threads;
    so do `close()` and leaving a `with` block. A Rust panic surfaces as `EdxlogError`.
    """

    def __new__(
        cls,
        source: _Source,
        *,
        batch_size: int = ...,
        threads: Optional[int] = None,
        columns: Optional[Sequence[str]] = None,
        event_types: Optional[Sequence[str]] = None,
        on_error: Literal["skip", "raise"] = "skip",
        max_line_bytes: int = ...,
        max_rejects: int = ...,
    ) -> "Reader": ...
    @property
    def schema(self) -> pa.Schema:
        """The schema of the batches (only the requested columns when `columns` was given)."""
    def __iter__(self) -> Iterator[pa.RecordBatch]: ...
    def __next__(self) -> pa.RecordBatch: ...
    def read_all(self) -> pa.Table:
        """Everything not yet read, as one table."""
    @property
    def stats(self) -> dict[str, int]:
        """lines, rows, rejects, blank, filtered, members, bytes_in (as stored), bytes_out
        (decompressed), rejects_dropped (rejects counted but not kept in `rejects()`, over
        `max_rejects`). `lines == rows + rejects + blank + filtered` holds at any time
        (`filtered` counts lines skipped by `event_types`; it is 0 without it)."""
    def rejects(self) -> pa.Table:
        """Lines and damaged members that gave no row so far: (source, line, error, raw); the
        first `max_rejects` of them, in input order."""
    def close(self) -> None:
        """Stop reading and release the worker threads."""
    def __enter__(self) -> "Reader": ...
    def __exit__(self, *args: Any) -> Literal[False]:
        """Stops the read (as `close()`); never swallows an exception."""
    def __arrow_c_schema__(self) -> object: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...
