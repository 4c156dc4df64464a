"""One dict per event: what per-event tools (ralph, event-routing-backends, edx2bigquery-style
scripts) get from ``json.loads(line)`` plus their own fix-ups, built from edxlog's cleaned rows.

The dict of one row (``loads``, ``iter_events``, ``batch_to_dicts``):

- ``username``, ``session``, ``ip``, ``agent``, ``page``, ``host``, ``referer``,
  ``accept_language``, ``name``, ``event_source``, ``event_type``: always present, a ``str`` or
  ``None`` (absent and ``null`` in the log are both ``None``; a number in the log is its text).
- ``time``: the event time as an ISO 8601 string in UTC, as Open edX writes it
  (``datetime.isoformat()``: ``2014-05-02T16:02:17.183221+00:00``; no fraction when it is zero).
  Other offsets in the log are converted to UTC. ``None`` when absent. A time the reader could not
  parse stays as the log had it (it comes back through the other keys, below).
- ``context``: the context object as a ``dict`` (``None`` when absent).
- ``event``: the payload decoded (contract §4): a ``dict`` for an object or for a string holding
  a JSON object (up to three levels of quoting), a ``list`` for an array (``problem_graded``),
  else the string itself (``""`` for an empty event). Two exceptions:
  - a GET-style ``problem_check`` / ``problem_save`` / ``problem_graded`` string
    (``input_i4x-...=3.14&input_...=4500``, quoted or not) becomes the decoded answers, the
    ``answers`` column: ``{"i4x-..._2_1": ["3.14"], ...}`` (keys without ``input_`` and ``[]``,
    values always lists, repeated keys collected);
  - an event string that looks like JSON but does not decode (cut at 512 characters) stays the
    original string, and ``warnings`` says so.
  A number or boolean ``event`` (not seen in real logs) comes back as its JSON text.
- every other top-level key of the line, as ``json.loads`` gives it (from the ``extra`` column);
  so is any known key whose value the reader could not convert (a ``time`` it could not parse, a
  ``context`` that is not an object), with its original value.
- ``warnings``: the row's warnings, a list of strings (``[]`` when none); drop it with
  ``warnings=False`` for validators that refuse unknown keys (ralph's models do).
- with ``meta=True`` (``iter_events``): ``_edxlog``: ``{"source", "server", "line",
  "event_id"}`` (``event_id`` as 32 hex digits): where the row came from.

Keys come in this order: the common fields, ``time``, ``context``, ``event``, the other keys of
the line, ``warnings``, ``_edxlog``.

Compared with ``json.loads`` of the raw line, then: the event is decoded, the time normalised to
UTC ISO text, absent common keys are ``None``, and damage the reader repairs (NUL bytes, invalid
UTF-8, a logging prefix, a BOM) is repaired and warned about. A line that is not a JSON object
raises ``edxlog.EdxlogError`` (a ``ValueError``, as ``json.JSONDecodeError`` is) in ``loads``, and
is counted as a reject (``reader.rejects()``) by ``iter_events``.
"""

from __future__ import annotations

import io
import json
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from edxlog._core import EdxlogError, Reader

_orjson_loads: Optional[Callable[[str], Any]]
try:  # orjson is faster on the JSON texts; its results are the same, and json is the fallback
    from orjson import JSONDecodeError as _OrjsonError
    from orjson import loads as _orjson_loads
except ImportError:  # pragma: no cover - orjson is optional
    _orjson_loads = None

__all__ = ["loads", "iter_events", "batch_to_dicts", "to_json_lines", "COLUMNS", "META_COLUMNS"]

#: The top-level string fields of a tracking-log line, in the order the dict lists them.
STRING_FIELDS = (
    "username",
    "session",
    "ip",
    "agent",
    "page",
    "host",
    "referer",
    "accept_language",
    "name",
    "event_source",
    "event_type",
)
#: The columns a dict is built from: pass ``columns=COLUMNS`` to ``edxlog.read`` when you only
#: want dicts (the reader then skips the work other columns need).
COLUMNS = (*STRING_FIELDS, "time", "context", "extra", "event", "answers", "warnings")
#: What ``meta=True`` needs as well.
META_COLUMNS = ("source", "server", "line", "event_id")

#: Event types whose GET-style string payload the reader decodes into ``answers`` (contract §4).
_GET_EVENT_TYPES = frozenset(("problem_check", "problem_save", "problem_graded"))
_UNDECODABLE = "event: looks like JSON but does not decode"
_MAX_DECODINGS = 3


def _json_loads(text: str) -> Any:
    if _orjson_loads is not None:
        try:
            return _orjson_loads(text)
        except _OrjsonError:  # numbers orjson refuses (> 64 bits); json takes them
            pass
    return json.loads(text)


