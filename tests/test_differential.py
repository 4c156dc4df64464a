"""The Rust core and the pure-Python reference agree: same tables, rejects and counters.

JSON-text columns the readers write (`extra`, `state`, JSON items) are compared by parsed
value (two correct writers may differ in spacing, escapes and float digits); everything else,
`context` and `event` (the line's own text) included, must be equal as it is.
"""

from __future__ import annotations

import gzip
import json
import math
import sys

import pyarrow as pa
import pytest

import edxlog
from conftest import REALDATA, line, make_tar, realdata_files, write_lines
from edxlog import reference

JSON_COLUMNS = {"extra", "state"}

# Values nested up to 1000 levels are valid rows; the stdlib decoder and _canon recurse.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))


def _parsed(text):
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return ("not JSON", text)
    return _canon(value)


def _canon(v):
    # inf == inf, but NaN never appears: JSON has none.
    if isinstance(v, float) and math.isinf(v):
        return ("inf", v > 0)
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_canon(x) for x in v]
    return v


def _event_value(text):
    """`event` is verbatim for string events and JSON text otherwise: compare parsed when it
    parses, as text when it does not."""
    if text is None:
        return None
    try:
        return ("json", _canon(json.loads(text)))
    except (ValueError, RecursionError):
        return ("text", text)


def _item_value(item):
    """An answers / correct_map text item: compact JSON (an array or object) is JSON text, which
    two correct writers may spell differently (`1e16` / `1e+16`): compare those parsed."""
    if isinstance(item, str) and item[:1] in ("{", "["):
        return _event_value(item)
    return item


def _text_items(column: str, value):
    if value is None:
        return None
    if column == "answers":
        return [(k, None if v is None else [_item_value(x) for x in v]) for k, v in value]
    if column == "correct_map":
        return [{k: _item_value(x) for k, x in entry.items()} for entry in value]
    return value


def assert_same_tables(rust: pa.Table, ref: pa.Table, label: str) -> None:
    assert rust.schema == ref.schema, f"{label}: schemas differ"
    assert rust.num_rows == ref.num_rows, f"{label}: {rust.num_rows} rows vs {ref.num_rows}"
    problems = []
    for name in rust.column_names:
        a, b = rust[name].to_pylist(), ref[name].to_pylist()
        if name in JSON_COLUMNS:
            a, b = [_parsed(x) for x in a], [_parsed(x) for x in b]
        elif name in ("answers", "correct_map"):
            a, b = [_text_items(name, x) for x in a], [_text_items(name, x) for x in b]
        if a != b:
            bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
            i = bad[0]
            where = f"{rust['source'][i].as_py()}:{rust['line'][i].as_py()}" if "line" in rust.column_names else f"row {i}"
            problems.append(
                f"  {name}: {len(bad)} rows differ; first at {where}\n"
                f"    rust:      {a[i]!r:.300}\n    reference: {b[i]!r:.300}"
            )
    assert not problems, f"{label}: columns differ\n" + "\n".join(problems)


def assert_agree(source, label, **kwargs):
    rust_reader = edxlog.read(source, **kwargs)
    rust = rust_reader.read_all()
    ref_reader = reference.read(source, **kwargs)
    ref = ref_reader.read_all()
    assert_same_tables(rust, ref, label)
    assert rust_reader.stats == ref_reader.stats, label
    r_rej, p_rej = rust_reader.rejects(), ref_reader.rejects()
    key = lambda t: list(zip(t["source"].to_pylist(), t["line"].to_pylist(), t["raw"].to_pylist()))
    assert key(r_rej) == key(p_rej), f"{label}: rejects differ"
    s = rust_reader.stats
    assert s["lines"] == s["rows"] + s["rejects"] + s["blank"]
    return rust


@pytest.mark.parametrize("path", realdata_files(), ids=lambda p: p.name)
def test_real_logs(path):
    assert_agree(path, path.name)


