"""pytest-benchmark benchmarks of edxlog (run: ``python -m pytest benches --benchmark-only``)."""

from __future__ import annotations

import pytest

import edxlog
from conftest import mb_per_s, pending

KINDS = ["plain", "gzm", "tgz"]


@pytest.mark.benchmark(group="read_table")
@pytest.mark.parametrize("kind", KINDS)
def test_read_table(benchmark, corpora, kind):
    table = benchmark(edxlog.read_table, corpora[kind])
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", ["plain", "gzm"])
def test_read_table_threads(benchmark, corpora, kind, threads):
    table = benchmark(edxlog.read_table, corpora[kind], threads=threads)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="projection")
@pytest.mark.parametrize("query", ["full", "3 columns", "3 columns + event_types"])
def test_projection(benchmark, corpora, query):
    kw = {}
    if query != "full":
        kw["columns"] = ["time", "username", "video_time"]
    if query.endswith("event_types"):
        kw["event_types"] = ["play_video", "pause_video"]
        try:
            edxlog.read(corpora["plain"], **kw).close()
        except TypeError as e:
            pending(e, "read(event_types=...)")
    table = benchmark(edxlog.read_table, corpora["plain"], **kw)
    assert table.num_rows > 0
    if "event_types" in kw:
        assert table.num_rows < 0.5 * edxlog.read_table(corpora["plain"], columns=["line"]).num_rows
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="inflate-only")
@pytest.mark.parametrize("kind", ["gzm", "tgz"])
def test_inflate_only(benchmark, corpora, kind):
    from edxlog import _core

    fn = getattr(_core, "inflate_only", None)
    if fn is None:
        pending(AttributeError("edxlog._core.inflate_only"), "inflate_only")
    n = benchmark(fn, str(corpora[kind]))
    assert n > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="reference")
@pytest.mark.parametrize("decoder", ["json", "orjson"])
def test_reference(benchmark, corpora, decoder):
    from edxlog import reference

    kw = {}
    if decoder == "orjson":
        orjson = pytest.importorskip("orjson")
        kw["json_loads"] = orjson.loads
    table = benchmark.pedantic(reference.read_table, args=(str(corpora["ref"]),), kwargs=kw,
                               rounds=3, iterations=1)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["ref_bytes"])


@pytest.mark.benchmark(group="reference")
def test_edxlog_on_reference_corpus(benchmark, corpora):
    """edxlog on the reference's (small) corpus, for a same-input ratio in the group."""
    table = benchmark(edxlog.read_table, corpora["ref"])
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["ref_bytes"])
