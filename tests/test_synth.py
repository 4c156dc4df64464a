"""The synthetic export: what the generator says it wrote is what edxlog reads."""

from __future__ import annotations

import collections
import hashlib

import pyarrow.compute as pc

import edxlog
from edxlog import synth


def test_generator_is_deterministic(tmp_path):
    a, b = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    synth.generate(a, servers=2, days=1, lines=300, seed=5)
    synth.generate(b, servers=2, days=1, lines=300, seed=5)
    assert hashlib.sha256(a.read_bytes()).digest() == hashlib.sha256(b.read_bytes()).digest()


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


def test_spot_values(synth_corpus):
    t = edxlog.read_table(synth_corpus)
    videos = t.filter(pc.equal(t["event_type"], "play_video"))
    assert videos.num_rows and videos["video_id"].null_count == 0
    assert pc.min(videos["video_time"]).as_py() >= 0
    checks = t.filter(pc.and_(pc.equal(t["event_type"], "problem_check"), pc.equal(t["event_source"], "browser")))
    assert checks.num_rows and all(a for a in checks["answers"].to_pylist())
    assert set(t["server"].to_pylist()) == {"prod-edxapp-001", "prod-edxapp-002"}
    assert t["time"].null_count == 0
