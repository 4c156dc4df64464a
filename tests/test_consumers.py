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


@pytest.fixture(scope="module")
def thread_corpora(tmp_path_factory) -> dict:
    """One multi-member synthetic export in three containers (tar of plain members, tar of
    gzipped members, .tar.gz), each with one extra truncated gzip member so that member damage
    is among the rejects too."""
    import gzip
    import io
    import tarfile

    from edxlog import synth

    d = tmp_path_factory.mktemp("threads")
    cut = gzip.compress(b"".join(l + b"\n" for l in synth.iter_lines(5, 400, 1)), mtime=0)
    cut = cut[: len(cut) // 2]

    def add_cut(path):
        with tarfile.open(path, "a") as tar:
            info = tarfile.TarInfo("prod-edxapp-009/tracking.log-20140503.gz")
            info.size = len(cut)
            tar.addfile(info, io.BytesIO(cut))
        return path

    plain, gzm = d / "plain.tar", d / "gzm.tar"
    synth.generate(plain, servers=2, days=3, lines=1200, seed=11, plain_members=True)
    synth.generate(gzm, servers=2, days=3, lines=1200, seed=11)
    add_cut(plain)
    add_cut(gzm)
    tgz = d / "export.tar.gz"
    tgz.write_bytes(gzip.compress(gzm.read_bytes(), mtime=0))
    return {"plain members": plain, "gzip members": gzm, ".tar.gz": tgz}


@pytest.mark.parametrize("kind", ["plain members", "gzip members", ".tar.gz"])
def test_output_is_identical_for_any_thread_count(thread_corpora, kind):
    """threads=1, 2, 3 and 32 give the same table (same rows, same order), the same batches, the
    same counters and the same rejects, on 7 members split into many small batches each."""
    src = thread_corpora[kind]
    runs = {}
    for threads in (1, 2, 3, 32):
        with edxlog.read(src, threads=threads, batch_size=97) as reader:
            batches = list(reader)
            runs[threads] = (pa.Table.from_batches(batches, schema=reader.schema), reader.stats,
                             reader.rejects(), [b.num_rows for b in batches])
    table, stats, rejects, sizes = runs[1]
    nbatches = len(sizes)
    # The corpus is what the test needs: many members, many batches per member, rejects of both
    # kinds (bad lines and a damaged member).
    assert stats["members"] == 7 and nbatches > 7 * 10, (stats, nbatches)
    assert table.num_rows > 7000
    assert rejects.num_rows > 1
    assert any("tracking.log-20140503" in s for s in rejects.column("source").to_pylist())
    for threads in (2, 3, 32):
        t, s, r, n = runs[threads]
        assert n == sizes, threads
        assert s == stats, threads
        assert r.equals(rejects), threads
        assert t.num_rows == table.num_rows, threads
        assert t.equals(table), "threads=%d: table differs from threads=1" % threads
    assert stats["lines"] == stats["rows"] + stats["rejects"] + stats["blank"]
