"""edxlog.spark.read on a real local Spark (local[2]) equals edxlog.read_table on the same inputs:
every column of every row, the counts by event_type, the counters and the rejects.

One SparkSession serves the whole test session (starting one costs seconds)."""

from __future__ import annotations

import os
import shutil
import tarfile

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import edxlog
from conftest import EXAMPLE, realdata_files

pytestmark = pytest.mark.spark

SORT_KEYS = [("source", "ascending"), ("line", "ascending"), ("event_id", "ascending")]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, synth_corpus):
    """The synthetic export (a plain tar of gzipped members: split by member), the same export
    cut inside its last member (listed with damage: read whole), the sample .tar.gz (read whole),
    every real log, and a directory whose subdirectory names the server."""
    d = tmp_path_factory.mktemp("spark")
    with tarfile.open(synth_corpus) as tar:
        last = tar.getmembers()[-1]
    cut = d / "cut.tar"
    cut.write_bytes(synth_corpus.read_bytes()[: last.offset_data + last.size // 2])
    tree = d / "tree"
    (tree / "srv-a").mkdir(parents=True)
    shutil.copy(realdata_files()[-1], tree / "srv-a" / "tracking.log")
    shutil.copy(realdata_files()[0], tree / "top.log")
    return [synth_corpus, cut, EXAMPLE, *realdata_files(), tree]


def sorted_table(table: pa.Table) -> pa.Table:
    return table.sort_by(SORT_KEYS)


def test_plan_splits_plain_tars_by_member_and_keeps_the_rest_whole(inputs, synth_corpus):
    from edxlog.spark import plan

    units = plan(inputs)
    members = [u for u in units if u.path == str(synth_corpus)]
    assert len(members) == 4 and all(u.member and u.member.endswith(".gz") for u in members)
    assert [u.member is None for u in units if u.path.endswith(("cut.tar", "sample.tar.gz"))] == [True, True]
    tree_units = [u for u in units if "tree" in u.path]
    assert [(os.path.basename(u.path), u.server) for u in tree_units] == [("tracking.log", "srv-a"), ("top.log", None)]


def test_spark_read_equals_read_table(spark, inputs):
    import edxlog.spark

    expected_reader = edxlog.read(inputs)
    expected = sorted_table(expected_reader.read_all())
    df, report = edxlog.spark.read(spark, inputs, report=True)

    got = df.toArrow()  # one action reads every unit to the end: the report is complete
    assert report.complete
    got = got.set_column(got.schema.get_field_index("event_id"), "event_id",
                         got.column("event_id").cast(pa.binary(16)))
    got = sorted_table(got.cast(expected.schema))
    assert got.num_rows == expected.num_rows > 7000
    for name in expected.schema.names:
        assert got.column(name).equals(expected.column(name)), name

    # Counters and rejects: the same, except the bytes each task read (a member task also reads
    # the tar blocks around its member).
    stats = dict(report.stats)
    want = dict(expected_reader.stats)
    for key in ("bytes_in", "bytes_out"):
        stats.pop(key), want.pop(key)
    assert stats == want
    rejects = report.rejects().sort_by([("source", "ascending"), ("line", "ascending")])
    want_rejects = expected_reader.rejects().sort_by([("source", "ascending"), ("line", "ascending")])
    assert rejects.num_rows > 20 and rejects.equals(want_rejects)
    assert any("corrupt member" in e for e in rejects.column("error").to_pylist())


def test_spark_counts_by_event_type_and_typed_values(spark, inputs):
    """One Spark job: per event_type, the count and aggregates of the typed and nested columns
    computed by Spark SQL itself, against the same figures from read_table."""
    import edxlog.spark
    from pyspark.sql import functions as F

    df = edxlog.spark.read(spark, inputs)
    rows = df.groupBy("event_type").agg(
        F.count(F.lit(1)).alias("n"),
        F.count("video_time").alias("videos"),
        F.sum("video_time").alias("video_time"),
        F.sum(F.coalesce(F.size("answers"), F.lit(0))).alias("answer_keys"),
        F.sum(F.aggregate(F.coalesce(F.map_values("answers"), F.array()), F.lit(0), lambda acc, v: acc + F.size(v))).alias("answer_values"),
        F.sum(F.coalesce(F.size("correct_map"), F.lit(0))).alias("cmap_entries"),
        F.sum(F.aggregate(F.coalesce("correct_map", F.array()), F.lit(0.0), lambda acc, e: acc + F.coalesce(e["npoints"], F.lit(0.0)))).alias("npoints"),
    ).collect()
    got = {r["event_type"]: r.asDict() for r in rows}

    table = edxlog.read_table(inputs, columns=["event_type", "video_time", "answers", "correct_map"])
    want: dict = {}
    for et, vt, answers, cmap in zip(*(table.column(c).to_pylist() for c in table.column_names)):
        w = want.setdefault(et, dict(event_type=et, n=0, videos=0, video_time=None, answer_keys=0,
                                     answer_values=0, cmap_entries=0, npoints=0.0))
        w["n"] += 1
        if vt is not None:
            w["videos"] += 1
            w["video_time"] = (w["video_time"] or 0.0) + vt
        w["answer_keys"] += len(answers or [])
        w["answer_values"] += sum(len(v) for _, v in answers or [])
        w["cmap_entries"] += len(cmap or [])
        w["npoints"] += sum(e["npoints"] or 0.0 for e in cmap or [])

    assert got.keys() == want.keys()
    for et, w in want.items():
        g = got[et]
        assert {k: g[k] for k in ("n", "videos", "answer_keys", "answer_values", "cmap_entries")} == {
            k: w[k] for k in ("n", "videos", "answer_keys", "answer_values", "cmap_entries")
        }, et
        assert g["video_time"] == pytest.approx(w["video_time"]), et
        assert g["npoints"] == pytest.approx(w["npoints"]), et
    assert sum(w["videos"] for w in want.values()) > 0 and sum(w["answer_keys"] for w in want.values()) > 0
    assert sum(w["cmap_entries"] for w in want.values()) > 0


def test_spark_read_with_columns_and_event_types(spark, inputs):
    import edxlog.spark

    kw = dict(columns=["source", "line", "video_time"], event_types=["play_video", "pause_video"])
    expected = edxlog.read_table(inputs, **kw)
    df = edxlog.spark.read(spark, inputs, **kw)
    assert df.columns == kw["columns"]
    got = df.toArrow()
    assert got.num_rows == expected.num_rows > 0
    assert sorted(zip(*(got.column(c).to_pylist() for c in kw["columns"]))) == sorted(
        zip(*(expected.column(c).to_pylist() for c in kw["columns"]))
    )


@pytest.fixture(scope="module")
def s3_prefix(synth_corpus):
    """An export and a real log under one prefix of a bucket on a loopback S3 server (moto's
    standalone server, as tests/test_s3.py starts it); the key's first directory is the server."""
    import s3fs

    from s3_server import BUCKET, moto_server, storage_options

    with moto_server() as endpoint:
        opts = storage_options(endpoint)
        fs = s3fs.S3FileSystem(skip_instance_cache=True, **opts)
        fs.mkdir(BUCKET)
        fs.put_file(str(synth_corpus), f"s3://{BUCKET}/spark/exports/tracking.tar")
        fs.put_file(str(realdata_files()[0]), f"s3://{BUCKET}/spark/srv-b/tracking.log")
        yield f"s3://{BUCKET}/spark/", opts


def test_spark_read_of_an_s3_prefix_equals_read_table(spark, s3_prefix):
    import edxlog.spark

    url, opts = s3_prefix
    units = edxlog.spark.plan(url, storage_options=opts)
    assert [(u.path.rsplit("/", 2)[-2:], u.server, u.remote) for u in units] == [
        (["exports", "tracking.tar"], "exports", True), (["srv-b", "tracking.log"], "srv-b", True)]
    expected = sorted_table(edxlog.read_table(url, storage_options=opts))
    got = edxlog.spark.read(spark, url, storage_options=opts).toArrow()
    got = got.set_column(got.schema.get_field_index("event_id"), "event_id",
                         got.column("event_id").cast(pa.binary(16)))
    got = sorted_table(got.cast(expected.schema))
    assert got.num_rows == expected.num_rows > 6000
    assert got.equals(expected)
    assert set(got.column("server").to_pylist()) >= {"srv-b", "prod-edxapp-001"}


def test_iter_events_reads_an_s3_prefix_as_a_local_read(s3_prefix, synth_corpus):
    url, opts = s3_prefix
    remote_events = list(edxlog.iter_events(url, storage_options=opts))
    local = list(edxlog.iter_events([synth_corpus, realdata_files()[0]]))
    assert len(remote_events) == len(local) > 6000
    assert [e["event"] for e in remote_events] == [e["event"] for e in local]
