"""`edxlog convert` to each output kind, read back and compared with `edxlog.read_table`."""

from __future__ import annotations

import json
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from cli_helpers import (edxlog_cli, ok, one_error_line, pack, read_dataset, same_rows, summary_json,
                         without_date)
from conftest import EXAMPLE, line, make_tar, write_lines

import edxlog


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A tar of gzipped daily members from the generator, with rejects and warnings in it."""
    from edxlog import synth

    path = tmp_path_factory.mktemp("export") / "export.tar"
    synth.generate(path, servers=2, days=3, lines=1500, seed=11)
    return path


def test_to_a_parquet_file_equals_read_table(export, tmp_path):
    out = tmp_path / "events.parquet"
    ok("convert", export, "-o", out, "-q")
    got = pq.read_table(out)
    assert got.equals(edxlog.read_table(export))  # same rows, same order, same schema
    meta = pq.ParquetFile(out).metadata
    assert meta.num_row_groups == 1  # big row groups, not one per batch
    col = meta.row_group(0).column(edxlog.SCHEMA.get_field_index("time"))
    assert col.compression == "ZSTD" and col.statistics.has_min_max


def test_to_a_dated_dataset_equals_read_table(export, tmp_path):
    out = tmp_path / "ds"
    ok("convert", export, "-o", out, "-q")
    got = read_dataset(out)
    want = edxlog.read_table(export)
    assert same_rows(without_date(got), want)
    # every row sits in the partition of its UTC date
    dates = pc.strftime(got.column("time"), format="%Y-%m-%d")
    assert pc.all(pc.equal(dates, got.column("date").cast(pa.string()))).as_py()
    assert {p.name for p in out.iterdir() if p.name.startswith("date=")} == \
        {f"date={d}" for d in pc.unique(dates).to_pylist()}


@pytest.mark.parametrize("name", ["events.arrow", "events.feather"])
def test_to_an_arrow_file_equals_read_table(export, tmp_path, name):
    out = tmp_path / name
    ok("convert", export, "-o", out, "-q")
    with pa.memory_map(str(out)) as f:
        got = pa.ipc.open_file(f).read_all()
    assert got.equals(edxlog.read_table(export))


def test_to_json_lines_one_object_per_row(export, tmp_path):
    out = tmp_path / "events.jsonl"
    ok("convert", export, "-o", out, "-q", "--columns", "time,event_id,event_type,answers")
    rows = [json.loads(l) for l in out.read_text().splitlines()]
    want = edxlog.read_table(export, columns=["time", "event_id", "event_type", "answers"])
    assert len(rows) == want.num_rows
    first = want.slice(0, 1).to_pylist()[0]
    assert rows[0]["event_id"] == first["event_id"].hex()
    assert rows[0]["time"] == first["time"].isoformat().replace("+00:00", "Z")
    with_answers = next(i for i, a in enumerate(want.column("answers").to_pylist()) if a)
    assert rows[with_answers]["answers"] == dict(want.column("answers")[with_answers].as_py())


def test_rejects_file_holds_every_reject(export, tmp_path):
    out = tmp_path / "events.parquet"
    ok("convert", export, "-o", out, "-q")
    reader = edxlog.read(export)
    reader.read_all()
    assert reader.stats["rejects"] > 0
    rejects = pq.read_table(tmp_path / "events.rejects.parquet")
    assert rejects.num_rows == reader.stats["rejects"]
    assert rejects.equals(reader.rejects())


def test_dataset_rejects_and_explicit_rejects_path(export, tmp_path):
    out = tmp_path / "ds"
    extra = tmp_path / "mine.parquet"
    ok("convert", export, "-o", out, "-q", "--rejects", extra)
    want = edxlog.read(export)
    want.read_all()
    (inside,) = (out / "_rejects").iterdir()
    assert pq.read_table(inside).num_rows == want.stats["rejects"]
    assert pq.read_table(extra).equals(pq.read_table(inside))


def test_summary_numbers_equal_reader_stats(export, tmp_path):
    out, js = tmp_path / "ds", tmp_path / "s.json"
    proc = ok("convert", export, "-o", out, "--json-summary", js)
    reader = edxlog.read(export)
    table = reader.read_all()
    s = summary_json(js)
    assert s["reader"] == reader.stats
    for key in ("lines", "rejects", "blank"):
        assert s[key] == reader.stats[key]
    assert s["rows"] == reader.stats["rows"] == table.num_rows
    assert s["lines"] == s["rows"] + s["rejects"] + s["blank"] + s["filtered"]
    assert s["members"] == {"converted": reader.stats["members"], "replaced": 0}
    assert s["time_min"] == pc.min(table.column("time")).as_py().isoformat()
    warn = pc.list_flatten(table.column("warnings"))
    assert sum(s["warnings"].values()) == len(warn)
    # the printed summary says the same
    assert f"lines      {reader.stats['lines']:,} = rows {table.num_rows:,}" in proc.stdout
    assert f"rejects {reader.stats['rejects']:,}" in proc.stdout


def test_filters_and_columns_match_the_same_filters_on_read_table(export, tmp_path):
    out, js = tmp_path / "f.parquet", tmp_path / "s.json"
    full = edxlog.read_table(export)
    counts = pc.value_counts(pc.drop_null(full.column("course_id"))).to_pylist()
    some_course = max(counts, key=lambda c: c["counts"])["values"]
    ok("convert", export, "-o", out, "-q", "--event-type", "*_video", "--event-type", "problem_check",
       "--since", "2014-01-01", "--until", "2016-09-07", "--course", some_course,
       "--columns", "time,username,event_type,course_id", "--json-summary", js)
    got = pq.read_table(out)
    video = pc.match_substring_regex(full.column("event_type"), "^(.*_video|problem_check)$")
    since = pc.greater_equal(full.column("time"), pa.scalar(1388534400_000000, pa.timestamp("us", "UTC")))
    until = pc.less(full.column("time"), pa.scalar(1473292800_000000, pa.timestamp("us", "UTC")))  # 2016-09-08
    course = pc.equal(full.column("course_id"), some_course)
    mask = pc.fill_null(pc.and_(pc.and_(video, since), pc.and_(until, course)), False)
    want = full.filter(mask).select(["time", "username", "event_type", "course_id"])
    assert want.num_rows > 0 and got.equals(want)
    s = summary_json(js)
    assert s["lines"] == s["rows"] + s["rejects"] + s["blank"] + s["filtered"]


def test_exact_event_types_are_pushed_down_to_the_reader(export, tmp_path):
    js = tmp_path / "s.json"
    ok("convert", export, "-o", tmp_path / "p.parquet", "-q", "--event-type", "play_video", "--json-summary", js)
    reader = edxlog.read(export, event_types=["play_video"])
    table = reader.read_all()
    s = summary_json(js)
    assert s["reader"]["filtered"] == reader.stats["filtered"] > 0  # skipped by the reader itself
    assert pq.read_table(tmp_path / "p.parquet").equals(table)


def test_dedupe_drops_repeated_event_ids(tmp_path):
    lines = [line(event_type=f"e{i}", time="2014-05-02T00:00:00") for i in range(5)]
    a = write_lines(tmp_path / "a.log", lines)
    b = write_lines(tmp_path / "b.log", lines[2:] + [line(event_type="new", time="2014-05-03T00:00:00")])
    js = tmp_path / "s.json"
    ok("convert", a, b, "-o", tmp_path / "d.parquet", "-q", "--dedupe", "--json-summary", js)
    got = pq.read_table(tmp_path / "d.parquet")
    assert got.column("event_type").to_pylist() == ["e0", "e1", "e2", "e3", "e4", "new"]
    assert summary_json(js)["duplicates"] == 3


def test_existing_file_needs_overwrite(export, tmp_path):
    out = tmp_path / "x.parquet"
    out.write_bytes(b"precious")
    proc = edxlog_cli("convert", export, "-o", out, "-q")
    assert proc.returncode == 2 and "--overwrite" in one_error_line(proc)
    assert out.read_bytes() == b"precious"
    ok("convert", export, "-o", out, "-q", "--overwrite")
    assert pq.read_table(out).num_rows > 0


def test_reject_rate_over_the_limit_exits_3_and_commits_nothing(tmp_path):
    bad = write_lines(tmp_path / "bad.log", [line(event_type="x", time="2014-05-02T00:00:00"), b"not json", b"{"])
    out = tmp_path / "ds"
    proc = edxlog_cli("convert", bad, "-o", out, "--max-reject-rate", "10%")
    assert proc.returncode == 3
    assert "exceeds --max-reject-rate" in one_error_line(proc)
    assert not list(out.glob("date=*"))
    proc = edxlog_cli("convert", bad, "-o", out, "-q", "--max-reject-rate", "0.7")
    assert proc.returncode == 0 and list(out.glob("date=*"))


def test_missing_input_is_one_line_exit_1_or_2(tmp_path):
    proc = edxlog_cli("convert", tmp_path / "nope.tar", "-o", tmp_path / "out")
    assert proc.returncode in (1, 2)
    assert "nope.tar" in one_error_line(proc)
    proc = edxlog_cli("convert", tmp_path / "nope.tar", "-o", tmp_path / "out.parquet")
    assert proc.returncode in (1, 2) and "nope.tar" in one_error_line(proc)


def test_unwritable_output_is_one_line_exit_1_or_2(export, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a directory")
    for out in (blocker / "ds", blocker / "x.parquet"):
        proc = edxlog_cli("convert", export, "-o", out)
        assert proc.returncode in (1, 2)
        assert str(blocker) in one_error_line(proc)


def test_corrupt_archive_under_on_error_raise_is_one_line_naming_the_member(tmp_path):
    good = b"".join(l + b"\n" for l in [line(event_type="x", time="2014-05-02T00:00:00")] * 3)
    import gzip

    damaged = gzip.compress(good * 50, mtime=0)[:-30]  # cut: CRC and data missing
    tar = make_tar(tmp_path / "c.tar", {"srv/ok.log": good, "srv/broken.log.gz": damaged})
    for out in (tmp_path / "ds", tmp_path / "x.parquet"):
        proc = edxlog_cli("convert", tar, "-o", out, "--on-error", "raise")
        assert proc.returncode == 1
        assert "srv/broken.log.gz" in one_error_line(proc)
        assert not out.exists() or not list(out.glob("date=*"))
    proc = edxlog_cli("--debug", "convert", tar, "-o", tmp_path / "y.parquet", "--on-error", "raise")
    assert proc.returncode == 1 and "Traceback" in proc.stderr


def _main(capsys, *args) -> tuple[int, str, str]:
    """The same entry point as `python -m edxlog`, in this process (fast for help and usage)."""
    from edxlog.cli import main

    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_usage_errors_exit_2_with_one_line(export, tmp_path, capsys):
    for args in (["convert", export],  # no -o
                 ["convert", export, "-o", tmp_path / "d", "--partition-by", "user"],
                 ["convert", export, "-o", tmp_path / "d", "--since", "yesterday"],
                 ["convert", export, "-o", tmp_path / "d", "--columns", "time,nope"],
                 ["convert", export, "-o", tmp_path / "x.parquet", "--partition-by", "server"],
                 ["frobnicate"]):
        code, _, err = _main(capsys, *args)
        assert code == 2, args
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("edxlog: error: "), err
    proc = edxlog_cli("convert", export)  # and the same from a real process
    assert proc.returncode == 2 and "-o" in one_error_line(proc)


def test_help_has_examples_and_version(capsys):
    for cmd in ([], ["convert"], ["stats"], ["schema"]):
        code, out, _ = _main(capsys, *cmd, "--help")
        assert code == 0 and "Examples:" in out, cmd
    code, out, _ = _main(capsys, "--version")
    assert code == 0 and out.strip() == f"edxlog {edxlog.__version__}"
    # the console script's entry point and `python -m edxlog` are this same function
    from edxlog.__main__ import main as module_main
    from edxlog.cli import main as cli_main

    assert module_main is cli_main
    assert ok("--version").stdout.strip() == f"edxlog {edxlog.__version__}"


def test_schema_command_lists_every_column_with_its_doc():
    rows = json.loads(ok("schema", "--json").stdout)
    assert [r["name"] for r in rows] == edxlog.SCHEMA.names
    assert all(r["doc"] for r in rows)
    text = ok("schema").stdout
    assert all(name in text for name in edxlog.SCHEMA.names)


def test_old_command_line_still_works_with_a_deprecation_notice(tmp_path):
    out = tmp_path / "old.parquet"
    proc = ok(EXAMPLE, "--parquet", out)
    assert "deprecated" in proc.stderr and "edxlog convert" in proc.stderr
    assert pq.read_table(out).equals(edxlog.read_table(EXAMPLE))


def test_standard_input_to_a_dataset_is_incremental(export, tmp_path):
    out = tmp_path / "ds"
    data = export.read_bytes()
    ok("convert", "-", "-o", out, "-q", input=data)
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(export))
    proc = ok("convert", "-", "-o", out, input=data)
    assert "nothing to do" in proc.stdout


def test_progress_only_on_a_terminal(export, tmp_path):
    import pty
    import subprocess

    proc = ok("convert", export, "-o", tmp_path / "a.parquet")
    assert "rows" not in proc.stderr  # not a terminal: no progress
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-m", "edxlog", "convert", str(export), "-o", str(tmp_path / "b.parquet")],
                             stdin=slave, stdout=slave, stderr=slave, env={**os.environ, "COLUMNS": "120"})
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert child.wait(60) == 0
    os.close(master)
    text = seen.decode("utf-8", "replace")
    assert "converting" in text and "rows" in text  # the bar was drawn
    assert "edxlog convert →" in text  # then the summary


def test_directory_input_names_members_by_their_path_inside(export, tmp_path):
    from cli_helpers import members_of

    root = tmp_path / "extracted"
    for name, data in members_of(export).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    out = tmp_path / "ds"
    ok("convert", root, "-o", out, "-q")
    # the tar and its extracted directory hold the same members: nothing new
    proc = ok("convert", export, "-o", out)
    assert "nothing to do" in proc.stdout
    assert same_rows(without_date(read_dataset(out)), edxlog.read_table(root))


def test_part_of_a_directory_keeps_the_server_of_its_files(export, tmp_path):
    from cli_helpers import members_of

    root = tmp_path / "extracted"
    members = members_of(export)
    first = sorted(members)[0]
    for name, data in members.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    out = tmp_path / "ds"
    ok("convert", root / first, "-o", out, "-q")  # one file first (no server: not in a directory)
    proc = ok("convert", root, "-o", out)  # then the rest, read file by file
    assert f"{len(members) - 1} converted, 1 already present" in proc.stdout  # known by its content
    got = without_date(read_dataset(out))
    want = edxlog.read_table(root)
    assert got.num_rows == want.num_rows
    rest = pc.not_equal(want.column("source"), str(root / first))
    assert same_rows(got.filter(pc.not_equal(got.column("source"), str(root / first))), want.filter(rest))


def test_pack_helper_keeps_member_bytes(export, tmp_path):
    from cli_helpers import members_of

    m = members_of(export)
    again = pack(tmp_path / "again.tar", m)
    assert members_of(again) == m
