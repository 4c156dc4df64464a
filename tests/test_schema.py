"""One schema definition: the code, docs/schema.md and the tests read the same one."""

from __future__ import annotations

import pyarrow as pa

import edxlog
from conftest import ROOT
from edxlog._core import schema_markdown


def test_docs_schema_md_is_generated_from_the_schema():
    committed = (ROOT / "docs" / "schema.md").read_text()
    assert committed == schema_markdown(), "regenerate: python -m edxlog.schema_doc > docs/schema.md"


def test_contract_types():
    s = edxlog.SCHEMA
    assert s.field("event_id").type == pa.binary(16)
    assert s.field("time").type == pa.timestamp("us", tz="UTC")
    assert s.field("line").type == pa.int64()
    assert s.field("answers").type == pa.map_(pa.string(), pa.list_(pa.string()))
    assert s.field("warnings").type == pa.list_(pa.string())
    cm = s.field("correct_map").type.value_type
    assert [f.name for f in cm] == [
        "answer_id", "correctness", "npoints", "msg", "hint", "hintmode", "queuestate_key", "queuestate_time"
    ]
    assert cm.field("npoints").type == pa.float64()
    for name in ["username", "session", "course_id", "context", "extra", "event", "state"]:
        assert s.field(name).type == pa.string()
    for name in ["user_id", "attempts", "book_old", "seq_new", "rubric_category", "selected_value"]:
        assert s.field(name).type == pa.int64()
    assert all(f.metadata and f.metadata[b"doc"] for f in s)
