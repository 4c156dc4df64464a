"""docs/cookbook.md's recipes run as written (their code blocks are executed) on a synthetic
export, and their results equal a plain-Python computation over the same rows."""

from __future__ import annotations

import collections
import datetime as dt
import json
import re

import pyarrow as pa
import pyarrow.compute as pc
import pytest

import edxlog
from conftest import ROOT

RECIPE = re.compile(r"<!-- recipe: (\S+) -->\s*```python\n(.*?)```", re.S)
RECIPES = dict(RECIPE.findall((ROOT / "docs" / "cookbook.md").read_text(encoding="utf-8")))


def test_the_cookbook_has_every_recipe_and_its_export_exists():
    assert list(RECIPES) == ["setup", "duckdb", "polars", "pandas", "spark", "events", "pauses", "answers",
                             "coverage", "s3"]
    ns: dict = {}
    exec(RECIPES["setup"], ns)
    assert (ROOT / ns["EXPORT"]).is_file()


@pytest.fixture
def run(tmp_path, monkeypatch, synth_corpus):
    """Runs a recipe after the setup one, with EXPORT pointing at the synthetic export (more
    learners and repeats than the sample), in a scratch directory; returns its variables."""
    monkeypatch.chdir(tmp_path)

    def run_recipe(name: str, replace: dict = {}) -> dict:
        ns: dict = {"__name__": "cookbook"}
        exec(RECIPES["setup"], ns)
        ns["EXPORT"] = str(synth_corpus)
        code = RECIPES[name]
        for old, new in replace.items():  # a recipe's own settings (an S3 endpoint, say)
            assert old in code, old
            code = code.replace(old, new)
        exec(compile(code, f"cookbook:{name}", "exec"), ns)
        return ns

    return run_recipe


@pytest.fixture(scope="module")
def table(synth_corpus) -> pa.Table:
    return edxlog.read_table(synth_corpus)


def counts_by(table: pa.Table, column: str) -> dict:
    return dict(collections.Counter(table.column(column).to_pylist()))


def test_duckdb_recipe(run, table):
    ns = run("duckdb")
    assert dict(ns["by_type"]) == counts_by(table, "event_type")
    bounds = pc.min_max(table.column("time")).as_py()
    assert (ns["first"], ns["last"]) == (bounds["min"], bounds["max"])


def test_polars_recipe(run, table):
    ns = run("polars")
    assert ns["df"].height == table.num_rows
    videos = table.filter(pc.is_valid(table.column("video_time")))
    got = {r["event_type"]: r["n"] for r in ns["video_times"].iter_rows(named=True)}
    assert got == counts_by(videos, "event_type") and got
    plays = [t.date() for et, t in zip(table.column("event_type").to_pylist(), table.column("time").to_pylist())
             if et == "play_video" and t is not None]
    assert dict(ns["plays_per_day"].iter_rows()) == dict(collections.Counter(plays))


def test_pandas_recipe(run, table):
    ns = run("pandas")
    assert str(ns["pdf"]["time"].dt.tz) == "UTC"
    assert ns["events_per_local_day"].sum() == pc.count(table.column("time")).as_py()
    answered = ns["pdf"]["answers"].dropna()
    assert len(answered) and all(isinstance(a, dict) for a in answered)


@pytest.mark.spark
def test_spark_recipe(run, table, spark):
    ns = run("spark")
    assert {r["event_type"]: r["count"] for r in ns["spark_counts"]} == counts_by(table, "event_type")
    assert ns["report"].complete and ns["report"].stats["rows"] == table.num_rows


def test_events_recipe(run, table, tmp_path):
    ns = run("events")
    checks = table.filter(pc.equal(table.column("event_type"), "problem_check"))
    assert len(ns["checks"]) == checks.num_rows > 0
    assert all(isinstance(ev["event"], dict) for ev in ns["checks"] if ev["event_source"] == "browser")
    lines = (tmp_path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == table.num_rows
    first = json.loads(lines[0])
    assert "warnings" not in first and first["event_type"] == table.column("event_type")[0].as_py()


def test_pauses_recipe(run, table):
    ns = run("pauses")
    pauses = collections.Counter()
    videos = collections.defaultdict(set)
    for et, user, video in zip(*(table.column(c).to_pylist() for c in ("event_type", "username", "video_id"))):
        if et in ("pause_video", "edx.video.paused") and user:
            pauses[user] += 1
            videos[user].add(video)
    want = sorted(((u, n, len({v for v in videos[u] if v is not None})) for u, n in pauses.items() if n > ns["N"]),
                  key=lambda r: (-r[1], r[0]))
    assert ns["pausers"] == want and want


def test_answers_recipe(run, table):
    ns = run("answers")
    per_problem: dict = {}
    for et, src, answers in zip(*(table.column(c).to_pylist() for c in ("event_type", "event_source", "answers"))):
        if et != "problem_check" or answers is None:
            continue
        for key, values in answers:
            p = per_problem.setdefault(re.sub(r"_[0-9]+_[0-9]+$", "", key), {"browser": 0, "server": 0, "values": set()})
            if src in ("browser", "server"):
                p[src] += 1
            p["values"].add(tuple(values))
    want = sorted((k, p["browser"], p["server"], len(p["values"])) for k, p in per_problem.items())
    assert ns["answers"] == want
    # The point of the recipe: browser and server answers of a problem land on the same key.
    assert any(b and s for _, b, s, _ in want)


def test_coverage_recipe(run, table):
    ns = run("coverage")
    rows: dict = collections.defaultdict(list)
    for server, t in zip(table.column("server").to_pylist(), table.column("time").to_pylist()):
        rows[server].append(t)
    want = []
    for server in sorted(rows, key=lambda s: (s is None, s)):
        times = [t for t in rows[server] if t is not None]
        want.append((server, min(times), max(times), len({t.astimezone(dt.timezone.utc).date() for t in times}), len(rows[server])))
    assert ns["coverage"] == want
    assert sum(n for *_, n in ns["per_day"]) == table.num_rows
    stats = ns["stats"]
    assert stats["rows"] == table.num_rows and stats["lines"] == stats["rows"] + stats["rejects"] + stats["blank"]


@pytest.fixture(scope="module")
def s3_bucket(synth_corpus):
    """The synthetic export under exports/ of a bucket on a loopback S3 server (moto's standalone
    server, as tests/test_s3.py starts it)."""
    import s3fs

    from s3_server import BUCKET, moto_server, storage_options

    with moto_server() as endpoint:
        opts = storage_options(endpoint)
        fs = s3fs.S3FileSystem(skip_instance_cache=True, **opts)
        fs.mkdir(BUCKET)
        fs.put_file(str(synth_corpus), f"s3://{BUCKET}/exports/2014/tracking.tar")
        yield BUCKET, opts


def test_s3_recipe(run, table, s3_bucket):
    bucket, opts = s3_bucket
    ns = run("s3", {'"s3://edx-course-data/exports/"': repr(f"s3://{bucket}/exports/"),
                    '{"profile": "edx-data"}': repr(opts)})
    want = sorted(collections.Counter(table.column("server").to_pylist()).items())
    assert ns["s3_counts"] == want
    assert ns["s3_stats"]["rows"] == table.num_rows
