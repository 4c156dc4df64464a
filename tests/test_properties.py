"""Property test: for generated events the core equals the pure-Python reference.

Events mix random Unicode (including characters outside the BMP, written as surrogate-pair
escapes, and lone surrogate escapes, which make the line a reject), escapes, huge and negative
numbers (raw tokens such as ``1e400``, ``-0``, ``18446744073709551616``), nulls and wrong types
where strings are expected, and ``event`` as an object, as a JSON string, as a JSON string that
encodes a JSON string, as a GET-style ``problem_check`` string, plus random extra keys.
Tables are compared as in test_differential (JSON-text columns by parsed value); the counters,
the rejects and the accounting invariant must agree too.
"""

from __future__ import annotations

import json
import os
import tempfile
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from test_differential import assert_agree

# Raw number tokens that json.dumps cannot write: put in as marked strings, swapped after.
RAW_NUMBERS = ["1e400", "-1e400", "-0", "-0.0", "18446744073709551616", "-9223372036854775809",
               "1E5", "1.5e-400", "123456789012345678901234567890", "0.1", "1e16", "-1.5e300"]
MARK = "\u0001raw\u0001"

text = st.text(st.characters(codec=None, exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["", " ", "\\", '"', "\u2028", "\U0001f600", "\x00", "\ud800", "é=è", "{", "[1,", "null"]
)
number = (
    st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(RAW_NUMBERS).map(lambda r: MARK + r)
)
scalar = st.none() | st.booleans() | number | text
json_value = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
string_ish = st.one_of(text, st.none(), number, st.booleans(), st.lists(scalar, max_size=2))

EVENT_TYPES = ["problem_check", "problem_save", "problem_graded", "problem_show", "play_video",
               "edx.video.paused", "seq_goto", "book", "rubric_select", "oe_feedback_x", "x",
               "/courses/Org/Num/Run/courseware", "https://h/courses/course-v1:A+B+C/x"]

get_string = st.lists(
    st.tuples(st.sampled_from(["input_a", "input_b[]", "c", "input_x_2_1", "%ZZ", ""]), text),
    max_size=4,
).map(lambda pairs: "&".join(f"{quote(k, errors='surrogatepass')}={quote(v, safe='', errors='surrogatepass')}" for k, v in pairs))

payload = st.fixed_dictionaries(
    {},
    optional={
        "answers": st.dictionaries(text, json_value, max_size=3) | json_value | get_string,
        "correct_map": st.dictionaries(text, st.dictionaries(
            st.sampled_from(["correctness", "npoints", "msg", "hint", "hintmode", "queuestate"]),
            json_value, max_size=4), max_size=2) | json_value,
        "problem_id": string_ish, "problem": string_ish, "success": string_ish,
        "attempts": number | text | st.none(), "state": json_value,
        "id": string_ish, "code": string_ish, "speed": string_ish,
        "currentTime": number | text | st.none(), "current_time": number | text,
        "type": string_ish, "old": number | text | st.none(), "new": number | text | st.none(),
        "location": string_ish, "category": string_ish, "value": number | text | st.none(),
    },
)

event = st.one_of(
    payload,
    payload.map(json.dumps),
    payload.map(lambda p: json.dumps(json.dumps(p))),
    payload.map(lambda p: json.dumps(json.dumps(json.dumps(p)))),
    get_string,
    get_string.map(json.dumps),
    st.tuples(get_string, text).map(list),
    json_value,
    payload.map(lambda p: json.dumps(p)[: len(json.dumps(p)) // 2]),  # cut, as at 512 chars
)

context = st.one_of(
    st.none(), text, json_value,
    st.fixed_dictionaries({}, optional={
        "course_id": st.sampled_from(["course-v1:A+B+C", "Org/Num/Run", "", "x"]) | string_ish,
        "org_id": string_ish, "user_id": number | text | st.none(), "path": text,
    }),
)

record = st.fixed_dictionaries(
    # Mostly real event types (so the event families and GET decoding are reached).
    {"event_type": st.sampled_from(EVENT_TYPES) | st.sampled_from(EVENT_TYPES) | string_ish,
     "event": event},
    optional={
        "username": string_ish, "session": string_ish, "ip": string_ish, "agent": string_ish,
        "page": st.sampled_from(["/courses/course-v1:Q+R+S/x", "http://h/courses/O/N/R/"]) | string_ish,
        "host": string_ish, "referer": string_ish, "accept_language": string_ish,
        "name": string_ish, "event_source": st.sampled_from(["browser", "server"]) | string_ish,
        "time": st.sampled_from(["2014-05-02T16:02:25.123456+00:00", "2014-02-30T00:00:00",
                                 "2016-09-07 12:00:00Z", "yesterday"]) | string_ish,
        "context": context,
    },
).flatmap(lambda r: st.dictionaries(text, json_value, max_size=2).map(lambda extra: {**extra, **r}))


def encode(obj, ascii_only: bool) -> bytes:
    text = json.dumps(obj, ensure_ascii=ascii_only)
    for raw in RAW_NUMBERS:
        text = text.replace(json.dumps(MARK + raw, ensure_ascii=ascii_only), raw)
    # A lone surrogate can only be written escaped (then it is invalid JSON: a reject).
    return text.encode("utf-8", "surrogatepass") if not ascii_only else text.encode()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(records=st.lists(st.tuples(record, st.booleans()), min_size=1, max_size=6))
def test_core_equals_reference_on_generated_events(records):
    lines = []
    for obj, ascii_only in records:
        try:
            lines.append(encode(obj, ascii_only))
        except UnicodeEncodeError:
            lines.append(encode(obj, True))
    fd, path = tempfile.mkstemp(suffix=".log")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"\n".join(lines) + b"\n")
        assert_agree(path, "generated events")
    finally:
        os.unlink(path)
