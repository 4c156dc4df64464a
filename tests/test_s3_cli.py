"""`edxlog convert` with S3 inputs and outputs, against the loopback S3 server the session starts
(moto's standalone server, fixtures in tests/s3_server.py; the CLI runs in a subprocess and talks
HTTP to it)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.dataset as pads
import pytest
from cli_helpers import edxlog_cli, members_of, ok, one_error_line, pack, read_dataset, same_rows, without_date

import edxlog
from edxlog import dataset as dsm
from s3_server import BUCKET


@pytest.fixture(scope="module")
def members(tmp_path_factory):
    from edxlog import synth

    path = tmp_path_factory.mktemp("gen") / "export.tar"
    synth.generate(path, servers=2, days=3, lines=400, seed=11)
    return members_of(path)


def _day(name: str) -> str:
    return name.rsplit("-", 1)[-1]


def _flags(s3_opts: dict) -> list[str]:
    return [a for k, v in s3_opts.items() for a in ("-S", f"{k}={v}")]


def _remote_dataset(s3, url: str):
    return pads.dataset(url.split("://", 1)[1].rstrip("/"), filesystem=s3, format="parquet", partitioning="hive").to_table()


def _manifest(s3, url: str) -> dict:
    return json.loads(s3.cat_file(f"{url.split('://', 1)[1].rstrip('/')}/{dsm.MANIFEST}"))


def test_convert_s3_exports_to_an_s3_dataset_then_a_rerun_writes_nothing(s3, s3_opts, members, tmp_path):
    days = sorted({_day(n) for n in members})
    # week2 repeats week1's days: only its new members are read, by seeking in the plain tar.
    week1 = pack(tmp_path / "week1.tar.gz", {n: d for n, d in members.items() if _day(n) in days[:2]}, gz=True)
    week2 = pack(tmp_path / "week2.tar", members)
    for p in (week1, week2):
        s3.put_file(str(p), f"{BUCKET}/cli/exports/{p.name}")
    out = f"s3://{BUCKET}/cli/events/"
    js = tmp_path / "s.json"

    ok("convert", f"s3://{BUCKET}/cli/exports/", "-o", out, *_flags(s3_opts), "--json-summary", js, "-q")
    s = json.loads(js.read_text())
    assert s["members"]["converted"] == 6 and s["members"]["duplicate"] == 4
    got = without_date(_remote_dataset(s3, out))
    assert same_rows(got, edxlog.read_table(str(week2)))
    manifest = _manifest(s3, out)
    assert manifest["pending"] is None and set(manifest["members"]) == set(members)
    assert {m["archive"] for m in manifest["members"].values()} <= {
        f"s3://{BUCKET}/cli/exports/week1.tar.gz", f"s3://{BUCKET}/cli/exports/week2.tar"}
    keys = sorted(k.split("/cli/events/", 1)[1] for k in s3.find(f"{BUCKET}/cli/events/"))
    assert keys == sorted(list(manifest["files"]) + list(manifest["rejects"]) + [dsm.MANIFEST])  # no lock, no _tmp

    proc = ok("convert", f"s3://{BUCKET}/cli/exports/", "-o", out, *_flags(s3_opts), "--json-summary", js)
    assert "nothing to do" in proc.stdout
    assert json.loads(js.read_text())["members"]["converted"] == 0
    assert _manifest(s3, out) == manifest  # the listing cache (by ETag) spared the rehash too


def test_an_s3_dataset_is_locked_while_a_run_holds_it(s3, s3_opts, members, tmp_path):
    export = pack(tmp_path / "e.tar", members)
    out = f"s3://{BUCKET}/cli/locked/"
    s3.pipe(f"{BUCKET}/cli/locked/{dsm.LOCK}", b'{"host": "elsewhere"}')
    proc = edxlog_cli("convert", export, "-o", out, *_flags(s3_opts), "-q")
    assert proc.returncode == 2
    assert "another edxlog convert is writing" in one_error_line(proc) and "elsewhere" in proc.stderr
    assert s3.find(f"{BUCKET}/cli/locked/") == [f"{BUCKET}/cli/locked/{dsm.LOCK}"]  # untouched
    s3.rm_file(f"{BUCKET}/cli/locked/{dsm.LOCK}")
    ok("convert", export, "-o", out, *_flags(s3_opts), "-q")
    assert not s3.exists(f"{BUCKET}/cli/locked/{dsm.LOCK}")  # released at the end


def test_a_publish_cut_after_the_manifest_is_rolled_forward_and_junk_removed(s3, s3_opts, members, tmp_path):
    # State of a run killed in step 3: the manifest (the commit) lists a file whose copy to its
    # final key never happened; a killed, uncommitted run also left a _tmp object.
    from edxlog.remote_dataset import StagedDataset

    export = pack(tmp_path / "e.tar", members)
    out = f"s3://{BUCKET}/cli/rollforward"
    ok("convert", export, "-o", out, *_flags(s3_opts), "-q")
    good = _remote_dataset(s3, out)
    root = f"{BUCKET}/cli/rollforward"
    manifest = _manifest(s3, out)
    (rel, entry), = [(r, e) for r, e in manifest["files"].items()][:1]
    s3.copy(f"{root}/{rel}", f"{root}/_tmp/run-x/{rel}")
    s3.rm_file(f"{root}/{rel}")
    s3.pipe(f"{root}/_tmp/run-dead/junk.parquet", b"half a file")
    s3.pipe(f"{root}/{dsm.MANIFEST}", json.dumps(
        {**manifest, "pending": {"renames": [[f"_tmp/run-x/{rel}", rel]], "deletes": []}}).encode())

    staged = StagedDataset(out, s3_opts, tmp_path / "stage")
    staged.open()
    staged.close()
    assert _manifest(s3, out) == manifest
    assert not s3.exists(f"{root}/_tmp")
    assert same_rows(_remote_dataset(s3, out), good)


def test_convert_from_s3_to_a_local_dataset_equals_the_local_conversion(s3, s3_opts, members, tmp_path):
    export = pack(tmp_path / "e.tar.gz", members, gz=True)
    s3.put_file(str(export), f"{BUCKET}/cli/single/e.tar.gz")
    ok("convert", f"s3://{BUCKET}/cli/single/e.tar.gz", "-o", tmp_path / "from-s3", *_flags(s3_opts), "-q")
    ok("convert", export, "-o", tmp_path / "from-disk", "-q")
    assert same_rows(read_dataset(tmp_path / "from-s3"), read_dataset(tmp_path / "from-disk"))


def test_convert_to_one_parquet_object_on_s3(s3, s3_opts, layout_logs, tmp_path):
    out = f"s3://{BUCKET}/cli/files/events.parquet"
    ok("convert", layout_logs, "-o", out, *_flags(s3_opts), "-q")
    import pyarrow.parquet as pq

    with s3.open(out, "rb") as f:
        got = pq.read_table(f)
    assert same_rows(got, edxlog.read_table(str(layout_logs)))
    assert s3.exists(f"{BUCKET}/cli/files/events.rejects.parquet")  # the layout holds one bad line
    proc = edxlog_cli("convert", layout_logs, "-o", out, *_flags(s3_opts), "-q")
    assert proc.returncode == 2 and "exists" in one_error_line(proc)


@pytest.fixture
def layout_logs(tmp_path):
    from conftest import line, write_lines

    write_lines(tmp_path / "logs" / "a" / "x.log", [line(event_type="a", event="{}"), b"not json"])
    write_lines(tmp_path / "logs" / "b.log.gz", [line(event_type="b", event="{}")], gz=True)
    return tmp_path / "logs"


def test_a_missing_s3_input_is_one_error_line_naming_the_url(s3, s3_opts, tmp_path):
    url = f"s3://{BUCKET}/cli/no-such-export.tar"
    proc = edxlog_cli("convert", url, "-o", tmp_path / "ds", *_flags(s3_opts), "-q")
    assert proc.returncode == 1
    assert one_error_line(proc) == f"edxlog: error: no such file or directory: {url}"
