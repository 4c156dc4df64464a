"""The public surface: ``read``, ``read_table`` and ``ReferenceReader``, with the same options
and results as ``edxlog.read`` (src/python/reader.rs).
"""

from __future__ import annotations

import pyarrow as pa

from .accounting import DEFAULT_MAX_REJECTS, Accounting
from .columns.builder import rows_to_batch
from .columns.schema import selected_schema
from .input.source import resolve_inputs
from .pipeline import Pipeline
from .record.event_filter import EventTypeFilter
from .record.json import JsonDecoder
from .record.line import LineParser

DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
DEFAULT_BATCH_SIZE = 65536


def read_table(source, **kwargs) -> pa.Table:
    """Read ``source`` whole into a pyarrow.Table with ``edxlog.SCHEMA`` (see ``read``)."""
    return read(source, **kwargs).read_all()


def read(
    source,
    *,
    columns=None,
    event_types=None,
    on_error="skip",
    max_line_bytes=DEFAULT_MAX_LINE_BYTES,
    json_loads=None,
    batch_size=DEFAULT_BATCH_SIZE,
    threads=None,
    max_rejects=DEFAULT_MAX_REJECTS,
) -> "ReferenceReader":
    """Open ``source`` for reading; nothing is parsed until batches are asked for.

    ``source``: a path (plain log, .gz, .tar, .tar.gz/.tgz or a directory), a list of paths,
    ``"-"`` for standard input, or a binary file-like object with ``.read(n)``.
    ``json_loads``: the JSON decoder to try first (default ``json.loads``; e.g. ``orjson.loads``).
    Whatever the decoder, the result is the same: lines it refuses, and lines where decoders
    are known to differ, are decoded by the strict standard-library path.
    ``batch_size`` and ``threads`` are accepted for signature parity with ``edxlog.read``;
    ``threads`` is ignored (the reference is single-threaded).
    """
    return ReferenceReader(
        source,
        columns=columns,
        event_types=event_types,
        on_error=on_error,
        max_line_bytes=max_line_bytes,
        json_loads=json_loads,
        batch_size=batch_size,
        max_rejects=max_rejects,
    )


class ReferenceReader:
    """Iterator of pyarrow.RecordBatch over every input, in input order, then line order."""

    def __init__(self, source, *, columns, on_error, max_line_bytes, json_loads, batch_size,
                 event_types=None, max_rejects=DEFAULT_MAX_REJECTS):
        _check_options(on_error, max_line_bytes, batch_size)
        self._schema = selected_schema(columns)
        self._batch_size = batch_size
        line_parser = LineParser(
            JsonDecoder(json_loads), "event_id" in self._schema.names, _event_filter(event_types)
        )
        # Missing paths fail here, at open time, with the path in the message.
        inputs = resolve_inputs(source)
        self._accounting = Accounting(max_rejects)
        self._rows = Pipeline(
            inputs, line_parser, self._schema.names, on_error, max_line_bytes, self._accounting
        ).rows()
        self._closed = False

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    @property
    def stats(self) -> dict:
        """Counts so far: lines == rows + rejects + blank + filtered always holds."""
        return dict(self._accounting.stats)

    def rejects(self) -> pa.Table:
        """Every rejected line so far (the first max_rejects): source, line, error, raw."""
        return self._accounting.rejects_table()

    def __iter__(self):
        return self

    def __next__(self) -> pa.RecordBatch:
        rows = []
        for row in self._rows:
            rows.append(row)
            if len(rows) >= self._batch_size:
                break
        if not rows:
            raise StopIteration
        return rows_to_batch(rows, self._schema)

    def read_all(self) -> pa.Table:
        return pa.Table.from_batches(list(self), schema=self._schema)

    def close(self):
        if not self._closed:
            self._closed = True
            self._rows.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _check_options(on_error, max_line_bytes, batch_size):
    if on_error not in ("skip", "raise"):
        raise ValueError(f"on_error must be 'skip' or 'raise', not {on_error!r}")
    if isinstance(max_line_bytes, bool) or not isinstance(max_line_bytes, int):
        raise TypeError("max_line_bytes must be an int")
    if max_line_bytes < 1:
        raise ValueError("max_line_bytes must be at least 1")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError("batch_size must be a positive int")


def _event_filter(event_types):
    if event_types is None:
        return None
    if isinstance(event_types, (str, bytes)):
        raise TypeError("event_types must be a list of names")
    return EventTypeFilter(event_types)
