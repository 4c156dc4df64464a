#!/usr/bin/env python3
"""Seed corpora of the fuzz targets, built at run time (standard library only).

    python3 fuzz/seed.py              # fuzz/corpus/<target>/ from the sources below
    python3 fuzz/seed.py --handmade   # rewrites the small committed seeds in fuzz/seeds/

Sources of fuzz/corpus: the committed hand-made seeds (fuzz/seeds/<target>/), the shipped
example export (examples/sample.tar.gz) and the real logs in ../shared/realdata/ (read by path,
never copied into the repository: fuzz/corpus is git-ignored). File names are content hashes,
as libFuzzer names its own, so running this again only adds what is missing.
"""

import gzip
import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
ROOT = FUZZ.parent
REALDATA = ROOT.parent / "shared" / "realdata"
SAMPLE = ROOT / "examples" / "sample.tar.gz"
TARGETS = ["line_record", "event", "get_payload", "time", "archive", "pipeline"]
# Keep in step with fuzz/harness.rs EVENT_TYPES (the selector byte of the event target).
EVENT_TYPES = [
    "problem_check", "problem_save", "problem_graded", "problem_show", "play_video",
    "edx.video.paused", "book", "seq_goto", "rubric_select", "oe_feedback_response_selected",
    "peer_grading_hide_question", "staff_grading_show_question", "page_close", "",
]
# Per-target input size caps (the run script passes the same -max_len).
MAX_LEN = {"line_record": 16384, "event": 8192, "get_payload": 4096, "time": 64,
           "archive": 262144, "pipeline": 262144}