def test_synthetic_corpus(synth_corpus):
    assert_agree(synth_corpus, "synthetic export")


def test_shipped_sample():
    from conftest import EXAMPLE

    assert_agree(EXAMPLE, "examples/sample.tar.gz")


def test_projection_agrees(synth_corpus):
    assert_agree(synth_corpus, "projection", columns=["answers", "time", "event_type", "warnings"])


# Hand-written lines that walk the contract's edges, one per case.
EDGE_LINES = [
    b'{"event_type": "seq_goto", "event": {"id": "s", "old": 1e400, "new": 18446744073709551616}}',
    b'{"event_type": "x", "event": {"a": -0, "b": 1.5e300, "c": 1E400, "d": [1e-400]}}',
    b'{"username": 12, "session": 1.0, "ip": true, "agent": [1], "time": 5}',
    b'{"username": "a", "username": "b", "context": {"course_id": "x", "course_id": ""}}',
    b'{"context": null, "event": null, "page": null}',
    b'{"context": "a string", "time": "yesterday"}',
    b'{"context": {"user_id": "  42 "}, "event_type": "book", "event": "{\\"old\\": \\"3.0\\", \\"new\\": \\"abc\\", \\"type\\": 7}"}',
    b'{"context": {"user_id": 1.5}, "event_type": "play_video", "event": {"id": 3, "currentTime": "1e3", "speed": 1.25}}',
    b'{"event_type": "problem_check", "event": "\\"\\\\\\"input_a=1\\\\\\"\\""}',
    b'{"event_type": "problem_check", "event": "  input_a%5B%5D=x&input_a%5B%5D=y&&input_b&c=%ZZ+%E4%B8%AD"}',
    b'{"event_type": "problem_check", "event": "\\"input_a=1&input_b=2"}',
    b'{"event_type": "problem_graded", "event": ["input_x_2_1=choice_1", "<p>html</p>"]}',
    b'{"event_type": "problem_check", "event": {"answers": {"input_a[]": ["1", 2, null, {"k": [1]}], "a": "3"}, "correct_map": "{\\"a\\": {\\"npoints\\": \\"2\\", \\"hintmode\\": false, \\"queuestate\\": {\\"key\\": 1}}, \\"b\\": 3}"}}',
    b'{"event_type": "problem_show", "event": {"problem_id": null, "problem": "p"}}',
    b'{"event_type": "problem_show", "event": {"problem_id": [1], "problem": "p"}}',
    b'{"event_type": "rubric_select", "event": "{\\"location\\": \\"l\\", \\"category\\": \\"1\\", \\"value\\": 9223372036854775808}"}',
    b'{"event_type": "oe_feedback_response_selected", "event": {"value": -9223372036854775808}}',
    b'{"event_type": "/courses/course-v1:A+B+C/x", "page": "/ccx-v1:X+Y+Z+ccx@1/course-v1:Q+R+S"}',
    b'{"event_type": "https://x/courses/Org/Num/Run", "context": {"org_id": ""}}',
    b'{"event_type": "x", "context": {"course_id": "library-v1:a"}}',
    b'{"time": "2014-05-02 16:02:25.1234567+05:30"}',
    b'{"time": "2014-02-30T00:00:00"}',
    b'{"time": "2014-05-02T16:02:25-0800", "event": "{not json"}',
    b'{"event": "[1, 2"}',
    b'{"event": "\\"\\\\\\"\\\\\\\\\\\\\\"{\\\\\\\\\\\\\\"a\\\\\\\\\\\\\\": 1}\\\\\\\\\\\\\\"\\\\\\"\\""}',
    "{\"username\": \"\u00e9\u4e2d\U0001f600\", \"event\": \"\u00e9=\u00e8\"}".encode(),
    b'{"username": "bad \xff\xfe utf8"}',
    b'\x00\x00{"username": "nul"}\x00',
    b'\xef\xbb\xbf{"username": "bom"}',
    b'2023-05-23 13:53:13,461 INFO 20 [tracking] - {"username": "prefixed"}',
    b'file.gz:{"username": "grep"}',
    b'{"a": 1}{"b": 2}',
    b'["not", "an object"]',
    b'"just a string"',
    b'# comment',
    b'   ',
    b'',
    b'{"a": NaN}',
    b'{"a": "\\ud800"}',
    b'{"deep": ' + b"[" * 1000 + b"]" * 1000 + b"}",
    b'{"deep": ' + b"[" * 1001 + b"]" * 1001 + b"}",
    b'{"event_type": "x", "event": "' + b"[" * 2000 + b'"}',
    b'{"event_type":"x",\t"event" : { } ,"extra_key":{"nested":[true,false,null,"\\u0001\\n"]}}\r',
]


