"""Datasets: incremental runs, changed members, interruption, hostile partition values."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from cli_helpers import (edxlog_cli, members_of, ok, pack, read_dataset, same_rows, summary_json,
                         visible_files, without_date)
from conftest import line, write_lines

import edxlog
from edxlog import dataset as dsm


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    """Six gzipped daily members (2 servers x 3 days) of a generated export, by name."""
    from edxlog import synth

    path = tmp_path_factory.mktemp("gen") / "export.tar"
    synth.generate(path, servers=2, days=3, lines=800, seed=5)
    return members_of(path)


def _day(name: str) -> str:
    return name.rsplit("-", 1)[-1]


def test_overlapping_exports_give_every_row_once_and_a_rerun_writes_nothing(members, tmp_path):
    days = sorted({_day(n) for n in members})
    week1 = pack(tmp_path / "week1.tar", {n: d for n, d in members.items() if _day(n) in days[:2]})
    week2 = pack(tmp_path / "week2.tar.gz", {n: d for n, d in members.items() if _day(n) in days[1:]}, gz=True)
    everything = pack(tmp_path / "all.tar", members)
    out, js = tmp_path / "ds", tmp_path / "s.json"

    proc = ok("convert", week1, week2, "-o", out, "--json-summary", js)
    s = summary_json(js)
    assert s["members"]["converted"] == 6 and s["members"]["duplicate"] == 2
    assert "2 duplicate" in proc.stdout
    got = without_date(read_dataset(out))
    assert same_rows(got, edxlog.read_table(everything))
    assert len(set(zip(got.column("source").to_pylist(), got.column("line").to_pylist()))) == got.num_rows

    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    proc = ok("convert", week1, week2, "-o", out, "--json-summary", js)
    assert "nothing to do" in proc.stdout and "no file written" in proc.stdout
    assert summary_json(js)["members"] == {"present": 8, "converted": 0, "replaced": 0}
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    assert after == before  # not one byte written


def test_a_new_weekly_export_adds_only_its_new_days(members, tmp_path):
    days = sorted({_day(n) for n in members})
    week1 = pack(tmp_path / "week1.tar", {n: d for n, d in members.items() if _day(n) in days[:2]})
    week2 = pack(tmp_path / "week2.tar", members)  # cumulative: the old days again, plus one
    out, js = tmp_path / "ds", tmp_path / "s.json"
    ok("convert", week1, "-o", out, "-q")
    files_before = set(visible_files(out))
    ok("convert", week2, "-o", out, "-q", "--json-summary", js)
    s = summary_json(js)
    assert s["members"]["converted"] == 2 and s["members"]["present"] == 4
    new = set(visible_files(out)) - files_before
    assert new and all(f.startswith(f"date={days[2][:4]}") or f.startswith("_rejects") for f in new), new
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(week2))
    manifest = json.loads((out / dsm.MANIFEST).read_text())
    assert set(manifest["members"]) == set(members)
    assert sorted(manifest["files"]) == sorted(f for f in visible_files(out) if not f.startswith("_"))


def test_a_changed_member_is_reported_then_replaced_on_request(members, tmp_path):
    first = sorted(members)[0]
    v1 = pack(tmp_path / "v1.tar", members)
    changed = dict(members)
    extra = line(event_type="late_event", time="2013-06-11T12:00:00", username="late")
    changed[first] = gzip.compress(gzip.decompress(members[first]) + extra + b"\n", mtime=0)
    v2 = pack(tmp_path / "v2.tar", changed)
    out, js = tmp_path / "ds", tmp_path / "s.json"
    ok("convert", v1, "-o", out, "-q")

    proc = ok("convert", v2, "-o", out, "--json-summary", js)
    assert summary_json(js)["members"]["changed"] == 1
    assert f"changed: {first}" in proc.stdout and "--replace-changed" in proc.stdout
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(v1))  # untouched

    ok("convert", v2, "-o", out, "-q", "--replace-changed", "--json-summary", js)
    s = summary_json(js)
    assert s["members"]["converted"] == 1 and s["members"]["replaced"] == 1 and s["files_retired"]
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(v2))
    assert all(not (out / f).exists() for f in s["files_retired"])
    manifest = json.loads((out / dsm.MANIFEST).read_text())
    assert sorted(manifest["files"]) == sorted(f for f in visible_files(out) if not f.startswith("_"))
    assert sum(f["rows"] for f in manifest["files"].values()) == edxlog.read(v2).read_all().num_rows


def test_dataset_options_are_fixed_at_creation(members, tmp_path):
    tar = pack(tmp_path / "a.tar", members)
    out = tmp_path / "ds"
    ok("convert", tar, "-o", out, "-q")
    proc = edxlog_cli("convert", tar, "-o", out, "--partition-by", "server")
    assert proc.returncode == 2 and "partitioned by date" in proc.stderr
    proc = edxlog_cli("convert", tar, "-o", out, "--columns", "time")
    assert proc.returncode == 2 and "columns" in proc.stderr
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("hi")
    proc = edxlog_cli("convert", tar, "-o", tmp_path / "junk")
    assert proc.returncode == 2 and "not an edxlog dataset" in proc.stderr


# ---- interruption -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_export(members, tmp_path_factory):
    """~40 distinct members (~35 MB of JSON): long enough to interrupt mid-way."""
    plain = {n: gzip.decompress(d) for n, d in members.items()}
    out = {}
    for k in range(7):
        for n, data in plain.items():
            server, rest = n.split("/", 1)
            unique = line(event_type="copy", time="2014-05-02T00:00:00", username=f"copy{k}")
            out[f"{server}-{k}/{rest}"] = gzip.compress(data + unique + b"\n", compresslevel=1, mtime=0)
    return pack(tmp_path_factory.mktemp("big") / "big.tar", out)


def _start_and_wait_for_a_tmp_file(args, out: Path) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-m", "edxlog", *map(str, args)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"finished before it could be interrupted: {child.stderr.read().decode()}")
        if any(p.is_file() for p in (out / dsm.TMP).rglob("*.tmp")):
            return child
        time.sleep(0.02)
    child.kill()
    raise AssertionError("no temporary file appeared")


def test_ctrl_c_exits_130_leaves_nothing_partial_and_a_rerun_completes(big_export, tmp_path):
    out = tmp_path / "ds"
    args = ["convert", big_export, "-o", out, "-q", "--row-group-rows", "2000"]
    child = _start_and_wait_for_a_tmp_file(args, out)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err.decode()
    assert err.decode().strip().splitlines() == ["edxlog: error: interrupted; nothing partial was left (rerun to complete)"]
    assert visible_files(out) == []
    assert not (out / dsm.TMP).exists() or not any((out / dsm.TMP).rglob("*"))
    ok(*args)
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(big_export))


def test_sigkill_leaves_only_what_the_manifest_says_and_a_rerun_completes(big_export, members, tmp_path):
    out = tmp_path / "ds"
    small = pack(tmp_path / "small.tar", dict(list(members.items())[:2]))
    ok("convert", small, "-o", out, "-q")
    committed = visible_files(out)
    manifest = (out / dsm.MANIFEST).read_bytes()
    args = ["convert", small, big_export, "-o", out, "-q", "--row-group-rows", "2000"]
    child = _start_and_wait_for_a_tmp_file(args, out)
    child.kill()
    child.wait(30)
    assert visible_files(out) == committed  # the killed run's files are all under _tmp/, as .tmp
    assert (out / dsm.MANIFEST).read_bytes() == manifest
    ok(*args)
    assert not (out / dsm.TMP).exists() or not any((out / dsm.TMP).rglob("*"))
    # = a clean conversion, which holds exactly the rows of read_table (test_cli_convert)
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table([small, big_export]))


def test_a_commit_cut_after_the_manifest_is_rolled_forward(tmp_path):
    """The window a kill can hit inside `commit`: manifest saved, files not yet renamed."""
    root = tmp_path / "ds"
    ds = dsm.Dataset.open(root)
    ds.create(["date"], ["time"])
    tmp = f"{dsm.TMP}/run1/00001.parquet.tmp"
    (root / tmp).parent.mkdir(parents=True)
    pq.write_table(pa.table({"time": [1]}), root / tmp)
    ds.manifest["files"]["date=2014-05-02/part-run1-00001.parquet"] = {"rows": 1, "run": "run1", "members": []}
    ds.manifest["pending"] = {"renames": [[tmp, "date=2014-05-02/part-run1-00001.parquet"]], "deletes": []}
    ds.save()  # ... and the process dies here
    ds.close()
    assert visible_files(root) == []
    ds = dsm.Dataset.open(root)  # the next run recovers first
    ds.close()
    assert visible_files(root) == ["date=2014-05-02/part-run1-00001.parquet"]
    assert json.loads((root / dsm.MANIFEST).read_text())["pending"] is None
    assert not (root / dsm.TMP).exists()


def test_a_second_writer_is_refused_while_one_runs(members, tmp_path):
    out = tmp_path / "ds"
    tar = pack(tmp_path / "a.tar", members)
    holder = dsm.Dataset.open(out)  # holds the dataset's lock, as a running convert does
    try:
        proc = edxlog_cli("convert", tar, "-o", out)
        assert proc.returncode == 2 and "another edxlog convert" in proc.stderr
    finally:
        holder.close()
    ok("convert", tar, "-o", out, "-q")


# ---- partition values from the data ------------------------------------------------------

HOSTILE = ["../../x", "a/b", "", "nul\x00byte", "c" * 10_000, "..", "%2F", "__HIVE_DEFAULT_PARTITION__",
           "course-v1:Org+Num+Run", "é/ü\\z", None]


def test_hostile_partition_values_stay_inside_and_round_trip(tmp_path):
    rows = []
    for i, v in enumerate(HOSTILE):
        ctx = {} if v is None else {"course_id": v}
        rows.append(line(event_type=v if v is not None else "plain", time=f"2014-05-0{1 + i % 3}T00:00:00",
                         context=ctx, username=f"u{i}"))
    src = write_lines(tmp_path / "in" / "hostile.log", rows)
    out = tmp_path / "out" / "ds"
    ok("convert", src, "-o", out, "-q", "--partition-by", "course_id,event_type", "--partition-by", "date")

    outside = {p for p in (tmp_path / "out").iterdir()} - {out}
    assert not outside  # nothing written beside OUTPUT
    for dirpath, dirnames, filenames in os.walk(out):
        real = os.path.realpath(dirpath)
        assert real == str(out.resolve()) or real.startswith(str(out.resolve()) + os.sep)
        for name in dirnames + filenames:
            assert len(name.encode()) <= 255 and "\x00" not in name
    assert not (tmp_path / "x").exists() and not (tmp_path / "out" / "x").exists()

    want = edxlog.read_table(src)
    exact = without_date(read_dataset(out, hive=False))  # the files' own columns
    assert same_rows(exact, want)
    hive = read_dataset(out)  # values from the directory names (pyarrow decodes %XX)
    by_user = {r["username"]: r for r in hive.select(["username", "course_id", "event_type"]).to_pylist()}
    truth = {r["username"]: r for r in want.select(["username", "course_id", "event_type"]).to_pylist()}
    assert truth["u0"] == {"username": "u0", "course_id": "../../x", "event_type": "../../x"}
    for i, v in enumerate(HOSTILE):
        user = f"u{i}"
        if v is not None and len(v) > 1000:  # longer than a file name can be: a shortened name
            assert by_user[user]["course_id"].startswith("c" * 100) and "~" in by_user[user]["course_id"]
            continue
        if v == "__HIVE_DEFAULT_PARTITION__":  # hive's null marker reads back as null, whatever
            assert by_user[user]["course_id"] is None  # its escaping (documented limitation)
            continue
        assert by_user[user] == truth[user], repr(v)

    import duckdb

    duck = duckdb.sql(f"select username, course_id from read_parquet('{out}/*/*/*/*.parquet', hive_partitioning=true)")
    by_user = dict(duck.fetchall())
    for i, v in enumerate(HOSTILE):
        if v is None or (len(v) < 1000 and v != "__HIVE_DEFAULT_PARTITION__"):
            assert by_user[f"u{i}"] == truth[f"u{i}"]["course_id"], repr(v)


def test_encode_value_is_injective_and_safe():
    seen = {}
    for v in HOSTILE + ["a%2Fb", "A/B", "_", "-", "~", "x" * 300, "x" * 301]:
        enc = dsm.encode_value(v)
        assert "/" not in enc and "\x00" not in enc and len(enc) <= dsm.MAX_ENCODED_VALUE
        assert enc not in seen, (v, seen.get(enc))
        seen[enc] = v


# ---- memory -------------------------------------------------------------------------------


def test_converting_a_big_export_adds_little_memory_to_the_read(members, tmp_path):
    """~300 MB of JSON (1/32 of it on a debug build) into a dated dataset, streaming.

    The issue asks for <= 300 MB peak. With the reader's budget sized to its threads (64 MiB of
    work in flight for 2) the reader alone peaks at ~155 MB and convert measured 247-256 MB
    (290-344 MB with the old fixed 128 MiB, which once failed CI). Both are pinned: the absolute
    bound on a release build (a debug build reads 1/32 of the data), and the CLI's own share: at
    most 130 MB more than the reader streaming the same input."""
    from conftest import BIG, run_python

    plain = [gzip.decompress(d) for d in members.values()]
    copies = max(2, int(300e6 * BIG / sum(map(len, plain))))
    big = {}
    for k in range(copies):
        for i, data in enumerate(plain):
            big[f"srv{k % 4}/log-{k}-{i}"] = data + line(event_type="copy", time="2014-05-02T00:00:00", username=f"c{k}") + b"\n"
    tar = pack(tmp_path / "big.tar", big)
    del big
    out = tmp_path / "ds"
    read = run_python(f"import edxlog\n_out = {{'rows': sum(b.num_rows for b in edxlog.read({str(tar)!r}))}}\n")
    result = run_python(
        "from edxlog.cli import main\n"
        f"_out = {{'rc': main(['convert', {str(tar)!r}, '-o', {str(out)!r}, '-q'])}}\n")
    assert result["rc"] == 0
    assert result["hwm_mb"] - read["hwm_mb"] <= 130, (read, result)
    if BIG == 1:
        assert result["hwm_mb"] <= 300, (read, result)
    rows = sum(f["rows"] for f in json.loads((out / dsm.MANIFEST).read_text())["files"].values())
    assert rows == read["rows"]
