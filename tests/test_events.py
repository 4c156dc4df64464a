"""The per-event API: edxlog.loads / iter_events give one dict per event that agrees with the
rows of read_table, and with json.loads of the raw line where that line is clean JSON."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest

import edxlog
from conftest import line, realdata_files, write_lines
from edxlog import events

WHITESPACE_AND_NUL = b" \t\n\v\f\r\x00"


def physical_lines(path) -> list[bytes]:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def check_against_row(ev: dict, row: dict) -> None:
    """``ev`` (from loads) holds what the read_table row says, column by column."""
    extra = json.loads(row["extra"]) if row["extra"] is not None else {}
    for name in events.STRING_FIELDS:
        assert ev[name] == extra.get(name, row[name]), name
    if "time" in extra:  # the reader could not parse it: the original comes back
        assert row["time"] is None and ev["time"] == extra["time"]
    elif row["time"] is None:
        assert ev["time"] is None
    else:
        assert dt.datetime.fromisoformat(ev["time"]) == row["time"]
        assert ev["time"].endswith("+00:00")
    assert ev["context"] == extra.get("context", json.loads(row["context"]) if row["context"] else None)
    for key, value in extra.items():
        assert ev[key] == value, key
    assert ev["warnings"] == (row["warnings"] or [])

    text, payload = row["event"], ev["event"]
    if text is None:
        assert payload is None
    elif "event: looks like JSON but does not decode" in (row["warnings"] or []):
        assert payload == text
    elif text.lstrip()[:1] in ("{", "["):
        assert payload == json.loads(text)
    elif row["answers"] is not None and row["event_type"] in ("problem_check", "problem_save", "problem_graded"):
        assert payload == {k: v for k, v in row["answers"]}
    else:
        assert isinstance(payload, str)
    # The typed columns are read from the same payload.
    if isinstance(payload, dict):
        if row["video_time"] is not None:
            assert float(payload.get("currentTime", payload.get("current_time"))) == row["video_time"]
        if row["problem_id"] is not None:
            key = "problem_id" if "problem_id" in payload else "problem"
            assert payload[key] == row["problem_id"]
        if row["correct_map"] is not None:
            cmap = payload["correct_map"]
            cmap = json.loads(cmap) if isinstance(cmap, str) else cmap
            assert [e["answer_id"] for e in row["correct_map"]] == [k for k, v in cmap.items() if isinstance(v, dict)]


def check_against_json(ev: dict, raw: dict) -> None:
    """For a clean line, ``ev`` is ``json.loads`` of it with the documented fix-ups only."""
    for key, value in raw.items():
        if key == "time":
            assert dt.datetime.fromisoformat(ev["time"]) == dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        elif key == "event":
            decoded = value
            while isinstance(decoded, str) and decoded.lstrip()[:1] in ("{", "[", '"'):
                decoded = json.loads(decoded)
            if isinstance(decoded, (dict, list)):
                assert ev["event"] == decoded
            elif isinstance(ev["event"], dict):  # a GET payload: its decoded answers
                assert raw["event_type"] in ("problem_check", "problem_save", "problem_graded")
                assert "=" in decoded
            else:
                assert ev["event"] == decoded
        elif key in events.STRING_FIELDS and isinstance(value, (int, float)):
            assert ev[key] == json.dumps(value)
        else:
            assert ev[key] == value, key


@pytest.mark.parametrize("path", realdata_files(), ids=lambda p: p.name)
def test_loads_agrees_with_read_table_on_every_real_line(path):
    reader = edxlog.read(path)
    rows = {r["line"]: r for r in reader.read_all().to_pylist()}
    rejects = {r["line"]: r["error"] for r in reader.rejects().to_pylist()}
    checked_with_json = 0
    lines = physical_lines(path)
    assert len(lines) == reader.stats["lines"]
    for number, raw in enumerate(lines, start=1):
        if not raw.strip(WHITESPACE_AND_NUL):
            with pytest.raises(edxlog.EdxlogError, match="blank"):
                edxlog.loads(raw)
        elif number in rejects:
            with pytest.raises(edxlog.EdxlogError) as info:
                edxlog.loads(raw)
            assert str(info.value) == rejects[number]
        else:
            ev = edxlog.loads(raw)
            check_against_row(ev, rows[number])
            try:
                clean = json.loads(raw)
            except ValueError:
                continue
            if not ev["warnings"]:
                check_against_json(ev, clean)
                checked_with_json += 1
    assert len(rows) + len(rejects) + reader.stats["blank"] == len(lines)
    assert checked_with_json > 0 or path.name == "erb_logger_prefixed_tracking.log"


def test_iter_events_gives_what_loads_gives_line_by_line():
    paths = realdata_files()
    by_line = []
    for path in paths:
        for raw in physical_lines(path):
            try:
                by_line.append(edxlog.loads(raw))
            except edxlog.EdxlogError:
                pass
    assert list(edxlog.iter_events(paths)) == by_line


def test_iter_events_meta_names_where_each_event_came_from(synth_corpus):
    table = edxlog.read_table(synth_corpus, columns=["source", "server", "line", "event_id", "event_type"])
    evs = list(edxlog.iter_events(synth_corpus, meta=True, batch_size=500))
    assert len(evs) == table.num_rows
    assert [e["_edxlog"]["line"] for e in evs] == table.column("line").to_pylist()
    assert [e["_edxlog"]["source"] for e in evs] == table.column("source").to_pylist()
    assert [e["_edxlog"]["server"] for e in evs] == table.column("server").to_pylist()
    assert [bytes.fromhex(e["_edxlog"]["event_id"]) for e in evs] == table.column("event_id").to_pylist()
    assert [e["event_type"] for e in evs] == table.column("event_type").to_pylist()


def test_iter_events_passes_read_options_on(synth_corpus):
    evs = list(edxlog.iter_events(synth_corpus, event_types=["play_video"], threads=1))
    assert evs and {e["event_type"] for e in evs} == {"play_video"}
    times = [e["event"].get("currentTime", e["event"].get("current_time")) for e in evs]
    assert all(isinstance(t, (int, float, str)) for t in times), times[:5]
    with pytest.raises(TypeError):
        list(edxlog.iter_events(synth_corpus, columns=["time"]))


@pytest.mark.parametrize(
    "payload",
    ['"input_p_2_1=3.14&input_p_3_1%5B%5D=a&input_p_3_1%5B%5D=b"', "input_p_2_1=3.14&input_p_3_1%5B%5D=a&input_p_3_1%5B%5D=b"],
    ids=["quoted", "unquoted"],
)
def test_get_payload_of_browser_problem_check_decodes_to_answers(payload):
    ev = edxlog.loads(line(event_type="problem_check", event_source="browser", event=payload))
    assert ev["event"] == {"p_2_1": ["3.14"], "p_3_1": ["a", "b"]}


def test_string_event_holding_json_is_decoded_and_plain_strings_stay():
    assert edxlog.loads(line(event_type="play_video", event='{"id": "v", "currentTime": 3.5}'))["event"] == {
        "id": "v",
        "currentTime": 3.5,
    }
    assert edxlog.loads(line(event_type="x", event=json.dumps(json.dumps({"a": [1]}))))["event"] == {"a": [1]}
    assert edxlog.loads(line(event_type="page_close", event=""))["event"] == ""
    assert edxlog.loads(line(event_type="x", event="hello"))["event"] == "hello"
    assert edxlog.loads(line(event_type="x", event=[1, "a"]))["event"] == [1, "a"]
    assert edxlog.loads(line(event_type="x"))["event"] is None


def test_event_cut_at_512_characters_keeps_its_text_and_warns():
    cut = json.dumps({"answers": {"a": "x" * 600}})[:512]
    ev = edxlog.loads(line(event_type="problem_check", event=cut))
    assert ev["event"] == cut
    assert ev["warnings"] == ["event: looks like JSON but does not decode"]


def test_time_is_iso_utc_text_and_an_unparseable_time_stays_as_it_was():
    assert edxlog.loads(line(time="2014-05-02T18:02:17.5+02:00"))["time"] == "2014-05-02T16:02:17.500000+00:00"
    assert edxlog.loads(line(time="2014-05-02 16:02:17"))["time"] == "2014-05-02T16:02:17+00:00"
    ev = edxlog.loads(line(time="yesterday"))
    assert ev["time"] == "yesterday" and ev["warnings"] == ["time: unparseable"]


def test_other_keys_context_and_repairs_come_back():
    raw = line(username="u", context={"course_id": "c", "module": {"x": 1}}, mongoid={"$oid": "5"}, n=1.5)
    ev = edxlog.loads(b"\x00\x002023-05-23 13:53:13,461 INFO tracking - " + raw)
    assert ev["context"] == {"course_id": "c", "module": {"x": 1}}
    assert ev["mongoid"] == {"$oid": "5"} and ev["n"] == 1.5
    assert ev["warnings"] == ["nul bytes stripped", "prefix stripped: 40 bytes"]
    assert ev["page"] is None and "warnings" not in edxlog.loads(raw, warnings=False)


def test_loads_takes_str_and_bytes_alike():
    raw = line(username="é", event={"a": 1})
    assert edxlog.loads(raw) == edxlog.loads(raw.decode()) == edxlog.loads(raw + b"\r\n")


@pytest.mark.parametrize(
    "bad, message",
    [(b"not json", "not a JSON object"), (b"[1, 2]", "not a JSON object"), (b"  \n", "blank"), (b'{"a":1}\n{"a":2}\n', "2 lines")],
)
def test_loads_raises_a_value_error_on_what_is_not_one_event(bad, message):
    with pytest.raises(edxlog.EdxlogError, match=message) as info:
        edxlog.loads(bad)
    assert isinstance(info.value, ValueError)


def test_to_json_lines_is_the_dicts_as_compact_json_lines(synth_corpus):
    batch = next(iter(edxlog.read(synth_corpus, columns=events.COLUMNS, batch_size=300)))
    text = events.to_json_lines(batch)
    assert text.endswith("\n") and text.count("\n") == batch.num_rows
    assert [json.loads(l) for l in text.splitlines()] == events.batch_to_dicts(batch)


def test_a_gz_file_and_a_plain_file_give_the_same_events(tmp_path):
    lines = [line(event_type="seq_goto", event={"old": 1, "new": 2}, time="2014-01-01T00:00:00Z")] * 3
    plain = write_lines(tmp_path / "a.log", lines)
    gz = write_lines(tmp_path / "a.log.gz", lines, gz=True)
    assert list(edxlog.iter_events(plain)) == list(edxlog.iter_events(gz))
