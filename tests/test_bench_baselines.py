"""The baselines of benches/compare.py do the job they are credited with: the plain-Python
script and the DuckDB job read the same rows and values as edxlog on the real-shaped corpus, and
regenerating the benchmark tables keeps the hand-written text of docs/benchmarks.md."""

from __future__ import annotations

import gzip
import json
import sys
import tarfile
from pathlib import Path

import pytest

import edxlog
from edxlog import synth

BENCHES = Path(__file__).resolve().parent.parent / "benches"
sys.path.insert(0, str(BENCHES))

import baselines  # noqa: E402
import compare  # noqa: E402


@pytest.fixture(scope="module")
def export_2017(tmp_path_factory):
    d = tmp_path_factory.mktemp("baselines")
    path = d / "export.tar"
    synth.generate(path, servers=1, days=2, lines=600, seed=8, profile="2017")
    files = []
    with tarfile.open(path) as tar:
        for m in tar:
            if m.isfile():
                f = d / (m.name.replace("/", "__") + ".log")
                f.write_bytes(gzip.decompress(tar.extractfile(m).read()))
                files.append(str(f))
    return path, files


@pytest.mark.parametrize("decoder", ["json", "orjson"])
def test_plain_python_baseline_reads_what_edxlog_reads(export_2017, decoder):
    path, _ = export_2017
    loads = json.loads if decoder == "json" else pytest.importorskip("orjson").loads
    cols, rows, skipped = baselines.plain_python(str(path), loads)
    table = edxlog.read_table(path)
    assert (rows, skipped) == (table.num_rows, 0)
    for name in ["event_type", "username", "user_id"]:
        # edxlog reads "" as null in some columns (contract); the script keeps what the line says
        assert _blank_as_null(cols[name]) == _blank_as_null(table[name].to_pylist()), name
    # object events: edxlog writes compact JSON text, the script json.dumps' default
    assert all(a == b or json.loads(a) == json.loads(b)
               for a, b in zip(cols["event"], table["event"].to_pylist()) if a)
    # edxlog also finds the course of a line whose context has none (page, path, payload)
    assert all(c == t for c, t in zip(cols["course_id"], table["course_id"].to_pylist()) if c)
    assert [t.timestamp() for t in cols["time"]] == [t.timestamp() for t in table["time"].to_pylist()]
    checks = [i for i, (et, src) in enumerate(zip(cols["event_type"], cols["event_source"]))
              if et == "problem_check" and src == "browser"]
    assert checks and all(cols["answers"][i] for i in checks)   # the GET payload was parsed


def _blank_as_null(values):
    return [None if v == "" else v for v in values]


def test_duckdb_job_reads_every_line(export_2017):
    pytest.importorskip("duckdb")
    path, files = export_2017
    rows, all_null = baselines.duckdb_job(files, 2)
    assert (rows, all_null) == (edxlog.read_table(path, columns=["line"]).num_rows, 0)


def test_regenerating_the_tables_keeps_the_hand_written_text(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nhand-written before\n\n%s\nold tables\n%s\n\nhand-written after\n"
                   % (compare.BEGIN, compare.END))
    compare.write_docs("new tables", doc)
    compare.write_docs("newer tables", doc)
    text = doc.read_text()
    assert "hand-written before" in text and "hand-written after" in text
    assert "newer tables" in text and "new tables\n" not in text and "old tables" not in text
    assert text.count(compare.BEGIN) == 1
