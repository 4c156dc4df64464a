"""pytest-benchmark benchmarks of edxlog and its baselines (run: ``python -m pytest benches
--benchmark-only``), on both generator profiles (the ``corpora`` fixture is parametrized)."""

from __future__ import annotations

import json

import pytest

import edxlog
from baselines import duckdb_job, plain_python
from conftest import mb_per_s

KINDS = ["plain", "gzm"]
THREE_COLUMNS = ["time", "username", "event_type"]


@pytest.mark.benchmark(group="read_table")
@pytest.mark.parametrize("kind", KINDS)
def test_read_table(benchmark, corpora, kind):
    table = benchmark(edxlog.read_table, corpora[kind], threads=2)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="threads")
@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("kind", KINDS)
def test_read_table_threads(benchmark, corpora, kind, threads):
    table = benchmark(edxlog.read_table, corpora[kind], threads=threads)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="projection")
@pytest.mark.parametrize("kind", KINDS)
def test_three_columns(benchmark, corpora, kind):
    table = benchmark(edxlog.read_table, corpora[kind], threads=2, columns=THREE_COLUMNS)
    assert table.column_names == THREE_COLUMNS
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="many-members")
def test_many_small_members(benchmark, corpora):
    table = benchmark(edxlog.read_table, corpora["many"], threads=2)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["many_bytes"])


@pytest.mark.benchmark(group="plain-python")
@pytest.mark.parametrize("decoder", ["json", "orjson"])
@pytest.mark.parametrize("kind", KINDS)
def test_plain_python(benchmark, corpora, kind, decoder):
    loads = json.loads
    if decoder == "orjson":
        loads = pytest.importorskip("orjson").loads
    _, rows, _ = benchmark.pedantic(plain_python, args=(str(corpora[kind]), loads), rounds=3, iterations=1)
    assert rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="duckdb")
def test_duckdb_job(benchmark, corpora):
    pytest.importorskip("duckdb")
    rows, _ = benchmark.pedantic(duckdb_job, args=(corpora["files"], 2), rounds=3, iterations=1)
    assert rows > 0
    mb_per_s(benchmark, corpora["bytes"])


@pytest.mark.benchmark(group="reference")
def test_reference(benchmark, corpora):
    from edxlog import reference

    table = benchmark.pedantic(reference.read_table, args=(str(corpora["ref"]),), rounds=3, iterations=1)
    assert table.num_rows > 0
    mb_per_s(benchmark, corpora["ref_bytes"])
