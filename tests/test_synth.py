"""The synthetic export: what the generator says it wrote is what edxlog reads, for both
profiles (the classic mix of every era and oddity, and the real-shaped 2017 export)."""

from __future__ import annotations

import collections
import gzip
import hashlib
import json
import subprocess
import sys
import tarfile

import pyarrow.compute as pc
import pytest

import edxlog
from edxlog import reference, synth


@pytest.mark.parametrize("profile", synth.PROFILES)
def test_generator_is_deterministic(tmp_path, profile):
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    synth.generate(a, servers=2, days=1, lines=300, seed=5, profile=profile)
    synth.generate(b, servers=2, days=1, lines=300, seed=5, profile=profile)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()
    synth.generate(b, servers=2, days=1, lines=300, seed=6, profile=profile)
    assert a.read_bytes() != b.read_bytes()


def test_profiles_differ_and_unknown_profile_is_an_error(tmp_path):
    synth.generate(tmp_path / "c.tar", servers=1, days=1, lines=200, seed=5)
    synth.generate(tmp_path / "n.tar", servers=1, days=1, lines=200, seed=5, profile="2017")
    assert (tmp_path / "c.tar").read_bytes() != (tmp_path / "n.tar").read_bytes()
    with pytest.raises(ValueError, match="unknown synth profile"):
        synth.generate(tmp_path / "x.tar", profile="1999")


def test_counts_match_what_was_generated(tmp_path):
    path = tmp_path / "export.tar"
    written = synth.generate(path, servers=2, days=2, lines=1500, seed=11)
    reader = edxlog.read(path)
    table = reader.read_all()
    s = reader.stats
    assert s["lines"] == written["lines"] == s["rows"] + s["rejects"] + s["blank"]
    assert s["members"] == written["members"] == 4
    assert s["blank"] == written.get("odd:blank_line", 0)
    assert s["rejects"] == written.get("odd:garbage_line", 0) + written.get("odd:partial_line", 0)

    by_type = collections.Counter(table["event_type"].to_pylist())
    for kind in ["play_video", "pause_video", "seq_goto", "seq_next", "book", "rubric_select", "problem_graded"]:
        assert by_type[kind] == written.get(f"kind:{kind}", 0), kind
    assert by_type["problem_check"] == written["kind:problem_check_browser"] + written["kind:problem_check_server"]

    warnings = collections.Counter(w for ws in table["warnings"].to_pylist() if ws for w in ws)
    # Every POST the generator cut at 512 characters is warned (its Studio saves are cut too,
    # uncounted), and nothing else is.
    cut = [r for r in table.to_pylist() if r["warnings"] and "event: looks like JSON but does not decode" in r["warnings"]]
    assert len(cut) >= written.get("odd:long_post", 0) > 0
    assert all(len(r["event"]) == 512 for r in cut)
    assert warnings["nul bytes stripped"] == written.get("odd:nul_prefix", 0)


@pytest.mark.parametrize("profile", synth.PROFILES)
def test_manifest_counts_every_member_as_edxlog_reads_it(tmp_path, profile):
    path = tmp_path / "export.tar"
    written = synth.generate(path, servers=2, days=2, lines=700, seed=3, profile=profile)
    manifest = written["manifest"]
    with tarfile.open(path) as tar:
        assert [m["name"] for m in manifest] == [m.name for m in tar if m.isfile()]
    rows = collections.Counter(edxlog.read_table(path, columns=["source"])["source"].to_pylist())
    for m in manifest:
        assert m["lines"] == 700
        assert rows[m["name"]] == m["lines"] - m["blank"] - m["unreadable"], m["name"]
    assert sum(m["bytes"] for m in manifest) == written["bytes_raw"]


def test_every_classic_era_and_kind_reads_back(tmp_path):
    # the 8 anchor days span 2013-2020; members of >= COVERAGE_MIN_LINES lines hold every kind
    # of their era, so every event builder runs
    path = tmp_path / "eras.tar.gz"
    written = synth.generate(path, servers=1, days=8, lines=synth.COVERAGE_MIN_LINES, seed=2)
    assert {k[5:] for k in written if k.startswith("kind:")} == set(synth.KIND_WEIGHTS)
    reader = edxlog.read(path)
    table = reader.read_all()
    assert reader.stats["lines"] == written["lines"] == 8 * synth.COVERAGE_MIN_LINES
    assert table.num_rows == written["lines"] - sum(m["blank"] + m["unreadable"] for m in written["manifest"])


