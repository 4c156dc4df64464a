"""Real Arrow consumers read the Reader through the PyCapsule stream, lazily."""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow as pa
import pytest

import edxlog
from conftest import EXAMPLE


def test_pyarrow_record_batch_reader_from_stream():
    expected = edxlog.read_table(EXAMPLE)
    stream = pa.RecordBatchReader.from_stream(edxlog.read(EXAMPLE, batch_size=100))
    assert stream.schema == edxlog.SCHEMA
    batches = list(stream)
    assert len(batches) > 1 and all(b.num_rows <= 100 for b in batches)
    assert pa.Table.from_batches(batches).equals(expected)


def test_schema_capsule_and_property():
    reader = edxlog.read(EXAMPLE)
    assert pa.schema(reader) == edxlog.SCHEMA == reader.schema
    assert reader.schema.field("event_id").metadata[b"doc"].startswith(b"XXH3-128")


def test_iteration_yields_record_batches():
    with edxlog.read(EXAMPLE, batch_size=64) as reader:
        batches = list(reader)
    assert all(isinstance(b, pa.RecordBatch) for b in batches)
    assert sum(b.num_rows for b in batches) == reader.stats["rows"]


def test_duckdb_queries_a_reader():
    reader = edxlog.read(EXAMPLE)
    counts = duckdb.sql(
        "select event_type, count(*) as n from reader group by event_type order by n desc, event_type"
    ).fetchall()
    assert sum(n for _, n in counts) == edxlog.read_table(EXAMPLE).num_rows
    assert reader.stats["lines"] == reader.stats["rows"] + reader.stats["rejects"] + reader.stats["blank"]


def test_duckdb_limit_1_does_not_read_everything(tmp_path):
    from edxlog import synth

    big = tmp_path / "big.tar"
    synth.generate(big, servers=2, days=4, lines=20_000, seed=3, plain_members=True)
    reader = edxlog.read(big, batch_size=1024, threads=1)
    assert duckdb.sql("select username from reader limit 1").fetchall()
    # The stream was pulled lazily: a small part of the 160,000 lines was parsed.
    assert 0 < reader.stats["lines"] < 40_000, reader.stats


def test_polars_and_pandas():
    df = pl.from_arrow(edxlog.read_table(EXAMPLE, columns=["time", "event_type", "video_time"]))
    assert df.columns == ["time", "event_type", "video_time"]
    assert df.height == edxlog.read_table(EXAMPLE).num_rows
    pdf = edxlog.read_table(EXAMPLE, columns=["username", "time"]).to_pandas()
    assert str(pdf["time"].dtype) == "datetime64[us, UTC]"


def test_columns_projection_schema():
    reader = edxlog.read(EXAMPLE, columns=["event_type", "line"])
    assert reader.schema.names == ["event_type", "line"]
    assert reader.read_all().schema.names == ["event_type", "line"]


def test_a_consumed_reader_yields_nothing_more_and_keeps_stats():
    reader = edxlog.read(EXAMPLE)
    table = pa.RecordBatchReader.from_stream(reader).read_all()
    assert list(reader) == []
    assert reader.stats["rows"] == table.num_rows


def test_close_mid_stream_releases_the_reader():
    reader = edxlog.read(EXAMPLE, batch_size=10)
    next(reader)
    reader.close()
    assert list(reader) == []
    with edxlog.read(EXAMPLE, batch_size=10) as r:
        next(r)
    assert list(r) == []


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_output_is_identical_for_any_thread_count(synth_corpus, threads):
    one = edxlog.read_table(synth_corpus, threads=1, batch_size=333)
    assert edxlog.read_table(synth_corpus, threads=threads, batch_size=333).equals(one)
