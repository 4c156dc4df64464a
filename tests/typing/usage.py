"""A typed use of edxlog's public API: `mypy --strict` must accept it against the hand-written
stubs (python/edxlog/_core.pyi) and edxlog's annotations, and it runs (tests/test_typing.py)."""

from __future__ import annotations

import io
import sys
from typing import Any, Dict, Iterator, List, Optional

import pyarrow as pa

import edxlog
from edxlog import events


def summarise(path: str) -> Dict[str, int]:
    with edxlog.read(path, columns=["time", "event_type"], batch_size=1000, threads=2) as reader:
        schema: pa.Schema = reader.schema
        assert schema.names == ["time", "event_type"]
        rows = 0
        for batch in reader:
            rows += batch.num_rows
        stats: Dict[str, int] = reader.stats
        rejects: pa.Table = reader.rejects()
    assert rows == stats["rows"] and rejects.num_rows == stats["rejects"] - stats["rejects_dropped"]
    return stats


def from_a_file_object(data: bytes) -> pa.Table:
    reader: edxlog.Reader = edxlog.Reader(io.BytesIO(data), on_error="skip", max_rejects=10)
    return reader.read_all()


def per_event(path: str) -> List[str]:
    types: List[str] = []
    stream: Iterator[Dict[str, Any]] = edxlog.iter_events(path, event_types=["play_video"])
    for ev in stream:
        event_type: Optional[str] = ev["event_type"]
        if event_type is not None:
            types.append(event_type)
    one: Dict[str, Any] = edxlog.loads(b'{"event_type": "x", "event": "{\\"a\\": 1}"}')
    assert one["event"] == {"a": 1}
    return types


def as_json_lines(path: str) -> str:
    batch = next(iter(edxlog.read(path, columns=list(events.COLUMNS), batch_size=10)))
    return events.to_json_lines(batch)


def errors() -> str:
    try:
        edxlog.loads("not json")
    except edxlog.EdxlogError as exc:  # also a ValueError
        return str(exc)
    raise AssertionError("loads accepted a line that is not JSON")


def main(path: str) -> None:
    stats = summarise(path)
    table = edxlog.read_table(path, event_types=["play_video", "pause_video"])
    assert table.schema.equals(edxlog.SCHEMA)
    assert from_a_file_object(b'{"username": "u"}\n').num_rows == 1
    assert per_event(path)
    assert as_json_lines(path).count("\n") == 10
    assert errors() == "not a JSON object"
    version: str = edxlog.__version__
    print(version, stats["rows"])


if __name__ == "__main__":
    main(sys.argv[1])