def test_spot_values(synth_corpus):
    t = edxlog.read_table(synth_corpus)
    videos = t.filter(pc.equal(t["event_type"], "play_video"))
    assert videos.num_rows and videos["video_id"].null_count == 0
    assert pc.min(videos["video_time"]).as_py() >= 0
    checks = t.filter(pc.and_(pc.equal(t["event_type"], "problem_check"), pc.equal(t["event_source"], "browser")))
    assert checks.num_rows and all(a for a in checks["answers"].to_pylist())
    assert set(t["server"].to_pylist()) == {"prod-edxapp-001", "prod-edxapp-002"}
    assert t["time"].null_count == 0


# ---- the 2017 profile: shaped like a real 2016-18 export ---------------------------------------

@pytest.fixture(scope="module")
def export_2017(tmp_path_factory):
    path = tmp_path_factory.mktemp("synth2017") / "export.tar"
    written = synth.generate(path, servers=2, days=2, lines=2500, seed=17, profile="2017")
    return path, written


def _raw_lines(path):
    with tarfile.open(path) as tar:
        for m in tar:
            if m.isfile():
                yield from gzip.decompress(tar.extractfile(m).read()).splitlines()


def test_2017_profile_is_mostly_short_implicit_url_events_with_a_string_event(export_2017):
    path, written = export_2017
    records = [json.loads(b) for b in _raw_lines(path)]
    assert len(records) == written["lines"] == 10_000
    urls = [r for r in records if r["event_type"].startswith("/")]
    assert 0.78 <= len(urls) / len(records) <= 0.86
    assert all(r["event_source"] == "server" and isinstance(r["event"], str) for r in urls)
    assert all(set(json.loads(r["event"])) == {"POST", "GET"} for r in urls if len(r["event"]) < 512)
    assert collections.Counter(r["event"] for r in urls).most_common(1)[0][0] == '{"POST": {}, "GET": {}}'
    average = written["bytes_raw"] / written["lines"]
    assert 700 <= average <= 850, average


def test_2017_profile_puts_a_context_on_every_line(export_2017):
    path, _ = export_2017
    for b in _raw_lines(path):
        ctx = json.loads(b)["context"]
        assert {"course_id", "org_id", "user_id", "path"} <= set(ctx), ctx
    t = edxlog.read_table(path, columns=["event_type", "course_id", "context"])
    assert t["context"].null_count == 0
    modules = t.filter(pc.equal(t["event_type"], "edx.grades.problem.submitted"))["context"].to_pylist()
    assert modules and all('"module"' in c for c in modules)


def test_2017_profile_holds_the_modern_event_families(export_2017):
    path, _ = export_2017
    types = set(edxlog.read_table(path, columns=["event_type"])["event_type"].to_pylist())
    for prefix in ["edx.ui.lms.", "edx.video.", "edx.course.enrollment.", "edx.bookmark."]:
        assert any(t.startswith(prefix) for t in types), prefix
    for name in ["edx.grades.problem.submitted", "seek_video", "speed_change_video", "problem_check",
                 "play_video", "page_close", "edx.ui.lms.outline.selected", "edx.ui.lms.link_clicked"]:
        assert name in types, name


def test_2017_profile_reads_with_zero_rejects_in_edxlog_and_the_reference(export_2017):
    path, written = export_2017
    reader = edxlog.read(path)
    table = reader.read_all()
    assert reader.stats["rejects"] == 0 and reader.stats["blank"] == 0
    assert table.num_rows == written["lines"]
    ref_reader = reference.read(str(path))
    assert ref_reader.read_all().equals(table)
    assert ref_reader.stats == reader.stats


def test_2017_iter_lines_yields_the_member_the_export_holds(export_2017):
    path, written = export_2017
    first = written["manifest"][0]
    with tarfile.open(path) as tar:
        data = gzip.decompress(tar.extractfile(first["name"]).read())
    server, day = first["name"].split("/")[0], first["name"][-11:-3]
    lines = list(synth.iter_lines(17, 2500, day, server=server, profile="2017"))
    assert b"".join(l + b"\n" for l in lines) == data


def test_command_line_writes_a_2017_export_and_its_manifest(tmp_path):
    out, manifest = tmp_path / "cli.tar.gz", tmp_path / "manifest.json"
    subprocess.run([sys.executable, "-m", "edxlog.synth", str(out), "--servers", "1", "--days", "2",
                    "--lines", "200", "--seed", "2", "--profile", "2017", "--manifest", str(manifest), "-q"],
                   check=True)
    m = json.loads(manifest.read_text())
    assert m["members"] == 2 and m["lines"] == 400 and len(m["manifest"]) == 2
    assert edxlog.read_table(out).num_rows == 400