def event_input(event_type: str, event: str) -> bytes:
    if event_type in EVENT_TYPES:
        return bytes([EVENT_TYPES.index(event_type)]) + event.encode("utf-8", "surrogatepass")
    return b"\xff" + event_type.encode() + b"\n" + event.encode("utf-8", "surrogatepass")


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def tar(members: dict, compress: bool = False, fmt=tarfile.GNU_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            t.addfile(info, io.BytesIO(data))
    return gz(buf.getvalue()) if compress else buf.getvalue()


# ----------------------------------------------------------------------------------------------
# Hand-made seeds (committed)

def line(**fields) -> bytes:
    return json.dumps(fields).encode()


def handmade() -> dict:
    ctx = {"course_id": "course-v1:MITx+6.002x+2014", "org_id": "MITx", "user_id": 42}
    lines = [
        line(username="a", session="s", ip="1.2.3.4", agent="x", host="h", referer="r",
             accept_language="en", name="n", event_source="server", event_type="problem_check",
             time="2014-05-02T16:02:25.143912+00:00", page="https://x/courses/MITx/6.002x/2012_Fall/courseware",
             context=ctx, event={"problem_id": "p1", "success": "correct", "attempts": 2,
                                 "answers": {"input_p1_2_1[]": ["choice_1", "choice_3"], "p1_3_1": 4},
                                 "correct_map": {"p1_2_1": {"correctness": "correct", "npoints": 1,
                                                            "queuestate": {"key": "k", "time": "t"}}},
                                 "state": {"seed": 1}}),
        line(event_type="problem_check", event_source="browser",
             event='"input_p1_2_1%5B%5D=choice_1&input_p1_2_1%5B%5D=choice_3&input_x=a+b%20c"'),
        line(event_type="problem_check", event="input_p%5B%5D=1&input_q=%E4%B8%AD"),
        line(event_type="problem_graded", event=["input_p=1&input_q=2", "<p>html</p>"]),
        line(event_type="play_video", event=json.dumps({"id": "v", "code": "c", "currentTime": 1.5, "speed": "1.0"})),
        line(event_type="edx.video.paused", event={"id": "v", "current_time": "12.5"}),
        line(event_type="book", event={"type": "gotopage", "old": 3, "new": "4"}),
        line(event_type="seq_goto", event=json.dumps({"id": "s", "old": 1, "new": 2.0})),
        line(event_type="rubric_select", event={"location": "l", "category": 1, "value": "2"}),
        line(event_type="problem_show", event={"problem": "p"}),
        line(event_type="x", event=json.dumps(json.dumps(json.dumps({"a": 1})))),
        line(event_type="x", event='{"a": "cut at 512 charact'),
        line(event_type="x", event='"input_cut=quoted'),
        line(event_type="/courses/course-v1:A+B+C/xblock/x/handler/problem_check", context=None),
        line(time="2014-05-02 16:02:25Z", context=[], user_id=1, username=["x"]),
        b'{"a":1e400,"b":18446744073709551616,"c":-0,"d":-1.5e-7,"e":123456789012345678901234567890}',
        b'{"username":"a","username":"b","event":{"attempts":"99999999999999999999"}}',
        b'2023-05-23 13:53:13,461 INFO 20 [tracking] logger.py:41 - {"username": "a", "event": {}}',
        "\ufeff{\"username\":\"bom\"}".encode(),
        b"\x00\x00{\"username\":\"nul\"}\x00",
        b'{"username":"a\xffb","event":"\xc3"}',
        b'{"a":1}\r',
        b"   ",
        b"# comment",
        b"[1,2]",
        b'{"a":1}{"b":2}',
        b'{"a":NaN,"b":"\\ud800"}',
        b'{"deep":' + b"[" * 999 + b"1e400" + b"]" * 999 + b"}",
        b'{"deep":' + b"[" * 1000 + b"]" * 1000 + b"}",
    ]
    seeds = {t: [] for t in TARGETS}
    seeds["line_record"] = lines + [b"\n".join(lines[:6])]
    seeds["event"] = [
        event_input("problem_check", '"input_p%5B%5D=1&input_p%5B%5D=2"'),
        event_input("problem_check", "input_p=1&input_q=a+b"),
        event_input("problem_graded", '["input_p=1", "<p/>"]'),
        event_input("problem_check", json.dumps({"answers": "input_a=1", "correct_map": json.dumps({"a": {"npoints": "x"}, "b": 1})})),
        event_input("play_video", '{"id":"v","currentTime":1e400}'),
        event_input("seq_goto", '{"old":"  12 ","new":1e20}'),
        event_input("book", '{"type":"x","old":true,"new":null}'),
        event_input("rubric_select", '{"category":"-3","value":2.5}'),
        event_input("problem_show", '{"problem":"p","state":{"a":[1,2]}}'),
        event_input("page_close", json.dumps(json.dumps(json.dumps(json.dumps({"a": 1}))))),
        event_input("page_close", ' {"cut": "at 512'),
        event_input("other_type", '"quoted'),
    ]
    seeds["get_payload"] = [
        b"input_problem1_2_1%5B%5D=choice_1&input_problem1_2_1%5B%5D=choice_3&input_problem1_3_1=choice_2",
        b"input_x=a+b%20c&input_y=%E4%B8%AD%E6%96%87&input_z=%ZZ%",
        b"&&input_a&input_b=1&",
        b"k=%FF&k=%C3%A9&input_[]=",
    ]
    seeds["time"] = [
        b"2014-05-02T16:02:25.143912+00:00", b"2014-05-02T16:02:25", b"2014-05-02 16:02:25Z",
        b"2014-05-02T11:02:25-0500", b"2016-02-29T00:00:00.123456789", b"0000-01-01T00:00:00+23:59",
        b"9999-12-31T23:59:59.999999-23:59", b"2014-05-02T16:02:60",
    ]
    good = b"\n".join(lines[:3]) + b"\n"
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
    archives = [
        good,
        gz(good),
        gz(lines[0] + b"\n") + gz(lines[1] + b"\n"),
        gz(good)[:40],
        tar({"server1/tracking.log": good, "server2/tracking.log.gz": gz(good), "empty.log": b""}),
        tar({"s/" + "x" * 120 + "/tracking.log.gz": gz(good)}, compress=True),
        tar({"s/a.log": good, "s/b.log": good}, fmt=tarfile.PAX_FORMAT),
        tar({"s/a.log": good})[:700],
        png,
        b"no newline at the end {\"a\":1}",
        b"a\r\nb\r\n" + b"x" * 3000 + b"\n{}\n",
    ] + damaged_archives(good)
    seeds["archive"] = archives
    seeds["pipeline"] = archives
    return seeds


def damaged_archives(good: bytes) -> list:
    """The fault cases of issue 10 (tests/test_faults.py), small: damage that reading must get
    past (tar resynchronisation, gzip member resynchronisation)."""
    three = {f"s/{n}.log": good.replace(b'"u', b'"' + n.encode()) for n in "abc"}
    plain = tar(three)
    second = 512 + (len(good) + 511) // 512 * 512
    zeroed = plain[:second] + bytes(512) + plain[second + 512:]
    flipped = bytearray(plain)
    flipped[second + 3] ^= 0x20
    members = [gz(good), gz(good + good), gz(good)]
    corrupt = bytearray(members[1])
    corrupt[10] = 0xFF
    bad_crc = bytearray(members[1])
    bad_crc[-8] ^= 0xFF
    chunks = [gz(plain[i:i + 1024]) for i in range(0, len(plain), 1024)]
    chunks[2] = chunks[2][:10] + b"\xff" + chunks[2][11:]
    return [
        plain[:second] + b"GARBAGE!" * 64 + plain[second:],
        plain[:second] + b"junk\n" * 7 + plain[second:],
        zeroed,
        bytes(flipped),
        plain + b"trailing junk",
        members[0] + bytes(corrupt) + members[2],
        members[0] + bytes(bad_crc) + members[2],
        members[0] + b"\x1f\x8b\x08 not gzip" + members[2],
        tar({"s/crc.log.gz": members[0] + bytes(bad_crc) + members[2], "s/next.log": good}),
        b"".join(chunks),
    ]


# ----------------------------------------------------------------------------------------------
# Corpora from the real logs and the sample (built at run time, never committed)

def log_streams():
    """(name, decompressed bytes) of every real log file and every sample member."""
    if REALDATA.is_dir():
        for p in sorted(REALDATA.iterdir()):
            if p.name.endswith(".log") or p.name.endswith(".gz"):
                data = p.read_bytes()
                yield p.name, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    if SAMPLE.is_file():
        with tarfile.open(SAMPLE) as t:
            for m in t.getmembers():
                if m.isfile():
                    data = t.extractfile(m).read()
                    yield m.name, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def from_logs() -> dict:
    out = {t: [] for t in TARGETS}
    for name, data in log_streams():
        raw_lines = data.split(b"\n")
        out["line_record"].extend(raw_lines)
        for raw in raw_lines:
            try:
                obj = json.loads(raw[raw.index(b"{"):])
            except (ValueError, json.JSONDecodeError):
                continue
            if not isinstance(obj, dict):
                continue
            ev, et = obj.get("event"), obj.get("event_type")
            et = et if isinstance(et, str) else ""
            text = ev if isinstance(ev, str) else json.dumps(ev, separators=(",", ":"))
            out["event"].append(event_input(et, text))
            candidates = [text]
            try:
                decoded = json.loads(text)
                candidates.append(decoded if isinstance(decoded, str) else
                                  decoded[0] if isinstance(decoded, list) and decoded and isinstance(decoded[0], str) else "")
                if isinstance(decoded, dict) and isinstance(decoded.get("answers"), str):
                    candidates.append(decoded["answers"])
            except (ValueError, TypeError):
                pass
            for c in candidates:
                if isinstance(c, str) and "=" in c and not c.lstrip().startswith(("{", "[")):
                    out["get_payload"].append(c.encode("utf-8", "surrogatepass"))
            if isinstance(obj.get("time"), str):
                out["time"].append(obj["time"].encode())
        # Small archives of the first lines, in every container the reader sniffs.
        head = b"\n".join(raw_lines[:20]) + b"\n"
        stem = Path(name).name
        out["archive"] += [head, gz(head), tar({f"srv/{stem}": head}),
                           tar({f"srv/{stem}.gz": gz(head)}, compress=True)]
    if SAMPLE.is_file():
        out["archive"].append(SAMPLE.read_bytes())
    out["pipeline"] = out["archive"]
    return out


def write(corpus: Path, target: str, items) -> int:
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    n = 0
    for data in items:
        if not data or len(data) > MAX_LEN[target]:
            continue
        f = d / hashlib.sha1(data).hexdigest()
        if not f.exists():
            f.write_bytes(data)
            n += 1
    return n


def main() -> None:
    if "--handmade" in sys.argv:
        for target, items in handmade().items():
            d = FUZZ / "seeds" / target
            for old in d.glob("*"):
                old.unlink()
            write(FUZZ / "seeds", target, items)
        return
    corpus = FUZZ / "corpus"
    if not REALDATA.is_dir():
        print(f"note: {REALDATA} not found; seeding from the committed seeds only", file=sys.stderr)
    logs = from_logs()
    for target in TARGETS:
        seeds = [p.read_bytes() for p in sorted((FUZZ / "seeds" / target).glob("*"))]
        added = write(corpus, target, seeds + logs[target])
        total = len(list((corpus / target).iterdir()))
        print(f"{target}: {total} inputs ({added} new)")


if __name__ == "__main__":
    main()
