"""edxlog: edX / Open edX tracking logs to Apache Arrow, fast.

>>> import edxlog
>>> table = edxlog.read_table("tracking-logs.tar.gz")          # doctest: +SKIP
>>> for batch in edxlog.read("logs/", columns=["time", "event_type"]):  # doctest: +SKIP
...     ...

The reading rules are in docs/contract.md; the columns in docs/schema.md (``edxlog.SCHEMA``).
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Iterable, Literal, Optional, Sequence, Union

from edxlog._core import DEFAULTS as _DEFAULTS
from edxlog._core import ArchiveError, EdxlogError, Reader, __version__
from edxlog._core import schema as _schema

if TYPE_CHECKING:
    import pyarrow as pa

#: The schema of every batch edxlog produces (a ``pyarrow.Schema``; each field carries its
#: one-line documentation under the metadata key ``b"doc"``). Defined once, in the Rust core.
SCHEMA: "pa.Schema" = _schema()

Source = Union[str, "os.PathLike[str]", IO[bytes], Sequence[Union[str, "os.PathLike[str]", IO[bytes]]]]

__all__ = ["read", "read_table", "Reader", "SCHEMA", "EdxlogError", "ArchiveError", "__version__"]


def read(
    source: Source,
    *,
    batch_size: int = _DEFAULTS["batch_size"],
    threads: Optional[int] = None,
    columns: Optional[Iterable[str]] = None,
    event_types: Optional[Iterable[str]] = None,
    on_error: Literal["skip", "raise"] = "skip",
    max_line_bytes: int = _DEFAULTS["max_line_bytes"],
    max_rejects: int = _DEFAULTS["max_rejects"],
) -> Reader:
    """Stream tracking logs as Arrow record batches.

    ``source`` is a path (``.tar``, ``.tar.gz``/``.tgz``, ``.gz``, plain log, or a directory
    walked recursively in sorted order), a list of paths, ``"-"`` for standard input, or a
    binary file object. Compression and tar are recognised by their magic bytes.

    Returns an :class:`edxlog.Reader`: iterate it for ``pyarrow.RecordBatch`` es (at most
    ``batch_size`` rows each, in input order), or hand it to any Arrow consumer
    (``pyarrow.RecordBatchReader.from_stream``, DuckDB, polars), which pulls it lazily.

    ``columns`` selects (and orders) the columns; work only those columns need is skipped.
    ``event_types`` keeps only rows whose ``event_type`` is one of these names; other lines are
    skipped before the costly work (most are not even parsed) and counted as ``filtered``.

    ``on_error="skip"`` counts damaged lines and members as rejects (``reader.rejects()``);
    ``"raise"`` raises :class:`edxlog.ArchiveError` on a corrupt archive or non-log input.
    ``reader.rejects()`` keeps the first ``max_rejects`` rejects in full; later ones are only
    counted (``stats["rejects"]`` counts all, ``stats["rejects_dropped"]`` those not kept).
    """
    return Reader(
        source,
        batch_size=batch_size,
        threads=threads,
        columns=list(columns) if columns is not None else None,
        event_types=_names(event_types, "event_types"),
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        max_rejects=max_rejects,
    )


def _names(value, what: str):
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of names, not a single {type(value).__name__}")
    return list(value)


def read_table(source: Source, **kwargs) -> "pa.Table":
    """Read everything into a ``pyarrow.Table``: shorthand for ``read(source, **kwargs).read_all()``."""
    with read(source, **kwargs) as reader:
        return reader.read_all()