def test_edge_lines(tmp_path):
    path = write_lines(tmp_path / "edges.log", EDGE_LINES)
    table = assert_agree(path, "edge lines")
    assert table.num_rows > 25


def test_edge_lines_in_every_container(tmp_path):
    data = b"\n".join(EDGE_LINES)
    tar = make_tar(tmp_path / "e.tar.gz", {"srv/a.log.gz": gzip.compress(data), "srv/b.log": data}, compress=True)
    assert_agree(tar, "edge lines in a tar.gz")
    assert_agree([tar, write_lines(tmp_path / "p.log", EDGE_LINES)], "a list")


def test_long_lines_and_damage(tmp_path):
    big = b"".join(line(username=f"v{i}", event_type="x", pad="p" * 300) + b"\n" for i in range(1500))
    cut = gzip.compress(big)
    crc = bytearray(gzip.compress(big[:2000]))
    crc[-8] ^= 0xFF
    tar = make_tar(
        tmp_path / "d.tar",
        {
            "s/cut.gz": cut[: len(cut) // 2],
            "s/crc.gz": bytes(crc),
            "s/long.log": b'{"a": "' + b"x" * 5000 + b'"}\n{"b": 1}\nno newline at end',
            "s/png.log": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
            "s/empty.log": b"",
        },
    )
    assert_agree(tar, "damage", max_line_bytes=1000)
    full = tar.read_bytes()
    cut_tar = tmp_path / "cut.tar"
    cut_tar.write_bytes(full[: len(full) - 3000])
    assert_agree(cut_tar, "cut tar", max_line_bytes=1000)


def test_reference_with_orjson_decodes_the_same(synth_corpus, tmp_path):
    import orjson  # the benchmark baseline's optional decoder (a test extra)
    edges = write_lines(tmp_path / "edges.log", EDGE_LINES)
    for source in [synth_corpus, edges, *realdata_files()]:
        a = reference.read(source).read_all()
        b = reference.read(source, json_loads=orjson.loads).read_all()
        assert_same_tables(a, b, f"{source} with orjson")


def test_repeated_keys_give_the_same_json_text(tmp_path):
    # Contract §2.8: a repeated key is written once, at its first place, with its last value,
    # in the JSON text the readers write (`extra`), spelled the same by both implementations;
    # `context` and an object `event` keep the line's own text, repeated keys as written (§6).
    src = write_lines(tmp_path / "dup.log", [
        b'{"username":"a","foo":1,"context":{"course_id":"x","k":1,"k":{"z":1,"z":2}},'
        b'"foo":2,"event":{"a":1,"b":[{"c":1,"c":3}],"a":2},"event_type":"problem_check"}'
    ])
    cols = ["context", "extra", "event"]
    core = edxlog.read_table(src, columns=cols).to_pylist()
    ref = reference.read_table(src, columns=cols).to_pylist()
    assert core == ref == [{
        "context": '{"course_id":"x","k":1,"k":{"z":1,"z":2}}',
        "extra": '{"foo":2}',
        "event": '{"a":1,"b":[{"c":1,"c":3}],"a":2}',
    }]
