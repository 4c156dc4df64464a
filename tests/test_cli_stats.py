"""`edxlog stats`: the numbers, the coverage holes, and the PNG heatmap."""

from __future__ import annotations

import json
from collections import Counter

import pyarrow.compute as pc
import pytest
from cli_helpers import members_of, ok, pack

import edxlog


@pytest.fixture(scope="module")
def export_with_a_hole(tmp_path_factory):
    """3 servers x 4 consecutive days, with server 2's third day missing."""
    from edxlog import synth

    d = tmp_path_factory.mktemp("stats")
    full = d / "full.tar"
    synth.generate(full, servers=3, days=4, lines=300, seed=3, start="2014-05-01")
    members = members_of(full)
    gone = sorted(m for m in members if m.startswith("prod-edxapp-002/"))[2]
    holed = {n: b for n, b in members.items() if n != gone}
    return pack(d / "holed.tar", holed)


def test_stats_json_counts_equal_the_reader(export_with_a_hole):
    st = json.loads(ok("stats", export_with_a_hole, "--json", "--top", "5").stdout)
    reader = edxlog.read(export_with_a_hole)
    t = reader.read_all()
    assert st["reader"] == reader.stats
    assert sum(sum(days.values()) for days in st["coverage"].values()) == t.num_rows
    assert st["rows_by_event_source"] == {k: v for k, v in Counter(t.column("event_source").to_pylist()).items()}
    top = Counter(t.column("event_type").to_pylist()).most_common(5)
    assert list(st["top_event_types"].values()) == [n for _, n in top]
    assert st["distinct_users"] == len({u for u in t.column("username").to_pylist() if u})
    assert st["distinct_courses"] == len({c for c in t.column("course_id").to_pylist() if c})
    assert sum(st["rejects_by_kind"].values()) == reader.stats["rejects"]
    assert sum(st["warnings_by_kind"].values()) == len(pc.list_flatten(t.column("warnings")))
    assert st["time_min"] == pc.min(t.column("time")).as_py().isoformat()
    assert st["members_per_server"] == {"prod-edxapp-001": 4, "prod-edxapp-002": 3, "prod-edxapp-003": 4}


def test_stats_shows_the_missing_server_day(export_with_a_hole):
    st = json.loads(ok("stats", export_with_a_hole, "--json").stdout)
    assert st["missing"] == [["prod-edxapp-002", "2014-05-03"]]
    text = ok("stats", export_with_a_hole).stdout
    assert "rows per server and UTC day" in text and "missing:" in text and "prod-edxapp-002" in text
    assert "top 15 event types" in text and "rejects by kind" in text and "warnings by kind" in text


def test_plot_writes_a_png_of_the_asked_size(export_with_a_hole, tmp_path):
    from PIL import Image

    png = tmp_path / "coverage.png"
    proc = ok("stats", export_with_a_hole, "--plot", png, "--plot-size", "900x320")
    assert f"{png} (900x320)" in proc.stdout
    with Image.open(png) as im:
        assert im.format == "PNG" and im.size == (900, 320)
        im.load()  # decodes every pixel
        assert len(im.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 10  # a picture, not a blank canvas
    default = tmp_path / "default.png"
    ok("stats", export_with_a_hole, "--plot", default, "--json")
    from edxlog.cli.stats import default_plot_size

    with Image.open(default) as im:
        im.load()
        assert im.size == default_plot_size(3, 4)  # 3 servers x 4 days