def _decode_event(
    text: Optional[str],
    event_type: Optional[str],
    answers: Optional[List[Tuple[str, List[Optional[str]]]]],
    warnings: Optional[List[str]],
) -> Any:
    """The payload of the ``event`` column's text, following contract §4 (the reader's warnings
    tell which texts it could not decode, so both sides agree)."""
    if text is None:
        return None
    if warnings is not None and _UNDECODABLE in warnings:
        return text
    value: Any = text
    for _ in range(_MAX_DECODINGS):
        head = value.lstrip()[:1]
        if head not in ("{", "[", '"'):
            break
        try:
            value = _json_loads(value)
        except ValueError:
            # Only a quoted string can fail without a warning: a cut quoted GET payload.
            value = value[1:] if head == '"' else value
            break
        if not isinstance(value, str):
            break
    if isinstance(value, (dict, list)):
        return value
    if isinstance(value, str) and answers is not None and event_type in _GET_EVENT_TYPES:
        return {key: list(values) for key, values in answers}
    if value is text or isinstance(value, str):
        return value
    return text  # a number, bool or null the text spelled: keep the text (see the module doc)


def _iso_times(column: Any) -> List[Optional[str]]:
    """``datetime.isoformat()`` of UTC timestamps, computed by Arrow for the whole column."""
    text = pc.strftime(column, format="%Y-%m-%dT%H:%M:%S+00:00")  # %S holds the fraction
    return pc.replace_substring(text, ".000000+", "+").to_pylist()  # type: ignore[no-any-return]


def batch_to_dicts(batch: pa.RecordBatch, *, warnings: bool = True, meta: bool = False) -> List[Dict[str, Any]]:
    """The rows of a batch (holding at least ``COLUMNS``, and ``META_COLUMNS`` with ``meta``)
    as event dicts, in order. See the module documentation for the keys."""
    strings = zip(*(batch.column(name).to_pylist() for name in STRING_FIELDS))
    rest = [batch.column(name).to_pylist() for name in ("event_type", "context", "event", "answers", "extra", "warnings")]
    if meta:
        provenance = zip(*(batch.column(name).to_pylist() for name in META_COLUMNS))
    out = []
    loads = _json_loads
    for common, time, (event_type, ctx, text, answers, extra, row_warnings) in zip(
        strings, _iso_times(batch.column("time")), zip(*rest)
    ):
        ev: Dict[str, Any] = dict(zip(STRING_FIELDS, common))
        ev["time"] = time
        ev["context"] = loads(ctx) if ctx is not None else None
        ev["event"] = _decode_event(text, event_type, answers, row_warnings)
        if extra is not None:
            ev.update(loads(extra))
        if warnings:
            ev["warnings"] = row_warnings or []
        if meta:
            source, server, line, event_id = next(provenance)
            ev["_edxlog"] = {"source": source, "server": server, "line": line, "event_id": event_id.hex()}
        out.append(ev)
    return out


def iter_events(source: Any, *, warnings: bool = True, meta: bool = False, **read_options: Any) -> Iterator[Dict[str, Any]]:
    """Events of ``source`` (anything ``edxlog.read`` takes, URLs included, with the same
    options) one dict at a time, in input order. Lines that are not events are counted, not yielded: to see them, read
    with ``edxlog.read`` and use ``reader.rejects()``. ``columns`` is chosen here."""
    if "columns" in read_options:
        raise TypeError("iter_events chooses the columns itself")
    from edxlog import read  # here: edxlog/__init__.py imports this module

    columns = list(COLUMNS) + (list(META_COLUMNS) if meta else [])
    with read(source, columns=columns, **read_options) as reader:
        for batch in reader:
            yield from batch_to_dicts(batch, warnings=warnings, meta=meta)


def loads(line: Union[bytes, bytearray, memoryview, str], *, warnings: bool = True) -> Dict[str, Any]:
    """One tracking-log line (``bytes`` or ``str``, with or without its newline) as an event
    dict, exactly as ``iter_events`` would give it. Raises ``edxlog.EdxlogError`` (a
    ``ValueError``) when the line is blank, not an event (the reject's error), or more than
    one line."""
    if isinstance(line, str):
        line = line.encode("utf-8", "surrogatepass")
    elif not isinstance(line, (bytes, bytearray, memoryview)):
        raise TypeError(f"loads takes bytes or str, not {type(line).__name__}")
    with Reader(io.BytesIO(line), columns=list(COLUMNS), threads=1, max_rejects=1) as reader:
        table = reader.read_all()
        stats = reader.stats
        if stats["rejects"]:
            raise EdxlogError(reader.rejects().column("error")[0].as_py())
    if table.num_rows != 1 or stats["lines"] - stats["blank"] != 1:
        what = "a blank line" if table.num_rows == 0 else f"{stats['lines'] - stats['blank']} lines"
        raise EdxlogError(f"loads takes one event line, got {what}")
    return batch_to_dicts(table.combine_chunks().to_batches()[0], warnings=warnings)[0]


def to_json_lines(batch: pa.RecordBatch, *, warnings: bool = True, meta: bool = False) -> str:
    """The rows of a batch as JSON lines (each ending with ``\\n``): the event dicts, compact,
    UTF-8 kept as is. What ``edxlog convert ... -o - --format jsonl`` writes, so that
    ``edxlog ... | ralph validate -f edx`` style pipelines take cleaned events."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return "".join(dumps(ev) + "\n" for ev in batch_to_dicts(batch, warnings=warnings, meta=meta))
