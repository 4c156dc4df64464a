"""edxlog: edX / Open edX tracking logs to Apache Arrow, fast.

>>> import edxlog
>>> table = edxlog.read_table("tracking-logs.tar.gz")          # doctest: +SKIP
>>> for batch in edxlog.read("logs/", columns=["time", "event_type"]):  # doctest: +SKIP
...     ...

The reading rules are in docs/contract.md; the columns in docs/schema.md (``edxlog.SCHEMA``).
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING, Any, Iterable, Literal, Mapping, Optional, Sequence, Union

from edxlog._core import DEFAULTS as _DEFAULTS
from edxlog._core import ArchiveError, EdxlogError, Reader, __version__
from edxlog._core import schema as _schema
from edxlog import remote as _remote
from edxlog.events import iter_events, loads

if TYPE_CHECKING:
    import pyarrow as pa

#: The schema of every batch edxlog produces (a ``pyarrow.Schema``; each field carries its
#: one-line documentation under the metadata key ``b"doc"``). Defined once, in the Rust core.
SCHEMA: "pa.Schema" = _schema()

Source = Union[str, "os.PathLike[str]", IO[bytes], Sequence[Union[str, "os.PathLike[str]", IO[bytes]]]]

__all__ = ["read", "read_table", "loads", "iter_events", "Reader", "SCHEMA", "EdxlogError", "ArchiveError", "__version__"]


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
    storage_options: Optional[Mapping[str, Any]] = None,
) -> Reader:
    """Stream tracking logs as Arrow record batches.

    ``source`` is a path (``.tar``, ``.tar.gz``/``.tgz``, ``.gz``, plain log, or a directory
    walked recursively in sorted order), a list of paths, ``"-"`` for standard input, or a
    binary file object. Compression and tar are recognised by their magic bytes.
    URLs (``s3://bucket/key``, a prefix ``s3://bucket/2013/``, a glob
    ``s3://bucket/*/tracking-*.tar.gz``, or any protocol fsspec opens) are streamed in large
    ranged reads; ``storage_options`` (endpoint, credentials, ``anon``) go to fsspec
    (``pip install "edxlog[s3]"``; see docs/s3.md).

    Returns an :class:`edxlog.Reader`: iterate it for ``pyarrow.RecordBatch`` es (at most
    ``batch_size`` rows each, in input order), or hand it to any Arrow consumer
    (``pyarrow.RecordBatchReader.from_stream``, DuckDB, polars), which pulls it lazily.

    ``threads`` is the number of parse workers (default: the machine's cores). Memory comes from
    a budget of work in flight (64 MiB for two workers, at most 96 MiB), not from the thread
    count: a worker starts only for each 24 MiB of it, so at most 4 run whatever ``threads``
    asks for (peak RSS figures: README, "Use").

    ``columns`` selects (and orders) the columns; work only those columns need is skipped.
    ``event_types`` keeps only rows whose ``event_type`` is one of these names; other lines are
    skipped before the costly work (most are not even parsed) and counted as ``filtered``.

    ``on_error="skip"`` counts damaged lines and members as rejects (``reader.rejects()``);
    ``"raise"`` raises :class:`edxlog.ArchiveError` on a corrupt archive or non-log input.
    ``reader.rejects()`` keeps the first ``max_rejects`` rejects in full; later ones are only
    counted (``stats["rejects"]`` counts all, ``stats["rejects_dropped"]`` those not kept).
    """
    return Reader(
        _open_urls(source, storage_options),
        batch_size=batch_size,
        threads=threads,
        columns=list(columns) if columns is not None else None,
        event_types=_names(event_types, "event_types"),
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        max_rejects=max_rejects,
    )


def _open_urls(source: Any, storage_options: Optional[Mapping[str, Any]]) -> Any:
    """URLs (alone or in a list) → file objects over their expanded objects; the rest as is."""
    items = source if isinstance(source, (list, tuple)) else None
    if items is None:
        if not _remote.is_url(source):
            return source
        items = [source]
    elif not any(_remote.is_url(item) for item in items):
        return source
    out: list[Any] = []
    for item in items:
        if _remote.is_url(item):
            out.extend(_remote.open_all(_remote.expand([item], storage_options)))
        else:
            out.append(item)
    return out


def _names(value: Optional[Iterable[str]], what: str) -> Optional[list[str]]:
    if value is None:
        return None
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{what} must be a list of names, not a single {type(value).__name__}")
    return list(value)


def read_table(source: Source, **kwargs: Any) -> "pa.Table":
    """Read everything into a ``pyarrow.Table``: shorthand for ``read(source, **kwargs).read_all()``."""
    with read(source, **kwargs) as reader:
        return reader.read_all()
