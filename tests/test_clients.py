"""The idioms docs/cookbook.md recommends for each consumer give the right thing: DuckDB pulls a
reader lazily, polars gets a DataFrame, pandas tz-aware times, Parquet round-trips the schema."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import edxlog
from conftest import EXAMPLE, make_tar


@pytest.fixture(scope="module")
def big_plain_export(tmp_path_factory):
    """160,000 lines in 16 plain tar members (parsed as they stream, so a stopped read stops
    early); one generated day copied, which is cheaper than generating them all."""
    from edxlog import synth

    day = b"".join(l + b"\n" for l in synth.iter_lines(5, 10_000, 0))
    members = {f"prod-edxapp-{i % 2:03d}/tracking.log-201405{i + 1:02d}": day for i in range(16)}
    return make_tar(tmp_path_factory.mktemp("clients") / "big.tar", members)


def test_duckdb_filter_with_limit_stops_reading_early(big_plain_export):
    reader = edxlog.read(big_plain_export, batch_size=1024)
    rows = duckdb.sql(
        "select username, video_time from reader where event_type = 'play_video' limit 10"
    ).fetchall()
    assert len(rows) == 10 and all(t is not None for _, t in rows)
    # Lazy: DuckDB stopped pulling after a few batches; most of the 160,000 lines were never read.
    stats = reader.stats
    assert 0 < stats["lines"] < 60_000, stats
    assert stats["lines"] == stats["rows"] + stats["rejects"] + stats["blank"]


def test_duckdb_aggregate_over_a_reader_equals_pyarrow():
    table = edxlog.read_table(EXAMPLE)
    reader = edxlog.read(EXAMPLE)
    got = dict(duckdb.sql("select event_type, count(*) from reader group by all").fetchall())
    want = dict(zip(*[c.to_pylist() for c in table.group_by("event_type").aggregate([("line", "count")]).columns]))
    assert got == want
    # Timestamps arrive tz-aware (timestamptz), nested columns as DuckDB MAP / LIST of STRUCT.
    reader2 = edxlog.read(EXAMPLE, columns=["time", "answers", "correct_map"])
    described = {name: kind for name, kind, *_ in duckdb.sql("describe select * from reader2").fetchall()}
    assert described["time"] == "TIMESTAMP WITH TIME ZONE"
    assert described["answers"] == "MAP(VARCHAR, VARCHAR[])"
    assert described["correct_map"].startswith("STRUCT(answer_id VARCHAR")


def test_polars_dataframe_of_a_reader_is_a_dataframe_and_from_arrow_is_not():
    table = edxlog.read_table(EXAMPLE)
    df = pl.DataFrame(edxlog.read(EXAMPLE))
    assert isinstance(df, pl.DataFrame) and df.columns == edxlog.SCHEMA.names
    assert df.height == table.num_rows
    assert df.schema["time"] == pl.Datetime("us", "UTC")
    assert df["video_time"].to_list() == table.column("video_time").to_pylist()
    # The trap docs/cookbook.md warns about: from_arrow of a stream gives one Series of structs.
    series = pl.from_arrow(edxlog.read(EXAMPLE))
    assert isinstance(series, pl.Series) and series.dtype == pl.Struct
    # ... and the way out of it, for code that already has one.
    assert series.struct.unnest().equals(df)
    # A table (read_table) is fine with from_arrow.
    assert pl.from_arrow(table).equals(df)


def test_polars_scan_parquet_on_a_hive_partitioned_dataset(tmp_path, synth_corpus):
    table = edxlog.read_table(synth_corpus)
    root = tmp_path / "dataset"
    pq.write_to_dataset(table, root, partition_cols=["server"])
    lazy = pl.scan_parquet(root / "**" / "*.parquet", hive_partitioning=True)
    got = (
        lazy.filter(pl.col("event_type") == "pause_video")
        .group_by("server")
        .agg(pl.len().alias("n"))
        .sort("server")
        .collect()
    )
    expected = (
        pl.from_arrow(table)
        .filter(pl.col("event_type") == "pause_video")
        .group_by("server")
        .agg(pl.len().alias("n"))
        .sort("server")
    )
    assert got.height == 2 and got.equals(expected)


def test_pandas_gets_tz_aware_utc_timestamps():
    table = edxlog.read_table(EXAMPLE, columns=["time", "username", "video_time", "answers"])
    pdf = table.to_pandas()
    assert str(pdf["time"].dtype) == "datetime64[us, UTC]"
    first = table.column("time")[0].as_py()
    assert pdf["time"].iloc[0].to_pydatetime() == first and first.tzinfo is not None
    assert pdf["time"].iloc[0].tz_convert("America/New_York").utcoffset() < dt.timedelta(0)
    # maps come as lists of (key, values) pairs; maps_as_pydicts gives dicts
    answered = pdf["answers"].dropna()
    assert len(answered) and isinstance(answered.iloc[0], list)
    as_dicts = table.to_pandas(maps_as_pydicts="strict")["answers"].dropna()
    assert isinstance(as_dicts.iloc[0], dict)


def test_parquet_round_trip_keeps_schema_and_values(tmp_path, synth_corpus):
    expected = edxlog.read_table(synth_corpus)
    path = tmp_path / "events.parquet"
    with pq.ParquetWriter(path, edxlog.SCHEMA) as writer:
        for batch in edxlog.read(synth_corpus, batch_size=1000):
            writer.write_batch(batch)
    back = pq.read_table(path)
    assert back.equals(expected)  # same types and values; the field docs ride along
    assert back.schema.field("event_id").type == pa.binary(16)
    assert back.schema.field("time").metadata[b"doc"] == edxlog.SCHEMA.field("time").metadata[b"doc"]
    # Parquet names list items "element" (Arrow: "item"); reading with the schema restores it exactly.
    assert back.schema.field("warnings").type.value_field.name == "element"
    exact = pq.read_table(path, schema=edxlog.SCHEMA)
    assert exact.schema.equals(edxlog.SCHEMA, check_metadata=True) and exact.equals(expected)
