"""`columns=` and `event_types=` skip work, never change results: a projected, filtered read
equals the full read filtered and projected afterwards, for the core and the reference."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import edxlog
from conftest import EXAMPLE, line, realdata_files, write_lines
from edxlog import reference
from test_differential import assert_same_tables

QUERIES = [
    (["time", "username", "video_time"], ["play_video", "pause_video"]),
    (["event_type", "course_id", "org_id", "user_id"], None),
    (["context", "extra", "event"], ["problem_check", "seq_goto", "book"]),
    (["event_id", "problem_id", "answers", "correct_map"], ["problem_check", "save_problem_check"]),
    (["warnings", "line", "event_type"], ["problem_check", "show_answer"]),
    (None, ["page_close"]),
    (["line"], []),
]


def _expected(full: pa.Table, columns, event_types) -> pa.Table:
    if event_types is not None:
        keep = pc.is_in(full["event_type"], value_set=pa.array(event_types, pa.string()))
        full = full.filter(pc.fill_null(keep, False))
    return full.select(columns) if columns is not None else full


def _sources(synth_corpus):
    return [EXAMPLE, synth_corpus, *realdata_files()]


@pytest.mark.parametrize("columns,event_types", QUERIES)
def test_pushdown_equals_filtering_afterwards(synth_corpus, columns, event_types):
    for src in _sources(synth_corpus):
        full = edxlog.read(src)
        table = full.read_all()
        r = edxlog.read(src, columns=columns, event_types=event_types)
        got = r.read_all()
        assert got.equals(_expected(table, columns, event_types)), (src, columns, event_types)
        s, f = r.stats, full.stats
        assert s["lines"] == f["lines"] == s["rows"] + s["rejects"] + s["blank"] + s["filtered"]
        assert s["rows"] == got.num_rows
        if event_types is None:
            assert s == f
        else:
            # Filtered lines were rows or rejects of the full read, never blank ones.
            assert s["blank"] == f["blank"]
            assert s["rejects"] <= f["rejects"]


@pytest.mark.parametrize("columns,event_types", QUERIES)
def test_reference_filters_the_same_way(synth_corpus, columns, event_types):
    for src in [EXAMPLE, *realdata_files()]:
        core = edxlog.read(src, columns=columns, event_types=event_types)
        ref = reference.read(src, columns=columns, event_types=event_types)
        assert_same_tables(core.read_all(), ref.read_all(), f"{src.name} {columns} {event_types}")
        assert core.stats == ref.stats


def test_every_column_alone_equals_that_column_of_the_full_read(synth_corpus):
    # Pushdown derives what a column needs from the column table; a column whose needs were
    # wrong would come back null (or different) when read alone.
    for src in _sources(synth_corpus):
        full = edxlog.read_table(src)
        for name in full.schema.names:
            alone = edxlog.read_table(src, columns=[name])
            assert alone.schema.names == [name]
            assert alone.column(0).equals(full.column(name)), (src.name, name)


def test_prefilter_never_drops_a_line_that_can_match(tmp_path):
    lines = [
        line(event_type="play_video", event={"currentTime": 1.5}),
        # Escapes can spell a wanted name: such lines are parsed, and kept.
        b'{"event_type":"play\\u005fvideo","event":{"currentTime":2.5}}',
        b'{"event_type":"\\/courses\\/x\\/","page":"p"}',
        line(event_type="/courses/x/"),
        # The name occurs, but as another key's value: parsed, then filtered.
        line(event_type="seq_goto", page="play_video"),
        # Broken lines: a reject when a wanted name occurs, filtered when none can.
        b'{"event_type":"play_video", broken',
        b'{"event_type":"seq_next", broken',
        b"",
        b"   ",
        line(event_type=5),
    ]
    src = write_lines(tmp_path / "f.log", lines)
    for read in (edxlog.read, reference.read):
        r = read(src, columns=["line", "event_type"], event_types=["play_video", "/courses/x/", "5"])
        t = r.read_all()
        assert t.column("line").to_pylist() == [1, 2, 3, 4, 10]
        assert t.column("event_type").to_pylist() == [
            "play_video", "play_video", "/courses/x/", "/courses/x/", "5"
        ]
        assert {k: r.stats[k] for k in ("lines", "rows", "rejects", "blank", "filtered")} == {
            "lines": 10, "rows": 5, "rejects": 1, "blank": 2, "filtered": 2,
        }
        assert r.rejects().column("line").to_pylist() == [6]


def test_event_types_must_be_a_list():
    with pytest.raises(TypeError):
        edxlog.read(EXAMPLE, event_types="play_video")
    with pytest.raises(TypeError):
        reference.read(EXAMPLE, event_types="play_video")
